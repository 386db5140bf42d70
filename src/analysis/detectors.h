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
        double rise_rate_before_kw = 0.0;
    };

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

    Step OnTotal(domain::EpochMs timestamp_ms, double total_kwh, AnomalySink& sink);
    void Finish(AnomalySink& sink);
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

// Whole-session facts the scores are relative to.
struct SessionContext {
    domain::EpochMs t0_ms = 0;
    domain::EpochMs duration_ms = 0;
    double delivered_kwh = 0.0;
    std::uint32_t energy_readings = 0;
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

}  // namespace evni::analysis
