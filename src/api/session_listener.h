#pragma once

#include <any>
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
    // What this listener's Prepare made of `values` before the write lock was taken (a new session whose values
    // all came with the request); nullptr when Prepare did not run for this write.
    const std::any* prepared = nullptr;

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

// For listeners that keep one observation per session and re-derive it from all its values: whether this
// write (not an insert or replace, which carry all values) is the time to do so. At completion (once), or while
// open when a write that brings `relevant` values takes the count past a power of two.
inline bool ObservationDue(const SessionWrite& write, bool relevant) {
    const storage::SessionRecord& r = write.after;
    const bool completed_now = SessionCompleted(r) && !(write.before && SessionCompleted(*write.before));
    const std::int64_t count_before = write.before ? write.before->value_count : 0;
    return (completed_now && r.value_count > 0) || (relevant && CrossesPowerOfTwo(count_before, r.value_count));
}

// True when the write moved the session to another station or connector.
inline bool SessionMoved(const SessionWrite& write) {
    return write.before && (write.before->station_id != write.after.station_id ||
                            write.before->connector_id != write.after.connector_id);
}

// All the session's values: the write's when it carries them all, else read into `storage`.
inline std::span<const domain::MeterValue> AllSessionValues(storage::Transaction& tx, const SessionWrite& write,
                                                            domain::MeterValues& storage) {
    if (write.values_complete) return write.values;
    storage = tx.Sessions().LoadValues(write.after);
    return storage;
}

// For listeners whose Prepare returns std::optional<T>: what Prepare made for this write, else `derive` applied
// to all the session's values.
template <typename T, typename Derive>
std::optional<T> PreparedOr(storage::Transaction& tx, const SessionWrite& write, Derive derive) {
    if (const auto* p = write.prepared ? std::any_cast<std::optional<T>>(write.prepared) : nullptr) return *p;
    domain::MeterValues loaded;
    return derive(AllSessionValues(tx, write, loaded));
}

// Keeps derived data (anomaly records, station aggregates, event outbox, ...) in step with every
// session write. Called in the write's transaction before it commits: a listener that throws rolls
// the whole write back, so listeners must only fail when the database does.
class SessionWriteListener {
  public:
    virtual ~SessionWriteListener() = default;
    // Optional: work on all of a new session's values that needs no database, done before the write lock is
    // taken so that other writes need not wait for it. OnSessionWritten of the same write finds the result in
    // SessionWrite::prepared. Must not throw.
    virtual std::any Prepare(std::span<const domain::MeterValue> /*values*/) const { return {}; }
    virtual void OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) = 0;
};

}  // namespace evni::api
