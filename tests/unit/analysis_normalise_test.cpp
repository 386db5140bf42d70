// Normalisation (analysis.md §1), bucketing math, the reference example and the "not analysed" messages.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "analysis/analyzer.h"
#include "analysis/detectors.h"
#include "analysis/normalise.h"

namespace evni::analysis {
namespace {

using domain::EpochMs;
using domain::MeterValue;
using domain::MeterValues;

constexpr EpochMs kT0 = 1'772'186'400'000;  // 2026-02-27T10:00:00Z
constexpr EpochMs kMinute = 60'000;

MeterValue Mv(EpochMs t, double value, std::optional<std::string> measurand = std::nullopt,
              std::optional<std::string> unit = std::nullopt, std::optional<std::string> phase = std::nullopt,
              std::optional<std::string> location = std::nullopt) {
    MeterValue mv;
    mv.timestamp = t;
    mv.value = value;
    mv.measurand = std::move(measurand);
    mv.unit = std::move(unit);
    mv.phase = std::move(phase);
    mv.location = std::move(location);
    return mv;
}

// The API reference's own request example.
MeterValues ReferenceExample() {
    const std::string energy = "Energy.Active.Import.Register";
    const std::string power = "Power.Active.Import";
    return {
        Mv(kT0, 0, energy, "kWh"),
        Mv(kT0, 0, power, "kW"),
        Mv(kT0, 80, "SoC", "Percent"),
        Mv(kT0 + 15 * kMinute, 5.5, energy, "kWh"),
        Mv(kT0 + 15 * kMinute, 22, power, "kW"),
        Mv(kT0 + 15 * kMinute, 65, "SoC", "Percent"),
        Mv(kT0 + 30 * kMinute, 11.1, energy, "kWh"),
        Mv(kT0 + 30 * kMinute, 22, power, "kW"),
        Mv(kT0 + 30 * kMinute, 50, "SoC", "Percent"),
    };
}

// A clean 11 kW session with a 2 kWh register decrease at minute 30, in the requested units.
MeterValues DecreaseSession(const char* energy_unit, double energy_scale, const char* power_unit, double power_scale,
                            bool per_phase = false) {
    MeterValues values;
    double energy = 0.0;
    for (int minute = 0; minute <= 60; ++minute) {
        const EpochMs t = kT0 + minute * kMinute;
        if (minute > 0) energy += 11.0 / 60.0;
        const double register_kwh = energy - (minute >= 30 ? 2.0 : 0.0);
        std::optional<std::string> eu = energy_unit ? std::optional<std::string>(energy_unit) : std::nullopt;
        std::optional<std::string> pu = power_unit ? std::optional<std::string>(power_unit) : std::nullopt;
        if (per_phase) {
            for (const char* phase : {"L1", "L2", "L3"}) {
                values.push_back(Mv(t, register_kwh / 3.0 * energy_scale, std::nullopt, eu, phase));
            }
        } else {
            values.push_back(Mv(t, register_kwh * energy_scale, std::nullopt, eu));
        }
        values.push_back(Mv(t, 11.0 * power_scale, "Power.Active.Import", pu));
    }
    return values;
}

TEST(AnalysisNormalise, ParsesUnitsAndAliases) {
    EXPECT_EQ(ParseUnit("kWh"), Unit::kKWh);
    EXPECT_EQ(ParseUnit("Wh"), Unit::kWh);
    EXPECT_EQ(ParseUnit("KWH"), Unit::kKWh);
    EXPECT_EQ(ParseUnit("W"), Unit::kW);
    EXPECT_EQ(ParseUnit("kW"), Unit::kKW);
    EXPECT_EQ(ParseUnit("Percent"), Unit::kPercent);
    EXPECT_EQ(ParseUnit("%"), Unit::kPercent);
    EXPECT_EQ(ParseUnit("Celcius"), Unit::kCelsius);
    EXPECT_EQ(ParseUnit("Celsius"), Unit::kCelsius);
    EXPECT_EQ(ParseUnit("K"), Unit::kKelvin);
    EXPECT_EQ(ParseUnit("Hertz"), Unit::kHz);
    EXPECT_EQ(ParseUnit(""), Unit::kNone);
    EXPECT_EQ(ParseUnit("furlong"), Unit::kOther);
}

TEST(AnalysisNormalise, ConvertsToCanonicalUnits) {
    EXPECT_DOUBLE_EQ(*ToCanonical(Quantity::kActiveEnergy, Unit::kWh, 5500.0), 5.5);
    EXPECT_DOUBLE_EQ(*ToCanonical(Quantity::kActiveEnergy, Unit::kKWh, 5.5), 5.5);
    EXPECT_DOUBLE_EQ(*ToCanonical(Quantity::kActivePower, Unit::kW, 22000.0), 22.0);
    EXPECT_DOUBLE_EQ(*ToCanonical(Quantity::kActivePower, Unit::kKW, 22.0), 22.0);
    EXPECT_DOUBLE_EQ(*ToCanonical(Quantity::kTemperature, Unit::kKelvin, 300.15), 27.0);
    EXPECT_NEAR(*ToCanonical(Quantity::kTemperature, Unit::kFahrenheit, 212.0), 100.0, 1e-12);
    EXPECT_DOUBLE_EQ(*ToCanonical(Quantity::kPercent, Unit::kPercent, 42.0), 42.0);
    EXPECT_DOUBLE_EQ(*ToCanonical(Quantity::kCurrent, Unit::kA, 16.0), 16.0);
    EXPECT_FALSE(ToCanonical(Quantity::kActiveEnergy, Unit::kA, 1.0).has_value());
    EXPECT_FALSE(ToCanonical(Quantity::kActivePower, Unit::kKWh, 1.0).has_value());
}

TEST(AnalysisNormalise, AppliesOcppDefaults) {
    const auto reading = ToReading(Mv(kT0, 12.5));
    ASSERT_TRUE(reading.has_value());
    EXPECT_EQ(reading->measurand, Measurand::kEnergyActiveImportRegister);
    EXPECT_EQ(reading->location, Location::kOutlet);
    EXPECT_EQ(reading->phase, Phase::kNone);
    EXPECT_EQ(reading->unit, Unit::kNone);
    EXPECT_EQ(ParseMeasurand("Energy.Active.Import.Interval"), Measurand::kEnergyActiveImportInterval);
    EXPECT_EQ(ParseMeasurand("SoC"), Measurand::kSoC);
    EXPECT_EQ(ParseMeasurand("Bogus.Measurand"), Measurand::kOther);
    EXPECT_EQ(ParseLocation("EV"), Location::kEv);
    EXPECT_EQ(ParsePhase("L2-N"), Phase::kL2N);
    EXPECT_FALSE(IsEnergyRegister(Measurand::kEnergyActiveImportInterval));
    EXPECT_FALSE(IsEnergyRegister(Measurand::kEnergyActiveNet));
    EXPECT_TRUE(IsEnergyRegister(Measurand::kEnergyActiveImportRegister));
}

TEST(AnalysisNormalise, RejectsNonFiniteAndInvalidTimestamps) {
    EXPECT_FALSE(ToReading(Mv(kT0, std::numeric_limits<double>::quiet_NaN())).has_value());
    EXPECT_FALSE(ToReading(Mv(kT0, std::numeric_limits<double>::infinity())).has_value());
    EXPECT_FALSE(ToReading(Mv(kT0, -std::numeric_limits<double>::infinity())).has_value());
    EXPECT_FALSE(ToReading(Mv(0, 1.0)).has_value());  // 1970: charger clock never set
    EXPECT_FALSE(ToReading(Mv(kT0, 1e300)).has_value());
    EXPECT_TRUE(ToReading(Mv(kT0, 1e9)).has_value());
}

TEST(AnalysisNormalise, DecidesUnitlessEnergyUnitFromPhysics) {
    const auto decide = [](std::initializer_list<std::pair<EpochMs, double>> points) {
        UnitEvidence evidence;
        for (const auto& [t, raw] : points) {
            ObserveUnitless(Measurand::kEnergyActiveImportRegister, evidence, t, raw);
        }
        return DecidesKilo(evidence);
    };
    // 5.5 per 15 min = 22 per hour: 22 kW if kWh, 22 W if Wh (not charging) -> kWh.
    EXPECT_TRUE(decide({{kT0, 0.0}, {kT0 + 15 * kMinute, 5.5}, {kT0 + 30 * kMinute, 11.1}}));
    // 183 per minute = 11000 per hour: 11 MW if kWh -> Wh.
    EXPECT_FALSE(decide({{kT0, 0.0}, {kT0 + kMinute, 183.0}, {kT0 + 2 * kMinute, 366.0}}));
    // A lifetime Wh register.
    EXPECT_FALSE(decide({{kT0, 123456700.0}, {kT0 + kMinute, 123456883.0}}));
    // No rise at all: the OCPP default, Wh.
    EXPECT_FALSE(decide({{kT0, 10.0}, {kT0 + kMinute, 10.0}}));
    // A coarse kWh meter ticking 1 kWh in a 61 s window is 59 kW, still kWh.
    EXPECT_TRUE(decide({{kT0, 7.0}, {kT0 + 61'000, 8.0}, {kT0 + 10 * kMinute, 8.0}}));
    // Power: values above 1000 are W.
    UnitEvidence power;
    ObserveUnitless(Measurand::kPowerActiveImport, power, kT0, 7400.0);
    EXPECT_FALSE(DecidesKilo(power));
    UnitEvidence power_kw;
    ObserveUnitless(Measurand::kPowerActiveImport, power_kw, kT0, 7.4);
    EXPECT_TRUE(DecidesKilo(power_kw));
}

TEST(AnalysisNormalise, SameVerdictInKwhWhAndWithoutUnits) {
    const Verdict kwh = Analyze(DecreaseSession("kWh", 1.0, "kW", 1.0), {});
    ASSERT_TRUE(kwh.analyzed);
    ASSERT_EQ(kwh.anomalies.size(), 1u);
    EXPECT_EQ(kwh.anomalies[0].category, "KWH_DECREASE");
    const Verdict wh = Analyze(DecreaseSession("Wh", 1000.0, "W", 1000.0), {});
    const Verdict unitless_wh = Analyze(DecreaseSession(nullptr, 1000.0, nullptr, 1000.0), {});
    const Verdict unitless_kwh = Analyze(DecreaseSession(nullptr, 1.0, nullptr, 1.0), {});
    for (const Verdict* other : {&wh, &unitless_wh, &unitless_kwh}) {
        ASSERT_EQ(other->anomalies.size(), 1u);
        EXPECT_EQ(other->anomalies[0].buckets, kwh.anomalies[0].buckets);
        EXPECT_NEAR(other->anomaly_score, kwh.anomaly_score, 1e-9);
        EXPECT_NEAR(other->anomaly_confidence, kwh.anomaly_confidence, 1e-9);
    }
}

TEST(AnalysisNormalise, PerPhaseEnergyIsSummed) {
    const Verdict unphased = Analyze(DecreaseSession("kWh", 1.0, "kW", 1.0), {});
    const Verdict phased = Analyze(DecreaseSession("kWh", 1.0, "kW", 1.0, /*per_phase=*/true), {});
    ASSERT_EQ(phased.anomalies.size(), 1u);
    EXPECT_EQ(phased.anomalies[0].buckets, unphased.anomalies[0].buckets);
    EXPECT_NEAR(phased.anomaly_score, unphased.anomaly_score, 1e-9);
}

TEST(AnalysisNormalise, UnphasedWinsOverPhasesAndNeutralIsIgnored) {
    MeterValues values;
    for (int minute = 0; minute <= 30; ++minute) {
        const EpochMs t = kT0 + minute * kMinute;
        const double kwh = minute * 7.0 / 60.0;
        values.push_back(Mv(t, kwh, std::nullopt, "kWh"));
        // Phase values on a different basis and a wild neutral: must not create a decrease.
        values.push_back(Mv(t, 500.0 - minute, std::nullopt, "kWh", "L1"));
        values.push_back(Mv(t, 900.0 - 3 * minute, std::nullopt, "kWh", "N"));
        values.push_back(Mv(t, 7.0, "Power.Active.Import", "kW"));
    }
    const Verdict verdict = Analyze(values, {});
    ASSERT_TRUE(verdict.analyzed);
    EXPECT_TRUE(verdict.anomalies.empty());
}

TEST(AnalysisNormalise, NeutralPhaseAloneIsNotAnEnergySeries) {
    MeterValues values;
    for (int minute = 0; minute <= 5; ++minute) {
        values.push_back(Mv(kT0 + minute * kMinute, minute * 0.1, std::nullopt, "kWh", "N"));
    }
    const Verdict verdict = Analyze(values, {});
    EXPECT_FALSE(verdict.analyzed);
    ASSERT_TRUE(verdict.message.has_value());
    EXPECT_EQ(*verdict.message, "No energy register series (Energy.Active.Import.Register); inference not performed");
}

TEST(AnalysisNormalise, IntervalSeriesIsNotDifferenced) {
    MeterValues values;
    for (int minute = 0; minute <= 20; ++minute) {
        const EpochMs t = kT0 + minute * kMinute;
        values.push_back(Mv(t, minute * 0.12, std::nullopt, "kWh"));
        // Per-period deltas go up and down: never a register decrease.
        values.push_back(Mv(t, (minute % 2) ? 0.15 : 0.09, "Energy.Active.Import.Interval", "kWh"));
    }
    EXPECT_TRUE(Analyze(values, {}).anomalies.empty());
}

TEST(AnalysisNormalise, ExactDuplicatesDroppedAndSortingStable) {
    MeterValues values = DecreaseSession("kWh", 1.0, "kW", 1.0);
    const Verdict base = Analyze(values, {});
    MeterValues with_duplicates;
    for (const MeterValue& value : values) {
        with_duplicates.push_back(value);
        with_duplicates.push_back(value);
    }
    EXPECT_EQ(Analyze(with_duplicates, {}), base);

    MeterValues shuffled = values;
    std::mt19937_64 rng(7);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(Analyze(shuffled, {}), base);
}

TEST(AnalysisNormalise, DuplicatesCountOnceTowardsTheThreshold) {
    const MeterValues values = {Mv(kT0, 1.0, std::nullopt, "kWh"), Mv(kT0, 1.0, std::nullopt, "kWh"),
                                Mv(kT0 + kMinute, 1.1, std::nullopt, "kWh")};
    const Verdict verdict = Analyze(values, {});
    EXPECT_FALSE(verdict.analyzed);
    ASSERT_TRUE(verdict.message.has_value());
    EXPECT_EQ(*verdict.message, "Fewer than 3 meter values; inference not performed");

    // A conflicting duplicate (same series and time, another value) is kept.
    const MeterValues conflicting = {Mv(kT0, 1.0, std::nullopt, "kWh"), Mv(kT0, 1.4, std::nullopt, "kWh"),
                                     Mv(kT0 + kMinute, 1.1, std::nullopt, "kWh")};
    const Verdict kept = Analyze(conflicting, {});
    EXPECT_TRUE(kept.analyzed);
    // The first value is the one analysed (no decrease); the conflict itself is TIMESTAMP_INVALID.
    ASSERT_EQ(kept.anomalies.size(), 1u);
    EXPECT_EQ(kept.anomalies[0].category, "TIMESTAMP_INVALID");
    EXPECT_EQ(kept.anomalies[0].buckets.start_unit, 0);
}

TEST(AnalysisNormalise, FewerThanThreeValidValues) {
    EXPECT_FALSE(Analyze({}, {}).analyzed);
    const MeterValues values = {Mv(kT0, 1.0, std::nullopt, "kWh"), Mv(kT0 + kMinute, 1.1, std::nullopt, "kWh"),
                                Mv(kT0 + 2 * kMinute, std::numeric_limits<double>::quiet_NaN())};
    const Verdict verdict = Analyze(values, {});
    EXPECT_FALSE(verdict.analyzed);
    EXPECT_EQ(verdict.message, std::optional<std::string>("Fewer than 3 meter values; inference not performed"));
    EXPECT_EQ(verdict.anomaly_score, 0.0);
    EXPECT_TRUE(verdict.anomalies.empty());

    const MeterValues three = {Mv(kT0, 1.0, std::nullopt, "kWh"), Mv(kT0 + kMinute, 1.1, std::nullopt, "kWh"),
                               Mv(kT0 + 2 * kMinute, 1.2, std::nullopt, "kWh")};
    const Verdict analysed = Analyze(three, {});
    EXPECT_TRUE(analysed.analyzed);
    EXPECT_FALSE(analysed.message.has_value());
}

TEST(AnalysisNormalise, NoEnergySeries) {
    const MeterValues values = {Mv(kT0, 7.0, "Power.Active.Import", "kW"),
                                Mv(kT0 + kMinute, 7.0, "Power.Active.Import", "kW"),
                                Mv(kT0 + 2 * kMinute, 40, "SoC", "Percent")};
    const Verdict verdict = Analyze(values, {});
    EXPECT_FALSE(verdict.analyzed);
    EXPECT_EQ(verdict.message,
              std::optional<std::string>(
                  "No energy register series (Energy.Active.Import.Register); inference not performed"));
}

TEST(AnalysisBucketing, BucketMath) {
    EXPECT_EQ(BucketOf(kT0, kT0), 0);
    EXPECT_EQ(BucketOf(kT0 + 14'999, kT0), 0);
    EXPECT_EQ(BucketOf(kT0 + 15'000, kT0), 1);
    EXPECT_EQ(BucketOf(kT0 + 30 * kMinute, kT0), 120);
    // Sessions of any length: a week.
    EXPECT_EQ(BucketOf(kT0 + 7 * 24 * 60 * kMinute, kT0), 7 * 24 * 240);

    AnomalyRecord record;
    record.category = Category::kEnergyPit;
    record.start_ms = kT0 + 61'000;
    record.end_ms = kT0 + 10 * kMinute;
    record.magnitude = 9.0;
    SessionContext context;
    context.t0_ms = kT0;
    context.duration_ms = 60 * kMinute;
    const Anomaly anomaly = ScoreAnomaly(record, context);
    EXPECT_EQ(anomaly.buckets.start_unit, 4);
    EXPECT_EQ(anomaly.buckets.end_unit, 40);
    EXPECT_EQ(anomaly.start_ms, kT0 + 15'000 * 4);
    EXPECT_EQ(anomaly.end_ms, kT0 + 15'000 * 41);
}

TEST(AnalysisBucketing, T0IsTheEarliestValidTimestamp) {
    MeterValues values = {
        Mv(kT0 + kMinute, 10.0, std::nullopt, "kWh"),     Mv(kT0 + 2 * kMinute, 10.1, std::nullopt, "kWh"),
        Mv(kT0 + 3 * kMinute, 10.2, std::nullopt, "kWh"), Mv(1000, 5.0, std::nullopt, "kWh"),  // invalid clock: ignored
        Mv(kT0 + 4 * kMinute, 10.3, std::nullopt, "kWh"), Mv(kT0 + 5 * kMinute, 9.5, std::nullopt, "kWh"),
        Mv(kT0 + 6 * kMinute, 10.4, std::nullopt, "kWh")};
    const Verdict verdict = Analyze(values, {});
    ASSERT_EQ(verdict.anomalies.size(), 2u);
    // The 1970 value is attributed to where it arrived: between the readings at +3 and +4 min.
    EXPECT_EQ(verdict.anomalies[0].category, "TIMESTAMP_INVALID");
    EXPECT_EQ(verdict.anomalies[0].buckets.start_unit, 8);
    EXPECT_EQ(verdict.anomalies[0].buckets.end_unit, 12);
    EXPECT_EQ(verdict.anomalies[1].category, "KWH_DECREASE");
    EXPECT_EQ(verdict.anomalies[1].buckets.start_unit, 12);  // reading at t0 + 3 min, t0 = first valid
    EXPECT_EQ(verdict.anomalies[1].buckets.end_unit, 16);
}

TEST(AnalysisReference, ApiExampleIsASocDecrease) {
    const Verdict verdict = Analyze(ReferenceExample(), {});
    ASSERT_TRUE(verdict.analyzed);
    ASSERT_EQ(verdict.anomalies.size(), 1u);
    const Anomaly& anomaly = verdict.anomalies[0];
    EXPECT_EQ(anomaly.category, "SOC_DECREASE");
    EXPECT_EQ(anomaly.buckets.start_unit, 0);
    EXPECT_EQ(anomaly.buckets.end_unit, 120);
    EXPECT_EQ(anomaly.start_ms, kT0);
    EXPECT_EQ(anomaly.end_ms, kT0 + 15'000 * 121);
    EXPECT_GE(anomaly.score, 0.5);
    EXPECT_LE(anomaly.score, 1.0);
    EXPECT_GE(anomaly.confidence, 0.8);
    EXPECT_LE(anomaly.confidence, 1.0);
    EXPECT_EQ(verdict.anomaly_score, anomaly.score);
    EXPECT_EQ(verdict.anomaly_confidence, anomaly.confidence);
    EXPECT_GE(verdict.anomaly_score, 0.5);  // isAnomaly with the default threshold

    // Same data without units: Wh would mean 22 W of charging, so the series is read as kWh.
    MeterValues unitless = ReferenceExample();
    for (MeterValue& value : unitless) {
        if (value.measurand != std::optional<std::string>("SoC")) value.unit.reset();
    }
    EXPECT_EQ(Analyze(unitless, {}), verdict);
}

}  // namespace
}  // namespace evni::analysis
