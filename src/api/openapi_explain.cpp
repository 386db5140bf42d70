// Documentation of the explain and ask routes (explain.cpp), with their schemas.
#include "api/openapi.h"

namespace evni::api::openapi {
namespace json = boost::json;

namespace {

Schema LangSchema(std::string_view description) {
    return Schema::Enum({"en", "pl", "de", "nl", "fr", "es"}, description);
}
Schema StyleSchema(std::string_view description) {
    return Schema::Enum({"short", "detailed", "technical"}, description);
}

json::object ExplanationExample(bool cached) {
    return json::object{
        {"sessionId", "sess-abc-001"},
        {"explanation",
         "Session sess-abc-001 (station CP-NL-AMS-0042, connector 1) is flagged as anomalous: anomaly score 0.85, "
         "confidence 92%. ..."},
        {"cached", cached},
        {"lang", "en"},
        {"style", "detailed"},
        {"provider", "builtin"},
        {"analysisVersion", 3},
        {"generatedAt", "2026-02-27T10:31:05Z"}};
}

void AddExplainSchemas(DocRegistry& r) {
    r.AddSchema(
        "Explanation",
        Schema::Object("A grounded explanation of a session's verdict")
            .Required("sessionId", Schema::String("Session identifier"))
            .Required("explanation", Schema::String("Human-readable explanation of the verdict and its anomalies: what "
                                                    "happened, when, how sure, likely causes, what to check next, "
                                                    "billing impact and the connector's history. Every number in it "
                                                    "comes from the session's facts"))
            .Required("cached", Schema::Boolean("Whether this explanation was served from the cache"))
            .Required("lang", LangSchema("Language of the explanation"))
            .Required("style", StyleSchema("Style of the explanation"))
            .Required("provider", Schema::Enum({"builtin", "llm"},
                                               "What wrote it: `builtin` (evni's own explainer, no network) or `llm` "
                                               "(the configured LLM provider, checked against the facts)"))
            .Required("analysisVersion",
                      Schema::Integer("Analysis version the explanation was written for; a new analysis replaces it"))
            .Required("generatedAt", Schema::DateTime("When the explanation was generated"))
            .Closed());
    r.AddSchema("ExplainRequest",
                Schema::Object("Explanation options; an empty body uses the defaults")
                    .Optional("lang", LangSchema("Response language").Default("en"))
                    .Optional("style", StyleSchema("Explanation style").Default("detailed"))
                    .Optional("regenerate",
                              Schema::Boolean("Generate a new explanation even when one is cached").Default(false)));
    r.AddSchema(
        "AskRequest",
        Schema::Object("A question about one session")
            .Required("question",
                      Schema::String("Natural language question about the session").MinLength(1).MaxLength(2000))
            .Optional("lang", LangSchema("Response language. If omitted, the answer is in the question's "
                                         "language (detected among en, pl, de, nl, fr, es; English when "
                                         "unsure)")
                                  .Nullable()));
    r.AddSchema("AskAnswer",
                Schema::Object("The answer to a question about a session, from its facts only")
                    .Required("sessionId", Schema::String("Session identifier"))
                    .Required("answer", Schema::String("Answer to the question about this session"))
                    .Required("lang", LangSchema("Language of the answer"))
                    .Required("answered", Schema::Boolean("False when the session's facts do not answer the question "
                                                          "(the answer then says so)"))
                    .Required("provider", Schema::Enum({"builtin", "llm"}, "What wrote the answer"))
                    .Closed());
}

}  // namespace

void DocumentExplainRoutes(DocRegistry& r) {
    AddExplainSchemas(r);
    r.Add({
        .method = "GET",
        .pattern = "/v1/sessions/{session_id}/explain",
        .operation_id = "getSessionExplanation",
        .tag = "Sessions",
        .summary = "Get Session Explanation",
        .description = "Return the cached explanation of the session's verdict for (`lang`, `style`) when it was "
                       "written for the current analysis, otherwise generate, cache and return it (`cached: false`). "
                       "`refresh=true` forces a new one. Explanations come from the built-in explainer, or from the "
                       "configured LLM provider when there is one (falling back to the built-in explainer on any "
                       "failure); `provider` says which. See docs/explain.md.",
        .params = {Param::Path("session_id", "Session Id"),
                   Param::Query("lang", LangSchema("Language").Default("en"), "Lang"),
                   Param::Query("refresh", Schema::Boolean().Default(false), "Refresh: ignore the cache"),
                   Param::Query("style", StyleSchema("Style").Default("detailed"), "Style")},
        .replies = {{200, "The explanation", Schema::Ref("Explanation"), ExplanationExample(true)}},
    });
    r.Add({
        .method = "POST",
        .pattern = "/v1/sessions/{session_id}/explain",
        .operation_id = "explainSession",
        .tag = "Sessions",
        .summary = "Explain Session",
        .description = "Get an explanation of the session's anomalies (built in, or LLM-generated when a provider is "
                       "configured). Served from the cache unless `regenerate` is true or the session was analysed "
                       "again since.",
        .params = {Param::Path("session_id", "Session Id")},
        .request =
            RequestBody{Schema::Ref("ExplainRequest"), json::object{{"lang", "en"}, {"regenerate", false}}, false},
        .replies = {{200, "The explanation", Schema::Ref("Explanation"), ExplanationExample(false)}},
    });
    r.Add({
        .method = "POST",
        .pattern = "/v1/sessions/{session_id}/ask",
        .operation_id = "askSession",
        .tag = "Sessions",
        .summary = "Ask Session",
        .description = "Ask a natural language question about a specific session: state of charge, energy, power, "
                       "duration, each anomaly, why the verdict, the connector's history, billing. Answered from the "
                       "session's facts only; when they do not answer the question the answer says so "
                       "(`answered: false`). Every question and answer is logged for audit.",
        .params = {Param::Path("session_id", "Session Id")},
        .request = RequestBody{Schema::Ref("AskRequest"),
                               json::object{{"lang", "en"}, {"question", "Why did the SoC drop unexpectedly?"}}},
        .replies = {{200, "The answer", Schema::Ref("AskAnswer"),
                     json::object{{"sessionId", "sess-abc-001"},
                                  {"answer", "State of charge: from 80% to 50%, as reported by the vehicle. ..."},
                                  {"lang", "en"},
                                  {"answered", true},
                                  {"provider", "builtin"}}}},
    });
}

}  // namespace evni::api::openapi
