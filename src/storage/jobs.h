#pragma once

// The durable job queue's storage (docs/jobs.md). Jobs are rows: enqueued inside the transaction of
// the write that caused them (so they exist exactly when that write committed), claimed with a lease
// by worker threads of any node, and finished (done, failed) or put back (retry) by the worker that
// holds the lease. A claim whose lease expired (the worker crashed or hung) is claimable again.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/meter_value.h"

namespace evni::storage {

enum class JobState { kPending, kDone, kFailed };

std::string_view JobStateName(JobState state);
// The inverse of JobStateName; anything unknown reads as pending.
JobState ParseJobState(std::string_view name);

// The columns both backends select to read a Job, in this order.
inline constexpr std::string_view kJobColumns =
    "id, tenant_id, kind, payload, state, attempts, run_at, lease_until, dedupe_key, last_error, created_at, "
    "finished_at";

struct NewJob {
    std::string tenant_id;
    std::string kind;                       // e.g. "webhook.deliver"
    std::string payload_json;               // opaque to the queue; the handler parses it
    domain::EpochMs run_at = 0;             // not claimed before
    std::optional<std::string> dedupe_key;  // at most one job per (tenant, kind, key) while it is kept
};

struct Job {
    std::int64_t id = 0;
    std::string tenant_id;
    std::string kind;
    std::string payload_json;
    JobState state = JobState::kPending;
    // Claims so far (1 on the first run). A claim's attempt number is its fencing token: Complete,
    // Retry, Fail and Extend only act while no later claim took the job over.
    std::int64_t attempts = 0;
    domain::EpochMs run_at = 0;
    std::optional<domain::EpochMs> lease_until;
    std::optional<std::string> dedupe_key;
    std::optional<std::string> last_error;
    domain::EpochMs created_at = 0;
    std::optional<domain::EpochMs> finished_at;
};

class JobRepository {
  public:
    virtual ~JobRepository() = default;
    // Inserts a pending job; returns its id, or nullopt when a job with the same dedupe key exists.
    virtual std::optional<std::int64_t> Enqueue(const NewJob& job, domain::EpochMs now) = 0;
    // Claims up to `limit` pending jobs of the given kinds that are due at `now` (run_at <= now,
    // which includes claimed jobs whose lease expired), oldest due first: attempts + 1,
    // lease_until = run_at = now + lease. On PostgreSQL concurrent claimers skip each other's rows
    // (FOR UPDATE SKIP LOCKED); on SQLite the single writer serialises them. Across tenants.
    virtual std::vector<Job> Claim(std::span<const std::string> kinds, std::int64_t limit, domain::EpochMs now,
                                   std::chrono::milliseconds lease) = 0;
    // The following act only while `job` (as claimed) still holds its lease: state pending and the
    // same attempt number. They return false when the lease was lost (or the job is finished).
    // Marks the job done.
    virtual bool Complete(const Job& job, domain::EpochMs now) = 0;
    // Puts the job back, due at `run_at`, recording `error`.
    virtual bool Retry(const Job& job, domain::EpochMs run_at, const std::string& error) = 0;
    // Marks the job failed for good.
    virtual bool Fail(const Job& job, const std::string& error, domain::EpochMs now) = 0;
    // Extends the lease of a long-running job to `lease_until`.
    virtual bool Extend(const Job& job, domain::EpochMs lease_until) = 0;
    virtual std::optional<Job> Find(const std::string& tenant_id, std::int64_t id) = 0;
    // Pending jobs of `kind` (all kinds when empty) in the tenant (all tenants when empty).
    virtual std::int64_t CountPending(const std::string& tenant_id, const std::string& kind) = 0;
    // Deletes up to `limit` finished jobs: done ones finished before `done_before`, failed ones
    // before `failed_before`. Returns how many.
    virtual std::int64_t Purge(domain::EpochMs done_before, domain::EpochMs failed_before, std::int64_t limit) = 0;
};

}  // namespace evni::storage
