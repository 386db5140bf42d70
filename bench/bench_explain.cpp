// Throughput of the built-in explainer and of ask (docs/explain.md): facts building, explanations in
// every language and style, and answers to questions in six languages, on sessions analysed by the
// engine. No database and no network: this is the CPU cost on top of the session read.
//
//   build/release/bench/evni_bench_explain [sessions=200] [seconds=2]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "analysis/analyzer.h"
#include "api/explain_facts.h"
#include "api/explain_text.h"
#include "storage/store.h"

namespace {

using namespace evni;
using Clock = std::chrono::steady_clock;

constexpr domain::EpochMs kT0 = 1772186400000LL;  // 2026-02-27T10:00:00Z

// A 7.4 kW AC session at 1-minute cadence; every third one has a register drop, every fifth a pit.
domain::MeterValues Session(int i) {
    domain::MeterValues v;
    double kwh = 100.0 + i;
    for (int m = 0; m <= 90; ++m) {
        const domain::EpochMs t = kT0 + m * 60'000LL;
        const bool pit = i % 5 == 0 && m > 30 && m < 50;
        if (m > 0 && !pit) kwh += 7.4 / 60;
        double reading = kwh;
        if (i % 3 == 0 && m >= 45) reading -= 2.5;
        v.push_back({t, reading, "Energy.Active.Import.Register", "kWh", std::nullopt, std::nullopt, false});
        v.push_back({t, pit ? 0.0 : 7.4, "Power.Active.Import", "kW", std::nullopt, std::nullopt, false});
        v.push_back({t, 7.4, "Power.Offered", "kW", std::nullopt, std::nullopt, false});
        v.push_back({t, 20 + m * 0.2, "SoC", "Percent", std::nullopt, std::nullopt, false});
    }
    return v;
}

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

}  // namespace

int main(int argc, char** argv) {
    const int sessions = argc > 1 ? std::atoi(argv[1]) : 200;
    const double budget = argc > 2 ? std::atof(argv[2]) : 2.0;

    std::vector<storage::SessionRecord> records(sessions);
    std::vector<domain::MeterValues> values(sessions);
    analysis::SocReconstruction no_soc;
    for (int i = 0; i < sessions; ++i) {
        values[i] = Session(i);
        const auto verdict = analysis::Analyze(values[i], {});
        auto& r = records[i];
        r.pk = i + 1;
        r.tenant_id = "t";
        r.session_id = "sess-" + std::to_string(i);
        r.station_id = "CP-" + std::to_string(i % 20);
        r.connector_id = "1";
        r.created_at = r.updated_at = kT0;
        r.started_at = kT0;
        r.ended_at = kT0 + 90 * 60'000LL;
        r.value_count = static_cast<std::int64_t>(values[i].size());
        r.analyzed_at = kT0 + 91 * 60'000LL;
        r.analysis_version = 1;
        r.anomaly_score = verdict.anomaly_score;
        r.anomaly_confidence = verdict.anomaly_confidence;
        r.is_anomaly = verdict.anomaly_score >= 0.5;
        r.is_incident = false;
        r.is_recurring = false;
        r.anomalies = verdict.anomalies;
        r.metadata_json = R"({"maxPowerKw":11,"currentType":"AC","phases":3,"tariffPerKwh":0.39,"currency":"EUR"})";
    }
    const auto facts_of = [&](int i) {
        api::explain::FactsInput in;
        in.record = &records[i];
        in.values = &values[i];
        in.soc = &no_soc;
        in.connector_sessions = i % 7;
        in.status = "active";
        return api::explain::BuildFacts(in);
    };

    // Facts alone.
    std::size_t n = 0;
    std::size_t sink = 0;  // keeps the work observable
    auto start = Clock::now();
    while (Seconds(start) < budget) {
        sink += facts_of(static_cast<int>(n % sessions)).anomalies.size();
        ++n;
    }
    std::printf("facts built:            %10.0f /s (%d-value sessions)\n", n / Seconds(start),
                static_cast<int>(values[0].size()));

    std::vector<api::explain::SessionFacts> facts;
    for (int i = 0; i < sessions; ++i) facts.push_back(facts_of(i));
    std::size_t anomalous = 0;
    for (const auto& f : facts) anomalous += !f.anomalies.empty();

    // Explanations: every language and style in turn.
    for (const auto style :
         {api::explain::Style::kShort, api::explain::Style::kDetailed, api::explain::Style::kTechnical}) {
        n = 0;
        std::size_t bytes = 0;
        start = Clock::now();
        while (Seconds(start) < budget) {
            const auto lang = static_cast<api::explain::Lang>(n % 6);
            bytes += api::explain::BuiltinExplanation(facts[n % facts.size()], lang, style).size();
            ++n;
        }
        std::printf("explanations (%-9s): %10.0f /s (mean %zu bytes)\n",
                    std::string(api::explain::StyleName(style)).c_str(), n / Seconds(start), bytes / n);
    }

    // Ask: detection, intents and the answer.
    const std::vector<std::string> questions = {"Why did the SoC drop unexpectedly?",
                                                "Ile energii dostarczono w tej sesji?",
                                                "Warum ist die Sitzung auffällig?",
                                                "Hoe lang duurde de sessie?",
                                                "Combien coûte cette session ?",
                                                "¿Ha ocurrido antes en este conector?",
                                                "What is the weather in Amsterdam tomorrow?",
                                                "What was the peak power?"};
    n = 0;
    start = Clock::now();
    while (Seconds(start) < budget) {
        const auto& q = questions[n % questions.size()];
        const auto lang = api::explain::DetectLanguage(q);
        n += api::explain::AnswerQuestion(facts[n % facts.size()], q, lang).text.empty() ? 0 : 1;
    }
    std::printf("ask answers:            %10.0f /s (language detected per question)\n", n / Seconds(start));
    std::printf("sessions: %d, with anomalies: %zu; anomalies seen while building facts: %zu\n", sessions, anomalous,
                sink);
    return 0;
}
