#include "storage/postgres/pg_jobs.h"

#include <algorithm>
#include <boost/json.hpp>

#include "storage/postgres/pg_db.h"

namespace evni::storage::postgres {
namespace {

using domain::EpochMs;

Job ReadJob(const Result& r, int row) {
    Job j;
    j.id = r.Int(row, 0);
    j.tenant_id = r.Text(row, 1);
    j.kind = r.Text(row, 2);
    j.payload_json = r.Text(row, 3);
    j.state = ParseJobState(r.Text(row, 4));
    j.attempts = r.Int(row, 5);
    j.run_at = r.Time(row, 6);
    j.lease_until = r.OptTime(row, 7);
    j.dedupe_key = r.OptText(row, 8);
    j.last_error = r.OptText(row, 9);
    j.created_at = r.Time(row, 10);
    j.finished_at = r.OptTime(row, 11);
    return j;
}

class PgJobs final : public JobRepository {
  public:
    explicit PgJobs(Connection& c) : c_(c) {}

    std::optional<std::int64_t> Enqueue(const NewJob& job, EpochMs now) override {
        auto r = c_.Exec(
            "INSERT INTO jobs (tenant_id, kind, payload, state, attempts, run_at, dedupe_key, created_at) "
            "VALUES ($1, $2, $3, 'pending', 0, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
            Params()
                .Add(job.tenant_id)
                .Add(job.kind)
                .Add(job.payload_json)
                .AddTime(job.run_at)
                .Add(job.dedupe_key)
                .AddTime(now));
        if (r.Rows() == 0) return std::nullopt;
        return r.Int(0, 0);
    }

    std::vector<Job> Claim(std::span<const std::string> kinds, std::int64_t limit, EpochMs now,
                           std::chrono::milliseconds lease) override {
        std::vector<Job> out;
        if (kinds.empty() || limit <= 0) return out;
        boost::json::array list;
        for (const auto& k : kinds) list.emplace_back(k);
        auto r = c_.Exec(
            "UPDATE jobs SET attempts = attempts + 1, run_at = $3, lease_until = $3 "
            "WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND run_at <= $1 "
            "AND kind IN (SELECT jsonb_array_elements_text($2::text::jsonb)) ORDER BY run_at, id LIMIT $4 "
            "FOR UPDATE SKIP LOCKED) RETURNING " +
                std::string(kJobColumns),
            Params().AddTime(now).Add(boost::json::serialize(list)).AddTime(now + lease.count()).Add(limit));
        for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadJob(r, i));
        std::sort(out.begin(), out.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
        return out;
    }

    bool Complete(const Job& job, EpochMs now) override {
        return c_.Exec(
                     "UPDATE jobs SET state = 'done', lease_until = NULL, finished_at = $3 "
                     "WHERE id = $1 AND attempts = $2 AND state = 'pending'",
                     Params().Add(job.id).Add(job.attempts).AddTime(now))
                   .Affected() > 0;
    }

    bool Retry(const Job& job, EpochMs run_at, const std::string& error) override {
        return c_.Exec(
                     "UPDATE jobs SET run_at = $3, lease_until = NULL, last_error = $4 "
                     "WHERE id = $1 AND attempts = $2 AND state = 'pending'",
                     Params().Add(job.id).Add(job.attempts).AddTime(run_at).Add(error))
                   .Affected() > 0;
    }

    bool Fail(const Job& job, const std::string& error, EpochMs now) override {
        return c_.Exec(
                     "UPDATE jobs SET state = 'failed', lease_until = NULL, last_error = $3, finished_at = $4 "
                     "WHERE id = $1 AND attempts = $2 AND state = 'pending'",
                     Params().Add(job.id).Add(job.attempts).Add(error).AddTime(now))
                   .Affected() > 0;
    }

    bool Extend(const Job& job, EpochMs lease_until) override {
        return c_.Exec(
                     "UPDATE jobs SET run_at = $3, lease_until = $3 WHERE id = $1 AND attempts = $2 "
                     "AND state = 'pending'",
                     Params().Add(job.id).Add(job.attempts).AddTime(lease_until))
                   .Affected() > 0;
    }

    std::optional<Job> Find(const std::string& tenant_id, std::int64_t id) override {
        auto r = c_.Exec("SELECT " + std::string(kJobColumns) + " FROM jobs WHERE tenant_id = $1 AND id = $2",
                         Params().Add(tenant_id).Add(id));
        if (r.Rows() == 0) return std::nullopt;
        return ReadJob(r, 0);
    }

    std::int64_t CountPending(const std::string& tenant_id, const std::string& kind) override {
        return c_
            .Exec(
                "SELECT count(*) FROM jobs WHERE state = 'pending' AND ($1 = '' OR tenant_id = $1) "
                "AND ($2 = '' OR kind = $2)",
                Params().Add(tenant_id).Add(kind))
            .Int(0, 0);
    }

    std::int64_t Purge(EpochMs done_before, EpochMs failed_before, std::int64_t limit) override {
        return c_
            .Exec(
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state <> 'pending' AND finished_at < $4 "
                "AND ((state = 'done' AND finished_at < $1) OR (state = 'failed' AND finished_at < $2)) "
                "ORDER BY finished_at LIMIT $3 FOR UPDATE SKIP LOCKED)",
                Params()
                    .AddTime(done_before)
                    .AddTime(failed_before)
                    .Add(limit)
                    .AddTime(std::max(done_before, failed_before)))
            .Affected();
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<JobRepository> NewPgJobs(Connection& c) { return std::make_unique<PgJobs>(c); }

}  // namespace evni::storage::postgres
