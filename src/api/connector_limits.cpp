#include "api/connector_limits.h"

namespace evni::api {
void ConnectorLimitListener::OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) {
    const storage::SessionRecord& r = write.after;
    if (r.pk == 0) return;
    auto& repo = tx.ConnectorLimits();
    const std::string connector = r.connector_id.value_or("");
    const bool moved =
        write.before && (write.before->station_id != r.station_id || write.before->connector_id != r.connector_id);
    bool observe = write.values_complete;
    if (!write.values_complete) {
        const bool completed_now = SessionCompleted(r) && !(write.before && SessionCompleted(*write.before));
        const std::int64_t count_before = write.before ? write.before->value_count : 0;
        observe = (completed_now && r.value_count > 0) ||
                  (!write.values.empty() && CrossesPowerOfTwo(count_before, r.value_count));
    }
    if (!observe) {
        if (moved) repo.Move(r.tenant_id, r.pk, r.station_id, connector);
        return;
    }
    domain::MeterValues loaded;
    std::span<const domain::MeterValue> values = write.values;
    if (!write.values_complete) {
        loaded = tx.Sessions().LoadValues(r);
        values = loaded;
    }
    std::optional<analysis::PowerObservation> observation;
    try {
        observation = analysis::ObserveSessionPower(values);
    } catch (const std::exception&) {
        observation.reset();  // the observation is optional: never fail the write for it
    }
    if (!observation) {
        if (write.kind != SessionWriteKind::kInsert) repo.Delete(r.tenant_id, r.pk);
        return;
    }
    storage::PowerObservationRecord record;
    record.tenant_id = r.tenant_id;
    record.session_pk = r.pk;
    record.station_id = r.station_id;
    record.connector_id = connector;
    record.observation = *observation;
    record.updated_at = clock_.NowMs();
    repo.Upsert(record);
}

std::optional<analysis::LearnedLimit> LoadLearnedLimit(storage::Transaction& tx, const storage::SessionRecord& session,
                                                       const domain::ConnectorFacts& metadata) {
    if (metadata.max_power_kw) return std::nullopt;  // metadata wins: no read
    const auto history =
        tx.ConnectorLimits().ForConnector(session.tenant_id, session.station_id, session.connector_id.value_or(""),
                                          session.pk, analysis::kLearnedHistoryLimit);
    return analysis::LearnConnectorLimit(history, metadata);
}

}  // namespace evni::api
