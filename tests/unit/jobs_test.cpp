// The durable job queue on SQLite and PostgreSQL: the repository contract (enqueue, claim, complete,
// retry, fail, lease expiry, fencing, dedupe, purge), concurrent claimers, and the JobRunner.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "jobs/job_runner.h"
#include "jobs/schedule_claim.h"
#include "storage_test_backend.h"

namespace evni::jobs {
namespace {

using storage::Job;
using storage::JobState;
using storage::NewJob;
using storage::TxMode;
using testing::Backend;

constexpr EpochMs kT0 = 1772186400000LL;  // 2026-02-27T10:00:00Z
constexpr auto kLease = std::chrono::seconds(60);

class ManualClock final : public Clock {
  public:
    EpochMs NowMs() const override { return now.load(); }
    std::atomic<EpochMs> now{kT0};
};

class JobsTest : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open(8);
        auto tx = store_->Begin(TxMode::kWrite);
        tx->Tenants().Insert({"t1", "one", kT0});
        tx->Commit();
    }
    void TearDown() override {
        store_.reset();
        db_.reset();
    }

    std::optional<std::int64_t> Enqueue(const std::string& kind, EpochMs run_at, std::string payload = "{}",
                                        std::optional<std::string> dedupe = std::nullopt) {
        auto tx = store_->Begin(TxMode::kWrite);
        auto id = tx->Jobs().Enqueue(NewJob{"t1", kind, std::move(payload), run_at, std::move(dedupe)}, kT0);
        tx->Commit();
        return id;
    }
    std::vector<Job> Claim(std::vector<std::string> kinds, std::int64_t n, EpochMs now,
                           std::chrono::milliseconds lease = kLease) {
        auto tx = store_->Begin(TxMode::kWrite);
        auto jobs = tx->Jobs().Claim(kinds, n, now, lease);
        tx->Commit();
        return jobs;
    }
    template <typename F>
    bool Write(F&& f) {
        auto tx = store_->Begin(TxMode::kWrite);
        bool ok = f(tx->Jobs());
        tx->Commit();
        return ok;
    }
    Job Find(std::int64_t id) {
        auto tx = store_->Begin(TxMode::kRead);
        auto j = tx->Jobs().Find("t1", id);
        tx->Commit();
        EXPECT_TRUE(j.has_value());
        return j.value_or(Job{});
    }

    std::unique_ptr<testing::TestDatabase> db_;
    std::unique_ptr<storage::Store> store_;
};

TEST_P(JobsTest, EnqueueClaimComplete) {
    auto a = Enqueue("mail", kT0, R"({"to":"x"})");
    auto later = Enqueue("mail", kT0 + 5000);
    auto other = Enqueue("other", kT0);
    ASSERT_TRUE(a && later && other);

    auto claimed = Claim({"mail"}, 10, kT0 + 1);
    ASSERT_EQ(claimed.size(), 1u);  // `later` is not due, `other` is another kind
    const Job& j = claimed[0];
    EXPECT_EQ(j.id, *a);
    EXPECT_EQ(j.tenant_id, "t1");
    EXPECT_EQ(j.kind, "mail");
    EXPECT_EQ(j.payload_json, R"({"to":"x"})");
    EXPECT_EQ(j.attempts, 1);
    EXPECT_EQ(j.lease_until, kT0 + 1 + 60000);
    EXPECT_EQ(j.state, JobState::kPending);

    EXPECT_TRUE(Claim({"mail"}, 10, kT0 + 2).empty());  // leased
    EXPECT_TRUE(Write([&](auto& r) { return r.Complete(j, kT0 + 3); }));
    EXPECT_FALSE(Write([&](auto& r) { return r.Complete(j, kT0 + 4); }));  // already done
    auto done = Find(*a);
    EXPECT_EQ(done.state, JobState::kDone);
    EXPECT_EQ(done.finished_at, kT0 + 3);
    EXPECT_FALSE(done.lease_until.has_value());

    auto both = Claim({"mail", "other"}, 10, kT0 + 6000);
    ASSERT_EQ(both.size(), 2u);
    EXPECT_EQ(both[0].id, *later);
    EXPECT_EQ(both[1].id, *other);

    auto tx = store_->Begin(TxMode::kRead);
    EXPECT_EQ(tx->Jobs().CountPending("t1", ""), 2);
    EXPECT_EQ(tx->Jobs().CountPending("", "mail"), 1);
    EXPECT_FALSE(tx->Jobs().Find("t2", *a).has_value());  // another tenant's job
}

