#include "jobs/job_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <random>

namespace evni::jobs {
namespace {

std::mt19937_64& Rng() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return rng;
}

}  // namespace

std::chrono::milliseconds Backoff(std::int64_t attempt, std::chrono::milliseconds base, std::chrono::milliseconds max) {
    const std::int64_t shift = std::clamp<std::int64_t>(attempt - 1, 0, 40);
    const std::int64_t cap = std::max<std::int64_t>(max.count(), 1);
    std::int64_t delay = base.count();
    for (std::int64_t i = 0; i < shift && delay < cap; ++i) delay *= 2;
    delay = std::clamp<std::int64_t>(delay, 1, cap);
    std::uniform_int_distribution<std::int64_t> jitter(delay / 2, delay);
    return std::chrono::milliseconds(jitter(Rng()));
}

JobRunner::JobRunner(storage::Store& store, const Clock& clock, RunnerOptions options)
    : store_(store), clock_(clock), options_(options) {
    options_.workers = std::max(options_.workers, 0);
}

JobRunner::~JobRunner() { Stop(); }

void JobRunner::Register(std::string kind, Handler handler, KindOptions options) {
    std::lock_guard lock(mu_);
    auto it = std::find_if(groups_.begin(), groups_.end(), [&](const auto& g) { return g.first == options.lease; });
    if (it == groups_.end()) {
        groups_.emplace_back(options.lease, std::vector<std::string>{});
        it = std::prev(groups_.end());
    }
    if (!kinds_.contains(kind)) it->second.push_back(kind);
    kinds_[std::move(kind)] = Kind{std::move(handler), options};
}

void JobRunner::Start() {
    std::lock_guard lock(mu_);
    if (!threads_.empty() || kinds_.empty()) return;
    stopping_ = false;
    for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { Loop(); });
    spdlog::info("job runner: {} worker(s), kinds: {}", options_.workers, [&] {
        std::string names;
        for (const auto& [name, k] : kinds_) names += (names.empty() ? "" : ", ") + name;
        return names;
    }());
}

void JobRunner::Stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
}

void JobRunner::Wake() {
    {
        std::lock_guard lock(mu_);
        ++wake_generation_;
    }
    cv_.notify_all();
}

int JobRunner::RunDue(int max_jobs) {
    int ran = 0;
    while (ran < max_jobs && RunOne()) ++ran;
    return ran;
}

std::int64_t JobRunner::Purge() {
    const EpochMs now = clock_.NowMs();
    std::int64_t total = 0;
    for (;;) {
        std::int64_t n = storage::WithRetry([&] {
            auto tx = store_.Begin(storage::TxMode::kWrite);
            auto deleted =
                tx->Jobs().Purge(now - options_.done_retention.count(), now - options_.failed_retention.count(), 1000);
            tx->Commit();
            return deleted;
        });
        total += n;
        if (n < 1000) break;
    }
    return total;
}

bool JobRunner::RunOne() {
    const std::size_t groups = groups_.size();
    if (groups == 0) return false;
    const std::size_t first = next_group_.fetch_add(1);
    for (std::size_t i = 0; i < groups; ++i) {
        const auto& [lease, kinds] = groups_[(first + i) % groups];
        std::vector<storage::Job> claimed = storage::WithRetry([&] {
            auto tx = store_.Begin(storage::TxMode::kWrite);
            auto jobs = tx->Jobs().Claim(kinds, 1, clock_.NowMs(), lease);
            tx->Commit();
            return jobs;
        });
        if (claimed.empty()) continue;
        for (const auto& job : claimed) Execute(job, kinds_.at(job.kind));
        return true;
    }
    return false;
}

void JobRunner::Execute(const storage::Job& job, const Kind& kind) {
    JobResult result;
    const auto t0 = std::chrono::steady_clock::now();
    try {
        result = kind.handler(job);
    } catch (const std::exception& e) {
        if (job.attempts >= kind.options.max_attempts) {
            result = JobResult::Failed(e.what());
        } else {
            result = JobResult::RetryAt(
                clock_.NowMs() + Backoff(job.attempts, kind.options.retry_base, kind.options.retry_max).count(),
                e.what());
        }
    }
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    bool applied = false;
    try {
        applied = storage::WithRetry([&] {
            auto tx = store_.Begin(storage::TxMode::kWrite);
            bool ok = false;
            switch (result.kind) {
                case JobResult::Kind::kDone:
                    ok = tx->Jobs().Complete(job, clock_.NowMs());
                    break;
                case JobResult::Kind::kRetry:
                    ok = tx->Jobs().Retry(job, result.retry_at, result.error);
                    break;
                case JobResult::Kind::kFail:
                    ok = tx->Jobs().Fail(job, result.error, clock_.NowMs());
                    break;
            }
            tx->Commit();
            return ok;
        });
    } catch (const std::exception& e) {
        // The lease expires and the job runs again.
        spdlog::error("job {} ({}): recording its outcome failed: {}", job.id, job.kind, e.what());
        return;
    }
    switch (result.kind) {
        case JobResult::Kind::kDone:
            // Not applied: the handler completed the job in its own transaction, or lost the lease.
            spdlog::debug("job {} ({}) attempt {} done in {:.1f} ms{}", job.id, job.kind, job.attempts, ms,
                          applied ? "" : " (already completed)");
            break;
        case JobResult::Kind::kRetry:
            spdlog::info("job {} ({}) attempt {} will be retried at {}: {}", job.id, job.kind, job.attempts,
                         FormatIsoDateTime(result.retry_at), result.error);
            break;
        case JobResult::Kind::kFail:
            spdlog::warn("job {} ({}) failed after {} attempt(s): {}", job.id, job.kind, job.attempts, result.error);
            break;
    }
}

void JobRunner::Loop() {
    for (;;) {
        std::uint64_t seen;
        {
            std::lock_guard lock(mu_);
            if (stopping_) return;
            seen = wake_generation_;
        }
        bool ran = false;
        try {
            ran = RunOne();
        } catch (const std::exception& e) {
            spdlog::warn("job runner: claiming jobs failed: {}", e.what());
        }
        if (ran) continue;
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, options_.poll_interval, [&] { return stopping_ || wake_generation_ != seen; });
    }
}

}  // namespace evni::jobs
