#include "analysis/station_model.h"

#include <gtest/gtest.h>

#include <algorithm>

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

// Activity (session onsets, minutes delivering) on histories built from sessions, as the service and the
// benchmark build them.
namespace {

struct Charge {
    int connector = 0;
    int start_minute = 0;
    int minutes = 60;
    double kw = 7.4;
};

std::vector<std::vector<double>> Grid(int connectors, const std::vector<Charge>& charges) {
    std::vector<std::vector<double>> g(static_cast<std::size_t>(connectors), std::vector<double>(1440, 0.0));
    for (const auto& c : charges) {
        for (int m = c.start_minute; m < std::min(1440, c.start_minute + c.minutes); ++m)
            g[static_cast<std::size_t>(c.connector)][static_cast<std::size_t>(m)] += c.kw / 60.0;
    }
    return g;
}

// A public station: `connectors` bays used in turn; on day `d` one session starts every hour from 08:00 to
// 19:00 on bay (hour + d) % connectors, 50 minutes long, at a power cycling through 3.7 / 7.4 / 11 kW.
std::vector<Charge> PublicDay(int d, int connectors, double power_factor = 1.0) {
    static constexpr double kKw[] = {3.7, 7.4, 11.0};
    std::vector<Charge> out;
    for (int h = 8; h < 20; ++h) out.push_back({(h + d) % connectors, h * 60 + 5, 50, kKw[(h + d) % 3] * power_factor});
    return out;
}

std::vector<st::DayProfile> PublicHistory(int days, int connectors) {
    std::vector<st::DayProfile> out;
    for (int d = 0; d < days; ++d)
        out.push_back(st::ToProfile(kDay0 + d * st::kDayMs, Grid(connectors, PublicDay(d, connectors))));
    return out;
}

bool Has(const st::DayResult& r, st::AnomalyType type) {
    return std::any_of(r.findings.begin(), r.findings.end(), [&](const st::Finding& f) { return f.type == type; });
}

}  // namespace

TEST(StationModelActivityTest, ProfileCountsOnsetsAndActiveMinutes) {
    // Bay 0: a session across midnight (no onset), one at 10:00 for 30 minutes, a pause of 10 minutes (same
    // session), then a new one after 20 idle minutes. Bay 1: a session starting at 00:05.
    const auto p = st::ToProfile(kDay0, Grid(2, {{0, 0, 30}, {0, 600, 30}, {0, 640, 10}, {0, 670, 20}, {1, 5, 10}}));
    ASSERT_TRUE(p.HasActivity());
    EXPECT_DOUBLE_EQ(p.onsets[0][0], 0.0);
    EXPECT_DOUBLE_EQ(p.onsets[0][10], 1.0);
    EXPECT_DOUBLE_EQ(p.onsets[0][11], 1.0);
    EXPECT_DOUBLE_EQ(p.onsets[1][0], 1.0);
    EXPECT_DOUBLE_EQ(p.active_minutes[0][10], 40.0);
    EXPECT_DOUBLE_EQ(p.active_minutes[0][11], 20.0);
    EXPECT_NEAR(p.connectors[0][10], 40 * 7.4 / 60.0, 1e-9);
    // Hand-built profiles carry no activity: the model judges them on energy alone.
    EXPECT_FALSE(RegularDay(kDay0, 2).HasActivity());
}

TEST(StationModelActivityTest, NormalPublicDayIsNotAnomalous) {
    const auto r = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, PublicDay(42, 2)), PublicHistory(42, 2));
    EXPECT_TRUE(r.enough_history);
    EXPECT_FALSE(r.is_anomaly);
}

TEST(StationModelActivityTest, OutageOfSomeHoursWhereSessionsAlwaysStart) {
    auto charges = PublicDay(42, 2);
    std::erase_if(charges, [](const Charge& c) { return c.start_minute >= 11 * 60 && c.start_minute < 15 * 60; });
    const auto r = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, charges), PublicHistory(42, 2));
    ASSERT_TRUE(Has(r, st::AnomalyType::kOutage));
    EXPECT_EQ(r.findings.front().type, st::AnomalyType::kOutage);
    EXPECT_EQ(r.findings.front().start_minute, 11 * 60);
    EXPECT_EQ(r.findings.front().end_minute, 15 * 60);
}

