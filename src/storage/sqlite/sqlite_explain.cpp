#include "storage/sqlite/sqlite_explain.h"

#include "storage/store.h"

namespace evni::storage::sqlite {
namespace {

class SqliteExplanations final : public ExplanationRepository {
  public:
    explicit SqliteExplanations(Connection& c) : c_(c) {}

    std::optional<StoredExplanation> Find(const std::string& tenant_id, std::int64_t session_pk,
                                          const std::string& lang, const std::string& style) override {
        auto s = c_.Prepare(
            "SELECT analysis_version, facts_digest, explanation, provider, created_at FROM session_explanations "
            "WHERE session_pk = ?1 AND lang = ?2 AND style = ?3 AND tenant_id = ?4");
        s.Bind(1, session_pk).Bind(2, lang).Bind(3, style).Bind(4, tenant_id);
        if (!s.Step()) return std::nullopt;
        return StoredExplanation{tenant_id, session_pk, lang,      style,   s.Int(0),
                                 s.Text(1), s.Text(2),  s.Text(3), s.Int(4)};
    }

    void Save(const StoredExplanation& e) override {
        c_.Prepare(
              "INSERT INTO session_explanations (session_pk, lang, style, tenant_id, analysis_version, facts_digest, "
              "explanation, provider, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
              "ON CONFLICT (session_pk, lang, style) DO UPDATE SET tenant_id = excluded.tenant_id, "
              "analysis_version = excluded.analysis_version, facts_digest = excluded.facts_digest, "
              "explanation = excluded.explanation, provider = excluded.provider, created_at = excluded.created_at")
            .Bind(1, e.session_pk)
            .Bind(2, e.lang)
            .Bind(3, e.style)
            .Bind(4, e.tenant_id)
            .Bind(5, e.analysis_version)
            .Bind(6, e.facts_digest)
            .Bind(7, e.text)
            .Bind(8, e.provider)
            .Bind(9, e.created_at)
            .Run();
    }

    void LogQuestion(const QuestionRecord& q) override {
        c_.Prepare(
              "INSERT INTO session_questions (tenant_id, session_pk, asked_at, actor, question, lang, intent, answer, "
              "provider, answered) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
            .Bind(1, q.tenant_id)
            .Bind(2, q.session_pk)
            .Bind(3, q.asked_at)
            .Bind(4, q.actor)
            .Bind(5, q.question)
            .Bind(6, q.lang)
            .Bind(7, q.intent)
            .Bind(8, q.answer)
            .Bind(9, q.provider)
            .Bind(10, std::int64_t{q.answered ? 1 : 0})
            .Run();
    }

    std::vector<QuestionRecord> Questions(const std::string& tenant_id, std::int64_t session_pk,
                                          std::int64_t limit) override {
        auto s = c_.Prepare(
            "SELECT id, asked_at, actor, question, lang, intent, answer, provider, answered FROM session_questions "
            "WHERE session_pk = ?1 AND tenant_id = ?2 ORDER BY asked_at DESC, id DESC LIMIT ?3");
        s.Bind(1, session_pk).Bind(2, tenant_id).Bind(3, limit);
        std::vector<QuestionRecord> out;
        while (s.Step()) {
            out.push_back({s.Int(0), tenant_id, session_pk, s.Int(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5),
                           s.Text(6), s.Text(7), s.Int(8) != 0});
        }
        return out;
    }

    std::vector<CategoryCount> ConnectorCategoryCounts(const SessionRecord& r, domain::EpochMs from,
                                                       domain::EpochMs to) override {
        auto s = c_.Prepare(
            "SELECT category, count(DISTINCT session_pk) FROM session_anomalies WHERE tenant_id = ?1 "
            "AND station_id = ?2 AND connector_id IS ?3 AND start_ts BETWEEN ?4 AND ?5 AND session_pk <> ?6 "
            "GROUP BY category ORDER BY category");
        s.Bind(1, r.tenant_id).Bind(2, r.station_id).Bind(3, r.connector_id).Bind(4, from).Bind(5, to).Bind(6, r.pk);
        std::vector<CategoryCount> out;
        while (s.Step()) out.push_back({s.Text(0), s.Int(1)});
        return out;
    }

    std::int64_t ConnectorSessionCount(const SessionRecord& r, domain::EpochMs from, domain::EpochMs to) override {
        auto s = c_.Prepare(
            "SELECT count(*) FROM sessions INDEXED BY sessions_by_station WHERE tenant_id = ?1 AND station_id = ?2 "
            "AND connector_id IS ?3 AND pk <> ?4 AND started_at BETWEEN ?5 AND ?6");
        s.Bind(1, r.tenant_id).Bind(2, r.station_id).Bind(3, r.connector_id).Bind(4, r.pk).Bind(5, from).Bind(6, to);
        s.Step();
        return s.Int(0);
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<ExplanationRepository> MakeSqliteExplanations(Connection& connection) {
    return std::make_unique<SqliteExplanations>(connection);
}

}  // namespace evni::storage::sqlite
