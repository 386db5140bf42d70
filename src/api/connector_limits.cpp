#include "api/connector_limits.h"

namespace evni::api {
void ConnectorLimitListener::OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) {
    const storage::SessionRecord& r = write.after;
    if (r.pk == 0) return;
    auto& repo = tx.ConnectorLimits();
    const std::string connector = r.connector_id.value_or("");
    if (!write.values_complete && !ObservationDue(write, !write.values.empty())) {
        if (SessionMoved(write)) repo.Move(r.tenant_id, r.pk, r.station_id, connector);
        return;
    }
    domain::MeterValues loaded;
    const auto values = AllSessionValues(tx, write, loaded);
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
