#pragma once

// Per-connector limits learned from history (docs/analysis.md "Learned connector limits"): a session write
// listener that keeps each session's power observation (table connector_power_observations) in step with its
// meter values, and the read that turns a connector's history into the learned rating for the analysis.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/connector_limits.h"
#include "api/session_listener.h"
#include "storage/store.h"
#include "util/time.h"

namespace evni::api {

// Records what a session shows about its connector's power (sustained peak, AC/DC, phases). An insert or replace
// observes the values in hand (one pass). An append (or an upsert of an existing session) loads the session's
// values only when it completes the session (status completed or a stop reason) or takes the value count past a
// power of two (>= 8), so a session growing by appends is loaded about log2(n) + 1 times in all. One row per
// session (replaced, never added twice); a replace that leaves too little charging removes it.
// The learned rating's input cached per connector: without it every analysing write on a connector without a
// metadata rating read up to 100 observation rows inside the write transaction. An entry holds the connector's
// newest kLearnedHistoryLimit + 1 observations (so the session's own can be left out), is dropped when this process
// writes an observation of the connector (the listener below), and expires after `ttl` for the writes of other
// nodes (PostgreSQL): the rating is a statistic of up to 100 sessions, so seconds of delay change nothing.
class ConnectorHistoryCache {
  public:
    struct Options {
        std::size_t capacity = 4096;  // connectors; when full, expired entries go, then the oldest
        std::chrono::milliseconds ttl = std::chrono::seconds(5);
    };
    ConnectorHistoryCache() : ConnectorHistoryCache(Options{}) {}
    explicit ConnectorHistoryCache(Options options) : options_(options) {}

    // As LoadLearnedLimit, from the cache when the connector's entry is fresh.
    std::optional<analysis::LearnedLimit> Learned(storage::Transaction& tx, const storage::SessionRecord& session,
                                                  const domain::ConnectorFacts& metadata);
    void Forget(const std::string& tenant_id, const std::string& station_id, const std::string& connector_id);
    std::size_t Size();

  private:
    using History = std::vector<storage::ConnectorPowerEntry>;
    struct Entry {
        std::shared_ptr<const History> history;
        std::chrono::steady_clock::time_point loaded;
    };
    void EvictLocked(std::chrono::steady_clock::time_point now);

    Options options_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;  // by tenant, station and connector
};

class ConnectorLimitListener final : public SessionWriteListener {
  public:
    explicit ConnectorLimitListener(const Clock& clock, ConnectorHistoryCache* cache = nullptr)
        : clock_(clock), cache_(cache) {}
    // The power observation of a new session's values (std::optional<analysis::PowerObservation>).
    std::any Prepare(std::span<const domain::MeterValue> values) const override;
    void OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) override;

  private:
    void Forget(const SessionWrite& write);
    const Clock& clock_;
    ConnectorHistoryCache* cache_;  // told of every change to the history; may be null
};

// The learned rating of the session's connector from its history (without the session itself), given the
// facts its metadata gives; nullopt when metadata gives maxPowerKw or the history is too thin
// (analysis::LearnConnectorLimit). Never another tenant's.
std::optional<analysis::LearnedLimit> LoadLearnedLimit(storage::Transaction& tx, const storage::SessionRecord& session,
                                                       const domain::ConnectorFacts& metadata);

}  // namespace evni::api
