#include "api/explain_text.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "api/explain_phrases.h"

namespace evni::api::explain {
namespace {

using Vars = std::vector<std::pair<std::string_view, std::string>>;

// Replaces each {name} of `tpl` by its value; an unknown placeholder is a programming error.
std::string Fill(std::string_view tpl, const Vars& vars) {
    std::string out;
    out.reserve(tpl.size() + 64);
    std::size_t i = 0;
    while (i < tpl.size()) {
        if (tpl[i] != '{') {
            out.push_back(tpl[i++]);
            continue;
        }
        const auto close = tpl.find('}', i);
        if (close == std::string_view::npos) throw std::logic_error("unterminated placeholder");
        const auto name = tpl.substr(i + 1, close - i - 1);
        const auto it = std::find_if(vars.begin(), vars.end(), [&](const auto& v) { return v.first == name; });
        if (it == vars.end()) throw std::logic_error("no value for placeholder {" + std::string(name) + "}");
        out += it->second;
        i = close + 1;
    }
    return out;
}

// The first letter in upper case (ASCII and the accented lowercase letters the phrasebooks start with).
std::string Capitalize(std::string s) {
    if (s.empty()) return s;
    if (s[0] >= 'a' && s[0] <= 'z') {
        s[0] = static_cast<char>(s[0] - 'a' + 'A');
    } else if (s.rfind("\xc3\xa9", 0) == 0) {  // é -> É
        s.replace(0, 2, "\xc3\x89");
    }
    return s;
}

class Writer {
  public:
    Writer(const SessionFacts& f, Lang lang) : f_(f), lang_(lang), p_(PhrasebookFor(static_cast<std::size_t>(lang))) {}

    // A canonical formatted number with the language's decimal separator.
    std::string L(std::string s) const {
        if (p_.decimal != '.') std::replace(s.begin(), s.end(), '.', p_.decimal);
        return s;
    }
    // Same, for identifiers: never localised.
    const Phrasebook& P() const { return p_; }

    std::string Where() const {
        if (f_.connector_id)
            return Fill(p_.where_connector, {{"station", f_.station_id}, {"connector", *f_.connector_id}});
        return Fill(p_.where_station, {{"station", f_.station_id}});
    }

    std::string Verdict() const {
        const Vars base{{"session", f_.session_id}, {"where", Where()}};
        if (!f_.analyzed) return Fill(p_.verdict_pending, base);
        Vars v = base;
        v.emplace_back("score", L(FmtScore(f_.anomaly_score.value_or(0.0))));
        v.emplace_back("confidence", L(FmtPercent(f_.anomaly_confidence.value_or(0.0))));
        v.emplace_back("threshold", L(FmtScore(f_.threshold)));
        if (f_.is_anomaly.value_or(false)) return Fill(p_.verdict_anomaly, v);
        if (!f_.anomalies.empty()) return Fill(p_.verdict_below, v);
        return Fill(p_.verdict_normal, v);
    }

    // Why the verdict is what it is (the ask answer to "why").
    std::string Reason() const {
        if (!f_.analyzed) return Fill(p_.verdict_pending, {{"session", f_.session_id}, {"where", Where()}});
        const Vars v{{"score", L(FmtScore(f_.anomaly_score.value_or(0.0)))}, {"threshold", L(FmtScore(f_.threshold))}};
        if (f_.is_anomaly.value_or(false)) return Fill(p_.why_flagged, v);
        if (!f_.anomalies.empty()) return Fill(p_.why_not_flagged, v);
        return std::string(p_.why_clean);
    }

    const CategoryText* Text(std::string_view category) const {
        for (std::size_t i = 0; i < kCategoryCount; ++i) {
            if (kCategoryIds[i] == category) return &p_.categories[i];
        }
        return nullptr;
    }
    std::string Name(std::string_view category) const {
        const auto* t = Text(category);
        return t ? std::string(t->name) : std::string(category);
    }

    std::string AnomalyLine(const AnomalyFact& a) const {
        return Fill(p_.anomaly_line, {{"name", Capitalize(Name(a.category))},
                                      {"date", FmtDate(a.start_ms)},
                                      {"start", FmtTime(a.start_ms)},
                                      {"end", FmtTime(a.end_ms)},
                                      {"duration", L(FmtMinutes(static_cast<double>(a.end_ms - a.start_ms) / 60000.0))},
                                      {"score", L(FmtScore(a.score))},
                                      {"confidence", L(FmtPercent(a.confidence))}});
    }