TEST_P(JobsTest, RetryAndFail) {
    auto id = Enqueue("k", kT0);
    auto j = Claim({"k"}, 1, kT0).at(0);
    EXPECT_TRUE(Write([&](auto& r) { return r.Retry(j, kT0 + 1000, "receiver down"); }));
    EXPECT_TRUE(Claim({"k"}, 1, kT0 + 999).empty());
    auto again = Claim({"k"}, 1, kT0 + 1000);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].attempts, 2);
    EXPECT_EQ(again[0].last_error, "receiver down");
    EXPECT_FALSE(Write([&](auto& r) { return r.Fail(j, "stale", kT0); }));  // the first claim's lease is gone
    EXPECT_TRUE(Write([&](auto& r) { return r.Fail(again[0], "gave up", kT0 + 1001); }));
    auto failed = Find(*id);
    EXPECT_EQ(failed.state, JobState::kFailed);
    EXPECT_EQ(failed.last_error, "gave up");
    EXPECT_TRUE(Claim({"k"}, 1, kT0 + 10'000'000).empty());
}

TEST_P(JobsTest, ExpiredLeaseResumesTheJob) {
    auto id = Enqueue("k", kT0);
    auto first = Claim({"k"}, 1, kT0, std::chrono::seconds(1)).at(0);
    EXPECT_TRUE(Claim({"k"}, 1, kT0 + 999).empty());
    // The worker holding the first claim "crashed": the lease expires and another claims it.
    auto second = Claim({"k"}, 1, kT0 + 1000, std::chrono::seconds(1));
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].id, *id);
    EXPECT_EQ(second[0].attempts, 2);
    // The first worker wakes up late: its outcome is refused (fencing by attempt number).
    EXPECT_FALSE(Write([&](auto& r) { return r.Complete(first, kT0 + 1500); }));
    EXPECT_FALSE(Write([&](auto& r) { return r.Extend(first, kT0 + 9000); }));
    EXPECT_TRUE(Write([&](auto& r) { return r.Extend(second[0], kT0 + 5000); }));
    EXPECT_TRUE(Claim({"k"}, 1, kT0 + 4999).empty());
    EXPECT_TRUE(Write([&](auto& r) { return r.Complete(second[0], kT0 + 1600); }));
    EXPECT_EQ(Find(*id).state, JobState::kDone);
}

TEST_P(JobsTest, DedupeKeyAndRollback) {
    EXPECT_TRUE(Enqueue("k", kT0, "{}", "batch-1:0").has_value());
    EXPECT_FALSE(Enqueue("k", kT0, "{}", "batch-1:0").has_value());
    EXPECT_TRUE(Enqueue("other", kT0, "{}", "batch-1:0").has_value());
    {
        // A job enqueued in a transaction that rolls back never exists, and its AfterCommit hook
        // does not run.
        bool woke = false;
        auto tx = store_->Begin(TxMode::kWrite);
        tx->Jobs().Enqueue(NewJob{"t1", "k", "{}", kT0, std::nullopt}, kT0);
        tx->AfterCommit([&] { woke = true; });
        tx.reset();
        EXPECT_FALSE(woke);
    }
    bool woke = false;
    auto tx = store_->Begin(TxMode::kWrite);
    tx->AfterCommit([&] { woke = true; });
    tx->Commit();
    EXPECT_TRUE(woke);
    EXPECT_EQ(Claim({"k"}, 10, kT0).size(), 1u);
}