TEST(StationModelActivityTest, SilenceAsLongAsOnOrdinaryDaysIsNoOutage) {
    // Every earlier day had four hours without a session somewhere in the day: today's is one of those.
    std::vector<st::DayProfile> hist;
    for (int d = 0; d < 42; ++d) {
        auto charges = PublicDay(d, 2);
        const int gap = 8 + d % 8;
        std::erase_if(charges,
                      [&](const Charge& c) { return c.start_minute / 60 >= gap && c.start_minute / 60 < gap + 4; });
        hist.push_back(st::ToProfile(kDay0 + d * st::kDayMs, Grid(2, charges)));
    }
    auto charges = PublicDay(42, 2);
    std::erase_if(charges, [](const Charge& c) { return c.start_minute >= 11 * 60 && c.start_minute < 15 * 60; });
    const auto r = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, charges), hist);
    EXPECT_FALSE(Has(r, st::AnomalyType::kOutage));
}

TEST(StationModelActivityTest, SilentDayOfABusyStationWithPastOutages) {
    // A third of the earlier days were silent (outages, export gaps): on energy alone a silent day is
    // ordinary; the station starts twelve sessions on every day it works, so it is an outage.
    auto hist = PublicHistory(42, 2);
    for (std::size_t d = 0; d < hist.size(); d += 3) {
        for (auto* v : {&hist[d].connectors, &hist[d].active_minutes, &hist[d].onsets}) {
            for (auto& c : *v) c.fill(0.0);
        }
    }
    const auto r = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, {}), hist);
    ASSERT_TRUE(r.is_anomaly);
    EXPECT_EQ(r.findings.front().type, st::AnomalyType::kOutage);
    EXPECT_EQ(r.findings.front().start_minute, 0);
    // The same history without activity: judged on energy, as before (a drop, not an outage).
    for (auto& d : hist) d.active_minutes.clear(), d.onsets.clear();
    EXPECT_FALSE(Has(st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, {}), hist), st::AnomalyType::kOutage));
}

TEST(StationModelActivityTest, ConnectorDownOnABusyDayThoughOftenIdleOnQuietOnes) {
    // Bay 2 takes its share of sessions on busy days and none on quiet ones (half of the days): silent half
    // the time, so its own record says nothing; today twenty sessions went to bays 0 and 1 only.
    std::vector<st::DayProfile> hist;
    for (int d = 0; d < 42; ++d) {
        std::vector<Charge> charges;
        if (d % 2 == 0) {
            for (int h = 8; h < 20; ++h) charges.push_back({h % 3, h * 60 + 5, 50, 7.4});
        } else {
            for (int h : {9, 13, 17}) charges.push_back({h % 2, h * 60 + 5, 50, 7.4});
        }
        hist.push_back(st::ToProfile(kDay0 + d * st::kDayMs, Grid(3, charges)));
    }
    std::vector<Charge> today;
    for (int i = 0; i < 20; ++i) today.push_back({i % 2, 7 * 60 + i * 35, 30, 7.4});
    const auto r = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(3, today), hist);
    ASSERT_TRUE(Has(r, st::AnomalyType::kConnectorDown));
    for (const auto& f : r.findings) {
        if (f.type == st::AnomalyType::kConnectorDown) {
            EXPECT_EQ(f.connector, std::optional<std::size_t>(2));
        }
    }

    // A bay left idle on busy days before (a bay only some cars fit): not down.
    for (std::size_t d = 0; d < hist.size(); d += 4) {
        hist[d].connectors[2].fill(0.0);
        hist[d].active_minutes[2].fill(0.0);
        hist[d].onsets[2].fill(0.0);
    }
    EXPECT_FALSE(Has(st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(3, today), hist), st::AnomalyType::kConnectorDown));
}

TEST(StationModelActivityTest, ConnectorDownStaysDownOnTheFollowingDays) {
    // Two weeks of twelve sessions a day, bay 2 taking every third; it failed two days ago and its cars went to
    // bay 0 since. Its record is learnt outside the failure: the failure's own days must not make today's
    // silence look like one this bay has on one working day in five.
    std::vector<st::DayProfile> hist;
    for (int d = 0; d < 14; ++d) {
        std::vector<Charge> charges;
        for (int h = 8; h < 20; ++h) charges.push_back({h % 3 == 2 && d >= 12 ? 0 : h % 3, h * 60 + 5, 50, 7.4});
        hist.push_back(st::ToProfile(kDay0 + d * st::kDayMs, Grid(3, charges)));
    }
    std::vector<Charge> today;
    for (int h = 8; h < 20; ++h) today.push_back({h % 3 == 2 ? 0 : h % 3, h * 60 + 5, 50, 7.4});
    const auto r = st::AnalyzeDay(kDay0 + 14 * st::kDayMs, Grid(3, today), hist);
    ASSERT_TRUE(Has(r, st::AnomalyType::kConnectorDown));
    for (const auto& f : r.findings) {
        if (f.type == st::AnomalyType::kConnectorDown) {
            EXPECT_EQ(f.connector, std::optional<std::size_t>(2));
        }
    }
}

