#pragma once

// Streaming anomaly detectors (analysis.md §2). Each detector sees one GroupSignals per distinct timestamp,
// in time order, keeps O(1) state plus the anomalies it has found, and writes AnomalyRecord features; scores
// and confidences are computed from those features at the end (ScoreAnomaly), when the whole-session
// context (delivered energy, duration) is known.
//
// Adding a category: add it to Category (append only, names are API), write a detector with
// OnGroup/Finish/Visit, add it to IncrementalAnalyzer::State (analyzer.cpp) and a case to ScoreAnomaly.

#include <array>
#include <cstdint>
#include <vector>

#include "analysis/analyzer.h"
#include "analysis/normalise.h"

namespace evni::analysis {

// Stored in the serialised state: append only.
enum class Category : std::uint8_t {
    kKwhDecrease,
    kEnergyPit,
    kSocDecrease,
    kMeterReset,
    kEnergySpike,
    kStuckRegister,
    kEnergyPowerMismatch,
    kPowerOverLimit,
    kSocJump,
    kZeroEnergy,
    kTimestampInvalid,
    kDataGap,
    kIdleOccupancy,
    kSessionOverlap,
    kCount,
};
const char* CategoryName(Category category);

// The features of one anomaly occurrence; meaning of magnitude/aux/count/flags depends on the category.
struct AnomalyRecord {
    Category category = Category::kKwhDecrease;
    domain::EpochMs start_ms = 0;
    domain::EpochMs end_ms = 0;
    double magnitude = 0.0;
    double aux = 0.0;
    std::uint32_t count = 0;
    std::uint8_t flags = 0;
};

// Collects anomaly records. A pathological session cannot grow the state without bound: beyond
// kMaxPerCategory occurrences, a new one is merged into the latest of its category.
class AnomalySink {
  public:
    static constexpr std::size_t kMaxPerCategory = 200;
    explicit AnomalySink(std::vector<AnomalyRecord>& records) : records_(records) {}
    void Add(const AnomalyRecord& record);

  private:
    std::vector<AnomalyRecord>& records_;
};

// What one distinct timestamp tells the session-level detectors, after normalisation.
struct GroupSignals {
    domain::EpochMs timestamp_ms = 0;

    // Primary Energy.Active.Import.Register series (kWh).
    bool has_energy = false;       // a total was read at this timestamp
    bool energy_has_prev = false;  // ... and there was an earlier one
    domain::EpochMs energy_prev_ms = 0;
    double energy_step_kwh = 0.0;
    bool energy_reset = false;   // the step was a drop to ~0 (meter reset), not a decrease
    bool energy_rising = false;  // the step delivers >= kDeliveryMinKw on average
    double imported_kwh = 0.0;   // cumulative positive steps so far (latest known)
    double quantum_kwh = 0.0;    // register resolution: approximate GCD of the steps (0 = none yet)
    double rise_rate_kw = 0.0;   // delivery rate over the rise-to-rise span before this reading

    // Primary Power.Active.Import series (kW).
    bool power_mode = false;  // the session has power readings: delivery is judged on power
    bool has_power = false;
    double power_kw = 0.0;
    double power_off_kw = 0.1;  // power at or below this is "~0"

    // Load management: Power.Offered / Current.Offered below what a car can charge with.
    bool offered_known = false;
    std::int64_t offered_low_integral_ms = 0;              // time with offered ~0 since t0, up to now
    std::int64_t offered_low_integral_at_energy_prev = 0;  // ... up to energy_prev_ms

    bool has_soc = false;
    double soc_percent = 0.0;