TEST_P(JobsTest, PurgeKeepsRecentAndPendingJobs) {
    for (int i = 0; i < 4; ++i) Enqueue("k", kT0);
    auto jobs = Claim({"k"}, 10, kT0);
    ASSERT_EQ(jobs.size(), 4u);
    Write([&](auto& r) { return r.Complete(jobs[0], kT0 + 100); });
    Write([&](auto& r) { return r.Complete(jobs[1], kT0 + 5000); });
    Write([&](auto& r) { return r.Fail(jobs[2], "x", kT0 + 100); });
    auto tx = store_->Begin(TxMode::kWrite);
    EXPECT_EQ(tx->Jobs().Purge(kT0 + 1000, kT0, 100), 1);         // jobs[0]; failed ones kept longer
    EXPECT_EQ(tx->Jobs().Purge(kT0 + 1000, kT0 + 1000, 100), 1);  // jobs[2]
    tx->Commit();
    auto rtx = store_->Begin(TxMode::kRead);
    EXPECT_FALSE(rtx->Jobs().Find("t1", jobs[0].id).has_value());
    EXPECT_TRUE(rtx->Jobs().Find("t1", jobs[1].id).has_value());
    EXPECT_FALSE(rtx->Jobs().Find("t1", jobs[2].id).has_value());
    EXPECT_TRUE(rtx->Jobs().Find("t1", jobs[3].id).has_value());  // pending: never purged
}

