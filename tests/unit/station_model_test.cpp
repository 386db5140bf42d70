#include "analysis/station_model.h"

#include <gtest/gtest.h>

namespace st = evni::analysis::station;
using evni::domain::EpochMs;
using evni::domain::MeterValue;

namespace {

constexpr EpochMs kDay0 = 20'454LL * st::kDayMs;  // 2026-01-01 (a Thursday)

// A regular station: each connector delivers `kwh_per_hour` from 07:00 to 22:00 every day.
st::DayProfile RegularDay(EpochMs day, int connectors, double kwh_per_hour = 10.0) {
    st::DayProfile p;
    p.day_start = day;
    for (int c = 0; c < connectors; ++c) {
        st::HourlyKwh h{};
        for (int k = 7; k < 22; ++k) h[static_cast<std::size_t>(k)] = kwh_per_hour;
        p.connectors.push_back(h);
    }
    return p;
}

std::vector<st::DayProfile> History(int days, int connectors) {
    std::vector<st::DayProfile> out;
    for (int d = 0; d < days; ++d) out.push_back(RegularDay(kDay0 + d * st::kDayMs, connectors));
    return out;
}

// Minute grid of a regular day, scaled by `factor`, with `silent` hours [from, to) zeroed on `connector`
// (-1: all connectors).
std::vector<std::vector<double>> Today(int connectors, double factor = 1.0, int from = 0, int to = 0,
                                       int connector = -1) {
    std::vector<std::vector<double>> g(static_cast<std::size_t>(connectors), std::vector<double>(1440, 0.0));
    for (int c = 0; c < connectors; ++c) {
        for (int m = 7 * 60; m < 22 * 60; ++m) {
            const bool off = m >= from * 60 && m < to * 60 && (connector < 0 || connector == c);
            if (!off) g[static_cast<std::size_t>(c)][static_cast<std::size_t>(m)] = factor * 10.0 / 60.0;
        }
    }
    return g;
}

MeterValue Mv(EpochMs t, double v, const char* unit = "kWh", const char* phase = nullptr) {
    MeterValue m;
    m.timestamp = t;
    m.value = v;
    m.measurand = "Energy.Active.Import.Register";
    m.unit = unit;
    if (phase) m.phase = phase;
    return m;
}

}  // namespace

TEST(StationModelTest, CalendarHelpers) {
    EXPECT_EQ(st::DayStart(kDay0 + 5 * st::kHourMs), kDay0);
    EXPECT_EQ(st::DayStart(kDay0 - 1), kDay0 - st::kDayMs);
    EXPECT_EQ(st::Weekday(kDay0), 3);  // Thursday
    EXPECT_EQ(st::Weekday(kDay0 + 4 * st::kDayMs), 0);
}

TEST(StationModelTest, EnergyIntervalsFromRegisterDeltas) {
    const EpochMs t = kDay0 + 10 * st::kHourMs;
    std::vector<MeterValue> v = {Mv(t, 1000, "Wh"), Mv(t + st::kHourMs, 8400, "Wh"),
                                 Mv(t + 2 * st::kHourMs, 5000, "Wh"), Mv(t + 3 * st::kHourMs, 6000, "Wh")};
    const auto iv = st::EnergyIntervals(v);
    ASSERT_EQ(iv.size(), 2u);  // the decrease is not delivered energy
    EXPECT_NEAR(iv[0].kwh, 7.4, 1e-9);
    EXPECT_EQ(iv[0].start_ms, t);
    EXPECT_NEAR(iv[1].kwh, 1.0, 1e-9);
    std::vector<double> hours(24, 0.0);
    st::SpreadEnergy(iv, kDay0, st::kHourMs, hours);
    EXPECT_NEAR(hours[10], 7.4, 1e-9);
    EXPECT_NEAR(hours[12], 1.0, 1e-9);
    // Spread in proportion to overlap.
    std::vector<double> half(2, 0.0);
    const st::EnergyInterval one{t - 30 * st::kMinuteMs, t + 30 * st::kMinuteMs, 2.0};
    st::SpreadEnergy(std::span(&one, 1), t - st::kHourMs, st::kHourMs, half);
    EXPECT_NEAR(half[0], 1.0, 1e-9);
    EXPECT_NEAR(half[1], 1.0, 1e-9);
}