    // Everything about one anomaly: line, size, meaning, causes, checks, recurrence.
    void Anomaly(const AnomalyFact& a, std::vector<std::string>& out, bool with_meaning) const {
        out.push_back(AnomalyLine(a));
        if (a.magnitude_kwh) out.push_back(Fill(p_.magnitude, {{"magnitude", L(FmtKwh(*a.magnitude_kwh))}}));
        if (const auto* t = Text(a.category)) {
            if (with_meaning) out.push_back(Fill(p_.meaning, {{"meaning", std::string(t->meaning)}}));
            out.push_back(Fill(p_.causes, {{"causes", std::string(t->causes)}}));
            out.push_back(Fill(p_.checks, {{"checks", std::string(t->checks)}}));
        }
        out.push_back(
            Fill(p_.anomaly_recurrence, {{"days", FmtInt(f_.history_days)}, {"n", FmtInt(a.other_sessions)}}));
    }

    std::optional<std::string> Period() const {
        if (!f_.started_at || !f_.ended_at || !f_.duration_min) return std::nullopt;
        return Fill(p_.period, {{"start_date", FmtDate(*f_.started_at)},
                                {"start", FmtTime(*f_.started_at)},
                                {"end_date", FmtDate(*f_.ended_at)},
                                {"end", FmtTime(*f_.ended_at)},
                                {"duration", L(FmtMinutes(*f_.duration_min))}});
    }

    std::vector<std::string> Energy() const {
        if (!f_.energy_kwh) return {std::string(p_.no_energy)};
        return {Fill(p_.energy, {{"energy", L(FmtKwh(*f_.energy_kwh))}})};
    }

    std::vector<std::string> Power() const {
        std::vector<std::string> out;
        if (f_.mean_power_kw) out.push_back(Fill(p_.mean_power, {{"mean", L(FmtKw(*f_.mean_power_kw))}}));
        if (f_.peak_power_kw) out.push_back(Fill(p_.peak_power, {{"peak", L(FmtKw(*f_.peak_power_kw))}}));
        return out;
    }

    std::string Soc() const {
        if (f_.soc_source == SocSource::kNone || !f_.soc_start || !f_.soc_end) return std::string(p_.soc_none);
        Vars v{{"soc_start", L(FmtSoc(*f_.soc_start))}, {"soc_end", L(FmtSoc(*f_.soc_end))}};
        if (f_.soc_source == SocSource::kReported) return Fill(p_.soc_reported, v);
        v.emplace_back("soc_conf", L(FmtPercent(f_.soc_confidence.value_or(0.0))));
        return Fill(p_.soc_reconstructed, v);
    }

    std::string Connector() const {
        std::vector<std::string> parts;
        if (f_.max_power_kw) parts.push_back(Fill(p_.connector_rating, {{"max_power", L(FmtKw(*f_.max_power_kw))}}));
        if (f_.current_type) parts.push_back(Fill(p_.connector_type, {{"type", *f_.current_type}}));
        if (f_.phases) parts.push_back(Fill(p_.connector_phases, {{"phases", FmtInt(*f_.phases)}}));
        if (!f_.max_power_kw) {
            std::string s(p_.connector_unknown);
            if (!parts.empty()) s = Fill(p_.connector, {{"facts", Join(parts, ", ")}}) + " " + s;
            return s;
        }
        return Fill(p_.connector, {{"facts", Join(parts, ", ")}});
    }

    std::string Money(double v) const { return L(FmtMoney(v)) + (f_.currency ? " " + *f_.currency : std::string()); }

