// SoC-based categories on the SoC reconstruction (issue #4, requirement 2; SocAnchorCheck in detectors.h): a session
// with a single SoC reading gets a SOC_JUMP when no plausible battery keeps the reconstructed curve within 0..100 %,
// with a lower confidence than the same finding on measured SoC; sessions with a measured SoC series (>= 2 readings)
// and sessions without any reading are judged as before; never a SOC_DECREASE.

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analyzer.h"
#include "analysis/detectors.h"
#include "analysis/sorc.h"

namespace evni::analysis {
namespace {

using domain::EpochMs;
using domain::MeterValue;
using domain::MeterValues;

constexpr EpochMs kT0 = 1'772'186'400'000;  // 2026-02-27T10:00:00Z
constexpr EpochMs kMin = 60'000;

MeterValue Mv(EpochMs t, double value, const char* measurand, const char* unit) {
    MeterValue mv;
    mv.timestamp = t;
    mv.value = value;
    mv.measurand = measurand;
    mv.unit = unit;
    return mv;
}

// A DC session at `kw` for `minutes` (one energy and power reading a minute, from a lifetime register), with SoC
// readings at the given minutes.
MeterValues Dc(double kw, int minutes, const std::vector<std::pair<int, double>>& soc) {
    MeterValues values;
    for (int m = 0; m <= minutes; ++m) {
        const EpochMs t = kT0 + m * kMin;
        values.push_back(
            Mv(t, 1000.0 + std::round(kw * m / 60.0 * 1000.0) / 1000.0, "Energy.Active.Import.Register", "kWh"));
        values.push_back(Mv(t, kw, "Power.Active.Import", "kW"));
        for (const auto& [at, percent] : soc) {
            if (at == m) values.push_back(Mv(t, percent, "SoC", "Percent"));
        }
    }
    return values;
}

AnalysisOptions DcOptions() {
    AnalysisOptions options;
    options.connector.current_type = "DC";
    return options;
}

std::vector<Anomaly> Of(const Verdict& verdict, const std::string& category) {
    std::vector<Anomaly> found;
    for (const Anomaly& a : verdict.anomalies) {
        if (a.category == category) found.push_back(a);
    }
    return found;
}

// The confidence of a measured SOC_JUMP (between two readings) of the same magnitude.
double MeasuredConfidence(double magnitude) {
    AnomalyRecord record;
    record.category = Category::kSocJump;
    record.start_ms = kT0;
    record.end_ms = kT0 + kMin;
    record.magnitude = magnitude;
    return ScoreAnomaly(record, SessionContext{kT0, 60 * kMin, 50.0, 60, true}).confidence;
}

TEST(SocOverlay, FullAtTheStartThenMuchEnergyIsASocJumpWithReducedConfidence) {
    // 100 % reported at the start (a placeholder, or a stale value), then 75 kWh at 50 kW: no plausible battery of a
    // 50 kW car (<= 172 kWh effective) takes that beyond full.
    const Verdict verdict = Analyze(Dc(50.0, 90, {{0, 100.0}}), DcOptions());
    ASSERT_TRUE(verdict.analyzed);
    const auto found = Of(verdict, "SOC_JUMP");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(verdict.anomalies.size(), 1u);
    EXPECT_EQ(found[0].start_ms, kT0);            // from the reading ...
    EXPECT_GE(found[0].end_ms, kT0 + 90 * kMin);  // ... to the end of delivery
    EXPECT_GE(found[0].score, 0.9);               // ~40 points beyond full
    EXPECT_NEAR(found[0].confidence, 0.85 * kReconstructedConfidenceFactor, 1e-9);
    EXPECT_LT(found[0].confidence, MeasuredConfidence(40.0));
    EXPECT_LT(verdict.anomaly_confidence, 0.8);  // never an incident on a reconstruction alone
    EXPECT_TRUE(Of(verdict, "SOC_DECREASE").empty());
}

TEST(SocOverlay, LowReadingAfterMuchEnergyIsJudgedOnTheEnergyBefore) {
    // 5 % reported at the end of a 75 kWh session: the start would have to be far below 0 %.
    const Verdict verdict = Analyze(Dc(50.0, 90, {{90, 5.0}}), DcOptions());
    const auto found = Of(verdict, "SOC_JUMP");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].start_ms, kT0);
    EXPECT_GE(found[0].end_ms, kT0 + 90 * kMin);
    EXPECT_LT(found[0].confidence, MeasuredConfidence(3.0));  // the lowest a measured SOC_JUMP gets
}

