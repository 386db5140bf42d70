// Micro-benchmarks of the session analysis: full Analyze() of realistic AC sessions, and the incremental path
// the server takes when a client appends 3 meter values to a long session (restore state, check, append,
// verdict, save state).

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <span>

#include "analysis/analyzer.h"
#include "analysis/generator.h"

namespace {

using evni::analysis::AnalysisOptions;
using evni::analysis::Analyze;
using evni::analysis::IncrementalAnalyzer;
using evni::domain::EpochMs;
using evni::domain::MeterValue;
using evni::domain::MeterValues;

constexpr EpochMs kT0 = 1'772'186'400'000;  // 2026-02-27T10:00:00Z

// An 11 kW AC session sampled every 30 s: register (kWh, 1 Wh resolution), active power and offered power per
// sample, as the API delivers them (measurand and unit strings set), with a short EV pause in the middle.
MeterValues AcSession(std::size_t value_count) {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> noise(-0.02, 0.02);
    MeterValues values;
    values.reserve(value_count);
    double energy_kwh = 0.0;
    for (std::size_t sample = 0; values.size() < value_count; ++sample) {
        const EpochMs t = kT0 + static_cast<EpochMs>(sample) * 30'000;
        const bool paused = sample % 200 == 100;
        const double power_kw = paused ? 0.0 : 11.0 * (1.0 + noise(rng));
        const double reg = std::floor(energy_kwh * 1000.0) / 1000.0;
        const struct {
            const char* measurand;
            const char* unit;
            double value;
        } sampled[] = {{"Energy.Active.Import.Register", "kWh", reg},
                       {"Power.Active.Import", "kW", power_kw},
                       {"Power.Offered", "kW", 11.0}};
        for (const auto& s : sampled) {
            if (values.size() == value_count) break;
            MeterValue mv;
            mv.timestamp = t;
            mv.value = s.value;
            mv.measurand = s.measurand;
            mv.unit = s.unit;
            values.push_back(std::move(mv));
        }
        energy_kwh += power_kw * 30.0 / 3600.0;
    }
    return values;
}

void BM_AnalyzeFull(benchmark::State& state) {
    const MeterValues values = AcSession(static_cast<std::size_t>(state.range(0)));
    const AnalysisOptions options;
    for (auto _ : state) {
        auto verdict = Analyze(values, options);
        benchmark::DoNotOptimize(verdict);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AnalyzeFull)->Arg(360)->Arg(5000)->Unit(benchmark::kMicrosecond);

void BM_AppendThreeToLongSession(benchmark::State& state) {
    const std::size_t prefix = static_cast<std::size_t>(state.range(0));
    const MeterValues values = AcSession(prefix + 3);
    IncrementalAnalyzer base({});
    base.Append(std::span<const MeterValue>(values.data(), prefix));
    const std::vector<std::uint8_t> bytes = base.Serialize();
    const std::span<const MeterValue> chunk(values.data() + prefix, 3);
    for (auto _ : state) {
        auto analyzer = IncrementalAnalyzer::Deserialize(bytes, {});
        if (!analyzer || !analyzer->CanAppend(chunk)) {
            state.SkipWithError("state not appendable");
            break;
        }
        analyzer->Append(chunk);
        auto verdict = analyzer->Current();
        auto saved = analyzer->Serialize();
        benchmark::DoNotOptimize(verdict);
        benchmark::DoNotOptimize(saved);
    }
    state.counters["state_bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_AppendThreeToLongSession)->Arg(1500)->Unit(benchmark::kMicrosecond);

// The server's worst case per meter value: one value per request (restore, check, append, verdict, save).
void BM_AppendOneToLongSession(benchmark::State& state) {
    const std::size_t prefix = static_cast<std::size_t>(state.range(0));
    const MeterValues values = AcSession(prefix + 1);
    IncrementalAnalyzer base({});
    base.Append(std::span<const MeterValue>(values.data(), prefix));
    const std::vector<std::uint8_t> bytes = base.Serialize();
    const std::span<const MeterValue> chunk(values.data() + prefix, 1);
    for (auto _ : state) {
        auto analyzer = IncrementalAnalyzer::Deserialize(bytes, {});
        if (!analyzer || !analyzer->CanAppend(chunk)) {
            state.SkipWithError("state not appendable");
            break;
        }
        analyzer->Append(chunk);
        auto verdict = analyzer->Current();
        auto saved = analyzer->Serialize();
        benchmark::DoNotOptimize(verdict);
        benchmark::DoNotOptimize(saved);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendOneToLongSession)->Arg(1500)->Unit(benchmark::kMicrosecond);

// Full analysis over a mix of generated sessions (AC/DC, cadences 10 s - 15 min, every category injected,
// connector facts, clock and other sessions set): the realistic per-value cost.
void BM_AnalyzeGeneratedMix(benchmark::State& state) {
    evni::analysis::gen::Generator generator(evni::analysis::gen::BuiltinPopulation(), 11);
    std::vector<evni::analysis::gen::GeneratedSession> sessions;
    std::size_t values = 0;
    for (int i = 0; i < 40; ++i) sessions.push_back(generator.Clean());
    for (const std::string& category : evni::analysis::gen::InjectableCategories()) {
        sessions.push_back(generator.WithFault(category, 0.5));
    }
    for (const auto& session : sessions) values += session.values.size();
    for (auto _ : state) {
        for (const auto& session : sessions) {
            auto verdict = Analyze(session.values, session.options);
            benchmark::DoNotOptimize(verdict);
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values));
}
BENCHMARK(BM_AnalyzeGeneratedMix)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
