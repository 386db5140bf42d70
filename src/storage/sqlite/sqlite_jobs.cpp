#include "storage/sqlite/sqlite_jobs.h"

#include <algorithm>
#include <boost/json.hpp>

#include "storage/sqlite/sqlite_db.h"

namespace evni::storage::sqlite {
namespace {

using domain::EpochMs;

Job ReadJob(const Statement& s) {
    Job j;
    j.id = s.Int(0);
    j.tenant_id = s.Text(1);
    j.kind = s.Text(2);
    j.payload_json = s.Text(3);
    j.state = ParseJobState(s.Text(4));
    j.attempts = s.Int(5);
    j.run_at = s.Int(6);
    j.lease_until = s.OptInt(7);
    j.dedupe_key = s.OptText(8);
    j.last_error = s.OptText(9);
    j.created_at = s.Int(10);
    j.finished_at = s.OptInt(11);
    return j;
}

class SqliteJobs final : public JobRepository {
  public:
    explicit SqliteJobs(Connection& c) : c_(c) {}

    std::optional<std::int64_t> Enqueue(const NewJob& job, EpochMs now) override {
        auto s = c_.Prepare(
            "INSERT INTO jobs (tenant_id, kind, payload, state, attempts, run_at, dedupe_key, created_at) "
            "VALUES (?1, ?2, ?3, 'pending', 0, ?4, ?5, ?6) ON CONFLICT DO NOTHING RETURNING id");
        s.Bind(1, job.tenant_id)
            .Bind(2, job.kind)
            .Bind(3, job.payload_json)
            .Bind(4, job.run_at)
            .Bind(5, job.dedupe_key)
            .Bind(6, now);
        if (!s.Step()) return std::nullopt;
        auto id = s.Int(0);
        s.Reset();
        return id;
    }

    std::vector<Job> Claim(std::span<const std::string> kinds, std::int64_t limit, EpochMs now,
                           std::chrono::milliseconds lease) override {
        std::vector<Job> out;
        if (kinds.empty() || limit <= 0) return out;
        boost::json::array list;
        for (const auto& k : kinds) list.emplace_back(k);
        const EpochMs until = now + lease.count();
        auto s = c_.Prepare(std::string("UPDATE jobs SET attempts = attempts + 1, run_at = ?3, lease_until = ?3 "
                                        "WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND run_at <= ?1 "
                                        "AND kind IN (SELECT value FROM json_each(?2)) ORDER BY run_at, id LIMIT ?4) "
                                        "RETURNING ") +
                            std::string(kJobColumns));
        s.Bind(1, now).Bind(2, boost::json::serialize(list)).Bind(3, until).Bind(4, limit);
        while (s.Step()) out.push_back(ReadJob(s));
        s.Reset();
        std::sort(out.begin(), out.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
        return out;
    }

    bool Complete(const Job& job, EpochMs now) override {
        c_.Prepare(
              "UPDATE jobs SET state = 'done', lease_until = NULL, finished_at = ?3 "
              "WHERE id = ?1 AND attempts = ?2 AND state = 'pending'")
            .Bind(1, job.id)
            .Bind(2, job.attempts)
            .Bind(3, now)
            .Run();
        return c_.Changes() > 0;
    }

    bool Retry(const Job& job, EpochMs run_at, const std::string& error) override {
        c_.Prepare(
              "UPDATE jobs SET run_at = ?3, lease_until = NULL, last_error = ?4 "
              "WHERE id = ?1 AND attempts = ?2 AND state = 'pending'")
            .Bind(1, job.id)
            .Bind(2, job.attempts)
            .Bind(3, run_at)
            .Bind(4, error)
            .Run();
        return c_.Changes() > 0;
    }

    bool Fail(const Job& job, const std::string& error, EpochMs now) override {
        c_.Prepare(
              "UPDATE jobs SET state = 'failed', lease_until = NULL, last_error = ?3, finished_at = ?4 "
              "WHERE id = ?1 AND attempts = ?2 AND state = 'pending'")
            .Bind(1, job.id)
            .Bind(2, job.attempts)
            .Bind(3, error)
            .Bind(4, now)
            .Run();
        return c_.Changes() > 0;
    }

    bool Extend(const Job& job, EpochMs lease_until) override {
        c_.Prepare(
              "UPDATE jobs SET run_at = ?3, lease_until = ?3 WHERE id = ?1 AND attempts = ?2 AND state = 'pending'")
            .Bind(1, job.id)
            .Bind(2, job.attempts)
            .Bind(3, lease_until)
            .Run();
        return c_.Changes() > 0;
    }

    std::optional<Job> Find(const std::string& tenant_id, std::int64_t id) override {
        auto s = c_.Prepare("SELECT " + std::string(kJobColumns) + " FROM jobs WHERE tenant_id = ?1 AND id = ?2");
        s.Bind(1, tenant_id).Bind(2, id);
        if (!s.Step()) return std::nullopt;
        return ReadJob(s);
    }

    std::int64_t CountPending(const std::string& tenant_id, const std::string& kind) override {
        auto s = c_.Prepare(
            "SELECT count(*) FROM jobs WHERE state = 'pending' AND (?1 = '' OR tenant_id = ?1) "
            "AND (?2 = '' OR kind = ?2)");
        s.Bind(1, tenant_id).Bind(2, kind);
        s.Step();
        return s.Int(0);
    }

    std::int64_t Purge(EpochMs done_before, EpochMs failed_before, std::int64_t limit) override {
        c_.Prepare(
              "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state <> 'pending' AND finished_at < ?4 "
              "AND ((state = 'done' AND finished_at < ?1) OR (state = 'failed' AND finished_at < ?2)) "
              "ORDER BY finished_at LIMIT ?3)")
            .Bind(1, done_before)
            .Bind(2, failed_before)
            .Bind(3, limit)
            .Bind(4, std::max(done_before, failed_before))
            .Run();
        return c_.Changes();
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<JobRepository> NewSqliteJobs(Connection& c) { return std::make_unique<SqliteJobs>(c); }

}  // namespace evni::storage::sqlite