TEST(SocOverlay, ConsistentSingleReadingsStayQuiet) {
    // 30 % at the start, 40 kWh: an ordinary fast charge.
    EXPECT_TRUE(Analyze(Dc(50.0, 48, {{0, 30.0}}), DcOptions()).anomalies.empty());
    // 80 % at the end of the same session.
    EXPECT_TRUE(Analyze(Dc(50.0, 48, {{48, 80.0}}), DcOptions()).anomalies.empty());
    // 96 % at the start and 4 kWh more (a top-up; the displayed SoC of full cars is not linear near 100 %).
    EXPECT_TRUE(Analyze(Dc(50.0, 5, {{0, 96.0}}), DcOptions()).anomalies.empty());
    // 100 % at the start with a large battery's balancing energy: 3 kWh.
    EXPECT_TRUE(Analyze(Dc(36.0, 5, {{0, 100.0}}), DcOptions()).anomalies.empty());
}

TEST(SocOverlay, NoReadingGivesNoSocFinding) {
    // The reconstruction of a session without SoC has no anchor: nothing SoC-based is judged on it, whatever the
    // energy (a 200 kWh session of a 50 kW car: a bus, or a lifetime register; other detectors' business).
    const Verdict verdict = Analyze(Dc(50.0, 240, {}), DcOptions());
    EXPECT_TRUE(Of(verdict, "SOC_JUMP").empty());
    EXPECT_TRUE(Of(verdict, "SOC_DECREASE").empty());
}

TEST(SocOverlay, SessionsWithMeasuredSocAreJudgedOnTheirSeriesOnly) {
    // Two readings form a measured series: 100 % flat while 75 kWh flow is not a SOC_JUMP of the measured detector
    // (its bound is a battery under 10 kWh), and the overlay check stays out of it.
    const Verdict two = Analyze(Dc(50.0, 90, {{0, 100.0}, {90, 100.0}}), DcOptions());
    EXPECT_TRUE(Of(two, "SOC_JUMP").empty());
    // A measured jump keeps its measured confidence (no reconstruction factor).
    MeterValues values = Dc(11.0, 60, {});
    for (int m = 0; m <= 60; ++m) {
        const double soc = std::round(30.0 + 11.0 * m / 60.0 / 0.6) + (m >= 30 ? 15.0 : 0.0);
        values.push_back(Mv(kT0 + m * kMin, soc, "SoC", "Percent"));
    }
    const auto jump = Of(Analyze(values, {}), "SOC_JUMP");
    ASSERT_EQ(jump.size(), 1u);
    EXPECT_GE(jump[0].confidence, 0.75);
}

TEST(SocOverlay, FindingAppearsOnceTheEnergyExceedsTheBoundAndIncrementalEqualsFull) {
    const MeterValues values = Dc(50.0, 90, {{0, 100.0}});
    // After 5 minutes (4 kWh) the reading is still plausible (a big battery's top-up).
    const MeterValues early(values.begin(), values.begin() + 2 * 6 + 1);
    EXPECT_TRUE(Of(Analyze(early, DcOptions()), "SOC_JUMP").empty());
    for (const std::size_t chunk : {1u, 7u, 50u}) {
        IncrementalAnalyzer analyzer(DcOptions());
        for (std::size_t i = 0; i < values.size(); i += chunk) {
            const std::span<const MeterValue> part(values.data() + i, std::min(chunk, values.size() - i));
            ASSERT_TRUE(analyzer.CanAppend(part));
            analyzer.Append(part);
            auto restored = IncrementalAnalyzer::Deserialize(analyzer.Serialize(), DcOptions());
            ASSERT_TRUE(restored.has_value());
            analyzer = std::move(*restored);
        }
        EXPECT_EQ(analyzer.Current(), Analyze(values, DcOptions())) << chunk;
    }
}

TEST(SocOverlay, SecondReadingTurnsTheCheckOff) {
    // The single-reading finding above, plus a second reading: now a measured series, judged by the measured
    // detectors (100 -> 100 is no SOC_JUMP of theirs).
    EXPECT_EQ(Of(Analyze(Dc(50.0, 90, {{0, 100.0}}), DcOptions()), "SOC_JUMP").size(), 1u);
    EXPECT_TRUE(Of(Analyze(Dc(50.0, 90, {{0, 100.0}, {45, 100.0}}), DcOptions()), "SOC_JUMP").empty());
}

TEST(SocOverlay, MaxPlausibleCapacityFollowsTheTypicalPrior) {
    // Within 120..250 kWh; larger for faster DC cars; the AC prior is one class.
    for (const double peak : {0.0, 20.0, 50.0, 100.0, 150.0, 350.0}) {
        const double dc = MaxPlausibleCapacityKwh(peak, true, 0.0);
        EXPECT_GE(dc, 120.0);
        EXPECT_LE(dc, 250.0);
    }
    EXPECT_LT(MaxPlausibleCapacityKwh(30.0, true, 0.0), MaxPlausibleCapacityKwh(60.0, true, 0.0));
    EXPECT_NEAR(MaxPlausibleCapacityKwh(11.0, false, 11.0), 60.0 * std::exp(3.09 * 0.32), 1e-9);
}

}  // namespace
}  // namespace evni::analysis
