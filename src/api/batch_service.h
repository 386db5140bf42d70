#pragma once

// Batch uploads (POST /v1/sessions/batch, GET /v1/sessions/batch/{batch_id}; docs/batch.md).
//
// Submit streams the request body through SessionsArrayScanner, validates each session with
// DecodeUpsertSession and stores, in one transaction, the batch row, one item row per session
// (valid ones with their payload, invalid ones failed with their error) and the jobs that process
// the items ("batch.process", one per slice of items). Once it returns, nothing is held in memory:
// a crash loses nothing. A job writes each pending item through SessionService::Upsert and marks
// the item done in that same transaction (exactly once, even when the job runs again); the job
// that finds no pending item left completes the batch and emits `batch.completed` in that
// transaction.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "api/events.h"
#include "api/session_service.h"
#include "storage/store.h"
#include "util/error.h"
#include "util/time.h"

namespace evni::jobs {
struct JobResult;
}

namespace evni::api {

struct BatchOptions {
    std::int64_t max_sessions = 10'000;
    // One session's JSON text at most (a session of 200,000 meter values is ~30 MB).
    std::size_t max_session_bytes = 48u << 20;
    // Items per job: the unit of parallelism across workers and nodes.
    std::int64_t items_per_job = 50;
    // A job's lease; the handler extends it while it works, so this bounds how long a crashed
    // worker's slice waits before another worker takes it over.
    std::chrono::milliseconds lease = std::chrono::seconds(20);
};

// Reads the next bytes of a request body into `buf`; returns how many (0 at the end). Throws on a
// read error.
using ByteSource = std::function<std::size_t(char* buf, std::size_t capacity)>;

struct BatchView {
    storage::BatchRecord batch;
    std::string status;  // pending, processing, completed, completed_with_errors, failed
    storage::BatchCounts counts;
    std::int64_t page = 1;
    std::int64_t page_size = 50;
    boost::json::array results;
};

class BatchService {
  public:
    static constexpr const char* kJobKind = "batch.process";

    BatchService(storage::Store& store, const Clock& clock, SessionService& sessions, EventSink& events,
                 BatchOptions options = {})
        : store_(store), clock_(clock), sessions_(sessions), events_(events), options_(options) {}

    // Wakes the job workers of this node after a submission committed (ApiContext::wake_jobs).
    void SetWaker(std::function<void()> wake) { wake_ = std::move(wake); }

    Result<storage::BatchRecord> Submit(const domain::Principal& who, const ByteSource& body);
    Result<BatchView> Get(const domain::Principal& who, const std::string& batch_id, std::int64_t page,
                          std::int64_t page_size);

    // The "batch.process" job handler (registered with the JobRunner in `evni serve`).
    jobs::JobResult Process(const storage::Job& job);

    const BatchOptions& options() const { return options_; }

  private:
    // Completes the batch when no item is pending; emits batch.completed in that transaction.
    void TryComplete(const std::string& tenant_id, const std::string& batch_id);

    storage::Store& store_;
    const Clock& clock_;
    SessionService& sessions_;
    EventSink& events_;
    BatchOptions options_;
    std::function<void()> wake_;
};

// A ByteSource over a string (bodies held in memory) and over a file (spooled bodies).
ByteSource StringSource(std::string_view body);
ByteSource FileSource(const std::string& path);

// "batch.completed" event payload and GET response helpers.
boost::json::object BatchSummaryJson(const storage::BatchRecord& batch, const std::string& status,
                                     const storage::BatchCounts& counts);

}  // namespace evni::api