    // Additions for the register/power consistency detectors.
    bool energy_flat = false;            // the primary register repeated its value
    double imported_clean_kwh = 0.0;     // imported_kwh without resets and suspected spikes
    double imported_unspiked_kwh = 0.0;  // imported_kwh without confirmed spikes
    std::uint32_t discontinuities = 0;
    double latest_power_kw = 0.0;           // the latest primary power reading (sample and hold)
    bool any_power = false;                 // a primary power reading was seen at or before this timestamp
    double cum_power_kwh = 0.0;             // integral of primary power (trapezoid) up to the latest power reading
    double cum_power_at_energy_prev = 0.0;  // ... as it was at the previous primary energy reading
    // Bound of the trapezoid's error in cum_power_kwh: half the power change times the interval, summed (the
    // power may have stepped anywhere between two readings).
    double cum_power_uncertainty_kwh = 0.0;
    // The limit power must stay under (kW): connector rating and Power.Offered where known, else the physical
    // bound of the current type. limit_from_offered: Power.Offered is part of it.
    double limit_kw = 0.0;
    bool limit_from_offered = false;
    bool limit_from_rating = false;
    bool limit_learned = false;  // the limit is the connector's learned rating (AnalysisOptions)
    bool limit_changed = false;  // the limit differs from the previous timestamp's
};

// Delivery below this average rate is "~0" (EV electronics draw tens of watts when not charging).
inline constexpr double kDeliveryMinKw = 0.1;

// KWH_DECREASE on one register series: a run of non-increasing readings that contains a step down beyond
// the meter's resolution. The range goes from the last reading before the fall to the lowest reading of it.
// magnitude = fall in kWh, aux = tolerance in kWh, count = readings below the top, flags bit0 = the lower
// level persisted (not a single-sample glitch).
struct KwhDecreaseTracker {
    bool open = false;
    domain::EpochMs start_ms = 0;
    domain::EpochMs end_ms = 0;
    double top_kwh = 0.0;
    double bottom_kwh = 0.0;
    double tolerance_kwh = 0.0;
    std::uint32_t readings_below = 0;

    void Close(bool still_below, AnomalySink& sink);
};

// One Energy.Active.Import.Register location: builds the total (unphased, else the sum of L1..L3 with the
// last known value of a phase missing at a timestamp; never both) and tracks the register.
struct EnergyChannel {
    struct Step {
        bool first = true;
        domain::EpochMs prev_ms = 0;
        double step_kwh = 0.0;
        bool reset = false;
        bool rising = false;
        bool flat = false;           // the register repeated its value
        bool spike_suspect = false;  // the rise is far faster than the one before (ENERGY_SPIKE candidate)
        double rise_rate_before_kw = 0.0;
    };

    // ENERGY_SPIKE: a rise whose rate (over the span since the previous rise, so coarse meters and catch-ups
    // after a frozen stretch are judged fairly) is kSpikeFactor times the rates before and after it, or above
    // the hard power limit. Decided at the next rise (or a fall back to the level before it: a one-sample
    // glitch), or at the end of the data. magnitude = step kWh, aux = rate / neighbour rate, flags: bit0 above
    // the hard limit, bit1 fell back (glitch).
    static constexpr double kSpikeFactor = 3.0;
    static constexpr double kSpikeMinKwh = 0.2;

    bool unphased_seen = false;
    std::array<bool, 3> phase_seen{};
    std::array<double, 3> phase_kwh{};

    bool has_prev = false;
    domain::EpochMs prev_ms = 0;
    double prev_kwh = 0.0;
    double running_max_kwh = 0.0;  // highest value since the first reading or the last reset
    double delivered_kwh = 0.0;    // sum of rises above running_max: the session's energy
    double imported_kwh = 0.0;     // sum of all positive steps
    double quantum_kwh = 0.0;      // resolution: approximate GCD of the positive steps; 0 = none yet
    domain::EpochMs window_ms = 0;
    double window_kwh = 0.0;
    double max_rate_kw = 0.0;  // highest delivery rate over windows of >= 60 s
    domain::EpochMs last_rise_ms = 0;
    double last_rise_kwh = 0.0;
    double rise_rate_kw = 0.0;
    std::uint32_t readings = 0;
    KwhDecreaseTracker decrease;

