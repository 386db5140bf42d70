#pragma once

// The station model (analysis.md §5): per station and UTC day, the energy the station delivered next to
// the energy its own history says it should have delivered, and the station-level faults where the two
// part: energy_drop, energy_surge, outage, connector_down. Pure: no I/O; the service feeds it energy
// grids built from stored meter values, the benchmark feeds it grids built from real session tables.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/meter_value.h"

namespace evni::analysis::station {

inline constexpr int kMinutesPerDay = 1440;
inline constexpr int kHoursPerDay = 24;
inline constexpr domain::EpochMs kMinuteMs = 60'000;
inline constexpr domain::EpochMs kHourMs = 3'600'000;
inline constexpr domain::EpochMs kDayMs = 86'400'000;

// The UTC midnight at or before `t`.
domain::EpochMs DayStart(domain::EpochMs t);
// 0 = Monday .. 6 = Sunday (UTC).
int Weekday(domain::EpochMs day_start);

// Energy a session delivered between two meter readings.
struct EnergyInterval {
    domain::EpochMs start_ms = 0;
    domain::EpochMs end_ms = 0;
    double kwh = 0.0;
};

// Delivery intervals of one session from its Energy.Active.Import.Register readings (normalised to kWh,
// outlet location preferred, the unphased series, else each phase's series): the energy between two
// consecutive readings belongs to the time between them. Decreases (register resets) and steps above
// 1 MW are dropped: they are faults the session model reports, not delivered energy.
std::vector<EnergyInterval> EnergyIntervals(std::span<const domain::MeterValue> values);

// Adds each interval's energy to `bins` (slot i covers [origin + i·bin_ms, origin + (i+1)·bin_ms)),
// in proportion to the overlap; energy outside the bins is ignored.
void SpreadEnergy(std::span<const EnergyInterval> intervals, domain::EpochMs origin_ms, domain::EpochMs bin_ms,
                  std::span<double> bins);

using HourlyKwh = std::array<double, kHoursPerDay>;
// Per-hour counts (active minutes, session onsets), as doubles so they sum like energy.
using HourlyCount = std::array<double, kHoursPerDay>;

// A minute with more energy than this (kWh) is a minute the connector delivered (6 W).
inline constexpr double kActiveMinuteKwh = 1e-4;
// Delivery after at least this many minutes without any is a new session on the connector (an onset).
inline constexpr int kOnsetGapMinutes = 15;
// Silence of the station after a joint stop (DayProfile::joint_stops).
inline constexpr int kJointStopSilenceMinutes = 180;

// One day of a station: hourly energy per connector (connectors in the station's order), and, when built
// from a minute grid (ToProfile), the connectors' activity: minutes with delivery and session onsets per
// hour. `active_minutes` and `onsets` are empty when unknown (a profile built from hourly energy only);
// the model then judges on energy alone.
struct DayProfile {
    domain::EpochMs day_start = 0;
    std::vector<HourlyKwh> connectors;
    std::vector<HourlyCount> active_minutes;
    std::vector<HourlyCount> onsets;
    // Per hour (from a minute grid): the most connectors that stopped delivering in one minute of that hour
    // after which the whole station stayed silent for kJointStopSilenceMinutes or more (the day's end
    // permitting). Sessions end one by one; a power cut ends all the sessions in progress at once.
    HourlyCount joint_stops{};
    bool HasActivity() const { return !connectors.empty() && active_minutes.size() == connectors.size(); }
    double Total() const;
    double ConnectorTotal(std::size_t c) const;
    double StationHour(int hour) const;
};

enum class AnomalyType { kEnergyDrop, kEnergySurge, kOutage, kConnectorDown };
const char* AnomalyTypeName(AnomalyType type);

// One station-level fault of the day.
struct Finding {
    AnomalyType type = AnomalyType::kEnergyDrop;
    int start_minute = 0;  // [start_minute, end_minute) within the day
    int end_minute = kMinutesPerDay;
    double expected_kwh = 0.0;  // in the affected period
    double actual_kwh = 0.0;
    double score = 0.0;                    // [0, 1], 0.5 at the detection threshold
    std::optional<std::size_t> connector;  // connector_down: which one
};

// A 15-minute bucket where actual and expected part.
struct Marker {
    int start_minute = 0;
    double score = 0.0;
};

struct ModelOptions {
    // History used: at most this many days before the analysed one.
    int history_days = 56;
    // Fewer usable history days than this: no detection (the expected profile is still reported).
    int min_history_days = 7;
    // Same-weekday days needed before the weekday's own median replaces the all-days one.
    int min_same_weekday = 3;
    // Below this expected energy (kWh) in a period nothing is called missing there.
    double min_expected_kwh = 2.0;
    // Outage / connector_down: shortest silent run (hours); outage: the most often history may have been
    // silent in the same window for the silence to count (fraction of history days).
    int min_silent_hours = 3;
    double max_silent_share = 0.2;
    // An outage of part of the day must miss at least this share of the day's expected energy, and more
    // (by this margin) than the longest silence of any earlier working day of the same kind.
    double min_outage_share = 0.15;
    double outage_margin = 0.1;
    // Drop / surge: thresholds on the robust z-score of log day energy and on the ratio to expected.
    double z_threshold = 3.3;
    double drop_ratio = 0.7;
    double surge_ratio = 1.5;
    // Floor of the log-scale spread (day-to-day variation we never call abnormal).
    double min_log_sigma = 0.15;