TEST(StationModelActivityTest, PowerDropAndSurge) {
    const auto hist = PublicHistory(42, 2);
    const auto drop = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, PublicDay(42, 2, 0.5)), hist);
    ASSERT_TRUE(drop.is_anomaly);
    EXPECT_EQ(drop.findings.front().type, st::AnomalyType::kEnergyDrop);
    const auto surge = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, PublicDay(42, 2, 2.0)), hist);
    ASSERT_TRUE(surge.is_anomaly);
    EXPECT_EQ(surge.findings.front().type, st::AnomalyType::kEnergySurge);
}

TEST(StationModelActivityTest, FewerAndShorterVisitsAtTheUsualPowerAreNoDrop) {
    // The four slowest cars stayed away and the others left after 25 minutes: 60 % less energy, no silence
    // of three hours, but the cars that came drew their usual power or more.
    auto hist = PublicHistory(42, 2);
    auto charges = PublicDay(42, 2);
    std::erase_if(charges, [](const Charge& c) { return c.kw < 4.0; });
    for (auto& c : charges) c.minutes = 25;
    ASSERT_EQ(charges.size(), 8u);
    const auto r = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, charges), hist);
    EXPECT_FALSE(r.is_anomaly);
    // Without activity the same day is an energy drop.
    for (auto& d : hist) d.active_minutes.clear(), d.onsets.clear();
    const auto energy_only = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, charges), hist);
    ASSERT_TRUE(energy_only.is_anomaly);
    EXPECT_EQ(energy_only.findings.front().type, st::AnomalyType::kEnergyDrop);
}

TEST(StationModelActivityTest, SilenceOnlyADownConnectorExplainsIsNoOutage) {
    // Bay 0 takes the morning's sessions, bays 1 and 2 the afternoon's: with bay 0 down the station is
    // silent all morning, which is bay 0's fault, not an outage.
    auto day = [](bool bay0) {
        std::vector<Charge> out;
        for (int h = 8; h < 13; ++h) {
            if (bay0) out.push_back({0, h * 60 + 5, 50, 7.4});
        }
        for (int h = 13; h < 20; ++h) out.push_back({1 + h % 2, h * 60 + 5, 50, 7.4});
        return out;
    };
    std::vector<st::DayProfile> hist;
    for (int d = 0; d < 42; ++d) hist.push_back(st::ToProfile(kDay0 + d * st::kDayMs, Grid(3, day(true))));
    const auto r = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(3, day(false)), hist);
    ASSERT_TRUE(Has(r, st::AnomalyType::kConnectorDown));
    EXPECT_FALSE(Has(r, st::AnomalyType::kOutage));
    // Bays 1 and 2 silent all day, so the afternoon: two connectors at once is rather the station's fault.
    auto morning = day(true);
    std::erase_if(morning, [](const Charge& c) { return c.start_minute >= 13 * 60; });
    const auto outage = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(3, morning), hist);
    ASSERT_TRUE(Has(outage, st::AnomalyType::kOutage));
}

namespace {

// A residential-like site: bay 0 (one car) charges 18:00-21:00 on every day but every eighth; bays 1-3
// (other residents) charge once a day each. Bay 0 is idle (down) on the last `down_before` history days;
// `others_away`: bays 1-3 each had an idle run of four days earlier in the history, which ended.
std::vector<st::DayProfile> ResidentialHistory(int days, int down_before, bool others_away) {
    std::vector<st::DayProfile> out;
    for (int d = 0; d < days; ++d) {
        std::vector<Charge> charges;
        if (d % 8 != 3 && d < days - down_before) charges.push_back({0, 18 * 60, 180, 7.4});
        for (int b = 1; b < 4; ++b) {
            const bool away = others_away && d >= 10 * b && d < 10 * b + 4;
            if (!away) charges.push_back({b, (7 + 3 * b + d % 3) * 60, 120, 7.4});
        }
        out.push_back(st::ToProfile(kDay0 + d * st::kDayMs, Grid(4, charges)));
    }
    return out;
}

std::vector<std::vector<double>> ResidentialToday(int day) {
    std::vector<Charge> charges;
    for (int b = 1; b < 4; ++b) charges.push_back({b, (7 + 3 * b + day % 3) * 60, 120, 7.4});
    return Grid(4, charges);
}

bool BayDown(const st::DayResult& r, std::size_t bay) {
    return std::any_of(r.findings.begin(), r.findings.end(), [&](const st::Finding& f) {
        return f.type == st::AnomalyType::kConnectorDown && f.connector == std::optional<std::size_t>(bay);
    });
}

}  // namespace