    double imported_clean_kwh = 0.0;    // positive steps without resets and suspected spikes
    double spike_kwh = 0.0;             // rises of confirmed spikes (not delivered energy)
    std::uint32_t discontinuities = 0;  // resets, decreases and spike suspects so far

    bool spike_open = false;
    bool spike_blatant = false;
    domain::EpochMs spike_start_ms = 0;
    domain::EpochMs spike_end_ms = 0;
    double spike_step_kwh = 0.0;
    double spike_rate_kw = 0.0;
    double spike_rate_before_kw = 0.0;
    double spike_pre_kwh = 0.0;

    bool has_power = false;           // power readings exist: cum_power_kwh is meaningful
    double prev_cum_power_kwh = 0.0;  // integrated power at the previous reading

    // `hard_limit_kw`: a rise faster than this is physically impossible (see HardLimitKw). `cum_power_kwh`:
    // integrated power so far, when `has_power_now` (a rise the power readings account for is not a spike).
    Step OnTotal(domain::EpochMs timestamp_ms, double total_kwh, double hard_limit_kw, bool has_power_now,
                 double cum_power_kwh, AnomalySink& sink);
    void Finish(AnomalySink& sink);

  private:
    // Decides the pending spike (true: it was one); `rate_after_kw` <= 0 when there is no later rise.
    bool ResolveSpike(double rate_after_kw, domain::EpochMs end_ms, bool glitch, AnomalySink& sink);
};

// ENERGY_PIT: delivery ~0 for >= 3 min between two stretches of delivery. With power readings, a pit is a run
// of power ~0 readings (contradicted when the register keeps rising) whose duration is estimated from the energy
// missing against the power before it (or, with a coarse or absent register, the middle between the zero
// readings' span and the span between the surrounding readings); without power, a register plateau longer than
// both 3 min and twice the time the meter needs for one step at the previous rate (coarse meters). Not a pit
// when Power.Offered/Current.Offered was ~0 for at least half of it (load management). A pit still open at
// the end of the data is an idle tail, not a pit.
// magnitude = duration in minutes, count = readings inside, flags: bit0 power-based, bit1 register flat too,
// bit2 offered power known.
struct EnergyPitDetector {
    static constexpr domain::EpochMs kMinPitMs = 180'000;

    bool delivering_seen = false;
    // The latest power reading above ~0, and what the register said then.
    domain::EpochMs last_on_ms = 0;
    double last_on_power_kw = 0.0;
    double last_on_imported_kwh = 0.0;
    bool last_on_had_energy = false;

    bool open = false;
    bool by_power = false;
    domain::EpochMs before_ms = 0;  // last_on_* when the pit opened
    double before_power_kw = 0.0;
    double before_imported_kwh = 0.0;
    bool before_had_energy = false;
    domain::EpochMs start_ms = 0;
    domain::EpochMs last_zero_ms = 0;
    double imported_at_open_kwh = 0.0;
    double imported_at_last_zero_kwh = 0.0;
    double quantum_at_open_kwh = 0.0;
    double rate_before_kw = 0.0;
    std::int64_t offered_integral_at_open_ms = 0;
    std::uint32_t zero_readings = 0;

    void OnGroup(const GroupSignals& signals, AnomalySink& sink);

  private:
    void Close(const GroupSignals& signals, AnomalySink& sink);
};

// SOC_DECREASE: SoC falls >= 2 points below its running peak while the register rises (or power flows) over
// the same stretch (from the peak until SoC is back at the peak or the data ends). The range goes from the last
// reading at the peak to the lowest reading.
// magnitude = fall in SoC points, aux = kWh imported over the fall, count = SoC readings, flags bit0 = power
// flowed during the fall.
struct SocDecreaseDetector {
    static constexpr double kMinDropPoints = 2.0;  // a 1-point jitter is normal rounding in the BMS

    bool has_peak = false;
    double peak_soc = 0.0;
    domain::EpochMs peak_ms = 0;
    double peak_imported_kwh = 0.0;
    std::uint32_t power_on_since_peak = 0;