TEST_P(JobsTest, ConcurrentClaimersNeverShareAJob) {
    constexpr int kJobs = 300;
    {
        auto tx = store_->Begin(TxMode::kWrite);
        for (int i = 0; i < kJobs; ++i) tx->Jobs().Enqueue(NewJob{"t1", "k", "{}", kT0, std::nullopt}, kT0);
        tx->Commit();
    }
    std::mutex mu;
    std::multiset<std::int64_t> seen;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (;;) {
                auto jobs = storage::WithRetry([&] { return Claim({"k"}, 3, kT0 + 10); }, 50);
                if (jobs.empty()) return;
                std::lock_guard g(mu);
                for (const auto& j : jobs) seen.insert(j.id);
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(seen.size(), static_cast<size_t>(kJobs));
    std::set<std::int64_t> distinct(seen.begin(), seen.end());
    EXPECT_EQ(distinct.size(), static_cast<size_t>(kJobs));  // no job claimed twice
}

TEST_P(JobsTest, RunnerRunsHandlersAndRetriesFailures) {
    ManualClock clock;
    JobRunner runner(*store_, clock, RunnerOptions{.workers = 0});
    int ok_runs = 0, flaky_runs = 0;
    runner.Register("ok", [&](const Job&) {
        ++ok_runs;
        return JobResult::Done();
    });
    KindOptions flaky_options;
    flaky_options.max_attempts = 3;
    flaky_options.retry_base = std::chrono::seconds(10);
    runner.Register(
        "flaky",
        [&](const Job&) -> JobResult {
            ++flaky_runs;
            throw std::runtime_error("boom");
        },
        flaky_options);
    auto ok = Enqueue("ok", kT0);
    auto flaky = Enqueue("flaky", kT0);
    auto retry_at = Enqueue("later", kT0);  // no handler here: left alone
    EXPECT_EQ(runner.RunDue(), 2);
    EXPECT_EQ(ok_runs, 1);
    EXPECT_EQ(Find(*ok).state, JobState::kDone);
    auto f = Find(*flaky);
    EXPECT_EQ(f.state, JobState::kPending);
    EXPECT_EQ(f.last_error, "boom");
    EXPECT_GE(f.run_at, kT0 + 5000);  // backoff with jitter: 10 s * [0.5, 1]
    EXPECT_LE(f.run_at, kT0 + 10000);
    for (int i = 0; i < 5; ++i) {
        clock.now += 60'000;
        runner.RunDue();
    }
    EXPECT_EQ(flaky_runs, 3);
    EXPECT_EQ(Find(*flaky).state, JobState::kFailed);
    EXPECT_EQ(Find(*retry_at).state, JobState::kPending);
}

TEST_P(JobsTest, RetryAtAndExactlyOnceEffectWithComplete) {
    ManualClock clock;
    JobRunner runner(*store_, clock, RunnerOptions{.workers = 0});
    int runs = 0;
    runner.Register("later", [&](const Job& job) {
        if (++runs == 1) return JobResult::RetryAt(clock.NowMs() + 30'000, "not yet");
        // The effect and the completion in one transaction: committed together or not at all.
        auto tx = store_->Begin(TxMode::kWrite);
        tx->Tenants().Insert({"effect-" + std::to_string(job.id), "x", clock.NowMs()});
        if (!tx->Jobs().Complete(job, clock.NowMs())) return JobResult::Done();  // lease lost: roll back
        tx->Commit();
        return JobResult::Done();
    });
    auto id = Enqueue("later", kT0);
    EXPECT_EQ(runner.RunDue(), 1);
    EXPECT_EQ(runner.RunDue(), 0);
    clock.now += 30'000;
    EXPECT_EQ(runner.RunDue(), 1);
    auto j = Find(*id);
    EXPECT_EQ(j.state, JobState::kDone);
    EXPECT_EQ(j.attempts, 2);
    auto tx = store_->Begin(TxMode::kRead);
    EXPECT_TRUE(tx->Tenants().Find("effect-" + std::to_string(*id)).has_value());
}

TEST_P(JobsTest, WorkerThreadsRunEveryJobOnce) {
    SystemClock clock;
    JobRunner runner(*store_, clock, RunnerOptions{.workers = 3, .poll_interval = std::chrono::seconds(30)});
    std::mutex mu;
    std::map<std::string, int> runs;
    std::atomic<int> total{0};
    runner.Register("count", [&](const Job& job) {
        {
            std::lock_guard g(mu);
            ++runs[job.payload_json];
        }
        ++total;
        return JobResult::Done();
    });
    runner.Start();
    constexpr int kJobs = 40;
    for (int i = 0; i < kJobs; ++i) {
        auto tx = store_->Begin(TxMode::kWrite);
        tx->Jobs().Enqueue(NewJob{"t1", "count", std::to_string(i), clock.NowMs(), std::nullopt}, clock.NowMs());
        tx->AfterCommit(runner.Waker());  // no 30 s poll wait: the wake-up starts the workers
        tx->Commit();
    }
    for (int i = 0; i < 200 && total.load() < kJobs; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    runner.Stop();
    EXPECT_EQ(total.load(), kJobs);
    EXPECT_EQ(runs.size(), static_cast<size_t>(kJobs));
    for (const auto& [payload, n] : runs) EXPECT_EQ(n, 1) << payload;
}

TEST(JobsBackoff, GrowsExponentiallyWithJitterAndCap) {
    using std::chrono::milliseconds;
    for (int i = 0; i < 50; ++i) {
        auto d1 = Backoff(1, milliseconds(1000), milliseconds(60000)).count();
        EXPECT_GE(d1, 500);
        EXPECT_LE(d1, 1000);
        auto d4 = Backoff(4, milliseconds(1000), milliseconds(60000)).count();
        EXPECT_GE(d4, 4000);
        EXPECT_LE(d4, 8000);
        auto capped = Backoff(40, milliseconds(1000), milliseconds(60000)).count();
        EXPECT_GE(capped, 30000);
        EXPECT_LE(capped, 60000);
    }
}

TEST_P(JobsTest, ScheduleRunsAreClaimedOncePerInterval) {
    const auto every = std::chrono::milliseconds(60'000);
    EXPECT_TRUE(ClaimScheduleSlot(*store_, "stats", every, kT0));
    EXPECT_FALSE(ClaimScheduleSlot(*store_, "stats", every, kT0 + 59'999)) << "leased: another node ran it";
    EXPECT_TRUE(ClaimScheduleSlot(*store_, "other", every, kT0)) << "one lease per task";
    EXPECT_TRUE(ClaimScheduleSlot(*store_, "stats", every, kT0 + 60'000)) << "the next interval";
    EXPECT_FALSE(ClaimScheduleSlot(*store_, "stats", every, kT0 + 61'000));
    // One lease row per task, whatever the number of runs; workers never claim them.
    auto tx = store_->Begin(TxMode::kRead);
    EXPECT_EQ(tx->Jobs().CountPending("", "schedule.stats"), 1);
    EXPECT_EQ(tx->Jobs().CountPending("", "schedule.other"), 1);
    tx->Commit();
    EXPECT_TRUE(Claim({"mail"}, 10, kT0 + 120'000).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, JobsTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace evni::jobs