    std::vector<std::string> Billing() const {
        std::vector<std::string> out;
        if (f_.tariff_per_kwh && f_.energy_cost) {
            const std::string tariff =
                L(FmtMoney(*f_.tariff_per_kwh)) + (f_.currency ? " " + *f_.currency : std::string()) + "/kWh";
            out.push_back(Fill(p_.tariff, {{"tariff", tariff}, {"cost", Money(*f_.energy_cost)}}));
        }
        if (f_.billed_cost) out.push_back(Fill(p_.billed, {{"billed", Money(*f_.billed_cost)}}));
        if (f_.discrepancy_kwh && f_.register_delta_kwh && *f_.discrepancy_kwh >= 0.005) {
            Vars v{{"delta", L(FmtKwh(*f_.register_delta_kwh))}, {"disc", L(FmtKwh(*f_.discrepancy_kwh))}};
            if (f_.discrepancy_cost) {
                v.emplace_back("disc_cost", Money(*f_.discrepancy_cost));
                out.push_back(Fill(p_.discrepancy, v));
            } else {
                out.push_back(Fill(p_.discrepancy_no_tariff, v));
            }
        }
        if (!f_.tariff_per_kwh) out.push_back(std::string(p_.no_tariff));
        return out;
    }

    std::vector<std::string> History() const {
        std::vector<std::string> out;
        out.push_back(Fill(p_.history, {{"days", FmtInt(f_.history_days)}, {"n", FmtInt(f_.connector_sessions)}}));
        if (f_.connector_categories.empty()) {
            if (f_.connector_sessions > 0) out.push_back(std::string(p_.history_clean));
        } else {
            std::vector<std::string> items;
            for (const auto& c : f_.connector_categories) items.push_back(Name(c.category) + ": " + FmtInt(c.sessions));
            out.push_back(Fill(p_.history_categories, {{"list", Join(items, "; ")}}));
        }
        return out;
    }

    std::vector<std::string> Station() const {
        if (!f_.station) return {};
        const auto& s = *f_.station;
        std::vector<std::string> out{
            Fill(p_.station, {{"day", s.day},
                              {"judgement", std::string(s.day_is_anomaly ? p_.station_anomalous : p_.station_normal)},
                              {"day_score", L(FmtScore(s.day_score))}})};
        if (s.day_energy_kwh && s.expected_energy_kwh) {
            out.push_back(Fill(p_.station_energy, {{"day_energy", L(FmtKwh(*s.day_energy_kwh))},
                                                   {"expected", L(FmtKwh(*s.expected_energy_kwh))}}));
        }
        return out;
    }

    static std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
        std::string out;
        for (const auto& p : parts) {
            if (!out.empty()) out += sep;
            out += p;
        }
        return out;
    }

    const SessionFacts& f_;
    Lang lang_;
    const Phrasebook& p_;
};

// Anomalies worth explaining first: the most severe.
std::vector<const AnomalyFact*> BySeverity(const SessionFacts& f) {
    std::vector<const AnomalyFact*> out;
    for (const auto& a : f.anomalies) out.push_back(&a);
    std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->score > b->score; });
    return out;
}

void Append(std::vector<std::string>& out, std::vector<std::string> more) {
    for (auto& m : more) out.push_back(std::move(m));
}

std::string ShortText(const Writer& w, const SessionFacts& f) {
    std::vector<std::string> s{w.Verdict()};
    const auto ordered = BySeverity(f);
    if (!f.analyzed) {
        s.emplace_back(w.P().pending_advice);
    } else if (ordered.empty()) {
        s.emplace_back(w.P().normal_advice);
    } else {
        const auto& a = *ordered.front();
        s.push_back(w.AnomalyLine(a));
        if (const auto* t = w.Text(a.category)) {
            s.push_back(Fill(w.P().short_check, {{"checks", std::string(t->checks)}}));
        }
    }
    return Writer::Join(s, " ");
}

std::string DetailedText(const Writer& w, const SessionFacts& f) {
    std::vector<std::string> paragraphs;
    {
        std::vector<std::string> s{w.Verdict()};
        if (f.is_incident.value_or(false)) s.emplace_back(w.P().incident);
        if (f.is_recurring.value_or(false)) s.emplace_back(w.P().recurring);
        if (!f.analyzed) s.emplace_back(w.P().pending_advice);
        if (f.analyzed && f.anomalies.empty()) s.emplace_back(w.P().normal_advice);
        paragraphs.push_back(Writer::Join(s, " "));
    }
    if (!f.anomalies.empty()) {
        std::vector<std::string> block{std::string(w.P().findings)};
        for (const auto* a : BySeverity(f)) {
            std::vector<std::string> s;
            w.Anomaly(*a, s, /*with_meaning=*/true);
            block.push_back("- " + Writer::Join(s, " "));
        }
        paragraphs.push_back(Writer::Join(block, "\n"));
    }
    {
        std::vector<std::string> s;
        if (auto p = w.Period()) s.push_back(*p);
        Append(s, w.Energy());
        Append(s, w.Power());
        s.push_back(w.Soc());
        s.push_back(w.Connector());
        if (f.stop_reason) s.push_back(Fill(w.P().stop_reason, {{"reason", *f.stop_reason}}));
        paragraphs.push_back(Writer::Join(s, " "));
    }
    paragraphs.push_back(Writer::Join(w.Billing(), " "));
    {
        auto s = w.History();
        Append(s, w.Station());
        paragraphs.push_back(Writer::Join(s, " "));
    }
    return Writer::Join(paragraphs, "\n\n");
}