    bool open = false;
    domain::EpochMs start_ms = 0;
    double start_imported_kwh = 0.0;
    double min_soc = 0.0;
    domain::EpochMs min_ms = 0;
    double min_imported_kwh = 0.0;
    std::uint32_t power_on_in_fall = 0;
    double last_imported_kwh = 0.0;  // at the latest SoC reading of the fall
    std::uint32_t readings = 0;

    void OnGroup(const GroupSignals& signals, AnomalySink& sink);
    void Finish(AnomalySink& sink);

  private:
    void Close(AnomalySink& sink);
};

// STUCK_REGISTER: the primary register repeats its value while every power reading is > 1 kW, for >= 5 min (the
// middle between the flat readings' span and the span between the readings around them) and
// for more energy (by integrated power) than two meter steps (coarse meters). Needs power readings. The range
// goes from the last reading before the plateau to the reading where the register moves again (or the last
// flat reading). magnitude = energy the power says was delivered (kWh), aux = minutes, count = flat readings,
// flags bit0 = the register moved again.
struct StuckRegisterDetector {
    static constexpr domain::EpochMs kMinStuckMs = 300'000;
    static constexpr double kMinPowerKw = 1.0;

    bool open = false;
    bool broken = false;                  // a power reading <= 1 kW inside: a pause, not a stuck meter
    domain::EpochMs before_start_ms = 0;  // the energy reading before start_ms (the plateau began after it)
    domain::EpochMs last_energy_ms = 0;
    domain::EpochMs before_last_energy_ms = 0;
    domain::EpochMs start_ms = 0;
    domain::EpochMs last_flat_ms = 0;
    double cum_power_at_start = 0.0;
    double cum_power_at_last_flat = 0.0;
    std::uint32_t readings = 0;

    void OnGroup(const GroupSignals& signals, AnomalySink& sink);
    void Finish(const GroupSignals& last, AnomalySink& sink);
    // A plateau long enough to be stuck is in progress (other detectors ignore that stretch).
    bool Suspect() const { return open && !broken && last_flat_ms - start_ms >= kMinStuckMs; }
    bool Pending() const { return open && !broken; }
    domain::EpochMs long_closed_ms = 0;  // when the latest plateau of >= kMinStuckMs with power ended

  private:
    void Close(domain::EpochMs end_ms, bool moved, double quantum_kwh, AnomalySink& sink);
};

// ENERGY_POWER_MISMATCH: windows of >= 15 min and >= 3 register intervals, aligned on readings that carry
// both register and power; a window whose register delta and integrated power differ by > 25 % of the
// register delta (beyond one meter step and 50 Wh) is a mismatch, consecutive ones form one occurrence. A
// window is dropped when the register jumps (reset, decrease, spike) or sits stuck inside it.
// magnitude = largest |power/register - 1|, aux = summed |difference| (kWh), count = windows.
struct PowerMismatchDetector {
    static constexpr domain::EpochMs kMinWindowMs = 900'000;
    static constexpr double kTolerance = 0.25;

    bool anchored = false;
    domain::EpochMs anchor_ms = 0;
    double anchor_energy_kwh = 0.0;
    double anchor_power_kwh = 0.0;
    double anchor_uncertainty_kwh = 0.0;
    std::uint32_t anchor_discontinuities = 0;
    std::uint32_t intervals = 0;

    bool open = false;
    domain::EpochMs start_ms = 0;
    domain::EpochMs end_ms = 0;
    double max_deviation = 0.0;
    double sum_difference_kwh = 0.0;
    std::uint32_t windows = 0;

    // `stuck_open`: a plateau with power is open (wait for its outcome); `stuck_long`: a plateau long enough to
    // be STUCK_REGISTER is open or ended here (the window is dropped).
    void OnGroup(const GroupSignals& signals, bool stuck_open, bool stuck_long, AnomalySink& sink);
    void Finish(AnomalySink& sink);