TEST(StationModelIdleRunTest, FirstDayOfAnIdleRunIsOrdinaryLaterDaysAreNot) {
    const EpochMs today = kDay0 + 56 * st::kDayMs;
    // Idle one day in eight anyway: the first idle day, and the second, say nothing.
    EXPECT_FALSE(BayDown(st::AnalyzeDay(today, ResidentialToday(56), ResidentialHistory(56, 0, false)), 0));
    EXPECT_FALSE(BayDown(st::AnalyzeDay(today, ResidentialToday(56), ResidentialHistory(56, 1, false)), 0));
    // Idle four days in a row (three before today): about 0.14^4 by its own rate, the run's days left out of
    // the rate (they would teach the model that the bay is idle).
    const auto r = st::AnalyzeDay(today, ResidentialToday(56), ResidentialHistory(56, 3, false));
    ASSERT_TRUE(BayDown(r, 0));
    for (const auto& f : r.findings) {
        if (f.type == st::AnomalyType::kConnectorDown) {
            EXPECT_GT(f.expected_kwh, 15.0);  // its usual evening, from the days outside the run
            EXPECT_GE(f.score, 0.5);
        }
    }
    // Energy alone (no activity): the run is not judged.
    auto hist = ResidentialHistory(56, 3, false);
    for (auto& d : hist) d.active_minutes.clear(), d.onsets.clear();
    EXPECT_FALSE(BayDown(st::AnalyzeDay(today, ResidentialToday(56), hist), 0));
}

TEST(StationModelIdleRunTest, RunsAsLongThatEndedAtTheStationAreOrdinary) {
    // The other residents were away for four days each and came back: a four-day idle run is how this site
    // lives, not a fault.
    const EpochMs today = kDay0 + 56 * st::kDayMs;
    EXPECT_FALSE(BayDown(st::AnalyzeDay(today, ResidentialToday(56), ResidentialHistory(56, 3, true)), 0));
}

TEST(StationModelIdleRunTest, ConnectorIdleForMostOfTheWindowIsNotJudged) {
    // Idle for 40 of the 56 days: its normal is not known any more (out of use, or reported long ago).
    const EpochMs today = kDay0 + 56 * st::kDayMs;
    EXPECT_FALSE(BayDown(st::AnalyzeDay(today, ResidentialToday(56), ResidentialHistory(56, 40, false)), 0));
}

TEST(StationModelActivityTest, SessionsCutAtOnceBeforeASilenceAreAnOutage) {
    // Two long sessions a day (08:00 to 16:00 and 10:00 to 17:30): no session is expected to start in the
    // afternoon, so a silent afternoon is no outage by the sessions missed in it. Today both stopped in the
    // same minute at 12:00 and nothing followed: the sessions in progress were cut.
    std::vector<st::DayProfile> hist;
    for (int d = 0; d < 42; ++d)
        hist.push_back(st::ToProfile(kDay0 + d * st::kDayMs, Grid(2, {{0, 8 * 60, 480}, {1, 10 * 60, 450}})));
    EXPECT_DOUBLE_EQ(hist[0].joint_stops[17], 1.0);  // one connector stopped before the night's silence
    const auto cut = st::ToProfile(kDay0 + 42 * st::kDayMs, Grid(2, {{0, 8 * 60, 240}, {1, 10 * 60, 120}}));
    EXPECT_DOUBLE_EQ(cut.joint_stops[11], 2.0);
    const auto r = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, {{0, 8 * 60, 240}, {1, 10 * 60, 120}}), hist);
    ASSERT_TRUE(Has(r, st::AnomalyType::kOutage));
    // The same silence after sessions that ended ten minutes apart: sessions end one by one.
    const auto apart = st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, {{0, 8 * 60, 230}, {1, 10 * 60, 120}}), hist);
    EXPECT_FALSE(Has(apart, st::AnomalyType::kOutage));
    // A station whose sessions often end together before a silence (a fleet leaving at shift end): no outage.
    for (int d = 0; d < 42; d += 3)
        hist[static_cast<std::size_t>(d)] =
            st::ToProfile(kDay0 + d * st::kDayMs, Grid(2, {{0, 8 * 60, 480}, {1, 10 * 60, 360}}));
    EXPECT_FALSE(Has(st::AnalyzeDay(kDay0 + 42 * st::kDayMs, Grid(2, {{0, 8 * 60, 240}, {1, 10 * 60, 120}}), hist),
                     st::AnomalyType::kOutage));
}

