// Detectors on generated sessions (positives and hard negatives, analysis.md §2), incremental analysis
// equal to full analysis under any chunking, and robustness of the serialised state.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>
#include <utility>

#include "analysis/analyzer.h"
#include "analysis/byte_io.h"

namespace evni::analysis {
namespace {

using domain::EpochMs;
using domain::MeterValue;
using domain::MeterValues;

constexpr EpochMs kT0 = 1'772'186'400'000;  // 2026-02-27T10:00:00Z

enum class EnergyUnit { kKwh, kWh, kUnitlessWh, kUnitlessKwh };

using Span = std::pair<int, int>;  // [from, to) in seconds since the start

// A synthetic charging session: 1-second physics, meter values every cadence_s seconds.
struct SessionSpec {
    int duration_s = 3600;
    int cadence_s = 60;
    double power_kw = 11.0;
    double quantum_kwh = 0.001;  // meter resolution (1 kWh for a coarse meter)
    double baseline_kwh = 0.0;   // register at start (lifetime registers)
    EnergyUnit energy_unit = EnergyUnit::kKwh;
    bool per_phase = false;
    bool with_power = true;
    bool with_offered = false;
    bool with_soc = false;
    double soc_start = 20.0;
    double battery_kwh = 60.0;
    bool dc_taper = false;  // CC-CV: power falls linearly from 80 % SoC
    double noise = 0.02;
    std::vector<Span> pauses;                              // delivery stops, offered unchanged
    std::vector<Span> offered_off;                         // load management: offered 0
    std::vector<std::tuple<int, int, double>> offered_kw;  // load management steps
    std::vector<std::pair<int, double>> decreases;         // register falls by kWh from that second on
    int soc_drop_at_s = -1;
    double soc_drop = 0.0;
    int start_delay_s = 0;
    int idle_tail_s = 0;
};

bool Inside(const std::vector<Span>& spans, int s) {
    return std::any_of(spans.begin(), spans.end(),
                       [s](const Span& span) { return s >= span.first && s < span.second; });
}

MeterValue Mv(EpochMs t, double value, std::optional<std::string> measurand, std::optional<std::string> unit,
              std::optional<std::string> phase = std::nullopt) {
    MeterValue mv;
    mv.timestamp = t;
    mv.value = value;
    mv.measurand = std::move(measurand);
    mv.unit = std::move(unit);
    mv.phase = std::move(phase);
    return mv;
}

MeterValues Generate(const SessionSpec& spec, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> jitter(-1.0, 1.0);
    const bool wh = spec.energy_unit == EnergyUnit::kWh || spec.energy_unit == EnergyUnit::kUnitlessWh;
    const bool unitless = spec.energy_unit == EnergyUnit::kUnitlessWh || spec.energy_unit == EnergyUnit::kUnitlessKwh;
    const double scale = wh ? 1000.0 : 1.0;
    const std::optional<std::string> energy_unit =
        unitless ? std::nullopt : std::optional<std::string>(wh ? "Wh" : "kWh");
    const std::optional<std::string> power_unit = unitless ? std::nullopt : std::optional<std::string>(wh ? "W" : "kW");

    MeterValues values;
    double energy = 0.0;
    double power = 0.0;
    double offered = spec.power_kw;
    for (int s = 0; s <= spec.duration_s; ++s) {
        const double soc = spec.soc_start + 100.0 * energy / spec.battery_kwh;
        offered = spec.power_kw * 1.1;
        for (const auto& [from, to, kw] : spec.offered_kw) {
            if (s >= from && s < to) offered = kw;
        }
        if (Inside(spec.offered_off, s)) offered = 0.0;
        double target = spec.power_kw;
        if (spec.dc_taper && soc > 80.0) target = spec.power_kw * std::max(0.05, (100.0 - soc) / 20.0);
        target = std::min(target, offered);
        const bool idle =
            Inside(spec.pauses, s) || s < spec.start_delay_s || s >= spec.duration_s - spec.idle_tail_s || soc >= 100.0;
        power = idle || target <= 0.0 ? 0.0 : target * (1.0 + spec.noise * jitter(rng));
        if (s % spec.cadence_s == 0) {
            const EpochMs t = kT0 + static_cast<EpochMs>(s) * 1000;
            double reg = spec.baseline_kwh + std::floor(energy / spec.quantum_kwh + 1e-9) * spec.quantum_kwh;
            for (const auto& [at, kwh] : spec.decreases) {
                if (s >= at) reg -= kwh;
            }
            if (reg < 0.0) reg = 0.0;  // a register never goes negative
            if (spec.per_phase) {
                for (const char* phase : {"L1", "L2", "L3"}) {
                    values.push_back(Mv(t, reg / 3.0 * scale, std::nullopt, energy_unit, phase));
                }
            } else {
                values.push_back(Mv(t, reg * scale, "Energy.Active.Import.Register", energy_unit));
            }
            if (spec.with_power) values.push_back(Mv(t, power * scale, "Power.Active.Import", power_unit));
            if (spec.with_offered) values.push_back(Mv(t, offered * scale, "Power.Offered", power_unit));
            if (spec.with_soc) {
                double reported = std::round(std::min(100.0, soc));
                if (spec.soc_drop_at_s >= 0 && s >= spec.soc_drop_at_s) reported -= spec.soc_drop;
                values.push_back(Mv(t, reported, "SoC", "Percent"));
            }
        }
        energy += power / 3600.0;
    }
    return values;
}

std::vector<Anomaly> OfCategory(const Verdict& verdict, const std::string& category) {
    std::vector<Anomaly> found;
    for (const Anomaly& anomaly : verdict.anomalies) {
        if (anomaly.category == category) found.push_back(anomaly);
    }
    return found;
}

// The anomaly's time range overlaps [from_s, to_s] (with 60 s slack, as the evaluation does).
bool Overlaps(const Anomaly& anomaly, int from_s, int to_s) {
    return anomaly.start_ms <= kT0 + (to_s + 60) * 1000LL && anomaly.end_ms >= kT0 + (from_s - 60) * 1000LL;
}

void ExpectClean(const SessionSpec& spec, std::uint64_t seed = 1) {
    const Verdict verdict = Analyze(Generate(spec, seed), {});
    ASSERT_TRUE(verdict.analyzed);
    for (const Anomaly& anomaly : verdict.anomalies) {
        ADD_FAILURE() << anomaly.category << " [" << anomaly.buckets.start_unit << "," << anomaly.buckets.end_unit
                      << "] score " << anomaly.score;
    }
    EXPECT_EQ(verdict.anomaly_score, 0.0);
    EXPECT_GE(verdict.anomaly_confidence, 0.5);
    EXPECT_LE(verdict.anomaly_confidence, 0.95);
}

// ---------------------------------------------------------------- KWH_DECREASE

TEST(AnalysisKwhDecrease, FlagsADecreaseMidSession) {
    SessionSpec spec;
    spec.decreases = {{1800, 2.0}};
    const Verdict verdict = Analyze(Generate(spec, 1), {});
    const auto found = OfCategory(verdict, "KWH_DECREASE");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(Overlaps(found[0], 1800, 1800));
    EXPECT_EQ(found[0].buckets.start_unit, 1740 / 15);  // last reading before the fall
    EXPECT_EQ(found[0].buckets.end_unit, 1800 / 15);    // the reading after it
    EXPECT_GE(found[0].score, 0.5);
    EXPECT_GE(found[0].confidence, 0.8);
    EXPECT_EQ(verdict.anomaly_score, found[0].score);
}

TEST(AnalysisKwhDecrease, ScoreGrowsWithMagnitude) {
    double previous = 0.0;
    for (double kwh : {0.4, 1.0, 5.0}) {
        SessionSpec spec;
        spec.decreases = {{1800, kwh}};
        const auto found = OfCategory(Analyze(Generate(spec, 1), {}), "KWH_DECREASE");
        ASSERT_EQ(found.size(), 1u) << kwh;
        EXPECT_GT(found[0].score, previous) << kwh;
        previous = found[0].score;
    }
    EXPECT_GT(previous, 0.9);
}

TEST(AnalysisKwhDecrease, SeveralOccurrencesAreSeparate) {
    SessionSpec spec;
    spec.decreases = {{900, 1.0}, {2700, 1.5}};
    const auto found = OfCategory(Analyze(Generate(spec, 1), {}), "KWH_DECREASE");
    ASSERT_EQ(found.size(), 2u);
    EXPECT_TRUE(Overlaps(found[0], 900, 900));
    EXPECT_TRUE(Overlaps(found[1], 2700, 2700));
    EXPECT_LT(found[0].buckets.end_unit, found[1].buckets.start_unit);
}

TEST(AnalysisKwhDecrease, TinyDecreaseWithinResolutionIsNotFlagged) {
    SessionSpec spec;
    spec.decreases = {{1800, 0.001}};  // 1 Wh: one count of the meter
    ExpectClean(spec);
    spec.decreases = {{3000, 0.009}};  // < 0.1 % of ~9 kWh delivered
    ExpectClean(spec);
}

TEST(AnalysisKwhDecrease, DropToZeroIsAResetNotADecrease) {
    SessionSpec spec;
    spec.decreases = {{1800, 5.5}};  // the register was 5.5 kWh at 30 min: back to ~0, then climbs
    spec.noise = 0.0;
    spec.power_kw = 11.0;
    const Verdict verdict = Analyze(Generate(spec, 1), {});
    EXPECT_TRUE(OfCategory(verdict, "KWH_DECREASE").empty());
}

TEST(AnalysisKwhDecrease, MixedRegisterBasesAreADecrease) {
    // A lifetime register that suddenly reports session energy: far from ~0 in absolute terms.
    SessionSpec spec;
    spec.baseline_kwh = 4076.0;
    spec.decreases = {{1800, 4000.0}};
    const auto found = OfCategory(Analyze(Generate(spec, 1), {}), "KWH_DECREASE");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_GT(found[0].score, 0.95);
}

// ---------------------------------------------------------------- ENERGY_PIT

TEST(AnalysisEnergyPit, PowerDropsToZeroForTenMinutes) {
    SessionSpec spec;
    spec.pauses = {{1200, 1800}};
    spec.with_offered = true;
    const Verdict verdict = Analyze(Generate(spec, 2), {});
    const auto found = OfCategory(verdict, "ENERGY_PIT");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(Overlaps(found[0], 1200, 1800));
    EXPECT_GE(found[0].score, 0.5);
    EXPECT_GE(found[0].confidence, 0.8);
    EXPECT_EQ(verdict.anomalies.size(), 1u);
}

TEST(AnalysisEnergyPit, RegisterPlateauWithoutPower) {
    SessionSpec spec;
    spec.with_power = false;
    spec.pauses = {{1200, 2100}};
    const auto found = OfCategory(Analyze(Generate(spec, 3), {}), "ENERGY_PIT");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(Overlaps(found[0], 1200, 2100));
}

TEST(AnalysisEnergyPit, SparseCadence) {
    SessionSpec spec;
    spec.cadence_s = 900;
    spec.duration_s = 4 * 3600;
    spec.power_kw = 7.0;
    spec.with_power = false;
    spec.pauses = {{3600, 5400}};
    const auto found = OfCategory(Analyze(Generate(spec, 3), {}), "ENERGY_PIT");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(Overlaps(found[0], 3600, 5400));
}

TEST(AnalysisEnergyPit, TwoPitsAreSeparateAndSorted) {
    SessionSpec spec;
    spec.duration_s = 7200;
    spec.pauses = {{1200, 1800}, {4000, 4600}};
    const auto found = OfCategory(Analyze(Generate(spec, 4), {}), "ENERGY_PIT");
    ASSERT_EQ(found.size(), 2u);
    EXPECT_TRUE(Overlaps(found[0], 1200, 1800));
    EXPECT_TRUE(Overlaps(found[1], 4000, 4600));
}

TEST(AnalysisEnergyPit, PerSecondCounterPit) {
    SessionSpec spec;
    spec.cadence_s = 1;
    spec.duration_s = 1800;
    spec.pauses = {{600, 900}};
    const auto found = OfCategory(Analyze(Generate(spec, 5), {}), "ENERGY_PIT");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(Overlaps(found[0], 600, 900));
}

// ---------------------------------------------------------------- hard negatives

TEST(AnalysisHardNegatives, CleanAcSession) { ExpectClean(SessionSpec{}); }

TEST(AnalysisHardNegatives, EvPauseShorterThanThreeMinutes) {
    SessionSpec spec;
    spec.pauses = {{1200, 1350}};  // 2.5 min
    ExpectClean(spec);
    spec.cadence_s = 1;
    spec.pauses = {{1200, 1370}};
    ExpectClean(spec);
    spec.cadence_s = 10;
    spec.with_power = false;
    ExpectClean(spec);
}

TEST(AnalysisHardNegatives, LoadManagementPause) {
    SessionSpec spec;
    spec.with_offered = true;
    spec.offered_off = {{1200, 2400}};
    ExpectClean(spec);
}

TEST(AnalysisHardNegatives, LoadManagementSteps) {
    SessionSpec spec;
    spec.power_kw = 22.0;
    spec.with_offered = true;
    spec.offered_kw = {{900, 1800, 11.0}, {1800, 2400, 4.2}, {2400, 3000, 7.0}};
    ExpectClean(spec);
}

TEST(AnalysisHardNegatives, DcTaper) {
    SessionSpec spec;
    spec.power_kw = 150.0;
    spec.battery_kwh = 77.0;
    spec.soc_start = 15.0;
    spec.dc_taper = true;
    spec.with_soc = true;
    spec.cadence_s = 10;
    spec.duration_s = 2700;
    ExpectClean(spec);
}

TEST(AnalysisHardNegatives, CoarseMeterPlateaus) {
    SessionSpec spec;
    spec.power_kw = 7.0;
    spec.quantum_kwh = 1.0;  // flat ~8.5 min between steps
    spec.duration_s = 3 * 3600;
    spec.with_power = false;
    ExpectClean(spec);
    spec.with_power = true;
    ExpectClean(spec);
    spec.cadence_s = 1;
    spec.with_power = false;
    ExpectClean(spec);
    spec.quantum_kwh = 0.1;
    spec.power_kw = 3.7;
    spec.cadence_s = 30;
    ExpectClean(spec);
}

TEST(AnalysisHardNegatives, LifetimeRegisterAsFirstReading) {
    SessionSpec spec;
    spec.baseline_kwh = 123456.7;
    ExpectClean(spec);
    spec.energy_unit = EnergyUnit::kUnitlessWh;
    ExpectClean(spec);
    spec.per_phase = true;
    ExpectClean(spec);
}

TEST(AnalysisHardNegatives, IdleTailAndLateStart) {
    SessionSpec spec;
    spec.start_delay_s = 600;
    spec.idle_tail_s = 1200;
    spec.with_soc = true;
    ExpectClean(spec);
    spec.with_power = false;
    ExpectClean(spec);
}

TEST(AnalysisHardNegatives, UnitVariantsAndPhases) {
    for (EnergyUnit unit : {EnergyUnit::kKwh, EnergyUnit::kWh, EnergyUnit::kUnitlessWh, EnergyUnit::kUnitlessKwh}) {
        for (bool per_phase : {false, true}) {
            SessionSpec spec;
            spec.energy_unit = unit;
            spec.per_phase = per_phase;
            spec.with_soc = true;
            ExpectClean(spec);
        }
    }
}

// ---------------------------------------------------------------- SOC_DECREASE

TEST(AnalysisSocDecrease, FallWhileImporting) {
    SessionSpec spec;
    spec.with_soc = true;
    spec.soc_drop_at_s = 1800;
    spec.soc_drop = 10.0;
    const auto found = OfCategory(Analyze(Generate(spec, 6), {}), "SOC_DECREASE");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(Overlaps(found[0], 1740, 1800));
    EXPECT_GE(found[0].score, 0.5);
}

TEST(AnalysisSocDecrease, OnePointJitterIsNotFlagged) {
    MeterValues values;
    const int socs[] = {40, 41, 42, 41, 42, 43, 43, 42, 44, 45};
    for (int i = 0; i < 10; ++i) {
        const EpochMs t = kT0 + i * 60'000LL;
        values.push_back(Mv(t, i * 0.18, "Energy.Active.Import.Register", "kWh"));
        values.push_back(Mv(t, 11.0, "Power.Active.Import", "kW"));
        values.push_back(Mv(t, socs[i], "SoC", "Percent"));
    }
    const Verdict verdict = Analyze(values, {});
    ASSERT_TRUE(verdict.analyzed);
    EXPECT_TRUE(verdict.anomalies.empty());
}

TEST(AnalysisSocDecrease, FallWithoutImportIsNotFlagged) {
    MeterValues values;
    for (int i = 0; i < 10; ++i) {
        const EpochMs t = kT0 + i * 60'000LL;
        values.push_back(Mv(t, 12.0, "Energy.Active.Import.Register", "kWh"));
        values.push_back(Mv(t, 0.0, "Power.Active.Import", "kW"));
        values.push_back(Mv(t, 60.0 - i, "SoC", "Percent"));
    }
    const Verdict verdict = Analyze(values, {});
    ASSERT_TRUE(verdict.analyzed);
    EXPECT_TRUE(verdict.anomalies.empty());
}

// ---------------------------------------------------------------- verdict

TEST(AnalysisVerdict, HighestScoreDrivesTheVerdictAndOrderIsByStart) {
    SessionSpec spec;
    spec.duration_s = 7200;
    spec.with_soc = true;
    spec.pauses = {{4000, 4600}};
    spec.decreases = {{1200, 2.0}};
    spec.soc_drop_at_s = 6000;
    spec.soc_drop = 5.0;
    const Verdict verdict = Analyze(Generate(spec, 8), {});
    ASSERT_EQ(verdict.anomalies.size(), 3u);
    EXPECT_EQ(verdict.anomalies[0].category, "KWH_DECREASE");
    EXPECT_EQ(verdict.anomalies[1].category, "ENERGY_PIT");
    EXPECT_EQ(verdict.anomalies[2].category, "SOC_DECREASE");
    double best = 0.0;
    double confidence = 0.0;
    for (const Anomaly& anomaly : verdict.anomalies) {
        EXPECT_GE(anomaly.score, 0.0);
        EXPECT_LE(anomaly.score, 1.0);
        EXPECT_GE(anomaly.confidence, 0.0);
        EXPECT_LE(anomaly.confidence, 1.0);
        EXPECT_LE(anomaly.buckets.start_unit, anomaly.buckets.end_unit);
        EXPECT_EQ(anomaly.start_ms, kT0 + 15'000 * anomaly.buckets.start_unit);
        EXPECT_EQ(anomaly.end_ms, kT0 + 15'000 * (anomaly.buckets.end_unit + 1));
        if (anomaly.score > best) {
            best = anomaly.score;
            confidence = anomaly.confidence;
        }
    }
    EXPECT_EQ(verdict.anomaly_score, best);
    EXPECT_EQ(verdict.anomaly_confidence, confidence);
    EXPECT_EQ(Analyze(Generate(spec, 8), {}), verdict);  // deterministic
}

TEST(AnalysisVerdict, NormalConfidenceGrowsWithDensity) {
    SessionSpec sparse;
    sparse.cadence_s = 900;
    SessionSpec dense;
    dense.cadence_s = 10;
    const Verdict a = Analyze(Generate(sparse, 1), {});
    const Verdict b = Analyze(Generate(dense, 1), {});
    ASSERT_TRUE(a.anomalies.empty());
    ASSERT_TRUE(b.anomalies.empty());
    EXPECT_LT(a.anomaly_confidence, b.anomaly_confidence);
    EXPECT_GE(a.anomaly_confidence, 0.5);
    EXPECT_LE(b.anomaly_confidence, 0.95);
}

// ---------------------------------------------------------------- incremental == full

SessionSpec RandomSpec(std::mt19937_64& rng) {
    auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
    SessionSpec spec;
    const int cadences[] = {1, 10, 15, 30, 60, 300, 900};
    spec.cadence_s = cadences[pick(7)];
    spec.duration_s = std::min(spec.cadence_s * (20 + pick(180)), 6 * 3600);
    const double powers[] = {3.7, 7.4, 11.0, 22.0, 50.0, 150.0};
    spec.power_kw = powers[pick(6)];
    const double quanta[] = {0.001, 0.001, 0.01, 0.1, 1.0};
    spec.quantum_kwh = quanta[pick(5)];
    spec.baseline_kwh = pick(3) == 0 ? 12345.6 : 0.0;
    spec.energy_unit = static_cast<EnergyUnit>(pick(4));
    spec.per_phase = pick(4) == 0;
    spec.with_power = pick(4) != 0;
    spec.with_offered = pick(2) == 0;
    spec.with_soc = pick(2) == 0;
    spec.dc_taper = spec.power_kw >= 50.0;
    if (spec.dc_taper) {
        spec.battery_kwh = 100.0;
        spec.soc_start = 10.0;
    }
    // Not full before the end: at most 70 % of the battery.
    const double max_hours = 0.7 * spec.battery_kwh / spec.power_kw;
    spec.duration_s = std::max(spec.cadence_s * 10, std::min(spec.duration_s, static_cast<int>(max_hours * 3600.0)));
    const int d = spec.duration_s;
    const int pause = std::max(240, d / 8);
    if (pick(3) == 0 && d / 3 + pause + 2 * spec.cadence_s + 120 < d) spec.pauses.push_back({d / 3, d / 3 + pause});
    if (pick(4) == 0) {
        spec.offered_off.push_back({d / 2, d / 2 + d / 10});
        spec.with_offered = true;  // load management is visible in Power.Offered
    }
    if (pick(3) == 0) spec.decreases.push_back({2 * d / 3, 0.5 + pick(5)});
    if (spec.with_soc && pick(3) == 0) {
        spec.soc_drop_at_s = d / 4;
        spec.soc_drop = 3 + pick(10);
    }
    if (pick(4) == 0) spec.idle_tail_s = d / 5;
    return spec;
}

// Duplicates (exact and conflicting) as an offline queue would resend them.
MeterValues WithDuplicates(MeterValues values, std::mt19937_64& rng) {
    MeterValues out;
    for (const MeterValue& value : values) {
        out.push_back(value);
        if (rng() % 40 == 0) out.push_back(value);
        if (rng() % 200 == 0) {
            MeterValue conflicting = value;
            conflicting.value += 1.0;
            out.push_back(conflicting);
        }
    }
    return out;
}

TEST(AnalysisIncremental, AnyChunkingEqualsFullAnalysis) {
    std::mt19937_64 rng(20260227);
    int fallbacks = 0;
    int appends = 0;
    int anomalous_sessions = 0;
    for (int session = 0; session < 120; ++session) {
        const SessionSpec spec = RandomSpec(rng);
        const MeterValues values = WithDuplicates(Generate(spec, rng()), rng);
        const Verdict full = Analyze(values, {});
        if (!full.anomalies.empty()) ++anomalous_sessions;
        for (int trial = 0; trial < 2; ++trial) {
            std::vector<std::uint8_t> bytes = IncrementalAnalyzer({}).Serialize();
            std::size_t position = 0;
            const std::size_t max_chunk = trial == 0 ? 4 : std::max<std::size_t>(1, values.size() / 4);
            while (position < values.size()) {
                const std::size_t size = std::min(values.size() - position, 1 + rng() % max_chunk);
                const std::span<const MeterValue> chunk(values.data() + position, size);
                std::optional<IncrementalAnalyzer> analyzer = IncrementalAnalyzer::Deserialize(bytes, {});
                ASSERT_TRUE(analyzer.has_value());
                ++appends;
                if (analyzer->CanAppend(chunk)) {
                    analyzer->Append(chunk);
                } else {
                    ++fallbacks;  // the caller re-runs the full analysis and rebuilds the state
                    analyzer.emplace(AnalysisOptions{});
                    analyzer->Append(std::span<const MeterValue>(values.data(), position + size));
                }
                position += size;
                if (rng() % 8 == 0 || position == values.size()) {
                    const std::span<const MeterValue> prefix(values.data(), position);
                    ASSERT_EQ(analyzer->Current(), Analyze(prefix, {})) << "session " << session << " at " << position;
                }
                bytes = analyzer->Serialize();
            }
        }
    }
    EXPECT_GT(anomalous_sessions, 20);
    EXPECT_LT(fallbacks * 50, appends);  // full re-analysis stays rare
}

TEST(AnalysisIncremental, SameTimestampSplitAcrossChunks) {
    SessionSpec spec;
    spec.per_phase = true;
    spec.with_soc = true;
    spec.decreases = {{1800, 1.0}};
    spec.soc_drop_at_s = 2400;
    spec.soc_drop = 6;
    const MeterValues values = Generate(spec, 9);
    IncrementalAnalyzer analyzer({});
    for (const MeterValue& value : values) {  // one value at a time: every sample is split
        const std::span<const MeterValue> one(&value, 1);
        ASSERT_TRUE(analyzer.CanAppend(one));
        analyzer.Append(one);
        analyzer = *IncrementalAnalyzer::Deserialize(analyzer.Serialize(), {});
    }
    const Verdict full = Analyze(values, {});
    EXPECT_EQ(full.anomalies.size(), 2u);
    EXPECT_EQ(analyzer.Current(), full);
}

TEST(AnalysisIncremental, RefusesEarlierValues) {
    const MeterValues values = Generate(SessionSpec{}, 1);
    IncrementalAnalyzer analyzer({});
    analyzer.Append(std::span<const MeterValue>(values.data(), 30));
    const MeterValue earlier = values[10];
    EXPECT_FALSE(analyzer.CanAppend(std::span<const MeterValue>(&earlier, 1)));
    EXPECT_TRUE(analyzer.CanAppend(std::span<const MeterValue>(values.data() + 29, 5)));  // same time as last: fine
    EXPECT_TRUE(analyzer.CanAppend({}));
    // Out of order inside the chunk.
    MeterValues swapped = {values[40], values[35]};
    EXPECT_FALSE(analyzer.CanAppend(swapped));
    // Appending anyway never crashes; earlier values are dropped.
    analyzer.Append(std::span<const MeterValue>(&earlier, 1));
    EXPECT_TRUE(analyzer.Current().analyzed);
}

TEST(AnalysisIncremental, RefusesWhenTheUnitDecisionWouldChange) {
    // Unit-less kWh register: within the first minute there is no evidence (OCPP default Wh); once a window of
    // 60 s shows 11 kW as kWh (11 W as Wh), the decision becomes kWh and earlier values must be re-read.
    SessionSpec spec;
    spec.energy_unit = EnergyUnit::kUnitlessKwh;
    spec.cadence_s = 10;
    spec.with_power = false;
    const MeterValues values = Generate(spec, 1);
    IncrementalAnalyzer analyzer({});
    analyzer.Append(std::span<const MeterValue>(values.data(), 3));  // 0..20 s
    const std::span<const MeterValue> next(values.data() + 3, 6);    // 30..80 s
    EXPECT_FALSE(analyzer.CanAppend(next));
    IncrementalAnalyzer rebuilt({});
    rebuilt.Append(std::span<const MeterValue>(values.data(), 9));
    EXPECT_TRUE(rebuilt.CanAppend(std::span<const MeterValue>(values.data() + 9, 20)));
}

TEST(AnalysisIncremental, StateStaysSmall) {
    SessionSpec spec;
    spec.cadence_s = 1;
    spec.duration_s = 3000;
    spec.with_soc = true;
    const MeterValues values = Generate(spec, 1);
    IncrementalAnalyzer analyzer({});
    std::size_t size_early = 0;
    for (std::size_t i = 0; i < values.size(); i += 3) {
        analyzer.Append(std::span<const MeterValue>(values.data() + i, std::min<std::size_t>(3, values.size() - i)));
        if (i == 300) size_early = analyzer.Serialize().size();
    }
    const std::size_t size_late = analyzer.Serialize().size();
    EXPECT_LT(size_late, 4096u);
    EXPECT_LE(size_late, size_early + 64);
}

TEST(AnalysisIncremental, CopiesDoNotShareChanges) {
    const MeterValues values = Generate(SessionSpec{}, 1);
    IncrementalAnalyzer a({});
    a.Append(std::span<const MeterValue>(values.data(), 10));
    IncrementalAnalyzer b = a;
    b.Append(std::span<const MeterValue>(values.data() + 10, values.size() - 10));
    EXPECT_EQ(a.Current(), Analyze(std::span<const MeterValue>(values.data(), 10), {}));
    EXPECT_EQ(b.Current(), Analyze(values, {}));
}

TEST(AnalysisIncremental, EmptyAnalyzer) {
    IncrementalAnalyzer analyzer({});
    const Verdict verdict = analyzer.Current();
    EXPECT_FALSE(verdict.analyzed);
    EXPECT_EQ(verdict, Analyze({}, {}));
    EXPECT_TRUE(IncrementalAnalyzer::Deserialize(analyzer.Serialize(), {}).has_value());
}

// ---------------------------------------------------------------- serialised state robustness

std::vector<std::uint8_t> SampleState() {
    SessionSpec spec;
    spec.with_soc = true;
    spec.with_offered = true;
    spec.pauses = {{600, 1200}};
    spec.decreases = {{2000, 1.0}};
    const MeterValues values = Generate(spec, 3);
    IncrementalAnalyzer analyzer({});
    analyzer.Append(std::span<const MeterValue>(values.data(), values.size() - 2));
    return analyzer.Serialize();
}

TEST(AnalysisSerialization, RoundTrip) {
    const std::vector<std::uint8_t> bytes = SampleState();
    const auto restored = IncrementalAnalyzer::Deserialize(bytes, {});
    ASSERT_TRUE(restored.has_value());
    EXPECT_EQ(restored->Serialize(), bytes);
}

TEST(AnalysisSerialization, TruncatedStateIsRejected) {
    const std::vector<std::uint8_t> bytes = SampleState();
    for (std::size_t length = 0; length < bytes.size(); ++length) {
        EXPECT_FALSE(IncrementalAnalyzer::Deserialize(std::span(bytes.data(), length), {}).has_value()) << length;
    }
    std::vector<std::uint8_t> longer = bytes;
    longer.push_back(0);
    EXPECT_FALSE(IncrementalAnalyzer::Deserialize(longer, {}).has_value());
}

TEST(AnalysisSerialization, RandomBytesAreRejected) {
    std::mt19937_64 rng(99);
    for (int i = 0; i < 20'000; ++i) {
        std::vector<std::uint8_t> bytes(rng() % 600);
        for (auto& byte : bytes) byte = static_cast<std::uint8_t>(rng());
        if (i % 2 == 0 && bytes.size() >= 8) {
            bytes[0] = 'E';
            bytes[1] = 'V';
            bytes[2] = 'A';
            bytes[3] = 'S';
            bytes[4] = 1;
            bytes[5] = bytes[6] = bytes[7] = 0;
        }
        EXPECT_FALSE(IncrementalAnalyzer::Deserialize(bytes, {}).has_value());
    }
}

// Corruptions that pass the checksum (an attacker or a bug re-signing the state) must still be safe: either
// rejected, or a state that can be used without crashing.
TEST(AnalysisSerialization, CorruptedStateWithValidChecksumIsSafe) {
    const std::vector<std::uint8_t> bytes = SampleState();
    const auto resign = [](std::vector<std::uint8_t>& state) {
        const std::uint64_t hash = StateChecksum(std::span(state.data(), state.size() - 8));
        for (int b = 0; b < 8; ++b) state[state.size() - 8 + b] = static_cast<std::uint8_t>(hash >> (8 * b));
    };
    std::mt19937_64 rng(5);
    const MeterValues more = Generate(SessionSpec{}, 4);
    int accepted = 0;
    for (int i = 0; i < 3000; ++i) {
        std::vector<std::uint8_t> corrupt = bytes;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) {
            corrupt[8 + rng() % (corrupt.size() - 16)] = static_cast<std::uint8_t>(rng());
        }
        resign(corrupt);
        auto analyzer = IncrementalAnalyzer::Deserialize(corrupt, {});
        if (!analyzer) continue;
        ++accepted;
        const Verdict verdict = analyzer->Current();
        EXPECT_GE(verdict.anomaly_score, 0.0);
        EXPECT_LE(verdict.anomaly_score, 1.0);
        const std::span<const MeterValue> tail(more.data() + more.size() - 6, 6);
        if (analyzer->CanAppend(tail)) analyzer->Append(tail);
        (void)analyzer->Current();
    }
    EXPECT_GT(accepted, 0);
    // The unmodified state re-signed is still accepted.
    std::vector<std::uint8_t> same = bytes;
    resign(same);
    EXPECT_EQ(same, bytes);
}

}  // namespace
}  // namespace evni::analysis