  private:
    void Anchor(const GroupSignals& signals);
    void Close(AnomalySink& sink);
};

// POWER_OVER_LIMIT: power readings above 1.1 x the limit (+0.2 kW) for >= 2 readings, or one reading >= 1.25 x
// a limit that did not just change. Power.Offered counts with one reading of grace after a step down (the car
// follows within seconds). Dropped when a fine register over the same stretch delivered < 75 % of what the
// power claims (then the power reading is wrong: ENERGY_POWER_MISMATCH). magnitude = highest power / limit,
// aux = limit kW, count = readings, flags: bit0 limit from Power.Offered, bit1 from the connector rating,
// bit2 from the connector's learned rating (history, not metadata: reduced confidence).
struct PowerOverLimitDetector {
    bool open = false;
    domain::EpochMs start_ms = 0;
    domain::EpochMs last_ms = 0;
    double max_ratio = 0.0;
    double limit_kw = 0.0;
    std::uint32_t readings = 0;
    std::uint8_t flags = 0;
    bool stable_single = false;
    double energy_at_start_kwh = 0.0;
    double power_at_start_kwh = 0.0;
    // What the register and the power integral said at the previous power reading.
    double prev_energy_kwh = 0.0;
    double prev_power_kwh = 0.0;

    void OnGroup(const GroupSignals& signals, double quantum_kwh, AnomalySink& sink);
    void Finish(const GroupSignals& last, double quantum_kwh, AnomalySink& sink);

  private:
    void Close(double energy_now_kwh, double power_now_kwh, double quantum_kwh, AnomalySink& sink);
};

// SOC_JUMP: between two SoC readings, a rise of >= 3 points implying a battery under 10 kWh for the energy
// imported meanwhile (with power readings: the larger of their integral and the register without suspected
// spikes; without: the register without confirmed spikes) (one point of rounding and one meter step allowed), or a jump
// of >= 8 points to 100 % implying under 30 kWh. The range is the two readings. magnitude = points, aux = kWh imported,
// flags bit0 = jump to 100 %.
struct SocJumpDetector {
    bool has_prev = false;
    double prev_soc = 0.0;
    domain::EpochMs prev_ms = 0;
    double prev_energy_kwh = 0.0;
    double prev_clean_kwh = 0.0;
    double prev_power_kwh = 0.0;

    void OnGroup(const GroupSignals& signals, double quantum_kwh, AnomalySink& sink);
};

// SOC_JUMP on the SoC reconstruction (issue #4, docs/analysis.md "SoC-based categories on the reconstruction"). A
// session with exactly one SoC reading has no measured SoC series, and the reconstruction anchors its curve on that
// reading: SoC(t) = s + 100 (E(t) - E(t_s)) / B, monotone in the energy E. When no battery the typical-EV capacity
// prior allows (B <= MaxPlausibleCapacityKwh, sorc.h) keeps that curve within 0..100 % -- the energy after the
// reading would lift it beyond 100 %, or the energy before it would need a start below 0 % -- by >= 3 points (after
// one point of rounding and one meter step), the reading is inconsistent with the energy delivered: an SoC step
// implausible for the energy (implied battery above the prior's bound). Decided at the end, when the energy on both
// sides is known; a second SoC reading turns the check off (the measured-SoC detectors judge the series). Never a
// SOC_DECREASE: the reconstruction is monotone by construction. Scored with the measured SOC_JUMP's confidence
// times kReconstructedConfidenceFactor. magnitude = points beyond 0..100 with the largest plausible battery, aux =
// kWh on that side of the reading, flags: bit1 reconstruction-based, bit2 the energy before the reading (else after).
struct SocAnchorCheck {
    static constexpr double kMinOvershootPoints = 3.0;
    static constexpr std::uint8_t kFlagReconstructed = 2;
    static constexpr std::uint8_t kFlagBefore = 4;

    std::uint32_t readings = 0;  // SoC readings of the primary SoC location
    double soc = 0.0;            // the first one
    domain::EpochMs soc_ms = 0;
    double energy_before_kwh = 0.0;  // register imported (without resets and suspected spikes) up to the reading
    double power_before_kwh = 0.0;   // integrated power up to the reading

