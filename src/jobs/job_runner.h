#pragma once

// Worker threads that run the durable job queue's jobs (docs/jobs.md). Jobs are enqueued with
// storage::JobRepository::Enqueue inside the transaction of the write that causes them; the runner of
// every node claims due jobs of the kinds it has handlers for, runs the handler outside any
// transaction and records the outcome. A crash at any point loses nothing: a claimed job whose lease
// expires is claimed again, so handlers must tolerate running again (at-least-once). For an effect
// that must happen exactly once, the handler writes it and calls Jobs().Complete(job, now) in one
// transaction, committing only when Complete returned true (see docs/jobs.md).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/store.h"
#include "util/time.h"

namespace evni::jobs {

// What a handler asks the runner to do with its job.
struct JobResult {
    enum class Kind { kDone, kRetry, kFail };
    Kind kind = Kind::kDone;
    EpochMs retry_at = 0;  // kRetry: due again then
    std::string error;     // kRetry, kFail: recorded as the job's last_error

    static JobResult Done() { return {}; }
    static JobResult RetryAt(EpochMs at, std::string error) { return {Kind::kRetry, at, std::move(error)}; }
    static JobResult Failed(std::string error) { return {Kind::kFail, 0, std::move(error)}; }
};

// Runs one claimed job. Called on a worker thread outside any transaction. Throwing counts as a
// transient failure: the job is retried with backoff (KindOptions) and failed after max_attempts.
using Handler = std::function<JobResult(const storage::Job& job)>;

struct KindOptions {
    // How long a claim is exclusive; a handler running longer must call Jobs().Extend.
    std::chrono::milliseconds lease = std::chrono::minutes(2);
    // For handlers that throw: retry after base * 2^(attempt-1) (capped at max, with jitter) and fail
    // the job after this many attempts.
    int max_attempts = 20;
    std::chrono::milliseconds retry_base = std::chrono::seconds(1);
    std::chrono::milliseconds retry_max = std::chrono::minutes(5);
};

struct RunnerOptions {
    int workers = 2;
    // How often an idle worker looks for due jobs (jobs enqueued on another node, retries coming
    // due, expired leases). A Wake() on this node starts a look at once.
    std::chrono::milliseconds poll_interval = std::chrono::milliseconds(500);
    // Finished jobs are kept this long, then deleted by Purge().
    std::chrono::milliseconds done_retention = std::chrono::hours(1);
    std::chrono::milliseconds failed_retention = std::chrono::hours(24 * 7);
};

// Exponential backoff with full jitter in [delay/2, delay], delay = min(max, base * 2^(attempt-1)).
std::chrono::milliseconds Backoff(std::int64_t attempt, std::chrono::milliseconds base, std::chrono::milliseconds max);

class JobRunner {
  public:
    JobRunner(storage::Store& store, const Clock& clock, RunnerOptions options = {});
    ~JobRunner();
    JobRunner(const JobRunner&) = delete;
    JobRunner& operator=(const JobRunner&) = delete;

    // Registers the handler of a kind; call before Start(). Kinds without a handler on this node are
    // left to other nodes.
    void Register(std::string kind, Handler handler, KindOptions options = {});
    void Start();
    // Stops claiming, lets running handlers finish, joins the threads. Idempotent.
    void Stop();
    // Makes idle workers look for jobs now (e.g. after a transaction that enqueued one committed:
    // tx.AfterCommit(runner.Waker())). Thread-safe, cheap.
    void Wake();
    std::function<void()> Waker() {
        return [this] { Wake(); };
    }
    // Claims and runs due jobs on the caller's thread, one at a time, until none is due or
    // `max_jobs` ran; returns how many ran (tests, tools).
    int RunDue(int max_jobs = 1 << 30);
    // Deletes finished jobs older than the retention (a Scheduler task); returns how many.
    std::int64_t Purge();

    const RunnerOptions& options() const { return options_; }

  private:
    struct Kind {
        Handler handler;
        KindOptions options;
    };
    // Claims one due job and runs it; false when none was due.
    bool RunOne();
    void Execute(const storage::Job& job, const Kind& kind);
    void Loop();

    storage::Store& store_;
    const Clock& clock_;
    RunnerOptions options_;
    std::map<std::string, Kind> kinds_;
    // Kinds grouped by lease: one claim query per group.
    std::vector<std::pair<std::chrono::milliseconds, std::vector<std::string>>> groups_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::uint64_t wake_generation_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
    std::atomic<std::size_t> next_group_{0};
};

}  // namespace evni::jobs