TEST(StationModelTest, EnergyIntervalsSumPhasesWhenNoTotal) {
    const EpochMs t = kDay0;
    std::vector<MeterValue> v;
    for (const char* p : {"L1", "L2", "L3"}) {
        v.push_back(Mv(t, 0, "kWh", p));
        v.push_back(Mv(t + st::kHourMs, 2.0, "kWh", p));
    }
    double total = 0.0;
    for (const auto& i : st::EnergyIntervals(v)) total += i.kwh;
    EXPECT_NEAR(total, 6.0, 1e-9);
}

TEST(StationModelTest, NormalDayIsNotAnomalous) {
    const auto hist = History(28, 2);
    const auto r = st::AnalyzeDay(kDay0 + 28 * st::kDayMs, Today(2, 1.1), hist);
    EXPECT_TRUE(r.enough_history);
    EXPECT_FALSE(r.is_anomaly);
    EXPECT_LT(r.day_score, 0.5);
    EXPECT_NEAR(r.expected_kwh, 300.0, 1e-6);
    EXPECT_NEAR(r.actual_kwh, 330.0, 1e-6);
    ASSERT_EQ(r.cumulative_kwh.size(), 1440u);
    EXPECT_NEAR(r.cumulative_kwh.back(), 330.0, 1e-6);
    EXPECT_NEAR(r.expected_cumulative_kwh.back(), 300.0, 1e-6);
    EXPECT_TRUE(r.markers.empty());
}

TEST(StationModelTest, FullDayOutage) {
    const auto r = st::AnalyzeDay(kDay0 + 28 * st::kDayMs, Today(2, 0.0), History(28, 2));
    ASSERT_TRUE(r.is_anomaly);
    EXPECT_EQ(r.findings.front().type, st::AnomalyType::kOutage);
    EXPECT_GE(r.day_score, 0.5);
    EXPECT_LE(r.day_score, 1.0);
    EXPECT_FALSE(r.markers.empty());
    for (const auto& f : r.findings) EXPECT_NE(f.type, st::AnomalyType::kEnergyDrop);  // reported once
}

TEST(StationModelTest, OutageOfSomeHours) {
    const auto r = st::AnalyzeDay(kDay0 + 28 * st::kDayMs, Today(2, 1.0, 10, 14), History(28, 2));
    ASSERT_TRUE(r.is_anomaly);
    const auto& f = r.findings.front();
    EXPECT_EQ(f.type, st::AnomalyType::kOutage);
    EXPECT_EQ(f.start_minute, 600);
    EXPECT_EQ(f.end_minute, 840);
    EXPECT_NEAR(f.expected_kwh, 80.0, 1e-6);
    EXPECT_EQ(r.markers.front().start_minute, 600);
    EXPECT_EQ(r.markers.size(), 16u);  // four hours of 15-minute buckets
}

TEST(StationModelTest, NightSilenceIsNormal) {
    // The station never delivers at night: the silent night of the analysed day is no outage.
    const auto r = st::AnalyzeDay(kDay0 + 28 * st::kDayMs, Today(2), History(28, 2));
    EXPECT_FALSE(r.is_anomaly);
}

TEST(StationModelTest, ConnectorDown) {
    const auto r = st::AnalyzeDay(kDay0 + 28 * st::kDayMs, Today(3, 1.0, 0, 24, 1), History(28, 3));
    ASSERT_TRUE(r.is_anomaly);
    const auto& f = r.findings.front();
    EXPECT_EQ(f.type, st::AnomalyType::kConnectorDown);
    ASSERT_TRUE(f.connector.has_value());
    EXPECT_EQ(*f.connector, 1u);
    for (const auto& g : r.findings) EXPECT_NE(g.type, st::AnomalyType::kEnergyDrop);
}

