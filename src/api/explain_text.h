#pragma once

// The built-in explainer (no network): explanations of a session's facts in six languages and three
// styles, and answers to questions about them (docs/explain.md). Every number in a text is one of the
// facts' formatted values (explain_facts.h), written with the language's decimal separator.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/explain_facts.h"

namespace evni::api::explain {

enum class Lang { kEn, kPl, kDe, kNl, kFr, kEs };
enum class Style { kShort, kDetailed, kTechnical };

inline constexpr std::string_view kLangCodes[] = {"en", "pl", "de", "nl", "fr", "es"};
inline constexpr std::string_view kStyleNames[] = {"short", "detailed", "technical"};

std::optional<Lang> ParseLang(std::string_view code);  // case-insensitive; "pl-PL" is pl
std::optional<Style> ParseStyle(std::string_view name);
std::string_view LangCode(Lang lang);
std::string_view LangName(Lang lang);  // "English", "Polish", ... (for the LLM prompt)
std::string_view StyleName(Style style);

// The 14 anomaly categories the explainer has texts for (analysis.md §2).
const std::vector<std::string_view>& KnownCategories();
// The category's human name in `lang` ("energy pit"); the id itself for an unknown category.
std::string CategoryName(std::string_view category, Lang lang);

std::string BuiltinExplanation(const SessionFacts& facts, Lang lang, Style style);

// ---------------------------------------------------------------------------------------------- ask

enum class Intent {
    kSoc,
    kEnergy,
    kPower,
    kDuration,
    kTime,
    kAnomaly,
    kWhy,
    kHistory,
    kBilling,
    kConnector,
};
std::string_view IntentName(Intent intent);

// What a question asks: the intents it matches (strongest first) and the categories it names.
struct QuestionAnalysis {
    std::vector<Intent> intents;
    std::vector<std::string> categories;
};

// The language a question is written in, from stopwords and diacritics (English when unsure).
Lang DetectLanguage(std::string_view question);
QuestionAnalysis AnalyzeQuestion(std::string_view question);

struct BuiltinAnswer {
    std::string text;
    bool answered = false;  // false: the facts do not answer the question (the text says so)
    std::string intent;     // intent names joined by '+', or "unknown"
};
BuiltinAnswer AnswerQuestion(const SessionFacts& facts, std::string_view question, Lang lang);

}  // namespace evni::api::explain
