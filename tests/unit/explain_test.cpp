// Explain and ask: the facts builder, the built-in explainer in every language and style (every number
// grounded in the facts), language detection, intent matching, the LLM grounding check, the storage
// of explanations and questions on SQLite and PostgreSQL, and the service's cache and LLM fallback.
#include <gtest/gtest.h>

#include <random>

#include "api/api_key_service.h"
#include "api/explain_facts.h"
#include "api/explain_service.h"
#include "api/explain_text.h"
#include "api/session_service.h"
#include "storage_test_backend.h"
#include "util/crypto.h"

namespace evni::api {
namespace {

using domain::EpochMs;
using explain::Lang;
using explain::Style;

constexpr EpochMs kT0 = 1772186400000LL;  // 2026-02-27T10:00:00Z

class FixedClock final : public Clock {
  public:
    EpochMs NowMs() const override { return now; }
    EpochMs now = 1773050400000LL;  // 2026-03-09T10:00:00Z
};

domain::MeterValue Energy(EpochMs t, double kwh, const char* unit = "kWh") {
    return {t, kwh, "Energy.Active.Import.Register", unit, std::nullopt, std::nullopt, false};
}
domain::MeterValue Power(EpochMs t, double kw) {
    return {t, kw, "Power.Active.Import", "kW", std::nullopt, std::nullopt, false};
}
domain::MeterValue Soc(EpochMs t, double pct) { return {t, pct, "SoC", "Percent", std::nullopt, std::nullopt, false}; }

// 7.4 kW for 80 minutes; the register drops by 3 kWh at minute 41.
domain::MeterValues KwhDecreaseValues(bool with_soc) {
    domain::MeterValues v;
    const double slope = 7.4 / 60;
    for (int m = 0; m <= 80; ++m) {
        const EpochMs t = kT0 + m * 60'000LL;
        const double kwh = m <= 40 ? 10.0 - slope * (40 - m) : 7.0 + slope * (m - 41);
        v.push_back(Energy(t, kwh));
        v.push_back(Power(t, 7.4));
        if (with_soc) v.push_back(Soc(t, 30 + m * 0.2));
    }
    return v;
}

storage::SessionRecord Record() {
    storage::SessionRecord r;
    r.pk = 7;
    r.tenant_id = "t1";
    r.session_id = "sess-abc-001";
    r.station_id = "CP-NL-AMS-0042";
    r.connector_id = "1";
    r.created_at = kT0;
    r.started_at = kT0;
    r.ended_at = kT0 + 80 * 60'000LL;
    r.value_count = 243;
    r.analyzed_at = kT0 + 81 * 60'000LL;
    r.analysis_version = 3;
    r.is_anomaly = true;
    r.anomaly_score = 0.87;
    r.anomaly_confidence = 0.92;
    r.is_incident = true;
    r.is_recurring = false;
    r.anomalies = {{"KWH_DECREASE", 0.87, 0.92, {160, 163}, kT0 + 160 * 15'000LL, kT0 + 164 * 15'000LL}};
    r.metadata_json = R"({"maxPowerKw":11,"currentType":"ac","phases":3,"tariffPerKwh":0.39,"currency":"EUR"})";
    return r;
}

// ------------------------------------------------------------------------------------------------ facts

TEST(ExplainFacts, EnergyPowerSocConnectorBillingAndHistory) {
    const auto r = Record();
    const auto values = KwhDecreaseValues(true);
    analysis::SocReconstruction soc;
    explain::FactsInput in{&r, &values, &soc, 0.25,    "PLN", {{"DATA_GAP", 1}, {"KWH_DECREASE", 2}},
                           9,  {},      0.5,  "active"};
    const auto f = explain::BuildFacts(in);
    EXPECT_EQ(f.session_id, "sess-abc-001");
    ASSERT_TRUE(f.energy_kwh && f.register_delta_kwh);
    EXPECT_NEAR(*f.energy_kwh, 7.4 * 79 / 60, 1e-6);  // every rise, the drop left out
    EXPECT_NEAR(*f.register_delta_kwh, 7.0 + 7.4 / 60 * 39 - (10.0 - 7.4 / 60 * 40), 1e-6);
    EXPECT_NEAR(*f.duration_min, 80, 1e-9);
    EXPECT_NEAR(*f.peak_power_kw, 7.4, 1e-9);
    EXPECT_NEAR(*f.mean_power_kw, *f.energy_kwh / (80.0 / 60), 1e-9);
    EXPECT_EQ(f.soc_source, explain::SocSource::kReported);
    EXPECT_NEAR(*f.soc_start, 30, 1e-9);
    EXPECT_NEAR(*f.soc_end, 46, 1e-9);
    EXPECT_EQ(f.max_power_kw, 11.0);
    EXPECT_EQ(f.current_type, "AC");
    EXPECT_EQ(f.phases, 3);
    // The session's own tariff and currency win over the organization's.
    EXPECT_EQ(f.tariff_per_kwh, 0.39);
    EXPECT_EQ(f.tariff_source, "session");
    EXPECT_EQ(f.currency, "EUR");
    ASSERT_EQ(f.anomalies.size(), 1u);
    ASSERT_TRUE(f.anomalies[0].magnitude_kwh);
    EXPECT_NEAR(*f.anomalies[0].magnitude_kwh, 10.0 - 7.0, 1e-6);
    EXPECT_EQ(f.anomalies[0].other_sessions, 2);
    EXPECT_EQ(f.connector_sessions, 9);
    ASSERT_TRUE(f.discrepancy_kwh && f.discrepancy_cost);
    EXPECT_NEAR(*f.discrepancy_cost, *f.discrepancy_kwh * 0.39, 1e-9);
    EXPECT_FALSE(f.station.has_value());
}

TEST(ExplainFacts, ReconstructedSocOrganizationTariffAndWhUnits) {
    auto r = Record();
    r.metadata_json.reset();
    domain::MeterValues values;
    for (int m = 0; m <= 30; ++m) values.push_back(Energy(kT0 + m * 60'000LL, 1000.0 * 11 * m / 60, "Wh"));
    analysis::SocReconstruction soc;
    soc.reconstructed = true;
    soc.points = {{kT0, 31.0}, {kT0 + 30 * 60'000LL, 40.4}};
    soc.confidence = 0.61;
    soc.battery_kwh = 58.5;
    explain::FactsInput in{&r, &values, &soc, 0.25, "PLN", {}, 0, {}, 0.5, "active"};
    const auto f = explain::BuildFacts(in);
    EXPECT_NEAR(*f.energy_kwh, 5.5, 1e-6);  // Wh converted
    EXPECT_EQ(f.soc_source, explain::SocSource::kReconstructed);
    EXPECT_EQ(f.soc_confidence, 0.61);
    EXPECT_EQ(f.tariff_per_kwh, 0.25);
    EXPECT_EQ(f.tariff_source, "organization");
    EXPECT_EQ(f.currency, "PLN");
    EXPECT_FALSE(f.max_power_kw.has_value());
    EXPECT_FALSE(f.peak_power_kw.has_value());
}

TEST(ExplainFacts, DeterministicFormattingAndNumberTokens) {
    EXPECT_EQ(explain::FmtKwh(9.735), "9.73");  // binary 9.735 is below the midpoint
    EXPECT_EQ(explain::FmtKwh(-0.001), "0.00");
    EXPECT_EQ(explain::FmtPercent(0.925), "93");
    EXPECT_EQ(explain::FmtMinutes(1.25), "1.2");
    EXPECT_EQ(explain::FmtMinutes(80.4), "80");
    EXPECT_EQ(explain::FmtTime(kT0 + 61 * 60'000LL), "11:01");
    EXPECT_EQ(explain::FmtDate(kT0), "2026-02-27");
    EXPECT_EQ(explain::NumberTokens("9,74 kWh at 08:40, 3 and 0.39 EUR; s-001."),
              (std::vector<std::string>{"9.74", "08", "40", "3", "0.39", "001"}));
}

// ------------------------------------------------------------------------------------------------ texts

// Facts with every optional part present or absent, for one category.
explain::SessionFacts SyntheticFacts(std::mt19937& rng, std::string_view category) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    explain::SessionFacts f;
    f.session_id = "sess-" + std::to_string(rng() % 1000);
    f.station_id = "CP-" + std::to_string(rng() % 100);
    if (u(rng) < 0.7) f.connector_id = std::to_string(1 + rng() % 3);
    f.status = "active";
    f.value_count = static_cast<std::int64_t>(rng() % 5000);
    f.analyzed = u(rng) < 0.9;
    f.analysis_version = 1 + rng() % 9;
    const EpochMs start = kT0 + static_cast<EpochMs>(rng() % 86'400) * 1000;
    const double minutes = 5 + u(rng) * 300;
    if (f.analyzed) {
        f.anomaly_score = u(rng);
        f.anomaly_confidence = u(rng);
        f.is_anomaly = *f.anomaly_score >= 0.5;
        f.is_incident = u(rng) < 0.3;
        f.is_recurring = u(rng) < 0.3;
        if (u(rng) < 0.85) {
            const int n = 1 + static_cast<int>(rng() % 3);
            for (int i = 0; i < n; ++i) {
                explain::AnomalyFact a;
                a.category = i == 0
                                 ? std::string(category)
                                 : std::string(explain::KnownCategories()[rng() % explain::KnownCategories().size()]);
                a.score = u(rng);
                a.confidence = u(rng);
                a.start_unit = rng() % 400;
                a.end_unit = a.start_unit + rng() % 80;
                a.start_ms = start + a.start_unit * 15'000;
                a.end_ms = start + (a.end_unit + 1) * 15'000;
                if (u(rng) < 0.5) a.magnitude_kwh = u(rng) * 900;
                a.other_sessions = rng() % 6;
                f.anomalies.push_back(a);
            }
        }
    }
    if (u(rng) < 0.9) {
        f.started_at = start;
        f.ended_at = start + static_cast<EpochMs>(minutes * 60'000);
        f.duration_min = minutes;
    }
    if (u(rng) < 0.85) {
        f.energy_kwh = u(rng) * 120;
        f.register_delta_kwh = *f.energy_kwh - u(rng) * 5;
        if (f.duration_min) f.mean_power_kw = *f.energy_kwh / (*f.duration_min / 60);
    }
    if (u(rng) < 0.7) f.peak_power_kw = u(rng) * 350;
    const double s = u(rng);
    if (s < 0.4) {
        f.soc_source = explain::SocSource::kReported;
        f.soc_start = u(rng) * 60;
        f.soc_end = 40 + u(rng) * 60;
    } else if (s < 0.75) {
        f.soc_source = explain::SocSource::kReconstructed;
        f.soc_start = u(rng) * 60;
        f.soc_end = 40 + u(rng) * 60;
        f.soc_confidence = u(rng);
        f.battery_kwh = 20 + u(rng) * 80;
    }
    if (u(rng) < 0.6) f.max_power_kw = 3.7 + u(rng) * 300;
    if (u(rng) < 0.5) f.current_type = u(rng) < 0.5 ? "AC" : "DC";
    if (u(rng) < 0.4) f.phases = 1 + static_cast<int>(rng() % 3);
    if (u(rng) < 0.3) f.stop_reason = "EVDisconnected";
    if (u(rng) < 0.6) {
        f.tariff_per_kwh = u(rng);
        f.tariff_source = "organization";
        if (u(rng) < 0.7) f.currency = "EUR";
        if (f.energy_kwh) f.energy_cost = *f.energy_kwh * *f.tariff_per_kwh;
    }
    if (u(rng) < 0.3) f.billed_cost = u(rng) * 80;
    if (f.energy_kwh && u(rng) < 0.5) {
        f.discrepancy_kwh = std::fabs(*f.energy_kwh - *f.register_delta_kwh);
        if (f.tariff_per_kwh) f.discrepancy_cost = *f.discrepancy_kwh * *f.tariff_per_kwh;
    }
    f.connector_sessions = rng() % 40;
    if (u(rng) < 0.5)
        f.connector_categories = {{"DATA_GAP", 1 + static_cast<std::int64_t>(rng() % 5)},
                                  {std::string(category), 2 + static_cast<std::int64_t>(rng() % 7)}};
    if (u(rng) < 0.3) {
        f.station = explain::StationContext{"2026-02-27", u(rng) < 0.5, u(rng), u(rng) * 900, u(rng) * 900};
    }
    return f;
}

TEST(ExplainText, EveryNumberInEveryLanguageAndStyleComesFromTheFacts) {
    std::mt19937 rng(20260227);
    int texts = 0;
    for (int round = 0; round < 12; ++round) {
        for (const auto category : explain::KnownCategories()) {
            const auto facts = SyntheticFacts(rng, category);
            const auto grounded = explain::GroundedNumbers(facts);
            for (const auto code : explain::kLangCodes) {
                const Lang lang = *explain::ParseLang(code);
                for (const auto style_name : explain::kStyleNames) {
                    const Style style = *explain::ParseStyle(style_name);
                    const auto text = explain::BuiltinExplanation(facts, lang, style);
                    ++texts;
                    ASSERT_FALSE(text.empty());
                    ASSERT_EQ(text.find('{'), std::string::npos) << text;
                    for (const auto& token : explain::NumberTokens(text)) {
                        ASSERT_TRUE(grounded.count(token))
                            << "number " << token << " is not in the facts (" << code << ", " << style_name << "):\n"
                            << text << "\nfacts: " << explain::FactsJson(facts);
                    }
                    if (facts.analyzed && !facts.anomalies.empty() && style != Style::kTechnical) {
                        // A finding is named in the reader's language (after its first letter, which may be
                        // capitalised).
                        bool named = false;
                        for (const auto& a : facts.anomalies) {
                            auto n = explain::CategoryName(a.category, lang);
                            const std::size_t first = (static_cast<unsigned char>(n[0]) & 0x80) ? 2 : 1;
                            named |= text.find(n.substr(first)) != std::string::npos;
                        }
                        EXPECT_TRUE(named) << text;
                    }
                }
            }
            // The answers to questions are grounded as well.
            for (const auto* q :
                 {"Why did the SoC drop unexpectedly?", "Ile energii dostarczono?", "Wie hoch war die Spitzenleistung?",
                  "Hoe lang duurde de sessie?", "Combien coûte cette session ?", "¿Qué anomalías hay y por qué?",
                  "How often did this happen on the connector before?"}) {
                for (const auto code : explain::kLangCodes) {
                    const auto a = explain::AnswerQuestion(facts, q, *explain::ParseLang(code));
                    for (const auto& token : explain::NumberTokens(a.text)) {
                        ASSERT_TRUE(grounded.count(token)) << token << " in answer: " << a.text;
                    }
                }
            }
        }
    }
    EXPECT_EQ(texts, 12 * 14 * 6 * 3);
}

TEST(ExplainText, LanguagesUseTheirDecimalSeparatorAndWords) {
    const auto r = Record();
    const auto values = KwhDecreaseValues(true);
    analysis::SocReconstruction soc;
    explain::FactsInput in{&r, &values, &soc, std::nullopt, std::nullopt, {}, 0, {}, 0.5, "active"};
    const auto f = explain::BuildFacts(in);
    const auto en = explain::BuiltinExplanation(f, Lang::kEn, Style::kDetailed);
    EXPECT_NE(en.find("Energy delivered: 9.74 kWh"), std::string::npos) << en;
    EXPECT_NE(en.find("Energy register decrease on 2026-02-27 from 10:40 to 10:41 UTC"), std::string::npos) << en;
    EXPECT_NE(en.find("At 0.39 EUR/kWh the energy delivered is worth 3.80 EUR."), std::string::npos) << en;
    const auto pl = explain::BuiltinExplanation(f, Lang::kPl, Style::kDetailed);
    EXPECT_NE(pl.find("Dostarczona energia: 9,74 kWh"), std::string::npos) << pl;
    EXPECT_NE(pl.find("Spadek wskazania licznika energii"), std::string::npos) << pl;
    const auto de = explain::BuiltinExplanation(f, Lang::kDe, Style::kShort);
    EXPECT_NE(de.find("Rückgang des Energiezählers"), std::string::npos) << de;
    EXPECT_NE(de.find("Konfidenz 92 %"), std::string::npos) << de;
    const auto fr = explain::BuiltinExplanation(f, Lang::kFr, Style::kShort);
    EXPECT_NE(fr.find("Baisse du compteur d'énergie"), std::string::npos) << fr;
    const auto nl = explain::BuiltinExplanation(f, Lang::kNl, Style::kTechnical);
    EXPECT_NE(nl.find("KWH_DECREASE buckets=160..163"), std::string::npos) << nl;
    EXPECT_NE(nl.find("Waarschijnlijke oorzaken"), std::string::npos) << nl;
    const auto es = explain::BuiltinExplanation(f, Lang::kEs, Style::kDetailed);
    EXPECT_NE(es.find("Energía entregada: 9,74 kWh"), std::string::npos) << es;
}

TEST(ExplainText, ParsesLanguagesAndStyles) {
    EXPECT_EQ(explain::ParseLang("pl"), Lang::kPl);
    EXPECT_EQ(explain::ParseLang("DE"), Lang::kDe);
    EXPECT_EQ(explain::ParseLang("nl-BE"), Lang::kNl);
    EXPECT_FALSE(explain::ParseLang("it").has_value());
    EXPECT_FALSE(explain::ParseLang("").has_value());
    EXPECT_EQ(explain::ParseStyle("technical"), Style::kTechnical);
    EXPECT_FALSE(explain::ParseStyle("Short").has_value());
}

// ------------------------------------------------------------------------------------------------ ask

TEST(ExplainAsk, DetectsTheQuestionsLanguage) {
    const std::vector<std::pair<std::string, Lang>> cases = {
        {"Why did the SoC drop unexpectedly?", Lang::kEn},
        {"How much energy was delivered in this session?", Lang::kEn},
        {"Dlaczego stan naładowania spadł?", Lang::kPl},
        {"Ile energii dostarczono w tej sesji?", Lang::kPl},
        {"Warum ist der Ladezustand gesunken?", Lang::kDe},
        {"Wie viel Energie wurde geladen?", Lang::kDe},
        {"Waarom is de laadtoestand gedaald?", Lang::kNl},
        {"Hoeveel energie is er geleverd?", Lang::kNl},
        {"Pourquoi l'état de charge a-t-il baissé ?", Lang::kFr},
        {"Combien d'énergie a été fournie pendant cette session ?", Lang::kFr},
        {"¿Por qué bajó el estado de carga?", Lang::kEs},
        {"¿Cuánta energía se entregó en esta sesión?", Lang::kEs},
        {"SoC?", Lang::kEn},
    };
    for (const auto& [q, lang] : cases) EXPECT_EQ(explain::DetectLanguage(q), lang) << q;
}

TEST(ExplainAsk, MatchesIntentsAndCategories) {
    const auto has = [](const explain::QuestionAnalysis& qa, explain::Intent i) {
        return std::find(qa.intents.begin(), qa.intents.end(), i) != qa.intents.end();
    };
    using explain::Intent;
    auto qa = explain::AnalyzeQuestion("Why did the SoC drop unexpectedly?");
    EXPECT_TRUE(has(qa, Intent::kWhy) && has(qa, Intent::kSoc));
    EXPECT_TRUE(has(explain::AnalyzeQuestion("Ile energii dostarczono?"), Intent::kEnergy));
    EXPECT_TRUE(has(explain::AnalyzeQuestion("Wie hoch war die Spitzenleistung?"), Intent::kPower));
    EXPECT_TRUE(has(explain::AnalyzeQuestion("Hoe lang duurde de sessie?"), Intent::kDuration));
    EXPECT_TRUE(has(explain::AnalyzeQuestion("Combien coûte cette session ?"), Intent::kBilling));
    EXPECT_TRUE(has(explain::AnalyzeQuestion("¿Ha ocurrido antes en este conector?"), Intent::kHistory));
    EXPECT_TRUE(has(explain::AnalyzeQuestion("What is wrong with this session?"), Intent::kAnomaly));
    EXPECT_TRUE(has(explain::AnalyzeQuestion("When did it start?"), Intent::kTime));
    EXPECT_EQ(explain::AnalyzeQuestion("Tell me about the ENERGY_PIT").categories,
              std::vector<std::string>{"ENERGY_PIT"});
    EXPECT_EQ(explain::AnalyzeQuestion("Gab es eine Datenlücke?").categories, std::vector<std::string>{"DATA_GAP"});
    // "kw" alone is power, "kWh" is energy.
    EXPECT_FALSE(has(explain::AnalyzeQuestion("How many kWh?"), Intent::kPower));
    const auto none = explain::AnalyzeQuestion("What is the weather in Amsterdam tomorrow?");
    EXPECT_TRUE(none.intents.empty() && none.categories.empty());
}

TEST(ExplainAsk, AnswersFromTheFactsAndSaysWhenItCannot) {
    const auto r = Record();
    const auto values = KwhDecreaseValues(false);
    analysis::SocReconstruction soc;
    explain::FactsInput in{&r, &values, &soc, std::nullopt, std::nullopt, {}, 4, {}, 0.5, "active"};
    const auto f = explain::BuildFacts(in);
    auto a = explain::AnswerQuestion(f, "How much energy was delivered?", Lang::kEn);
    EXPECT_TRUE(a.answered);
    EXPECT_NE(a.text.find("Energy delivered: 9.74 kWh."), std::string::npos) << a.text;
    EXPECT_NE(a.text.find("Energy register decrease"), std::string::npos) << a.text;  // the related anomaly
    a = explain::AnswerQuestion(f, "Jaki był stan naładowania?", Lang::kPl);
    EXPECT_FALSE(a.answered);  // no SoC reported and none reconstructed
    EXPECT_NE(a.text.find("Brak stanu naładowania"), std::string::npos) << a.text;
    a = explain::AnswerQuestion(f, "Warum ist die Sitzung auffällig?", Lang::kDe);
    EXPECT_TRUE(a.answered);
    EXPECT_NE(a.text.find("Anomaliewert (0,87) die Alarmschwelle (0,50) erreicht"), std::string::npos) << a.text;
    EXPECT_NE(a.text.find("Wahrscheinliche Ursachen"), std::string::npos) << a.text;
    a = explain::AnswerQuestion(f, "Was there a data gap?", Lang::kEn);
    EXPECT_NE(a.text.find("no finding of the type \"data gap\""), std::string::npos) << a.text;
    a = explain::AnswerQuestion(f, "Quel temps fera-t-il demain ?", Lang::kFr);
    EXPECT_FALSE(a.answered);
    EXPECT_EQ(a.intent, "unknown");
    EXPECT_NE(a.text.find("ne permettent pas de répondre"), std::string::npos) << a.text;
    a = explain::AnswerQuestion(f, "¿Cuántas sesiones hubo antes en este conector?", Lang::kEs);
    EXPECT_NE(a.text.find("Otras sesiones en este conector en los 30 días hasta esta: 4."), std::string::npos)
        << a.text;
}

// ------------------------------------------------------------------------------------------------ LLM check

TEST(ExplainLlm, GroundingCheckRejectsInventedNumbers) {
    const auto r = Record();
    const auto values = KwhDecreaseValues(true);
    analysis::SocReconstruction soc;
    explain::FactsInput in{&r, &values, &soc, std::nullopt, std::nullopt, {}, 0, {}, 0.5, "active"};
    const auto f = explain::BuildFacts(in);
    EXPECT_TRUE(LlmTextIsGrounded("The register fell by 3.00 kWh at 10:40; 9.74 kWh were delivered (about 9.7).", f));
    EXPECT_TRUE(LlmTextIsGrounded("Two things to check: 1. the meter display, 2. the invoice of this session.", f));
    EXPECT_FALSE(LlmTextIsGrounded("The session delivered 987.65 kWh, far above normal for this charger.", f));
    EXPECT_FALSE(LlmTextIsGrounded("", f));
    EXPECT_FALSE(LlmTextIsGrounded("   42  ", f));
    EXPECT_FALSE(LlmTextIsGrounded(std::string(9000, 'a'), f));
}

// ------------------------------------------------------------------------------------------------ storage

class ExplainStorageTest : public ::testing::TestWithParam<testing::Backend> {
  protected:
    void SetUp() override {
        ASSERT_TRUE(crypto::Init());
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open();
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->Tenants().Insert({"t1", "one", kT0});
        tx->Tenants().Insert({"t2", "two", kT0});
        tx->Commit();
    }
    storage::SessionRecord Insert(const std::string& tenant, const std::string& id,
                                  std::optional<std::string> connector, EpochMs start,
                                  std::vector<std::string> categories = {}) {
        storage::SessionRecord r;
        r.tenant_id = tenant;
        r.session_id = id;
        r.station_id = "CP-1";
        r.connector_id = std::move(connector);
        r.created_at = r.updated_at = start;
        r.started_at = start;
        r.ended_at = start + 3'600'000;
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->Sessions().Insert(r);
        std::vector<analysis::Anomaly> anomalies;
        for (const auto& c : categories) anomalies.push_back({c, 0.7, 0.8, {1, 2}, start + 15'000, start + 45'000});
        tx->Sessions().ReplaceAnomalies(r, anomalies, start);
        tx->Commit();
        return r;
    }
    std::unique_ptr<testing::TestDatabase> db_;
    std::unique_ptr<storage::Store> store_;
};

TEST_P(ExplainStorageTest, ExplanationsAreCachedPerSessionLangAndStyle) {
    const auto s = Insert("t1", "s1", "1", kT0);
    {
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->Explanations().Save({"t1", s.pk, "pl", "short", 2, "abc", "Sesja s1 \xC5\x82", "builtin", kT0 + 1});
        tx->Explanations().Save({"t1", s.pk, "pl", "detailed", 2, "abc", "long", "llm", kT0 + 2});
        tx->Commit();
    }
    {
        auto tx = store_->Begin(storage::TxMode::kWrite);  // replaces the row of (s1, pl, short)
        tx->Explanations().Save({"t1", s.pk, "pl", "short", 3, "def", "nowa", "llm", kT0 + 3});
        tx->Commit();
    }
    auto tx = store_->Begin(storage::TxMode::kRead);
    auto hit = tx->Explanations().Find("t1", s.pk, "pl", "short");
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->analysis_version, 3);
    EXPECT_EQ(hit->facts_digest, "def");
    EXPECT_EQ(hit->text, "nowa");
    EXPECT_EQ(hit->provider, "llm");
    EXPECT_EQ(hit->created_at, kT0 + 3);
    EXPECT_EQ(tx->Explanations().Find("t1", s.pk, "pl", "detailed")->text, "long");
    EXPECT_FALSE(tx->Explanations().Find("t1", s.pk, "en", "short"));
    EXPECT_FALSE(tx->Explanations().Find("t2", s.pk, "pl", "short"));  // another tenant never sees it
    tx->Commit();
}

TEST_P(ExplainStorageTest, QuestionsAreLoggedNewestFirst) {
    const auto s = Insert("t1", "s1", "1", kT0);
    {
        auto tx = store_->Begin(storage::TxMode::kWrite);
        for (int i = 0; i < 3; ++i) {
            tx->Explanations().LogQuestion({0, "t1", s.pk, kT0 + i, "api-key:ops", "q" + std::to_string(i), "en",
                                            "energy", "a" + std::to_string(i), "builtin", i != 1});
        }
        tx->Commit();
    }
    auto tx = store_->Begin(storage::TxMode::kRead);
    auto q = tx->Explanations().Questions("t1", s.pk, 2);
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q[0].question, "q2");
    EXPECT_EQ(q[0].asked_at, kT0 + 2);
    EXPECT_TRUE(q[0].answered);
    EXPECT_EQ(q[1].question, "q1");
    EXPECT_FALSE(q[1].answered);
    EXPECT_EQ(q[1].actor, "api-key:ops");
    EXPECT_TRUE(tx->Explanations().Questions("t2", s.pk, 10).empty());
    tx->Commit();
}

TEST_P(ExplainStorageTest, ConnectorHistoryCountsOtherSessionsOfTheTenantOnTheConnector) {
    const EpochMs day = 86'400'000;
    const auto me = Insert("t1", "me", "1", kT0, {"DATA_GAP"});
    Insert("t1", "a", "1", kT0 - 2 * day, {"DATA_GAP", "KWH_DECREASE"});
    Insert("t1", "b", "1", kT0 - 5 * day, {"DATA_GAP"});
    Insert("t1", "c", "1", kT0 - 40 * day, {"DATA_GAP"});  // outside the window
    Insert("t1", "d", "2", kT0 - day, {"DATA_GAP"});       // other connector
    Insert("t1", "e", std::nullopt, kT0 - day, {"DATA_GAP"});
    Insert("t2", "f", "1", kT0 - day, {"DATA_GAP"});  // other tenant
    Insert("t1", "g", "1", kT0 - day);                // clean
    auto tx = store_->Begin(storage::TxMode::kRead);
    const auto counts = tx->Explanations().ConnectorCategoryCounts(me, kT0 - 30 * day, kT0 + 3'600'000);
    EXPECT_EQ(counts, (std::vector<storage::CategoryCount>{{"DATA_GAP", 2}, {"KWH_DECREASE", 1}}));
    EXPECT_EQ(tx->Explanations().ConnectorSessionCount(me, kT0 - 30 * day, kT0 + 3'600'000), 3);
    const auto nullconn = Insert("t1", "h", std::nullopt, kT0);
    EXPECT_EQ(tx->Explanations().ConnectorSessionCount(nullconn, kT0 - 30 * day, kT0 + 3'600'000), 1);
    tx->Commit();
}

INSTANTIATE_TEST_SUITE_P(Backends, ExplainStorageTest,
                         ::testing::Values(testing::Backend::kSqlite, testing::Backend::kPostgres),
                         testing::BackendName);

// ------------------------------------------------------------------------------------------------ service

class FakeLlm final : public LlmProvider {
  public:
    Result<std::string> Complete(const LlmPrompt& prompt) override {
        ++calls;
        last = prompt;
        if (fail) return Fail(Error::Unavailable("LLM: HTTP status 500"));
        return reply;
    }
    int calls = 0;
    bool fail = false;
    std::string reply;
    LlmPrompt last;
};

class ExplainServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(crypto::Init());
        db_ = std::make_unique<testing::TestDatabase>(testing::Backend::kSqlite);
        store_ = db_->Open();
        keys_ = std::make_unique<ApiKeyService>(*store_, clock_);
        sessions_ = std::make_unique<SessionService>(*store_, clock_, metrics_);
        auto a = keys_->CreateTenant("a");
        auto b = keys_->CreateTenant("b");
        alice_ = {a->tenant.id, a->admin_key.key.id, domain::Role::kViewer};
        bob_ = {b->tenant.id, b->admin_key.key.id, domain::Role::kViewer};
        UpsertSession command;
        command.session_id = "s1";
        command.station_id = "CP-1";
        command.changes.connector_id = {true, "1"};
        command.changes.meter_values = KwhDecreaseValues(true);
        ASSERT_TRUE(sessions_->Upsert(alice_, command));
    }
    FixedClock clock_;
    Metrics metrics_;
    std::unique_ptr<testing::TestDatabase> db_;
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<ApiKeyService> keys_;
    std::unique_ptr<SessionService> sessions_;
    domain::Principal alice_, bob_;
};

TEST_F(ExplainServiceTest, CachesUntilForcedOrReanalysed) {
    ExplainService svc(*store_, *sessions_, clock_);
    auto first = svc.Explain(alice_, {"s1", Lang::kFr, Style::kShort, false});
    ASSERT_TRUE(first);
    EXPECT_FALSE(first->cached);
    EXPECT_EQ(first->provider, "builtin");
    auto second = svc.Explain(alice_, {"s1", Lang::kFr, Style::kShort, false});
    ASSERT_TRUE(second);
    EXPECT_TRUE(second->cached);
    EXPECT_EQ(second->explanation, first->explanation);
    EXPECT_FALSE(svc.Explain(alice_, {"s1", Lang::kFr, Style::kDetailed, false})->cached);  // another style
    EXPECT_FALSE(svc.Explain(alice_, {"s1", Lang::kFr, Style::kShort, true})->cached);      // forced
    // A new analysis (more values) invalidates the cached text.
    SessionChanges more;
    more.meter_values = domain::MeterValues{Energy(kT0 + 81 * 60'000LL, 17.0)};
    ASSERT_TRUE(sessions_->Append(alice_, "s1", more));
    auto after = svc.Explain(alice_, {"s1", Lang::kFr, Style::kShort, false});
    EXPECT_FALSE(after->cached);
    EXPECT_GT(after->analysis_version, first->analysis_version);
    // Another tenant's session does not exist for bob.
    auto other = svc.Explain(bob_, {"s1", Lang::kEn, Style::kShort, false});
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
}

TEST_F(ExplainServiceTest, UsesTheLlmWhenGroundedAndFallsBackOtherwise) {
    FakeLlm llm;
    ExplainService svc(*store_, *sessions_, clock_, &llm);
    llm.reply = "The energy register of session s1 fell by 3.00 kWh at 10:40 UTC; check the meter.";
    auto good = svc.Explain(alice_, {"s1", Lang::kEn, Style::kDetailed, true});
    EXPECT_EQ(good->provider, "llm");
    EXPECT_EQ(good->explanation, llm.reply);
    EXPECT_NE(llm.last.user.find("\"energyDeliveredKwh\":\"9.74\""), std::string::npos) << llm.last.user;
    EXPECT_NE(llm.last.system.find("Never invent numbers"), std::string::npos);
    llm.reply = "The session delivered 123.45 kWh at 99 kW.";  // numbers not in the facts
    auto nonsense = svc.Explain(alice_, {"s1", Lang::kEn, Style::kDetailed, true});
    EXPECT_EQ(nonsense->provider, "builtin");
    llm.fail = true;
    auto failed = svc.Explain(alice_, {"s1", Lang::kDe, Style::kShort, true});
    EXPECT_EQ(failed->provider, "builtin");
    EXPECT_NE(failed->explanation.find("Rückgang des Energiezählers"), std::string::npos);
    // Unanswerable questions never go to the LLM.
    llm.fail = false;
    const int before = llm.calls;
    auto ask = svc.Ask(alice_, {"s1", "What's the weather like?", std::nullopt});
    EXPECT_EQ(llm.calls, before);
    EXPECT_FALSE(ask->answered);
    EXPECT_EQ(ask->provider, "builtin");
}

TEST_F(ExplainServiceTest, AskLogsEveryQuestionInTheDetectedLanguage) {
    ExplainService svc(*store_, *sessions_, clock_);
    auto a = svc.Ask(alice_, {"s1", "Ile energii dostarczono?", std::nullopt});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->lang, Lang::kPl);
    EXPECT_TRUE(a->answered);
    EXPECT_NE(a->answer.find("Dostarczona energia: 9,74 kWh"), std::string::npos) << a->answer;
    auto b = svc.Ask(alice_, {"s1", "Ile energii dostarczono?", Lang::kEs});
    EXPECT_EQ(b->lang, Lang::kEs);
    EXPECT_FALSE(svc.Ask(bob_, {"s1", "SoC?", std::nullopt}));
    auto tx = store_->Begin(storage::TxMode::kRead);
    auto rec = tx->Sessions().Find(alice_.tenant_id, "s1");
    auto log = tx->Explanations().Questions(alice_.tenant_id, rec->pk, 10);
    tx->Commit();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[1].lang, "pl");
    EXPECT_EQ(log[1].intent, "energy");
    EXPECT_EQ(log[1].answer, a->answer);
    EXPECT_EQ(log[0].lang, "es");
}

}  // namespace
}  // namespace evni::api
