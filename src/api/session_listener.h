#pragma once

#include <bit>
#include <cstdint>
#include <span>

#include "domain/meter_value.h"
#include "storage/store.h"

namespace evni::api {

enum class SessionWriteKind { kInsert, kUpsert, kReplace, kAppend };

// One session write, as listeners see it inside the write's transaction (just before it commits).
struct SessionWrite {
    SessionWriteKind kind = SessionWriteKind::kInsert;
    // The row before the write (without its analysis state); nullptr when the session is new.
    const storage::SessionRecord* before = nullptr;
    // The row as it is written, with its current anomalies.
    const storage::SessionRecord& after;
    // The meter values this write brought (empty when none); all of the session's values when
    // values_complete (an insert or a replace), else only the ones added (append, upsert).
    std::span<const domain::MeterValue> values{};
    bool values_complete = false;

    // True when this write ran a new analysis (the verdict may still be unchanged).
    bool Analyzed() const {
        return before ? after.analysis_version != before->analysis_version : after.analysis_version > 0;
    }
};

// A session the client finished (status completed, or a stop reason given).
inline bool SessionCompleted(const storage::SessionRecord& r) {
    return r.client_status == domain::ClientStatus::kCompleted || r.stop_reason.has_value();
}

// True when the value count went past a power of two (8, 16, 32, ...) with this write: listeners that
// re-read a growing session do it that often, so its cost stays linear in the session's length.
inline bool CrossesPowerOfTwo(std::int64_t before, std::int64_t after) {
    if (after < 8 || after <= before) return false;
    return std::bit_width(static_cast<std::uint64_t>(after)) > std::bit_width(static_cast<std::uint64_t>(before));
}

// Keeps derived data (anomaly records, station aggregates, event outbox, ...) in step with every
// session write. Called in the write's transaction before it commits: a listener that throws rolls
// the whole write back, so listeners must only fail when the database does.
class SessionWriteListener {
  public:
    virtual ~SessionWriteListener() = default;
    virtual void OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) = 0;
};

}  // namespace evni::api
