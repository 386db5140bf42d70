#pragma once

// Storage of the explain and ask features (docs/explain.md): cached explanations per (session, lang,
// style) stamped with the analysis version and a digest of the facts they were written from, the
// per-session log of questions and answers (audit), and the connector history the facts quote.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/meter_value.h"

namespace evni::storage {

struct SessionRecord;

// One cached explanation. A cache hit needs the same analysis version and facts digest.
struct StoredExplanation {
    std::string tenant_id;
    std::int64_t session_pk = 0;
    std::string lang;
    std::string style;
    std::int64_t analysis_version = 0;
    std::string facts_digest;
    std::string text;
    std::string provider;  // "builtin" or "llm"
    domain::EpochMs created_at = 0;
};

// One question asked about a session and the answer given.
struct QuestionRecord {
    std::int64_t id = 0;
    std::string tenant_id;
    std::int64_t session_pk = 0;
    domain::EpochMs asked_at = 0;
    std::string actor;
    std::string question;
    std::string lang;
    std::string intent;
    std::string answer;
    std::string provider;
    bool answered = false;  // false: the facts did not answer the question
};

// How often each anomaly category was found on a connector, in sessions other than one.
struct CategoryCount {
    std::string category;
    std::int64_t sessions = 0;
    bool operator==(const CategoryCount&) const = default;
};

class ExplanationRepository {
  public:
    virtual ~ExplanationRepository() = default;
    virtual std::optional<StoredExplanation> Find(const std::string& tenant_id, std::int64_t session_pk,
                                                  const std::string& lang, const std::string& style) = 0;
    // Inserts or replaces the row of (session, lang, style).
    virtual void Save(const StoredExplanation& explanation) = 0;
    virtual void LogQuestion(const QuestionRecord& question) = 0;
    // The session's questions, newest first, at most `limit`.
    virtual std::vector<QuestionRecord> Questions(const std::string& tenant_id, std::int64_t session_pk,
                                                  std::int64_t limit) = 0;
    // Per category, the number of other sessions of the tenant on the record's station and connector
    // with an anomaly starting in [from, to]; sorted by category.
    virtual std::vector<CategoryCount> ConnectorCategoryCounts(const SessionRecord& record, domain::EpochMs from,
                                                               domain::EpochMs to) = 0;
    // Number of other sessions of the tenant on the record's station and connector that started in [from, to].
    virtual std::int64_t ConnectorSessionCount(const SessionRecord& record, domain::EpochMs from,
                                               domain::EpochMs to) = 0;
};

}  // namespace evni::storage
