#include "api/soc_prior.h"

#include <boost/json.hpp>
#include <cctype>
#include <cmath>

#include "api/json_util.h"

namespace evni::api {
namespace {

bool IsSoc(const domain::MeterValue& v) {
    if (!v.measurand || v.measurand->size() != 3) return false;
    const std::string& m = *v.measurand;
    return std::tolower(static_cast<unsigned char>(m[0])) == 's' &&
           std::tolower(static_cast<unsigned char>(m[1])) == 'o' &&
           std::tolower(static_cast<unsigned char>(m[2])) == 'c';
}

int CountSoc(std::span<const domain::MeterValue> values) {
    int n = 0;
    for (const auto& v : values) n += (IsSoc(v) && !v.reconstructed) ? 1 : 0;
    return n;
}

// The estimate is optional: never fail the write for it.
std::optional<analysis::PriorObservation> Estimate(std::span<const domain::MeterValue> values) {
    try {
        return analysis::EstimateSessionCapacity(values);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

std::any SocPriorListener::Prepare(std::span<const domain::MeterValue> values) const {
    if (CountSoc(values) < 2) return {};
    return Estimate(values);
}

void SocPriorListener::OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) {
    const storage::SessionRecord& r = write.after;
    if (r.pk == 0) return;
    const std::string connector = r.connector_id.value_or("");
    const int soc_in_write = CountSoc(write.values);
    bool estimate = false;
    if (write.values_complete) {
        // Insert or replace: the whole session is in hand.
        estimate = soc_in_write >= 2;
        if (!estimate) {
            // A replaced session that lost its SoC readings no longer counts.
            if (write.kind == SessionWriteKind::kReplace) tx.SocPriors().Delete(r.tenant_id, r.pk);
            return;
        }
    } else {
        // Completion: the final estimate (once per session; its SoC readings may have come with any append).
        // While open: an interim one when a write with SoC readings takes the count past a power of two.
        estimate = ObservationDue(write, soc_in_write > 0);
    }
    if (!estimate) {
        if (SessionMoved(write)) tx.SocPriors().Move(r.tenant_id, r.pk, r.station_id, connector);
        return;
    }
    auto observation = PreparedOr<analysis::PriorObservation>(tx, write, Estimate);
    if (!observation) {
        if (write.kind != SessionWriteKind::kInsert) tx.SocPriors().Delete(r.tenant_id, r.pk);
        return;
    }
    observation->ev_max_power_kw = EvMaxPowerFromMetadata(r.metadata_json).value_or(0.0);
    storage::SocObservationRecord record;
    record.tenant_id = r.tenant_id;
    record.session_pk = r.pk;
    record.station_id = r.station_id;
    record.connector_id = connector;
    record.observation = *observation;
    record.updated_at = clock_.NowMs();
    tx.SocPriors().Upsert(record);
}

std::optional<double> EvMaxPowerFromMetadata(const std::optional<std::string>& metadata_json) {
    if (!metadata_json) return std::nullopt;
    boost::system::error_code ec;
    const auto v = boost::json::parse(*metadata_json, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto* p = v.get_object().if_contains("evMaxPowerKw");
    if (p == nullptr) return std::nullopt;
    const auto kw = NumberOrNumericString(*p);
    if (!kw || !std::isfinite(*kw) || *kw <= 0.0 || *kw > 2000.0) return std::nullopt;
    return kw;
}

std::optional<analysis::SocPrior> LoadSocPrior(storage::Transaction& tx, const storage::SessionRecord& session,
                                               bool with_soc_reading) {
    auto& repo = tx.SocPriors();
    const std::string connector = session.connector_id.value_or("");
    const auto own =
        repo.ForConnector(session.tenant_id, session.station_id, connector, session.pk, analysis::kPriorReadLimit);
    double weight = 0.0;
    for (const auto& o : own) weight += o.weight;
    std::vector<analysis::PriorObservation> fleet;
    if (weight < analysis::kConnectorHistoryEnough) {
        fleet = repo.ForOtherConnectors(session.tenant_id, session.station_id, connector, session.pk,
                                        analysis::kPriorObservationLimit);
    }
    // A connector with enough history: the station's sessions on all its connectors are the pool of "sessions like
    // this one" (a returning car takes whichever connector is free). A thin connector's pool is its own sessions and
    // the tenant's others already (the station's other connectors among them).
    std::vector<analysis::PriorObservation> station;
    if (with_soc_reading && weight >= analysis::kConnectorHistoryEnough)
        station = repo.ForStation(session.tenant_id, session.station_id, session.pk, analysis::kPriorReadLimit);
    return analysis::BuildSocPrior(own, fleet, station);
}

}  // namespace evni::api