std::string TechnicalText(const Writer& w, const SessionFacts& f) {
    const auto opt = [&](std::string key, const auto& v, auto fmt) -> std::string {
        return v ? key + "=" + w.L(fmt(*v)) : std::string();
    };
    const auto b = [](const std::optional<bool>& v) { return v ? (*v ? "true" : "false") : "null"; };
    std::vector<std::string> lines;
    lines.push_back(std::string(w.P().technical_header) + ": " + f.session_id + " (" + w.Where() + ")");
    {
        std::vector<std::string> kv{"status=" + f.status,
                                    std::string("isAnomaly=") + b(f.is_anomaly),
                                    opt("anomalyScore", f.anomaly_score, FmtScore),
                                    opt("anomalyConfidence", f.anomaly_confidence, FmtPercent) +
                                        (f.anomaly_confidence ? std::string(w.P().pct) : ""),
                                    "threshold=" + w.L(FmtScore(f.threshold)),
                                    std::string("isIncident=") + b(f.is_incident),
                                    std::string("isRecurring=") + b(f.is_recurring),
                                    "analysisVersion=" + FmtInt(f.analysis_version),
                                    "meterValues=" + FmtInt(f.value_count)};
        std::erase(kv, std::string());
        lines.push_back(Writer::Join(kv, " "));
    }
    {
        std::vector<std::string> kv;
        if (f.started_at && f.ended_at) {
            kv.push_back("window=" + FmtDate(*f.started_at) + "T" + FmtTime(*f.started_at) + "Z.." +
                         FmtDate(*f.ended_at) + "T" + FmtTime(*f.ended_at) + "Z");
        }
        kv.push_back(opt("durationMin", f.duration_min, FmtMinutes));
        kv.push_back(opt("energyKwh", f.energy_kwh, FmtKwh));
        kv.push_back(opt("registerDeltaKwh", f.register_delta_kwh, FmtKwh));
        kv.push_back(opt("peakKw", f.peak_power_kw, FmtKw));
        kv.push_back(opt("meanKw", f.mean_power_kw, FmtKw));
        kv.push_back(opt("maxPowerKw", f.max_power_kw, FmtKw));
        if (f.current_type) kv.push_back("currentType=" + *f.current_type);
        if (f.phases) kv.push_back("phases=" + FmtInt(*f.phases));
        if (f.stop_reason) kv.push_back("stopReason=" + *f.stop_reason);
        std::erase(kv, std::string());
        if (!kv.empty()) lines.push_back(Writer::Join(kv, " "));
    }
    lines.push_back(w.Soc());
    if (f.soc_source == SocSource::kReconstructed && f.battery_kwh) {
        lines.push_back("sorc.batteryEffectiveKwh=" + w.L(FmtKwh(*f.battery_kwh)));
    }
    for (const auto* a : BySeverity(f)) {
        std::string line = "- " + a->category + " buckets=" + FmtInt(a->start_unit) + ".." + FmtInt(a->end_unit) +
                           " time=" + FmtTime(a->start_ms) + ".." + FmtTime(a->end_ms) +
                           "Z score=" + w.L(FmtScore(a->score)) + " confidence=" + w.L(FmtPercent(a->confidence)) +
                           std::string(w.P().pct);
        if (a->magnitude_kwh) line += " magnitudeKwh=" + w.L(FmtKwh(*a->magnitude_kwh));
        line += " otherSessions" + FmtInt(f.history_days) + "d=" + FmtInt(a->other_sessions);
        lines.push_back(line);
        if (const auto* t = w.Text(a->category)) {
            lines.push_back("    " + Fill(w.P().causes, {{"causes", std::string(t->causes)}}));
            lines.push_back("    " + Fill(w.P().checks, {{"checks", std::string(t->checks)}}));
        }
    }
    Append(lines, w.Billing());
    Append(lines, w.History());
    Append(lines, w.Station());
    return Writer::Join(lines, "\n");
}

}  // namespace

