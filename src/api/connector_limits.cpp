#include "api/connector_limits.h"

#include <algorithm>

namespace evni::api {

namespace {

std::string CacheKey(const std::string& tenant_id, const std::string& station_id, const std::string& connector_id) {
    std::string key;
    key.reserve(tenant_id.size() + station_id.size() + connector_id.size() + 2);
    key.append(tenant_id).append(1, '\x1f').append(station_id).append(1, '\x1f').append(connector_id);
    return key;
}

// The learned rating from the connector's newest observations, the session's own left out.
std::optional<analysis::LearnedLimit> LearnWithout(const std::vector<storage::ConnectorPowerEntry>& newest_first,
                                                   std::int64_t session_pk, const domain::ConnectorFacts& metadata) {
    std::vector<analysis::PowerObservation> history;
    history.reserve(std::min<std::size_t>(newest_first.size(), analysis::kLearnedHistoryLimit));
    for (const auto& e : newest_first) {
        if (history.size() == analysis::kLearnedHistoryLimit) break;
        if (e.session_pk != session_pk) history.push_back(e.observation);
    }
    return analysis::LearnConnectorLimit(history, metadata);
}

// The observation is optional: never fail the write for it.
std::optional<analysis::PowerObservation> Observe(std::span<const domain::MeterValue> values) {
    try {
        return analysis::ObserveSessionPower(values);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

std::any ConnectorLimitListener::Prepare(std::span<const domain::MeterValue> values) const { return Observe(values); }

void ConnectorLimitListener::Forget(const SessionWrite& write) {
    if (!cache_) return;
    const auto& r = write.after;
    cache_->Forget(r.tenant_id, r.station_id, r.connector_id.value_or(""));
    if (write.before) cache_->Forget(r.tenant_id, write.before->station_id, write.before->connector_id.value_or(""));
}
void ConnectorLimitListener::OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) {
    const storage::SessionRecord& r = write.after;
    if (r.pk == 0) return;
    auto& repo = tx.ConnectorLimits();
    const std::string connector = r.connector_id.value_or("");
    if (!write.values_complete && !ObservationDue(write, !write.values.empty())) {
        if (SessionMoved(write)) {
            repo.Move(r.tenant_id, r.pk, r.station_id, connector);
            Forget(write);
        }
        return;
    }
    const auto observation = PreparedOr<analysis::PowerObservation>(tx, write, Observe);
    if (!observation) {
        if (write.kind != SessionWriteKind::kInsert) {
            repo.Delete(r.tenant_id, r.pk);
            Forget(write);
        }
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
    Forget(write);
}

std::optional<analysis::LearnedLimit> LoadLearnedLimit(storage::Transaction& tx, const storage::SessionRecord& session,
                                                       const domain::ConnectorFacts& metadata) {
    if (metadata.max_power_kw) return std::nullopt;  // metadata wins: no read
    const auto history =
        tx.ConnectorLimits().ForConnector(session.tenant_id, session.station_id, session.connector_id.value_or(""),
                                          session.pk, analysis::kLearnedHistoryLimit);
    return LearnWithout(history, session.pk, metadata);
}

std::optional<analysis::LearnedLimit> ConnectorHistoryCache::Learned(storage::Transaction& tx,
                                                                     const storage::SessionRecord& session,
                                                                     const domain::ConnectorFacts& metadata) {
    if (metadata.max_power_kw) return std::nullopt;  // metadata wins: no read
    const std::string connector = session.connector_id.value_or("");
    std::string key = CacheKey(session.tenant_id, session.station_id, connector);
    const auto now = std::chrono::steady_clock::now();
    std::shared_ptr<const History> history;
    {
        std::lock_guard g(mutex_);
        if (auto it = entries_.find(key); it != entries_.end() && now - it->second.loaded < options_.ttl)
            history = it->second.history;
    }
    if (!history) {
        history = std::make_shared<const History>(tx.ConnectorLimits().ForConnector(
            session.tenant_id, session.station_id, connector, 0, analysis::kLearnedHistoryLimit + 1));
        std::lock_guard g(mutex_);
        if (entries_.size() >= options_.capacity && !entries_.contains(key)) EvictLocked(now);
        entries_[std::move(key)] = {history, now};
    }
    return LearnWithout(*history, session.pk, metadata);
}

void ConnectorHistoryCache::Forget(const std::string& tenant_id, const std::string& station_id,
                                   const std::string& connector_id) {
    const std::string key = CacheKey(tenant_id, station_id, connector_id);
    std::lock_guard g(mutex_);
    entries_.erase(key);
}

std::size_t ConnectorHistoryCache::Size() {
    std::lock_guard g(mutex_);
    return entries_.size();
}

void ConnectorHistoryCache::EvictLocked(std::chrono::steady_clock::time_point now) {
    std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.loaded >= options_.ttl; });
    if (entries_.size() < options_.capacity) return;
    auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                   [](const auto& a, const auto& b) { return a.second.loaded < b.second.loaded; });
    entries_.erase(oldest);
}

}  // namespace evni::api
