#pragma once

// Explain and ask use cases (docs/explain.md): grounded facts of a session, the built-in explainer,
// the optional LLM provider with fallback, the explanation cache and the question log.

#include <functional>
#include <optional>
#include <string>

#include "api/explain_facts.h"
#include "api/explain_text.h"
#include "api/llm_provider.h"
#include "api/session_service.h"
#include "storage/store.h"
#include "util/error.h"
#include "util/time.h"

namespace evni::api {

inline constexpr std::string_view kProviderBuiltin = "builtin";
inline constexpr std::string_view kProviderLlm = "llm";

struct ExplainRequest {
    std::string session_id;
    explain::Lang lang = explain::Lang::kEn;
    explain::Style style = explain::Style::kDetailed;
    bool force = false;  // refresh / regenerate: ignore the cache
};

struct ExplainResult {
    std::string session_id;
    std::string explanation;
    bool cached = false;
    explain::Lang lang = explain::Lang::kEn;
    explain::Style style = explain::Style::kDetailed;
    std::string provider;
    std::int64_t analysis_version = 0;
    EpochMs generated_at = 0;
};

struct AskRequest {
    std::string session_id;
    std::string question;
    std::optional<explain::Lang> lang;  // nullopt: the question's language
};

struct AskResult {
    std::string session_id;
    std::string answer;
    explain::Lang lang = explain::Lang::kEn;
    bool answered = false;
    std::string provider;
};

// True when an LLM text may be shown for these facts: not empty, not too long, and every number in it
// is one of the facts' values (rounding of a fact's value allowed, e.g. "9.7" for 9.73).
bool LlmTextIsGrounded(std::string_view text, const explain::SessionFacts& facts);

class ExplainService {
  public:
    // `llm` may be null (built-in explainer only); it must outlive the service.
    ExplainService(storage::Store& store, SessionService& sessions, const Clock& clock, LlmProvider* llm = nullptr,
                   double anomaly_threshold = 0.5)
        : store_(store), sessions_(sessions), clock_(clock), llm_(llm), threshold_(anomaly_threshold) {}

    Result<ExplainResult> Explain(const domain::Principal& who, const ExplainRequest& request);
    Result<AskResult> Ask(const domain::Principal& who, const AskRequest& request);
    // The facts of a session of the caller's tenant (404 for any other).
    Result<explain::SessionFacts> Facts(const domain::Principal& who, const std::string& session_id);

    // Station-model context for a session (the daily station model, analysis.md §5), read in the facts'
    // transaction. Unset until that model is wired in: the facts then carry no station context.
    using StationContextSource = std::function<std::optional<explain::StationContext>(
        storage::Transaction& tx, const storage::SessionRecord& record)>;
    void SetStationContextSource(StationContextSource source) { station_source_ = std::move(source); }
    // The tenant's current decision threshold (the active model, docs/models.md), read in the facts'
    // transaction. Unset: the constructor's threshold.
    using ThresholdSource = std::function<double(storage::Transaction& tx, const std::string& tenant_id)>;
    void SetThresholdSource(ThresholdSource source) { threshold_source_ = std::move(source); }

  private:
    struct Loaded {
        explain::SessionFacts facts;
        std::int64_t session_pk = 0;
    };
    Result<Loaded> Load(const domain::Principal& who, const std::string& session_id);
    std::optional<std::string> LlmExplanation(const explain::SessionFacts& facts, explain::Lang lang,
                                              explain::Style style);
    std::optional<std::string> LlmAnswer(const explain::SessionFacts& facts, const std::string& question,
                                         explain::Lang lang);

    storage::Store& store_;
    SessionService& sessions_;
    const Clock& clock_;
    LlmProvider* llm_;
    double threshold_;
    StationContextSource station_source_;
    ThresholdSource threshold_source_;
};

}  // namespace evni::api
