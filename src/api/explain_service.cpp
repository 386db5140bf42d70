#include "api/explain_service.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>

namespace evni::api {
namespace {

using explain::Lang;
using explain::SessionFacts;
using explain::Style;

constexpr std::size_t kMaxLlmTextBytes = 8000;

std::string_view StyleInstruction(Style style) {
    switch (style) {
        case Style::kShort:
            return "Write two or three sentences: the verdict, the main finding with its time and confidence, and the "
                   "first thing to check.";
        case Style::kTechnical:
            return "Write for an engineer: category ids, bucket ranges, times, scores, confidence, energy and power "
                   "figures, then the likely causes and what to check.";
        case Style::kDetailed:
            break;
    }
    return "Explain what happened, when, how sure the analysis is, the likely causes, what to check or do next, the "
           "billing impact when a tariff is in the facts, and the connector's history.";
}

std::string SystemPrompt(Lang lang) {
    return "You explain the anomaly analysis of EV charging sessions to field technicians and billing clerks. Use "
           "only the facts in the JSON document you are given. Never invent numbers, times, readings, causes or "
           "history that are not in the facts; quote numbers exactly as the facts write them. If the facts do not "
           "answer something, say so plainly. Answer in " +
           std::string(explain::LangName(lang)) + ", in plain text without markdown.";
}

// The catalogue's causes and checks for the session's categories, in the answer's language.
std::string CategoryGuide(const SessionFacts& facts, Lang lang) {
    std::string out;
    std::vector<std::string> seen;
    for (const auto& a : facts.anomalies) {
        if (std::find(seen.begin(), seen.end(), a.category) != seen.end()) continue;
        seen.push_back(a.category);
        out += "- " + a.category + " (" + explain::CategoryName(a.category, lang) + ")\n";
    }
    return out;
}

bool ParseNumber(const std::string& s, double& out) {
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return end && *end == '\0';
}

}  // namespace

bool LlmTextIsGrounded(std::string_view text, const SessionFacts& facts) {
    std::size_t letters = 0;
    for (unsigned char c : text) letters += std::isalpha(c) || c >= 0x80;
    if (letters < 20 || text.size() > kMaxLlmTextBytes) return false;
    const auto grounded = explain::GroundedNumbers(facts);
    std::vector<double> values;
    for (const auto& g : grounded) {
        double d;
        if (ParseNumber(g, d)) values.push_back(d);
    }
    for (const auto& token : explain::NumberTokens(text)) {
        if (grounded.count(token)) continue;
        double x;
        if (!ParseNumber(token, x)) return false;
        // Small whole numbers are list markers and counts of things the facts list.
        if (x == std::trunc(x) && x >= 1 && x <= 9 && token.find('.') == std::string::npos) continue;
        bool ok = false;
        for (double v : values) {
            if (std::fabs(x - v) < 1e-9 || std::fabs(x - std::round(v)) < 1e-9 ||
                std::fabs(x - std::round(v * 10) / 10) < 1e-9) {
                ok = true;
                break;
            }
        }
        if (!ok) return false;
    }
    return true;
}

Result<ExplainService::Loaded> ExplainService::Load(const domain::Principal& who, const std::string& session_id) {
    auto detail = sessions_.Get(who, session_id);
    if (!detail) return Fail(std::move(detail.error()));
    const auto& r = detail->record;
    explain::FactsInput in;
    in.record = &r;
    in.values = &detail->values;
    in.soc = &detail->soc;
    in.threshold = threshold_;
    in.status = std::string(domain::SessionStatusName(r.client_status, r.analyzed_at.has_value(), r.analysis_failed));
    {
        auto tx = store_.Begin(storage::TxMode::kRead);
        if (threshold_source_) in.threshold = threshold_source_(*tx, who.tenant_id);
        if (auto org = tx->Organizations().Find(who.tenant_id)) {
            in.organization_tariff_per_kwh = org->tariff_per_kwh;
            in.organization_currency = org->currency;
        }
        const auto [from, to] = explain::HistoryWindow(r);
        in.connector_categories = tx->Explanations().ConnectorCategoryCounts(r, from, to);
        in.connector_sessions = tx->Explanations().ConnectorSessionCount(r, from, to);
        if (station_source_) in.station = station_source_(*tx, r);
        tx->Commit();
    }
    return Loaded{explain::BuildFacts(in), r.pk};
}

Result<SessionFacts> ExplainService::Facts(const domain::Principal& who, const std::string& session_id) {
    auto loaded = Load(who, session_id);
    if (!loaded) return Fail(std::move(loaded.error()));
    return std::move(loaded->facts);
}

std::optional<std::string> ExplainService::LlmExplanation(const SessionFacts& facts, Lang lang, Style style) {
    if (!llm_) return std::nullopt;
    LlmPrompt prompt;
    prompt.system = SystemPrompt(lang);
    prompt.user =
        "Facts (JSON):\n" + explain::FactsJson(facts) + "\n\nCategories found, with their names in " +
        std::string(explain::LangName(lang)) + ":\n" + CategoryGuide(facts, lang) +
        "\nReference explanation written by evni from the same facts (you may reword it, never add facts):\n" +
        explain::BuiltinExplanation(facts, lang, style) + "\n\nTask: explain this session's verdict. " +
        std::string(StyleInstruction(style));
    auto text = llm_->Complete(prompt);
    if (!text) {
        spdlog::warn("explain: LLM provider failed, using the built-in explainer: {}", text.error().detail);
        return std::nullopt;
    }
    if (!LlmTextIsGrounded(*text, facts)) {
        spdlog::warn("explain: LLM answer rejected (empty, too long or numbers not in the facts)");
        return std::nullopt;
    }
    return std::move(*text);
}

std::optional<std::string> ExplainService::LlmAnswer(const SessionFacts& facts, const std::string& question,
                                                     Lang lang) {
    if (!llm_) return std::nullopt;
    LlmPrompt prompt;
    prompt.system = SystemPrompt(lang);
    prompt.max_tokens = 400;
    prompt.user = "Facts (JSON):\n" + explain::FactsJson(facts) + "\n\nQuestion about this session:\n" + question +
                  "\n\nAnswer the question from the facts only, briefly. If the facts do not answer it, say so.";
    auto text = llm_->Complete(prompt);
    if (!text) {
        spdlog::warn("ask: LLM provider failed, using the built-in answer: {}", text.error().detail);
        return std::nullopt;
    }
    if (!LlmTextIsGrounded(*text, facts)) {
        spdlog::warn("ask: LLM answer rejected (empty, too long or numbers not in the facts)");
        return std::nullopt;
    }
    return std::move(*text);
}

Result<ExplainResult> ExplainService::Explain(const domain::Principal& who, const ExplainRequest& req) {
    auto loaded = Load(who, req.session_id);
    if (!loaded) return Fail(std::move(loaded.error()));
    const auto& facts = loaded->facts;
    const std::string lang(explain::LangCode(req.lang));
    const std::string style(explain::StyleName(req.style));
    const std::string digest = explain::FactsDigest(facts);
    ExplainResult out;
    out.session_id = facts.session_id;
    out.lang = req.lang;
    out.style = req.style;
    out.analysis_version = facts.analysis_version;
    if (!req.force) {
        auto tx = store_.Begin(storage::TxMode::kRead);
        auto hit = tx->Explanations().Find(who.tenant_id, loaded->session_pk, lang, style);
        tx->Commit();
        if (hit && hit->analysis_version == facts.analysis_version && hit->facts_digest == digest) {
            out.explanation = std::move(hit->text);
            out.cached = true;
            out.provider = std::move(hit->provider);
            out.generated_at = hit->created_at;
            return out;
        }
    }
    if (auto text = LlmExplanation(facts, req.lang, req.style)) {
        out.explanation = std::move(*text);
        out.provider = kProviderLlm;
    } else {
        out.explanation = explain::BuiltinExplanation(facts, req.lang, req.style);
        out.provider = kProviderBuiltin;
    }
    out.generated_at = clock_.NowMs();
    storage::StoredExplanation row{who.tenant_id,   loaded->session_pk,   lang,
                                   style,           out.analysis_version, digest,
                                   out.explanation, out.provider,         out.generated_at};
    try {
        storage::WithRetry([&] {
            auto tx = store_.Begin(storage::TxMode::kWrite);
            tx->Explanations().Save(row);
            tx->Commit();
        });
    } catch (const std::exception& e) {
        // The explanation is still correct; only the cache write failed (e.g. the session was deleted).
        spdlog::warn("explain: could not cache the explanation of {}: {}", facts.session_id, e.what());
    }
    return out;
}

Result<AskResult> ExplainService::Ask(const domain::Principal& who, const AskRequest& req) {
    auto loaded = Load(who, req.session_id);
    if (!loaded) return Fail(std::move(loaded.error()));
    const auto& facts = loaded->facts;
    AskResult out;
    out.session_id = facts.session_id;
    out.lang = req.lang ? *req.lang : explain::DetectLanguage(req.question);
    auto builtin = explain::AnswerQuestion(facts, req.question, out.lang);
    out.answered = builtin.answered;
    std::optional<std::string> llm;
    if (builtin.answered) llm = LlmAnswer(facts, req.question, out.lang);
    if (llm) {
        out.answer = std::move(*llm);
        out.provider = kProviderLlm;
    } else {
        out.answer = std::move(builtin.text);
        out.provider = kProviderBuiltin;
    }
    storage::QuestionRecord q{0,
                              who.tenant_id,
                              loaded->session_pk,
                              clock_.NowMs(),
                              who.actor.empty() ? "api-key:" + who.key_id : who.actor,
                              req.question,
                              std::string(explain::LangCode(out.lang)),
                              builtin.intent,
                              out.answer,
                              out.provider,
                              out.answered};
    // The log is the audit trail: an answer that cannot be logged is not given.
    storage::WithRetry([&] {
        auto tx = store_.Begin(storage::TxMode::kWrite);
        tx->Explanations().LogQuestion(q);
        tx->Commit();
    });
    return out;
}

}  // namespace evni::api
