#include "storage/postgres/pg_explain.h"

#include "storage/store.h"

namespace evni::storage::postgres {
namespace {

// Appends the connector condition: "= $n" for a connector, IS NULL without one (the connector
// indexes cannot serve IS NOT DISTINCT FROM).
void ConnectorCondition(const SessionRecord& r, std::string& sql, Params& p) {
    if (r.connector_id) {
        sql += "= $" + std::to_string(p.Size() + 1);
        p.Add(*r.connector_id);
    } else {
        sql += "IS NULL";
    }
}

class PgExplanations final : public ExplanationRepository {
  public:
    explicit PgExplanations(Connection& c) : c_(c) {}

    std::optional<StoredExplanation> Find(const std::string& tenant_id, std::int64_t session_pk,
                                          const std::string& lang, const std::string& style) override {
        auto r = c_.Exec(
            "SELECT analysis_version, facts_digest, explanation, provider, created_at FROM session_explanations "
            "WHERE session_pk = $1 AND lang = $2 AND style = $3 AND tenant_id = $4",
            Params().Add(session_pk).Add(lang).Add(style).Add(tenant_id));
        if (r.Rows() == 0) return std::nullopt;
        return StoredExplanation{tenant_id,    session_pk,   lang,         style,       r.Int(0, 0),
                                 r.Text(0, 1), r.Text(0, 2), r.Text(0, 3), r.Time(0, 4)};
    }

    void Save(const StoredExplanation& e) override {
        c_.Exec(
            "INSERT INTO session_explanations (session_pk, lang, style, tenant_id, analysis_version, facts_digest, "
            "explanation, provider, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            "ON CONFLICT (session_pk, lang, style) DO UPDATE SET tenant_id = excluded.tenant_id, "
            "analysis_version = excluded.analysis_version, facts_digest = excluded.facts_digest, "
            "explanation = excluded.explanation, provider = excluded.provider, created_at = excluded.created_at",
            Params()
                .Add(e.session_pk)
                .Add(e.lang)
                .Add(e.style)
                .Add(e.tenant_id)
                .Add(e.analysis_version)
                .Add(e.facts_digest)
                .Add(e.text)
                .Add(e.provider)
                .AddTime(e.created_at));
    }

    void LogQuestion(const QuestionRecord& q) override {
        c_.Exec(
            "INSERT INTO session_questions (tenant_id, session_pk, asked_at, actor, question, lang, intent, answer, "
            "provider, answered) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            Params()
                .Add(q.tenant_id)
                .Add(q.session_pk)
                .AddTime(q.asked_at)
                .Add(q.actor)
                .Add(q.question)
                .Add(q.lang)
                .Add(q.intent)
                .Add(q.answer)
                .Add(q.provider)
                .Add(q.answered));
    }

    std::vector<QuestionRecord> Questions(const std::string& tenant_id, std::int64_t session_pk,
                                          std::int64_t limit) override {
        auto r = c_.Exec(
            "SELECT id, asked_at, actor, question, lang, intent, answer, provider, answered FROM session_questions "
            "WHERE session_pk = $1 AND tenant_id = $2 ORDER BY asked_at DESC, id DESC LIMIT $3",
            Params().Add(session_pk).Add(tenant_id).Add(limit));
        std::vector<QuestionRecord> out;
        for (int i = 0; i < r.Rows(); ++i) {
            out.push_back({r.Int(i, 0), tenant_id, session_pk, r.Time(i, 1), r.Text(i, 2), r.Text(i, 3), r.Text(i, 4),
                           r.Text(i, 5), r.Text(i, 6), r.Text(i, 7), r.Bool(i, 8)});
        }
        return out;
    }

    std::vector<CategoryCount> ConnectorCategoryCounts(const SessionRecord& rec, domain::EpochMs from,
                                                       domain::EpochMs to) override {
        Params p;
        p.Add(rec.tenant_id).Add(rec.station_id).AddTime(from).AddTime(to).Add(rec.pk);
        std::string sql =
            "SELECT category, count(DISTINCT session_pk) FROM session_anomalies WHERE tenant_id = $1 "
            "AND station_id = $2 AND start_ts BETWEEN $3 AND $4 AND session_pk <> $5 AND connector_id ";
        ConnectorCondition(rec, sql, p);
        sql += " GROUP BY category ORDER BY category COLLATE \"C\"";
        auto r = c_.Exec(sql, p);
        std::vector<CategoryCount> out;
        for (int i = 0; i < r.Rows(); ++i) out.push_back({r.Text(i, 0), r.Int(i, 1)});
        return out;
    }

    std::int64_t ConnectorSessionCount(const SessionRecord& rec, domain::EpochMs from, domain::EpochMs to) override {
        Params p;
        p.Add(rec.tenant_id).Add(rec.station_id).Add(rec.pk).AddTime(from).AddTime(to);
        std::string sql =
            "SELECT count(*) FROM sessions WHERE tenant_id = $1 AND station_id = $2 AND pk <> $3 "
            "AND started_at BETWEEN $4 AND $5 AND connector_id ";
        ConnectorCondition(rec, sql, p);
        return c_.Exec(sql, p).Int(0, 0);
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<ExplanationRepository> MakePgExplanations(Connection& connection) {
    return std::make_unique<PgExplanations>(connection);
}

}  // namespace evni::storage::postgres