TEST(StationModelIdleRunTest, RunOverMostOfTheWorkingDaysOfEveryKindIsNotJudged) {
    // Idle for the last 30 of 56 days: 26 working days outside the run, more than half of the 40 weekdays
    // but not of the 56 days the connector's rates are learnt on (before round 5 the run was compared with the
    // weekdays only, and judged).
    const EpochMs today = kDay0 + 56 * st::kDayMs;
    ASSERT_LT(st::Weekday(today), 5);
    EXPECT_FALSE(BayDown(st::AnalyzeDay(today, ResidentialToday(56), ResidentialHistory(56, 30, false)), 0));
}

TEST(StationModelActivityTest, EveryCarDrawingLessIsADropByTheRunsMeanRank) {
    // Twelve sessions a day at 4 to 12 kW; today every car draws 5 to 7.5 kW: none below what the station has
    // seen (the low-quantile test stays quiet), 76 % of the usual power and energy (the day's energy and power
    // tests want 70 %), but all twelve in the lower half of the station's runs.
    auto day = [](int d, bool derated) {
        std::vector<Charge> out;
        for (int h = 8; h < 20; ++h) {
            const int k = (h * 7 + d * 3) % 9;
            const double kw = derated ? 5.0 + 0.5 * (k % 6) : 4.0 + k;
            out.push_back({h % 2, h * 60 + 5, 50, kw});
        }
        return out;
    };
    std::vector<st::DayProfile> hist;
    for (int d = 0; d < 42; ++d) hist.push_back(st::ToProfile(kDay0 + d * st::kDayMs, Grid(2, day(d, false))));
    const EpochMs today = kDay0 + 42 * st::kDayMs;
    const auto r = st::AnalyzeDay(today, Grid(2, day(42, true)), hist);
    ASSERT_TRUE(Has(r, st::AnomalyType::kEnergyDrop));
    st::ModelOptions off;
    off.rank_alpha = 0.0;
    EXPECT_FALSE(Has(st::AnalyzeDay(today, Grid(2, day(42, true)), hist, off), st::AnomalyType::kEnergyDrop));
    // An ordinary day of the same station is no drop.
    EXPECT_FALSE(st::AnalyzeDay(today, Grid(2, day(42, false)), hist).is_anomaly);
}

TEST(StationModelCalibrationTest, FindingNoStrongerThanOnThePastDaysIsDropped) {
    // Connector 1 was silent on four of the 42 days: today's silence of it is still rarer than the bar, but
    // each of those past days, run through the model against the days before it, scored as high or higher.
    auto hist = History(42, 2);
    for (int d : {20, 26, 32, 38}) hist[static_cast<std::size_t>(d)].connectors[1].fill(0.0);
    const EpochMs today = kDay0 + 42 * st::kDayMs;
    const auto plain = st::AnalyzeDay(today, Today(2, 1.0, 0, 24, 1), hist);
    ASSERT_TRUE(Has(plain, st::AnomalyType::kConnectorDown));
    st::ModelOptions calibrated;
    calibrated.calibration_share = 0.02;
    const auto r = st::AnalyzeDay(today, Today(2, 1.0, 0, 24, 1), hist, calibrated);
    EXPECT_FALSE(Has(r, st::AnomalyType::kConnectorDown));
    // The first silence of its kind is kept, and a whole-day outage is never calibrated away.
    const auto first = st::AnalyzeDay(today, Today(2, 1.0, 0, 24, 1), History(42, 2), calibrated);
    EXPECT_TRUE(Has(first, st::AnomalyType::kConnectorDown));
    const auto outage = st::AnalyzeDay(today, Today(2, 0.0), hist, calibrated);
    EXPECT_TRUE(Has(outage, st::AnomalyType::kOutage));
    // Too few past days to learn a bar from: the findings stay.
    calibrated.min_calibration_days = 60;
    EXPECT_TRUE(Has(st::AnalyzeDay(today, Today(2, 1.0, 0, 24, 1), hist, calibrated), st::AnomalyType::kConnectorDown));
}
