#pragma once

// Labelled session generator (analysis.md §6): realistic OCPP meter values of AC and DC charging sessions with
// every anomaly category injectable at an exact ground-truth time range, from subtle to blatant, and the hard
// negatives of §2. Deterministic for a seed. Session envelopes (start time, duration, energy, station) are
// drawn from real public session tables when a data folder is given (see LoadPopulation), else from built-in
// distributions.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "analysis/analyzer.h"
#include "domain/meter_value.h"

namespace evni::analysis::gen {

// One real (or built-in) session envelope.
struct Envelope {
    domain::EpochMs start_ms = 0;
    double plugged_h = 1.0;    // plug-in to plug-out
    double charging_h = 1.0;   // time actually charging (<= plugged_h)
    double energy_kwh = 10.0;  // delivered
    std::string station;
    bool dc = false;
    double max_power_kw = 0.0;  // observed peak, 0 = unknown
    double soc_start = -1.0;    // -1 = unknown
    double soc_end = -1.0;
};

struct Population {
    std::vector<Envelope> ac;
    std::vector<Envelope> dc;
    std::vector<std::string> sources;  // what was read, for the report
};

// Reads the Boulder (open-ev-load/Boulder, AC Level 2 and DC fast) and EPFL (epfl-l3, DC with SoC) session
// tables under `data_dir`. Missing or unreadable tables are skipped and named in `warnings`; when a current
// type has no envelopes at all, built-in distributions fill it.
Population LoadPopulation(const std::string& data_dir, std::vector<std::string>& warnings);
Population BuiltinPopulation();

// A ground-truth occurrence: category (API name) and time range.
struct Label {
    std::string category;
    domain::EpochMs start_ms = 0;
    domain::EpochMs end_ms = 0;
};

enum class HardNegative {
    kNone,
    kLoadManagement,    // Power.Offered steps down (and to 0), power follows
    kDcTaper,           // CC-CV taper above 80 % SoC
    kShortPause,        // EV-side pauses < 3 min
    kCoarseMeter,       // 0.1 .. 1 kWh register steps
    kShortIdleTail,     // idle tail < 30 min
    kLifetimeRegister,  // the first reading is the lifetime register
    kCount,
};
const char* HardNegativeName(HardNegative kind);

struct GeneratedSession {
    std::string id;
    std::string station;
    std::string profile;  // short description of the meter and the injection
    domain::MeterValues values;
    AnalysisOptions options;
    std::vector<Label> labels;  // empty for a clean session
    HardNegative hard_negative = HardNegative::kNone;

    // Hidden truth for the SoC reconstruction benchmark, filled only when Generator::RecordTrueSoc(true) was
    // called (recording draws no random numbers, so the values generated are the same either way): the true
    // SoC (%) every true_soc_step_s seconds from true_soc_start_ms, the battery capacity (kWh of metered
    // energy per 100 % SoC) and whether delivery ended because the battery was full.
    std::vector<double> true_soc;
    domain::EpochMs true_soc_start_ms = 0;
    int true_soc_step_s = 0;
    double true_battery_kwh = 0.0;
    bool ended_full = false;
    bool dc = false;  // a DC session (always set)
    // AC sessions under AcEnds::kMeasured (filled only with RecordTrueSoc): delivery stopped because the car
    // was done (full, or at its own SoC limit) and the car then stayed plugged in for idle_after_done_s.
    bool ended_done = false;
    int idle_after_done_s = 0;
};

// How AC sessions end (Generator::SetAcEnds).
enum class AcEnds {
    // As before 2026-11-28 (the default, and what bench-quality uses): delivery stops at the envelope's energy
    // at whatever SoC that is, at full power, followed by a short idle tail (< 25 min); no end-of-charge fall-off.
    kLegacy,
    // The on-board charger's CV phase: power falls off from a per-car onset (93-97 % SoC) towards 100 %; the
    // session mix and the idle tails are those of kLegacy otherwise.
    kFallOff,
    // Measured ends (docs/soc_prior.md "AC session ends"): the CV fall-off, and each Boulder envelope's own
    // Total_Duration - Charging_Time decides whether the car finished charging before it was unplugged (idle
    // >= 10 min: 23.6 % of the 21,163 Boulder sessions; ACN Caltech 64 %, ACN office 52 % with >= 30 min). A
    // car that finished stopped at 100 % (70 %) or at its own limit of 80 or 90 % (30 %, an assumption: no
    // data here has target SoC) after delivering the envelope's energy, so its start SoC is the limit minus
    // that energy over the capacity; it then idles for the envelope's idle time (at most 16 h). Sessions that
    // did not finish keep kLegacy's start SoC and energy, with the envelope's own idle (< 10 min).
    // `finished_share` > 0 raises the share of finishing sessions to that value (the extra ones take their idle
    // time from the ACN Caltech quantiles), for workplace/residential mixes.
    kMeasured,
};

// How long DC sessions stay plugged in (Generator::SetDcStays).
enum class DcStays {
    // As before session 7 of 2026-11-28 (the default, and what bench-quality uses): the session ends a short idle
    // tail (< 25 min) after delivery stopped, whatever the envelope's stay.
    kLegacy,
    // The EPFL envelope's own stay (plug-in to plug-out, `Stay (min)`): the session lasts at least that long from
    // its start; delivery at the generator's power curve takes what it takes, and the car idles for the rest (at most
    // 16 h). A delivery longer than the stay (a charger rated below the car's peak) ends when delivery ends.
    kMeasured,
};

// The categories the generator can inject (all fourteen of analysis.md §2).
const std::vector<std::string>& InjectableCategories();

class Generator {
  public:
    Generator(Population population, std::uint64_t seed);

    GeneratedSession Clean();
    // `severity` in [0,1]: 0 the subtlest case the category definition still covers, 1 blatant.
    GeneratedSession WithFault(const std::string& category, double severity);
    GeneratedSession WithHardNegative(HardNegative kind);
    // Keep the true SoC trajectory in the sessions generated from now on (see GeneratedSession::true_soc).
    void RecordTrueSoc(bool on) { record_true_soc_ = on; }
    // How AC sessions end (default kLegacy). kFallOff and kMeasured draw extra random numbers after everything
    // kLegacy draws per plan, and the fall-off lengthens charging, so the sessions generated differ from kLegacy's.
    void SetAcEnds(AcEnds mode, double finished_share = 0.0) {
        ac_ends_ = mode;
        finished_share_ = finished_share;
    }

    // How long DC sessions stay plugged in (default kLegacy). kMeasured draws no extra random numbers.
    void SetDcStays(DcStays mode) { dc_stays_ = mode; }

  private:
    struct Plan;
    Plan BasePlan();
    GeneratedSession DrawFault(const std::string& category, double severity);
    GeneratedSession Render(const Plan& plan);
    double Uniform(double lo, double hi);
    int Pick(int n);
    bool Chance(double p);

    Population population_;
    std::mt19937_64 rng_;
    std::uint64_t counter_ = 0;
    bool record_true_soc_ = false;
    AcEnds ac_ends_ = AcEnds::kLegacy;
    double finished_share_ = 0.0;
    DcStays dc_stays_ = DcStays::kLegacy;
};

}  // namespace evni::analysis::gen
