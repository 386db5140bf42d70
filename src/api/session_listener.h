#pragma once

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

// Keeps derived data (anomaly records, station aggregates, event outbox, ...) in step with every
// session write. Called in the write's transaction before it commits: a listener that throws rolls
// the whole write back, so listeners must only fail when the database does.
class SessionWriteListener {
  public:
    virtual ~SessionWriteListener() = default;
    virtual void OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) = 0;
};

}  // namespace evni::api
