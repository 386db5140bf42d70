#pragma once

#include <optional>
#include <string>

#include "api/session_listener.h"

namespace evni::api {

// Keeps the station registry's aggregates (sessions, anomalous sessions, anomalies per category, max and
// latest score, last anomaly date, per station and connector), its merged metadata and connector facts in
// step with every session write, in the write's transaction: it applies the difference between the row
// before and after the write, and does nothing when no counted field changed (most appends).
//
// Max score and last anomaly date are running maxima; when the session that held one lowers its score,
// stops being anomalous or moves to another connector, they are recomputed from the station's sessions.
class StationAggregatesListener final : public SessionWriteListener {
  public:
    void OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) override;
};

// Merges JSON object `update` into `base` (nested objects merged key by key, other values replaced);
// returns `base` unchanged when `update` is not an object. Keys of `base` are never dropped.
std::string MergeMetadata(const std::optional<std::string>& base, const std::string& update);

}  // namespace evni::api