    void OnGroup(const GroupSignals& signals);
    // `last`: the signals at the end of the data; `max_capacity_kwh`: MaxPlausibleCapacityKwh of the session.
    void Finish(const GroupSignals& last, double max_capacity_kwh, domain::EpochMs t0_ms, AnomalySink& sink) const;
};

// Confidence of a finding on the SoC reconstruction relative to the same finding on measured SoC: the reconstruction
// is an inference (capacity prior, one reading), so it never counts as much as a measured series, and never reaches
// the confidence the incident rule asks for (>= 0.8).
inline constexpr double kReconstructedConfidenceFactor = 0.6;

// DATA_GAP: intervals between consecutive timestamps of >= max(15 min, 5 x the session's median interval)
// while delivering (the register rose across it, or power was on before it). The median is known at the end
// only: the 16 longest candidate intervals >= 15 min are kept (a session with more is sparse anyway) and judged
// then against a log-binned histogram of all intervals. magnitude = minutes, aux = threshold minutes.
struct DataGapTracker {
    static constexpr domain::EpochMs kMinGapMs = 900'000;
    static constexpr std::size_t kBins = 48;  // quarter-octaves from 1 s
    static constexpr std::size_t kMaxCandidates = 16;
    struct Candidate {
        domain::EpochMs start_ms = 0;
        domain::EpochMs end_ms = 0;
    };

    std::array<std::uint32_t, kBins> bins{};
    std::vector<Candidate> candidates;
    bool has_last = false;
    domain::EpochMs last_ms = 0;
    bool power_on_last = false;

    void OnGroup(const GroupSignals& signals);
    domain::EpochMs MedianIntervalMs() const;
    void Finish(AnomalySink& sink) const;
};

// IDLE_OCCUPANCY: >= 30 min at ~0 power at the end of the data after delivery. The end of delivery is estimated
// from the energy the register counted after the last power-on reading (fine meters), else the middle between
// the last on and first off reading; without power, from the last register rise (plus half a meter step at the
// rate before, for coarse meters). magnitude = idle minutes.
struct IdleTailTracker {
    static constexpr domain::EpochMs kMinIdleMs = 1'800'000;

    bool delivered = false;
    domain::EpochMs last_on_ms = 0;
    double last_on_power_kw = 0.0;
    double imported_at_last_on_kwh = 0.0;
    bool off_after = false;
    domain::EpochMs first_off_ms = 0;
    domain::EpochMs last_rise_ms = 0;
    double rate_at_last_rise_kw = 0.0;

    void OnGroup(const GroupSignals& signals);
    void Finish(const GroupSignals& last, double quantum_kwh, AnomalySink& sink) const;
};

// TIMESTAMP_INVALID: values with a timestamp before 2000-01-01 (or after 2200), more than 5 min after the
// analysis clock, or a second, different value for the same series and time. Invalid timestamps cannot be
// placed in time: a run of them (in arrival order) is attributed to the span from the latest valid timestamp
// before it to the next valid one after it. magnitude = values, flags: bit0 too early, bit1 future, bit2
// conflicting duplicate.
struct TimestampTracker {
    static constexpr domain::EpochMs kFutureToleranceMs = 300'000;

    bool open = false;
    domain::EpochMs start_ms = 0;  // 0: before any valid value (bucket 0)
    std::uint32_t count = 0;
    std::uint8_t kinds = 0;