    // With activity (DayProfile::HasActivity on the history):
    // Outage of part of the day: the silent run must be rarer than this among earlier working days of the
    // same kind (share of days with a silence at least as unlikely, Laplace's rule), and at least
    // `min_expected_onsets` sessions must have been expected to start in it.
    double max_outage_tail = 0.06;
    double min_expected_onsets = 3.0;
    // ... or, fewer sessions expected there: at least `min_joint_stop` connectors stopped delivering in the
    // same minute just before the silence (the sessions in progress cut off at once), and working days with a
    // joint stop as large before a silence as rare as max_outage_tail.
    int min_joint_stop = 2;
    // Whole silent day: the station's working days start this many sessions or more on average, and at most
    // `max_silent_share` of its working days were nearly silent (under a tenth of the expected energy).
    double min_day_onsets = 4.0;
    // Connector down of a connector often idle (silent on more than
    // max_connector_silent_share/sqrt(connectors - 1) of working days): the probability that it gets none of the
    // sessions the others started today (its share of the station's sessions in history) at most connector_alpha over
    // the number of connectors, and working days where it was left idle against odds at least as long at most
    // max_connector_tail.
    double connector_alpha = 0.01;
    // A connector silent on at most max_connector_silent_share/sqrt(connectors - 1) of working days is down
    // when silent all day; with busy_connector_alpha < 1 (off by default: on the benchmark it buys precision
    // 0.9 at a third less recall) it also needs (1 - s)^N <= busy_connector_alpha, s its share of the
    // station's sessions, N today's sessions elsewhere (a quiet day explains a silent connector).
    double busy_connector_alpha = 1.0;
    double max_connector_silent_share = 0.2;
    double max_connector_tail = 0.1;
    // Connector down on a day that continues an idle run (the connector delivered nothing on the days before
    // either, while others did): the run's probability (the smaller of: the share test above multiplied over
    // the run's days; the connector's own share of idle working days to the power of the run's length, today
    // included; both learnt on the working days outside the run) at most idle_run_alpha / (2 · connectors),
    // and the idle runs of any of the station's connectors that ended, and the others' ongoing ones, at least
    // as unlikely at most this share of working days (Laplace's rule).
    double max_idle_run_tail = 0.025;
    double idle_run_alpha = 0.01;
    // Drop / surge of the power delivered while charging (station energy per active connector-minute):
    // robust z-score of its log against the station's working days (spread floor `min_power_sigma`),
    // thresholds z_threshold and drop_ratio / surge_ratio, with at least this many active minutes.
    double min_power_sigma = 0.08;
    double min_active_minutes = 60.0;
    // When the power is known, the energy test wants its z-score beyond -power_confirm_z (drop) or
    // power_confirm_z (surge), and the power test the energy's beyond energy_confirm_z the same way.
    double power_confirm_z = 0.0;
    double energy_confirm_z = 0.0;
    // Drop / surge of the charging runs' powers (a run: a connector's consecutive hours with delivery, about
    // one car): at least `min_run_share` of today's runs (and `min_runs` of them) below the `run_quantile`
    // (or above the 1 - run_quantile) of the station's pool of runs (at least `min_pool_runs`), with a
    // binomial tail <= run_alpha and at most `max_power_tail` of earlier days with as large a share.
    double run_quantile = 0.05;
    double min_run_share = 0.3;
    int min_runs = 2;
    int min_pool_runs = 30;
    double run_alpha = 0.01;
    double max_power_tail = 0.1;
    // ... or the mean rank of today's runs in that pool below (drop) or above (surge, when rank_surge) 1/2 by a
    // normal tail <= rank_alpha (0 = off), with at most max_power_tail of earlier days as extreme.
    double rank_alpha = 0.01;
    bool rank_surge = false;
    // Calibration on the station's own past (its false-alarm rate): the past working days of the window, each
    // run through the model against the days before it; a finding of a calibrated type stays when at most
    // `calibration_share` of them (floor of the share times their number) scored as high for its type
    // (0 = no calibration). Fewer than `min_calibration_days` judged past days: findings stay as they are.
    // Which types: outages of part of the day, connector_down, drops and surges.
    double calibration_share = 0.0;
    int min_calibration_days = 14;
    bool calibrate_outage = true;
    bool calibrate_connector = true;
    bool calibrate_energy = false;
};

struct DayResult {
    bool is_anomaly = false;
    double day_score = 0.0;  // [0, 1]
    double expected_kwh = 0.0;
    double actual_kwh = 0.0;
    int history_days = 0;  // usable history days
    bool enough_history = false;
    std::vector<Finding> findings;  // strongest first
    std::vector<Marker> markers;
    std::vector<double> cumulative_kwh;           // kMinutesPerDay, actual
    std::vector<double> expected_cumulative_kwh;  // kMinutesPerDay
};

// Analyses `minute_kwh` (per connector, kMinutesPerDay each: the day's delivered energy per minute)
// against `history` (earlier days of the same station, any order, same connector order; days before the
// station existed must not be passed). Only minutes before `until_minute` are judged (a day in progress).
DayResult AnalyzeDay(domain::EpochMs day_start, const std::vector<std::vector<double>>& minute_kwh,
                     std::span<const DayProfile> history, const ModelOptions& options = {},
                     int until_minute = kMinutesPerDay);

// Hourly profile of a minute grid: energy, active minutes and onsets per connector and hour (a connector
// delivering at the day's first minute continues a session of the day before: no onset there).
DayProfile ToProfile(domain::EpochMs day_start, const std::vector<std::vector<double>>& minute_kwh);

}  // namespace evni::analysis::station