TEST(StationModelTest, DropAndSurge) {
    auto hist = History(28, 2);
    // Some natural variation, so the spread is not the floor.
    for (std::size_t d = 0; d < hist.size(); ++d) {
        for (auto& c : hist[d].connectors) {
            for (auto& v : c) v *= 1.0 + 0.1 * static_cast<double>(d % 3);
        }
    }
    const auto drop = st::AnalyzeDay(kDay0 + 28 * st::kDayMs, Today(2, 0.35), hist);
    ASSERT_TRUE(drop.is_anomaly);
    EXPECT_EQ(drop.findings.front().type, st::AnomalyType::kEnergyDrop);
    const auto surge = st::AnalyzeDay(kDay0 + 28 * st::kDayMs, Today(2, 2.5), hist);
    ASSERT_TRUE(surge.is_anomaly);
    EXPECT_EQ(surge.findings.front().type, st::AnomalyType::kEnergySurge);
    EXPECT_GT(surge.findings.front().actual_kwh, surge.findings.front().expected_kwh);
}

TEST(StationModelTest, RobustToPastOutages) {
    auto hist = History(28, 2);
    for (int d : {3, 10, 17}) {
        for (auto& c : hist[static_cast<std::size_t>(d)].connectors) c.fill(0.0);
    }
    const auto r = st::AnalyzeDay(kDay0 + 28 * st::kDayMs, Today(2), hist);
    EXPECT_FALSE(r.is_anomaly);
    EXPECT_NEAR(r.expected_kwh, 300.0, 1e-6);  // medians ignore the zero days
    const auto outage = st::AnalyzeDay(kDay0 + 28 * st::kDayMs, Today(2, 0.0), hist);
    EXPECT_TRUE(outage.is_anomaly);
}

TEST(StationModelTest, WeeklySeasonality) {
    // Busy on weekdays, quiet at weekends: a quiet Saturday is normal, the same energy on a Monday is a drop.
    std::vector<st::DayProfile> hist;
    for (int d = 0; d < 56; ++d) {
        const EpochMs day = kDay0 + d * st::kDayMs;
        hist.push_back(RegularDay(day, 2, st::Weekday(day) >= 5 ? 2.0 : 10.0));
    }
    EpochMs saturday = kDay0 + 56 * st::kDayMs;
    while (st::Weekday(saturday) != 5) saturday += st::kDayMs;
    EpochMs monday = saturday + 2 * st::kDayMs;
    std::vector<st::DayProfile> before_sat, before_mon;
    for (const auto& h : hist) before_sat.push_back(h), before_mon.push_back(h);
    EXPECT_FALSE(st::AnalyzeDay(saturday, Today(2, 0.2), before_sat).is_anomaly);
    const auto r = st::AnalyzeDay(monday, Today(2, 0.2), before_mon);
    ASSERT_TRUE(r.is_anomaly);
    EXPECT_EQ(r.findings.front().type, st::AnomalyType::kEnergyDrop);
}

TEST(StationModelTest, LittleHistoryReportsButDoesNotFlag) {
    const auto r = st::AnalyzeDay(kDay0 + 3 * st::kDayMs, Today(2, 0.0), History(3, 2));
    EXPECT_FALSE(r.enough_history);
    EXPECT_FALSE(r.is_anomaly);
    EXPECT_EQ(r.day_score, 0.0);
    EXPECT_NEAR(r.expected_kwh, 300.0, 1e-6);
    const auto none = st::AnalyzeDay(kDay0, Today(1), {});
    EXPECT_FALSE(none.is_anomaly);
    EXPECT_EQ(none.expected_kwh, 0.0);
}

TEST(StationModelTest, DayInProgressJudgesOnlyThePast) {
    // At 12:00 with a normal morning, the afternoon's missing energy is not an outage.
    auto today = Today(2);
    for (auto& c : today) std::fill(c.begin() + 12 * 60, c.end(), 0.0);
    const auto r = st::AnalyzeDay(kDay0 + 28 * st::kDayMs, today, History(28, 2), {}, 12 * 60);
    EXPECT_FALSE(r.is_anomaly);
    EXPECT_NEAR(r.expected_kwh, 100.0, 1e-6);
}