std::optional<Lang> ParseLang(std::string_view code) {
    std::string c;
    for (char ch : code.substr(0, code.find_first_of("-_"))) c.push_back(static_cast<char>(std::tolower(ch)));
    for (std::size_t i = 0; i < std::size(kLangCodes); ++i) {
        if (kLangCodes[i] == c) return static_cast<Lang>(i);
    }
    return std::nullopt;
}

std::optional<Style> ParseStyle(std::string_view name) {
    for (std::size_t i = 0; i < std::size(kStyleNames); ++i) {
        if (kStyleNames[i] == name) return static_cast<Style>(i);
    }
    return std::nullopt;
}

std::string_view LangCode(Lang lang) { return kLangCodes[static_cast<std::size_t>(lang)]; }
std::string_view StyleName(Style style) { return kStyleNames[static_cast<std::size_t>(style)]; }
std::string_view LangName(Lang lang) {
    static constexpr std::string_view kNames[] = {"English", "Polish", "German", "Dutch", "French", "Spanish"};
    return kNames[static_cast<std::size_t>(lang)];
}

const std::vector<std::string_view>& KnownCategories() {
    static const std::vector<std::string_view> ids(kCategoryIds.begin(), kCategoryIds.end());
    return ids;
}

std::string CategoryName(std::string_view category, Lang lang) {
    const auto& p = PhrasebookFor(static_cast<std::size_t>(lang));
    for (std::size_t i = 0; i < kCategoryCount; ++i) {
        if (kCategoryIds[i] == category) return std::string(p.categories[i].name);
    }
    return std::string(category);
}

std::string BuiltinExplanation(const SessionFacts& facts, Lang lang, Style style) {
    const Writer w(facts, lang);
    switch (style) {
        case Style::kShort:
            return ShortText(w, facts);
        case Style::kTechnical:
            return TechnicalText(w, facts);
        case Style::kDetailed:
            break;
    }
    return DetailedText(w, facts);
}

// ------------------------------------------------------------------------------------------------------ ask

namespace {

// Categories whose anomalies belong to the answer about a topic.
std::vector<std::string_view> RelatedCategories(Intent intent) {
    switch (intent) {
        case Intent::kSoc:
            return {"SOC_DECREASE", "SOC_JUMP"};
        case Intent::kEnergy:
            return {"KWH_DECREASE",   "METER_RESET",           "ENERGY_SPIKE", "ENERGY_PIT",
                    "STUCK_REGISTER", "ENERGY_POWER_MISMATCH", "ZERO_ENERGY"};
        case Intent::kPower:
            return {"POWER_OVER_LIMIT", "ENERGY_POWER_MISMATCH", "ENERGY_PIT"};
        case Intent::kDuration:
            return {"IDLE_OCCUPANCY", "DATA_GAP"};
        case Intent::kTime:
            return {"TIMESTAMP_INVALID", "DATA_GAP", "SESSION_OVERLAP"};
        case Intent::kHistory:
            return {"SESSION_OVERLAP"};
        default:
            return {};
    }
}

class Answer {
  public:
    explicit Answer(const Writer& w) : w_(w) {}
    void Add(std::string s) {
        if (!s.empty() && std::find(parts_.begin(), parts_.end(), s) == parts_.end()) parts_.push_back(std::move(s));
    }
    void Add(std::vector<std::string> v) {
        for (auto& s : v) Add(std::move(s));
    }
    // The details of `a` once per answer.
    void AddAnomaly(const AnomalyFact& a) {
        if (std::find(seen_.begin(), seen_.end(), &a) != seen_.end()) return;
        seen_.push_back(&a);
        std::vector<std::string> s;
        w_.Anomaly(a, s, /*with_meaning=*/true);
        Add(std::move(s));
    }
    std::string Text() const { return Writer::Join(parts_, " "); }

