#include "storage/postgres/pg_soc_prior.h"

namespace evni::storage::postgres {
namespace {

constexpr std::string_view kObservationColumns =
    "peak_power_kw, capacity_kwh, weight, observed_at, ev_max_power_kw, start_soc, session_energy_kwh, session_minutes";

std::vector<analysis::PriorObservation> ReadObservations(const Result& r) {
    std::vector<analysis::PriorObservation> out;
    out.reserve(static_cast<std::size_t>(r.Rows()));
    for (int i = 0; i < r.Rows(); ++i)
        out.push_back({r.Double(i, 0), r.Double(i, 1), r.Double(i, 2), r.Time(i, 3), r.Double(i, 4), r.Double(i, 5),
                       r.Double(i, 6), r.Double(i, 7)});
    return out;
}

class PgSocPriors final : public SocPriorRepository {
  public:
    explicit PgSocPriors(Connection& c) : c_(c) {}

    void Upsert(const SocObservationRecord& r) override {
        c_.Defer(
            "INSERT INTO connector_soc_priors (session_pk, tenant_id, station_id, connector_id, peak_power_kw, "
            "capacity_kwh, weight, observed_at, updated_at, ev_max_power_kw, start_soc, session_energy_kwh, "
            "session_minutes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
            "ON CONFLICT (session_pk) DO UPDATE SET station_id = excluded.station_id, "
            "connector_id = excluded.connector_id, peak_power_kw = excluded.peak_power_kw, "
            "capacity_kwh = excluded.capacity_kwh, weight = excluded.weight, observed_at = excluded.observed_at, "
            "updated_at = excluded.updated_at, ev_max_power_kw = excluded.ev_max_power_kw, "
            "start_soc = excluded.start_soc, session_energy_kwh = excluded.session_energy_kwh, "
            "session_minutes = excluded.session_minutes WHERE "
            "connector_soc_priors.tenant_id = excluded.tenant_id",
            Params()
                .Add(r.session_pk)
                .Add(r.tenant_id)
                .Add(r.station_id)
                .Add(r.connector_id)
                .Add(r.observation.peak_power_kw)
                .Add(r.observation.capacity_kwh)
                .Add(r.observation.weight)
                .AddTime(r.observation.observed_at)
                .AddTime(r.updated_at)
                .Add(r.observation.ev_max_power_kw)
                .Add(r.observation.start_soc)
                .Add(r.observation.session_energy_kwh)
                .Add(r.observation.session_minutes));
    }

    void Delete(const std::string& tenant_id, std::int64_t session_pk) override {
        c_.Exec("DELETE FROM connector_soc_priors WHERE session_pk = $1 AND tenant_id = $2",
                Params().Add(session_pk).Add(tenant_id));
    }

    bool Exists(const std::string& tenant_id, std::int64_t session_pk) override {
        return c_.Exec("SELECT 1 FROM connector_soc_priors WHERE session_pk = $1 AND tenant_id = $2",
                       Params().Add(session_pk).Add(tenant_id))
                   .Rows() > 0;
    }

    void Move(const std::string& tenant_id, std::int64_t session_pk, const std::string& station_id,
              const std::string& connector_id) override {
        c_.Exec(
            "UPDATE connector_soc_priors SET station_id = $3, connector_id = $4 WHERE session_pk = $1 AND "
            "tenant_id = $2",
            Params().Add(session_pk).Add(tenant_id).Add(station_id).Add(connector_id));
    }

    std::vector<analysis::PriorObservation> ForConnector(const std::string& tenant_id, const std::string& station_id,
                                                         const std::string& connector_id, std::int64_t exclude_pk,
                                                         std::int64_t limit) override {
        return ReadObservations(
            c_.Exec("SELECT " + std::string(kObservationColumns) +
                        " FROM connector_soc_priors WHERE tenant_id = $1 AND station_id = $2 AND "
                        "connector_id = $3 AND session_pk <> $4 "
                        "ORDER BY observed_at DESC, session_pk DESC LIMIT $5",
                    Params().Add(tenant_id).Add(station_id).Add(connector_id).Add(exclude_pk).Add(limit)));
    }

    std::vector<analysis::PriorObservation> ForStation(const std::string& tenant_id, const std::string& station_id,
                                                       std::int64_t exclude_pk, std::int64_t limit) override {
        return ReadObservations(
            c_.Exec("SELECT " + std::string(kObservationColumns) +
                        " FROM connector_soc_priors WHERE tenant_id = $1 AND station_id = $2 AND session_pk <> $3 "
                        "ORDER BY observed_at DESC, session_pk DESC LIMIT $4",
                    Params().Add(tenant_id).Add(station_id).Add(exclude_pk).Add(limit)));
    }

    std::vector<analysis::PriorObservation> ForOtherConnectors(const std::string& tenant_id,
                                                               const std::string& station_id,
                                                               const std::string& connector_id, std::int64_t exclude_pk,
                                                               std::int64_t limit) override {
        return ReadObservations(
            c_.Exec("SELECT " + std::string(kObservationColumns) +
                        " FROM connector_soc_priors WHERE tenant_id = $1 AND "
                        "NOT (station_id = $2 AND connector_id = $3) AND session_pk <> $4 "
                        "ORDER BY observed_at DESC, session_pk DESC LIMIT $5",
                    Params().Add(tenant_id).Add(station_id).Add(connector_id).Add(exclude_pk).Add(limit)));
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<SocPriorRepository> MakeSocPriorRepository(Connection& connection) {
    return std::make_unique<PgSocPriors>(connection);
}

}  // namespace evni::storage::postgres