    void OnInvalid(domain::EpochMs attributed_ms, std::uint8_t kind);
    void OnValid(domain::EpochMs timestamp_ms, AnomalySink& sink);
    void OnConflict(domain::EpochMs timestamp_ms, AnomalySink& sink);
    void Finish(AnomalySink& sink);
};

// The fastest a register can physically rise on this connector (ENERGY_SPIKE's absolute bound), kW.
double HardLimitKw(const domain::ConnectorFacts& facts, bool ac_inferred);
// The power limit without Power.Offered (POWER_OVER_LIMIT), kW: the rating, else the physical bound of the
// current type (AC 44 kW, 14.5 kW per phase; DC 400 kW).
double RatedLimitKw(const domain::ConnectorFacts& facts, bool ac_inferred);

// Whole-session facts the scores are relative to.
struct SessionContext {
    domain::EpochMs t0_ms = 0;
    domain::EpochMs duration_ms = 0;
    double delivered_kwh = 0.0;
    std::uint32_t energy_readings = 0;
    bool power_mode = false;
};

Anomaly ScoreAnomaly(const AnomalyRecord& record, const SessionContext& context);
// Confidence of a verdict without anomalies: grows with the number of energy readings (0.5 .. 0.95).
double NormalConfidence(const SessionContext& context);
std::int64_t BucketOf(domain::EpochMs timestamp_ms, domain::EpochMs t0_ms);

// Field lists for the serialised state (see byte_io.h).
template <typename Io, typename T>
void VisitRecord(Io& io, T& r) {
    io.Field(r.category);
    io.Time(r.start_ms);
    io.Time(r.end_ms);
    io.Field(r.magnitude);
    io.Field(r.aux);
    io.Field(r.count);
    io.Field(r.flags);
}

template <typename Io, typename T>
void VisitDecrease(Io& io, T& d) {
    io.Field(d.open);
    io.Time(d.start_ms);
    io.Time(d.end_ms);
    io.Field(d.top_kwh);
    io.Field(d.bottom_kwh);
    io.Field(d.tolerance_kwh);
    io.Field(d.readings_below);
}

template <typename Io, typename T>
void VisitChannel(Io& io, T& c) {
    io.Field(c.unphased_seen);
    for (auto& seen : c.phase_seen) io.Field(seen);
    for (auto& value : c.phase_kwh) io.Field(value);
    io.Field(c.has_prev);
    io.Time(c.prev_ms);
    io.Field(c.prev_kwh);
    io.Field(c.running_max_kwh);
    io.Field(c.delivered_kwh);
    io.Field(c.imported_kwh);
    io.Field(c.quantum_kwh);
    io.Time(c.window_ms);
    io.Field(c.window_kwh);
    io.Field(c.max_rate_kw);
    io.Time(c.last_rise_ms);
    io.Field(c.last_rise_kwh);
    io.Field(c.rise_rate_kw);
    io.Field(c.readings);
    VisitDecrease(io, c.decrease);
    io.Field(c.imported_clean_kwh);
    io.Field(c.spike_kwh);
    io.Field(c.discontinuities);
    io.Field(c.spike_open);
    io.Field(c.spike_blatant);
    io.Time(c.spike_start_ms);
    io.Time(c.spike_end_ms);
    io.Field(c.spike_step_kwh);
    io.Field(c.spike_rate_kw);
    io.Field(c.spike_rate_before_kw);
    io.Field(c.spike_pre_kwh);
    io.Field(c.has_power);
    io.Field(c.prev_cum_power_kwh);
}

template <typename Io, typename T>
void VisitPit(Io& io, T& p) {
    io.Field(p.delivering_seen);
    io.Time(p.last_on_ms);
    io.Field(p.last_on_power_kw);
    io.Field(p.last_on_imported_kwh);
    io.Field(p.last_on_had_energy);
    io.Field(p.open);
    io.Field(p.by_power);
    io.Time(p.before_ms);
    io.Field(p.before_power_kw);
    io.Field(p.before_imported_kwh);
    io.Field(p.before_had_energy);
    io.Time(p.start_ms);
    io.Time(p.last_zero_ms);
    io.Field(p.imported_at_open_kwh);
    io.Field(p.imported_at_last_zero_kwh);
    io.Field(p.quantum_at_open_kwh);
    io.Field(p.rate_before_kw);
    io.Duration(p.offered_integral_at_open_ms);
    io.Field(p.zero_readings);
}

template <typename Io, typename T>
void VisitSoc(Io& io, T& s) {
    io.Field(s.has_peak);
    io.Field(s.peak_soc);
    io.Time(s.peak_ms);
    io.Field(s.peak_imported_kwh);
    io.Field(s.power_on_since_peak);
    io.Field(s.open);
    io.Time(s.start_ms);
    io.Field(s.start_imported_kwh);
    io.Field(s.min_soc);
    io.Time(s.min_ms);
    io.Field(s.min_imported_kwh);
    io.Field(s.power_on_in_fall);
    io.Field(s.last_imported_kwh);
    io.Field(s.readings);
}

template <typename Io, typename T>
void VisitStuck(Io& io, T& d) {
    io.Field(d.open);
    io.Field(d.broken);
    io.Time(d.before_start_ms);
    io.Time(d.last_energy_ms);
    io.Time(d.before_last_energy_ms);
    io.Time(d.start_ms);
    io.Time(d.last_flat_ms);
    io.Field(d.cum_power_at_start);
    io.Field(d.cum_power_at_last_flat);
    io.Field(d.readings);
    io.Time(d.long_closed_ms);
}

template <typename Io, typename T>
void VisitMismatch(Io& io, T& d) {
    io.Field(d.anchored);
    io.Time(d.anchor_ms);
    io.Field(d.anchor_energy_kwh);
    io.Field(d.anchor_power_kwh);
    io.Field(d.anchor_uncertainty_kwh);
    io.Field(d.anchor_discontinuities);
    io.Field(d.intervals);
    io.Field(d.open);
    io.Time(d.start_ms);
    io.Time(d.end_ms);
    io.Field(d.max_deviation);
    io.Field(d.sum_difference_kwh);
    io.Field(d.windows);
}

template <typename Io, typename T>
void VisitOverLimit(Io& io, T& d) {
    io.Field(d.open);
    io.Time(d.start_ms);
    io.Time(d.last_ms);
    io.Field(d.max_ratio);
    io.Field(d.limit_kw);
    io.Field(d.readings);
    io.Field(d.flags);
    io.Field(d.stable_single);
    io.Field(d.energy_at_start_kwh);
    io.Field(d.power_at_start_kwh);
    io.Field(d.prev_energy_kwh);
    io.Field(d.prev_power_kwh);
}

template <typename Io, typename T>
void VisitSocJump(Io& io, T& d) {
    io.Field(d.has_prev);
    io.Field(d.prev_soc);
    io.Time(d.prev_ms);
    io.Field(d.prev_energy_kwh);
    io.Field(d.prev_clean_kwh);
    io.Field(d.prev_power_kwh);
}

template <typename Io, typename T>
void VisitSocAnchor(Io& io, T& d) {
    io.Field(d.readings);
    io.Field(d.soc);
    io.Time(d.soc_ms);
    io.Field(d.energy_before_kwh);
    io.Field(d.power_before_kwh);
}

template <typename Io, typename T>
void VisitGaps(Io& io, T& d) {
    for (auto& bin : d.bins) io.Field(bin);
    io.Vector(d.candidates, DataGapTracker::kMaxCandidates, 16, [](auto& sub, auto& c) {
        sub.Time(c.start_ms);
        sub.Time(c.end_ms);
    });
    io.Field(d.has_last);
    io.Time(d.last_ms);
    io.Field(d.power_on_last);
}

template <typename Io, typename T>
void VisitIdle(Io& io, T& d) {
    io.Field(d.delivered);
    io.Time(d.last_on_ms);
    io.Field(d.last_on_power_kw);
    io.Field(d.imported_at_last_on_kwh);
    io.Field(d.off_after);
    io.Time(d.first_off_ms);
    io.Time(d.last_rise_ms);
    io.Field(d.rate_at_last_rise_kw);
}

template <typename Io, typename T>
void VisitTimestamps(Io& io, T& d) {
    io.Field(d.open);
    io.Time(d.start_ms);
    io.Field(d.count);
    io.Field(d.kinds);
}

}  // namespace evni::analysis