  private:
    const Writer& w_;
    std::vector<std::string> parts_;
    std::vector<const AnomalyFact*> seen_;
};

}  // namespace

BuiltinAnswer AnswerQuestion(const SessionFacts& f, std::string_view question, Lang lang) {
    const Writer w(f, lang);
    const auto& p = w.P();
    const auto qa = AnalyzeQuestion(question);
    BuiltinAnswer out;
    if (qa.intents.empty() && qa.categories.empty()) {
        out.text = std::string(p.unanswerable);
        out.intent = "unknown";
        return out;
    }
    Answer a(w);
    bool answered = false;
    std::vector<std::string> names;
    const auto ordered = BySeverity(f);
    const auto related = [&](Intent intent) {
        const auto cats = RelatedCategories(intent);
        for (const auto* x : ordered) {
            if (std::find(cats.begin(), cats.end(), x->category) != cats.end()) a.AddAnomaly(*x);
        }
    };
    for (const auto& c : qa.categories) {
        names.push_back("category:" + c);
        bool found = false;
        for (const auto* x : ordered) {
            if (x->category == c) {
                a.AddAnomaly(*x);
                found = true;
            }
        }
        if (!found) a.Add(Fill(p.category_absent, {{"name", w.Name(c)}}));
        answered = true;
    }
    const bool why = std::find(qa.intents.begin(), qa.intents.end(), Intent::kWhy) != qa.intents.end();
    for (const auto intent : qa.intents) {
        names.emplace_back(IntentName(intent));
        switch (intent) {
            case Intent::kSoc:
                a.Add(w.Soc());
                answered |= f.soc_source != SocSource::kNone;
                related(intent);
                if (why && f.soc_source == SocSource::kReported && f.soc_start && f.soc_end &&
                    *f.soc_end < *f.soc_start) {
                    bool has = false;
                    for (const auto* x : ordered) has |= x->category == "SOC_DECREASE";
                    if (!has) a.Add(Fill(p.category_absent, {{"name", w.Name("SOC_DECREASE")}}));
                }
                break;
            case Intent::kEnergy:
                a.Add(w.Energy());
                answered |= f.energy_kwh.has_value();
                related(intent);
                break;
            case Intent::kPower: {
                auto power = w.Power();
                if (power.empty()) {
                    a.Add(std::string(p.no_power));
                } else {
                    answered = true;
                    a.Add(std::move(power));
                }
                if (f.max_power_kw) a.Add(w.Connector());
                related(intent);
                break;
            }
            case Intent::kDuration:
            case Intent::kTime:
                if (auto period = w.Period()) {
                    a.Add(*period);
                    answered = true;
                } else {
                    a.Add(std::string(p.no_duration));
                }
                related(intent);
                break;
            case Intent::kConnector:
                a.Add(w.Connector());
                answered = true;
                break;
            case Intent::kBilling:
                a.Add(w.Billing());
                answered |= f.tariff_per_kwh.has_value() || f.billed_cost.has_value();
                break;
            case Intent::kHistory:
                a.Add(w.History());
                if (f.is_recurring.value_or(false)) a.Add(std::string(p.recurring));
                for (const auto* x : ordered) {
                    a.Add(Fill(p.anomaly_recurrence,
                               {{"days", FmtInt(f.history_days)}, {"n", FmtInt(x->other_sessions)}}));
                }
                answered = true;
                break;
            case Intent::kAnomaly:
                a.Add(w.Verdict());
                if (ordered.empty() && f.analyzed) a.Add(std::string(p.no_anomalies));
                for (const auto* x : ordered) a.AddAnomaly(*x);
                answered = true;
                break;
            case Intent::kWhy:
                break;  // below, after the topics
        }
    }
    if (why) {
        a.Add(w.Reason());
        // "Why" about no topic in particular: every finding with its causes.
        if (qa.intents.size() == 1 && qa.categories.empty()) {
            for (const auto* x : ordered) a.AddAnomaly(*x);
        }
        answered = true;
    }
    out.text = a.Text();
    out.answered = answered;
    std::string intent;
    for (const auto& n : names) intent += (intent.empty() ? "" : "+") + n;
    out.intent = intent;
    return out;
}

}  // namespace evni::api::explain
