#include "analysis/generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>

namespace evni::analysis::gen {
namespace {

using domain::EpochMs;
using domain::MeterValue;

constexpr EpochMs kValidFromMs = 946684800000;  // 2000-01-01T00:00:00Z

constexpr int kTickS = 5;  // physics resolution
// AcEnds::kMeasured: a Boulder envelope whose plug-in time exceeds its charging time by this much finished
// charging before it was unplugged.
constexpr double kDoneIdleH = 10.0 / 60.0;
constexpr EpochMs kMsPerS = 1000;

// ---------------------------------------------------------------- table reading

std::vector<std::string> SplitCsv(const std::string& line, char separator) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted;
        } else if (c == separator && !quoted) {
            fields.push_back(field);
            field.clear();
        } else if (c != '\r') {
            field.push_back(c);
        }
    }
    fields.push_back(field);
    return fields;
}

std::optional<double> ToDouble(std::string text) {
    std::replace(text.begin(), text.end(), ',', '.');
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || !std::isfinite(value)) return std::nullopt;
    return value;
}

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// "YYYY-MM-DD HH:MM:SS" or "YYYY/MM/DD HH:MM:SS..." (UTC assumed).
std::optional<EpochMs> ParseDateTime(const std::string& text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    char a = 0, b = 0;
    std::istringstream in(text);
    in >> y >> a >> mo >> b >> d;
    if (!in || y < 2000 || mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
    char c1 = 0, c2 = 0;
    in >> h >> c1 >> mi >> c2 >> s;
    if (!in) return std::nullopt;
    return (DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + s) *
           kMsPerS;
}

// "h:mm:ss" as hours.
std::optional<double> ParseHms(const std::string& text) {
    int h = 0, m = 0, s = 0;
    char a = 0, b = 0;
    std::istringstream in(text);
    in >> h >> a >> m >> b >> s;
    if (!in) return std::nullopt;
    return h + m / 60.0 + s / 3600.0;
}

// Boulder (Colorado) Level 2 public charging, one row per session (open-ev-load/Boulder).
bool ReadBoulder(const std::string& path, Population& population) {
    std::ifstream in(path);
    if (!in) return false;
    std::string line;
    std::getline(in, line);
    std::size_t before = population.ac.size();
    while (std::getline(in, line)) {
        const auto f = SplitCsv(line, ',');
        if (f.size() < 15) continue;
        const auto start = ParseDateTime(f[5]);
        const auto plugged = ParseHms(f[9]);
        const auto charging = ParseHms(f[10]);
        const auto energy = ToDouble(f[11]);
        if (!start || !plugged || !charging || !energy) continue;
        if (*energy < 0.5 || *charging < 0.05 || *plugged < *charging || *plugged > 48.0) continue;
        Envelope envelope;
        envelope.start_ms = *start;
        envelope.plugged_h = *plugged;
        envelope.charging_h = *charging;
        envelope.energy_kwh = *energy;
        envelope.station = "boulder/" + f[0];
        envelope.dc = false;
        population.ac.push_back(std::move(envelope));
    }
    return population.ac.size() > before;
}

// EPFL Level-3 (DC fast) station, 2 CCS plugs, with SoC at arrival and departure (epfl-l3).
bool ReadEpfl(const std::string& path, Population& population) {
    std::ifstream in(path);
    if (!in) return false;
    std::string line;
    std::getline(in, line);
    std::size_t before = population.dc.size();
    while (std::getline(in, line)) {
        const auto f = SplitCsv(line, ',');
        if (f.size() < 13) continue;
        const auto start = ParseDateTime(f[2]);
        const auto stay_min = ToDouble(f[4]);
        const auto energy_wh = ToDouble(f[5]);
        const auto pmax_w = ToDouble(f[6]);
        const auto soc_a = ToDouble(f[11]);
        const auto soc_d = ToDouble(f[12]);
        if (!start || !stay_min || !energy_wh || !pmax_w) continue;
        if (*energy_wh < 500.0 || *stay_min < 3.0 || *pmax_w < 5000.0) continue;
        Envelope envelope;
        envelope.start_ms = *start;
        envelope.plugged_h = *stay_min / 60.0;
        envelope.energy_kwh = *energy_wh / 1000.0;
        envelope.charging_h = envelope.plugged_h;
        envelope.station = "epfl/" + f[1];
        envelope.dc = true;
        envelope.max_power_kw = *pmax_w / 1000.0;
        if (soc_a && soc_d && *soc_a >= 0.0 && *soc_d > *soc_a && *soc_d <= 100.0) {
            envelope.soc_start = *soc_a;
            envelope.soc_end = *soc_d;
        }
        population.dc.push_back(std::move(envelope));
    }
    return population.dc.size() > before;
}

void FillBuiltin(Population& population, bool ac, bool dc) {
    std::mt19937_64 rng(1234);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const EpochMs base = 1'704'067'200'000;  // 2024-01-01
    for (int i = 0; i < 2000; ++i) {
        Envelope envelope;
        envelope.start_ms = base + static_cast<EpochMs>(u(rng) * 365.0 * 86400.0) * kMsPerS;
        if (ac && i % 3 != 0) {
            envelope.energy_kwh = 1.0 + 40.0 * u(rng) * u(rng);
            envelope.charging_h = envelope.energy_kwh / (3.0 + 8.0 * u(rng));
            envelope.plugged_h = envelope.charging_h + 3.0 * u(rng) * u(rng);
            envelope.station = "builtin-ac/" + std::to_string(i % 40);
            population.ac.push_back(envelope);
        } else if (dc && i % 3 == 0) {
            envelope.dc = true;
            envelope.energy_kwh = 5.0 + 50.0 * u(rng);
            envelope.max_power_kw = 50.0 + 250.0 * u(rng);
            envelope.charging_h = envelope.energy_kwh / (0.6 * envelope.max_power_kw);
            envelope.plugged_h = envelope.charging_h + 0.2 * u(rng);
            envelope.station = "builtin-dc/" + std::to_string(i % 10);
            population.dc.push_back(envelope);
        }
    }
}

// ---------------------------------------------------------------- helpers

struct Range {
    int from = -1;  // seconds since start; -1 = none
    int to = -1;
    bool Contains(int s) const { return from >= 0 && s >= from && s < to; }
};

enum class UnitStyle { kKwh, kWh, kUnitlessWh };

// AC end of charge (constant-voltage phase of the on-board charger): the current falls linearly from the onset to
// ~0 at 100 %, down to 8 % of the plateau (the charger then stops at the limit).
double AcFallOff(double onset, double soc) { return std::max(0.08, (100.0 - soc) / (100.0 - onset)); }

MeterValue Mv(EpochMs t, double value, const char* measurand, std::optional<std::string> unit,
              const char* phase = nullptr, const char* location = nullptr) {
    MeterValue mv;
    mv.timestamp = t;
    mv.value = value;
    if (measurand != nullptr) mv.measurand = measurand;
    mv.unit = std::move(unit);
    if (phase != nullptr) mv.phase = phase;
    if (location != nullptr) mv.location = location;
    return mv;
}

}  // namespace

const char* HardNegativeName(HardNegative kind) {
    switch (kind) {
        case HardNegative::kNone:
            return "none";
        case HardNegative::kLoadManagement:
            return "load_management";
        case HardNegative::kDcTaper:
            return "dc_taper";
        case HardNegative::kShortPause:
            return "ev_pause_lt_3min";
        case HardNegative::kCoarseMeter:
            return "coarse_meter";
        case HardNegative::kShortIdleTail:
            return "idle_tail_lt_30min";
        case HardNegative::kLifetimeRegister:
            return "lifetime_register_first";
        case HardNegative::kCount:
            break;
    }
    return "unknown";
}

const std::vector<std::string>& InjectableCategories() {
    static const std::vector<std::string> kCategories = {
        "KWH_DECREASE",          "METER_RESET",      "ENERGY_SPIKE",   "ENERGY_PIT",     "STUCK_REGISTER",
        "ENERGY_POWER_MISMATCH", "POWER_OVER_LIMIT", "SOC_DECREASE",   "SOC_JUMP",       "ZERO_ENERGY",
        "TIMESTAMP_INVALID",     "DATA_GAP",         "IDLE_OCCUPANCY", "SESSION_OVERLAP"};
    return kCategories;
}

Population BuiltinPopulation() {
    Population population;
    FillBuiltin(population, true, true);
    population.sources.push_back("built-in distributions");
    return population;
}

Population LoadPopulation(const std::string& data_dir, std::vector<std::string>& warnings) {
    Population population;
    const std::string boulder = data_dir + "/open-ev-load/Boulder/ev_chargingstationdata_Boulder_March 2021.csv";
    const std::string epfl = data_dir + "/epfl-l3/Session_data.derived.csv";
    if (ReadBoulder(boulder, population)) {
        population.sources.push_back(boulder + " (" + std::to_string(population.ac.size()) + " AC sessions)");
    } else {
        warnings.push_back("cannot read " + boulder + ": AC envelopes from built-in distributions");
    }
    if (ReadEpfl(epfl, population)) {
        population.sources.push_back(epfl + " (" + std::to_string(population.dc.size()) + " DC sessions)");
    } else {
        warnings.push_back("cannot read " + epfl + ": DC envelopes from built-in distributions");
    }
    if (population.ac.empty() || population.dc.empty()) {
        FillBuiltin(population, population.ac.empty(), population.dc.empty());
        population.sources.push_back("built-in distributions");
    }
    return population;
}

// Everything one session is made of; faults are given relative to the charging window and resolved to
// seconds in Render.
struct Generator::Plan {
    std::string station;
    EpochMs start_ms = 0;
    int cadence_s = 60;
    int phase_s = 0;  // offset of the first sample
    bool dc = false;
    int phases = 3;
    double rating_kw = 11.0;
    double draw_kw = 11.0;
    double battery_kwh = 60.0;
    double soc_start = 30.0;
    double target_kwh = 10.0;
    bool report_power = true;
    bool report_offered = false;
    bool report_soc = false;
    bool per_phase_energy = false;
    bool per_phase_power = false;
    UnitStyle unit = UnitStyle::kKwh;
    double quantum_kwh = 0.001;
    double baseline_kwh = 0.0;
    double noise = 0.02;
    int start_delay_s = 0;
    int idle_tail_s = 0;
    int min_length_s = 0;      // DcStays::kMeasured: the session lasts at least this long from its start
    double ac_cv_onset = 0.0;  // AC: SoC where the on-board charger's CV fall-off begins (0 = none)
    double stop_soc = 99.9;    // delivery stops at this SoC (the car's limit)
    bool ac_done = false;      // AcEnds::kMeasured: the car finished before it was unplugged
    bool give_facts = false;
    double duplicate_share = 0.0;                                  // exact duplicates (offline queue resend)
    std::vector<std::pair<double, double>> pauses_frac;            // (at fraction of charging, seconds)
    std::vector<std::tuple<double, double, double>> offered_frac;  // (from, to fraction, kW)
    std::vector<double> offer_zero_frac;                           // offered 0 for 10 min at fraction
    std::vector<std::pair<EpochMs, EpochMs>> neighbours;           // relative to start and end, resolved later
    std::string profile;

    // The injected fault.
    std::string fault;
    double at_frac = 0.5;   // where in the charging window
    double length_s = 0.0;  // how long (range faults)
    double amount = 0.0;    // magnitude (kWh, factor, points, ...)
    int variant = 0;
};

Generator::Generator(Population population, std::uint64_t seed) : population_(std::move(population)), rng_(seed) {
    if (population_.ac.empty() && population_.dc.empty()) population_ = BuiltinPopulation();
}

double Generator::Uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
int Generator::Pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
bool Generator::Chance(double p) { return Uniform(0.0, 1.0) < p; }

Generator::Plan Generator::BasePlan() {
    Plan plan;
    const bool dc = !population_.dc.empty() && (population_.ac.empty() || Chance(0.3));
    const std::vector<Envelope>& pool = dc ? population_.dc : population_.ac;
    const Envelope& envelope = pool[static_cast<std::size_t>(Pick(static_cast<int>(pool.size())))];
    plan.station = envelope.station;
    plan.start_ms = envelope.start_ms;
    plan.dc = dc;
    if (dc) {
        const double ratings[] = {50.0, 150.0, 175.0, 350.0};
        plan.rating_kw = ratings[Pick(4)];
        plan.draw_kw = envelope.max_power_kw > 0.0 ? std::min(envelope.max_power_kw, plan.rating_kw)
                                                   : Uniform(0.5, 1.0) * plan.rating_kw;
        plan.draw_kw = std::max(plan.draw_kw, 20.0);
        plan.phases = 0;
        if (envelope.soc_start >= 0.0 && envelope.soc_end > envelope.soc_start + 5.0) {
            plan.soc_start = envelope.soc_start;
            plan.battery_kwh =
                std::clamp(envelope.energy_kwh * 100.0 / (envelope.soc_end - envelope.soc_start), 25.0, 120.0);
        } else {
            plan.soc_start = Uniform(5.0, 50.0);
            plan.battery_kwh = Uniform(40.0, 100.0);
        }
        plan.report_soc = Chance(0.8);
    } else {
        const double mean_kw = envelope.energy_kwh / std::max(envelope.charging_h, 0.1);
        const double ratings[] = {3.7, 7.4, 11.0, 22.0};
        plan.rating_kw = 22.0;
        for (double rating : ratings) {
            if (rating >= mean_kw * 1.05) {
                plan.rating_kw = rating;
                break;
            }
        }
        plan.phases = plan.rating_kw <= 7.4 ? 1 : 3;
        plan.draw_kw = std::clamp(mean_kw * Uniform(1.0, 1.15), 1.4, plan.rating_kw);
        plan.battery_kwh = Uniform(30.0, 90.0);
        plan.soc_start = Uniform(10.0, 60.0);
        plan.report_soc = Chance(0.1);
        plan.per_phase_energy = Chance(0.15);
        plan.per_phase_power = Chance(0.3);
    }
    const double room = plan.battery_kwh * (99.0 - plan.soc_start) / 100.0;
    plan.target_kwh = std::clamp(envelope.energy_kwh, 0.5, std::max(0.5, room));
    // Long AC sessions are kept under ~14 h of charging.
    plan.target_kwh = std::min(plan.target_kwh, plan.draw_kw * 14.0);
    const int cadences[] = {10, 15, 30, 60, 60, 60, 60, 120, 300, 600, 900};
    plan.cadence_s = cadences[Pick(11)];
    // A charger reports at least a few times while charging: short sessions have short cadences.
    const double charging_s = plan.target_kwh / plan.draw_kw * 3600.0;
    while (plan.cadence_s > 10 && 6.0 * plan.cadence_s > charging_s) plan.cadence_s = cadences[Pick(7)];
    plan.phase_s = kTickS * Pick(std::max(1, plan.cadence_s / kTickS));
    plan.report_power = Chance(0.75);
    plan.report_offered = Chance(0.3);
    const int unit = Pick(10);
    plan.unit = unit < 4 ? UnitStyle::kKwh : unit < 7 ? UnitStyle::kWh : UnitStyle::kUnitlessWh;
    const int q = Pick(20);
    plan.quantum_kwh = q < 12 ? 0.001 : q < 15 ? 0.01 : q < 18 ? 0.1 : 1.0;
    if (plan.dc && plan.quantum_kwh > 0.1) plan.quantum_kwh = 0.1;
    plan.baseline_kwh = Chance(0.5) ? std::round(Uniform(100.0, 150000.0) * 1000.0) / 1000.0 : 0.0;
    plan.baseline_kwh = std::floor(plan.baseline_kwh / plan.quantum_kwh) * plan.quantum_kwh;
    plan.noise = Uniform(0.005, 0.04);
    plan.start_delay_s = Chance(0.3) ? kTickS * Pick(60) : 0;
    plan.idle_tail_s = Chance(0.5) ? kTickS * Pick(25 * 60 / kTickS) : kTickS * Pick(24);
    plan.give_facts = Chance(0.5);
    plan.duplicate_share = Chance(0.1) ? 0.02 : 0.0;
    if (Chance(0.15)) plan.pauses_frac.push_back({Uniform(0.2, 0.8), Uniform(30.0, 150.0)});
    if (Chance(0.2)) {
        plan.report_offered = true;
        const double from = Uniform(0.1, 0.6);
        plan.offered_frac.push_back({from, from + Uniform(0.1, 0.3), plan.draw_kw * Uniform(0.3, 0.8)});
    }
    // Other sessions on the connector: before and after, never overlapping by more than 50 s of clock skew.
    const int n = Pick(4);
    for (int i = 0; i < n; ++i) {
        const EpochMs gap =
            i % 2 == 0 && Chance(0.3) ? -Pick(3) * 20'000 : static_cast<EpochMs>(Uniform(1.0, 240.0) * 60'000.0);
        plan.neighbours.push_back({gap, static_cast<EpochMs>(Uniform(0.3, 5.0) * 3'600'000.0)});
    }
    if (plan.dc && dc_stays_ == DcStays::kMeasured) {
        plan.min_length_s = kTickS * static_cast<int>(envelope.plugged_h * 3600.0 / kTickS);
        plan.idle_tail_s = 0;  // the stay holds the idle time
    }
    // AC ends other than kLegacy: drawn after everything above, so kLegacy's random stream is untouched.
    if (!plan.dc && ac_ends_ != AcEnds::kLegacy) {
        plan.ac_cv_onset = Uniform(93.0, 97.0);
        if (ac_ends_ == AcEnds::kMeasured) {
            double idle_h = std::max(0.0, envelope.plugged_h - envelope.charging_h);
            // Raising the finished share (workplace/residential mixes): ACN Caltech idle times after the car
            // finished, quantiles 10/25/50/75/90 % of the sessions idle >= 30 min (1,989 sessions with a
            // doneChargingTime): 0.77, 1.30, 2.94, 5.28, 7.21 h.
            const double boulder_share = 0.236;
            if (idle_h < kDoneIdleH && finished_share_ > boulder_share &&
                Chance((finished_share_ - boulder_share) / (1.0 - boulder_share))) {
                static constexpr std::array<double, 7> kQ = {0.5, 0.77, 1.30, 2.94, 5.28, 7.21, 10.0};
                static constexpr std::array<double, 7> kP = {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0};
                const double u = Uniform(0.0, 1.0);
                for (std::size_t i = 1; i < kQ.size(); ++i) {
                    if (u <= kP[i]) {
                        idle_h = kQ[i - 1] + (kQ[i] - kQ[i - 1]) * (u - kP[i - 1]) / (kP[i] - kP[i - 1]);
                        break;
                    }
                }
            }
            if (idle_h >= kDoneIdleH) {
                plan.ac_done = true;
                plan.stop_soc = Chance(0.3) ? (Chance(0.5) ? 80.0 : 90.0) : 99.9;
                const double energy = std::max(0.5, envelope.energy_kwh);
                // Energy that does not fit the drawn battery below the limit: a bigger battery, starting at
                // 5-40 %.
                if (energy * 100.0 / plan.battery_kwh > plan.stop_soc - 5.0)
                    plan.battery_kwh = std::min(150.0, energy * 100.0 / (plan.stop_soc - Uniform(5.0, 40.0)));
                plan.soc_start = std::max(1.0, plan.stop_soc - energy * 100.0 / plan.battery_kwh);
                plan.target_kwh = energy + 1.0;  // delivery stops at the limit, not at the envelope's energy
                plan.idle_tail_s = kTickS * static_cast<int>(std::min(idle_h, 16.0) * 3600.0 / kTickS);
            } else {
                plan.idle_tail_s = kTickS * static_cast<int>(idle_h * 3600.0 / kTickS);
            }
        }
    }
    return plan;
}

GeneratedSession Generator::Clean() { return Render(BasePlan()); }

GeneratedSession Generator::WithHardNegative(HardNegative kind) {
    Plan plan = BasePlan();
    switch (kind) {
        case HardNegative::kLoadManagement: {
            plan.report_offered = true;
            plan.report_power = Chance(0.7);
            plan.offered_frac.clear();
            const double from = Uniform(0.1, 0.4);
            plan.offered_frac.push_back({from, from + 0.2, plan.draw_kw * Uniform(0.2, 0.6)});
            plan.offered_frac.push_back({from + 0.2, from + 0.35, plan.draw_kw * Uniform(0.5, 0.9)});
            if (Chance(0.5)) plan.offer_zero_frac.push_back(Uniform(0.75, 0.85));
            break;
        }
        case HardNegative::kDcTaper: {
            if (population_.dc.empty()) break;
            do {
                plan = BasePlan();
            } while (!plan.dc);
            plan.soc_start = Uniform(40.0, 70.0);
            plan.target_kwh = plan.battery_kwh * (Uniform(96.0, 99.0) - plan.soc_start) / 100.0;
            plan.report_soc = true;
            plan.cadence_s = std::min(plan.cadence_s, 60);
            break;
        }
        case HardNegative::kShortPause:
            plan.pauses_frac = {{Uniform(0.2, 0.4), Uniform(40.0, 165.0)}, {Uniform(0.6, 0.8), Uniform(40.0, 165.0)}};
            plan.cadence_s = std::min(plan.cadence_s, 60);
            break;
        case HardNegative::kCoarseMeter:
            plan.quantum_kwh = plan.dc ? 0.1 : (Chance(0.5) ? 1.0 : 0.1);
            plan.baseline_kwh = std::floor(plan.baseline_kwh);
            break;
        case HardNegative::kShortIdleTail:
            plan.idle_tail_s = static_cast<int>(Uniform(8.0, 24.0) * 60.0);
            break;
        case HardNegative::kLifetimeRegister:
            plan.baseline_kwh = std::floor(Uniform(5000.0, 900000.0));
            break;
        case HardNegative::kNone:
        case HardNegative::kCount:
            break;
    }
    GeneratedSession session = Render(plan);
    session.hard_negative = kind;
    session.profile += std::string(" hard-negative:") + HardNegativeName(kind);
    return session;
}

GeneratedSession Generator::DrawFault(const std::string& category, double severity) {
    Plan plan = BasePlan();
    plan.fault = category;
    const double s = std::clamp(severity, 0.0, 1.0);
    plan.at_frac = Uniform(0.2, 0.7);
    // The charging window must be long enough to hold the injection with readings around it.
    const auto at_least_charging_h = [&plan](double hours) {
        plan.target_kwh = std::max(
            plan.target_kwh, std::min(hours * plan.draw_kw, 0.9 * plan.battery_kwh * (99.0 - plan.soc_start) / 100.0));
    };
    if (category == "KWH_DECREASE") {
        // The register must visibly fall: more than one reading's delivery plus a few meter steps.
        const double step_kwh = plan.draw_kw * plan.cadence_s / 3600.0;
        plan.amount = s < 0.8 ? (step_kwh + 3.0 * std::max(plan.quantum_kwh, 0.02) + 2.0 * s) : -1.0;  // -1: bases
        at_least_charging_h(0.5);
    } else if (category == "METER_RESET") {
        plan.variant = s > 0.6 ? 1 : 0;  // 1: rollover at a power of two/ten boundary of a lifetime register
        at_least_charging_h(0.4);
    } else if (category == "ENERGY_SPIKE") {
        plan.variant = Pick(3) == 0 ? 1 : 0;  // glitch that falls back
        plan.amount = s;
        plan.cadence_s = std::min(plan.cadence_s, 300);
        at_least_charging_h(0.5);
    } else if (category == "ENERGY_PIT") {
        plan.length_s = (4.0 + 50.0 * s) * 60.0;
        plan.cadence_s = std::min(plan.cadence_s, 120);
        at_least_charging_h(0.6);
    } else if (category == "STUCK_REGISTER") {
        plan.report_power = true;
        plan.quantum_kwh = std::min(plan.quantum_kwh, 0.1);
        plan.length_s = std::max((6.0 + 60.0 * s) * 60.0, 3.0 * plan.quantum_kwh / plan.draw_kw * 3600.0);
        plan.length_s = std::max(plan.length_s, 3.0 * plan.cadence_s);
        plan.variant = Chance(0.5) ? 1 : 0;  // 1: catches up when it moves again
        at_least_charging_h(plan.length_s / 3600.0 * 2.5);
    } else if (category == "ENERGY_POWER_MISMATCH") {
        plan.report_power = true;
        const double factors[] = {1.45, 0.6, 1.0 / 3.0, 3.0, 2.0, 0.0};
        plan.amount = s < 0.3 ? factors[Pick(2)] : factors[Pick(6)];
        plan.variant = Chance(0.5) ? 1 : 0;  // 1: the whole session
        plan.length_s = std::max(30.0 * 60.0 + 60.0 * 60.0 * s, 5.0 * plan.cadence_s);
        if (plan.quantum_kwh > 0.1) plan.quantum_kwh = 0.01;
        at_least_charging_h(plan.length_s / 3600.0 * 2.0);
    } else if (category == "POWER_OVER_LIMIT") {
        plan.report_power = true;
        plan.variant = Chance(0.5) ? 1 : 0;  // 1: ignores a reduced Power.Offered, 0: above the rating
        plan.amount = 1.2 + 1.3 * s;
        plan.length_s = std::max((5.0 + 30.0 * s) * 60.0, 2.5 * plan.cadence_s);
        if (plan.variant == 0) plan.give_facts = true;
        if (plan.variant == 1) plan.report_offered = true;
        at_least_charging_h(plan.length_s / 3600.0 * 2.5);
    } else if (category == "SOC_DECREASE") {
        plan.report_soc = true;
        plan.amount = 3.0 + 20.0 * s;
        at_least_charging_h(0.4);
    } else if (category == "SOC_JUMP") {
        plan.report_soc = true;
        plan.amount = s > 0.8 ? 1000.0 : 6.0 + 30.0 * s;  // 1000: to 100 %
        plan.soc_start = std::min(plan.soc_start, 50.0);
        plan.cadence_s = std::min(plan.cadence_s, 300);
        at_least_charging_h(0.4);
    } else if (category == "ZERO_ENERGY") {
        plan.length_s = (10.5 + 200.0 * s) * 60.0;
    } else if (category == "TIMESTAMP_INVALID") {
        plan.variant = Pick(3);  // 0: before 2000 (clock not set), 1: future (local time as UTC), 2: conflict
        plan.length_s = std::max(3.0 * plan.cadence_s, (2.0 + 30.0 * s) * 60.0);
        at_least_charging_h(plan.length_s / 3600.0 * 3.0);
    } else if (category == "DATA_GAP") {
        plan.length_s = std::max(15.0 * 60.0, 5.0 * plan.cadence_s) * (1.3 + 3.0 * s);
        at_least_charging_h(plan.length_s / 3600.0 * 2.5);
    } else if (category == "IDLE_OCCUPANCY") {
        plan.idle_tail_s = static_cast<int>((36.0 + 300.0 * s) * 60.0);
    } else if (category == "SESSION_OVERLAP") {
        plan.amount = s;
        at_least_charging_h(0.3);
    }
    GeneratedSession session = Render(plan);
    session.profile += " fault:" + category + " severity:" + std::to_string(s).substr(0, 4);
    return session;
}

GeneratedSession Generator::WithFault(const std::string& category, double severity) {
    // A draw whose charging window cannot hold the injection (it would fall after the last reading) is drawn
    // again; the outcome of the analysis plays no part in this.
    GeneratedSession session;
    for (int attempt = 0; attempt < 20; ++attempt) {
        session = DrawFault(category, severity);
        if (session.labels.empty() || session.values.empty()) continue;
        const Label& label = session.labels.front();
        EpochMs first = 0;
        EpochMs last = 0;
        for (const MeterValue& value : session.values) {
            if (value.timestamp < kValidFromMs || value.timestamp > session.options.now_ms) continue;
            first = first == 0 ? value.timestamp : std::min(first, value.timestamp);
            last = std::max(last, value.timestamp);
        }
        if (label.end_ms > label.start_ms && label.start_ms >= first && label.end_ms <= last) break;
    }
    return session;
}

GeneratedSession Generator::Render(const Plan& plan) {
    GeneratedSession session;
    session.id = "gen-" + std::to_string(++counter_);
    session.station = plan.station;
    const bool zero = plan.fault == "ZERO_ENERGY";

    // Pass 1: the charging window without faults.
    const auto charge_seconds = [&plan](double target_kwh) {
        double energy = 0.0;
        int s = 0;
        for (; s < 20 * 3600 && energy < target_kwh; s += kTickS) {
            const double soc = plan.soc_start + 100.0 * energy / plan.battery_kwh;
            if (soc >= plan.stop_soc) break;
            double power = plan.draw_kw;
            if (plan.dc && soc > 80.0) power *= std::max(0.05, (100.0 - soc) / 20.0);
            if (plan.ac_cv_onset > 0.0 && soc > plan.ac_cv_onset) power *= AcFallOff(plan.ac_cv_onset, soc);
            energy += power * kTickS / 3600.0;
        }
        return s;
    };
    const int charging_s = std::max(zero ? 0 : 3 * plan.cadence_s, charge_seconds(plan.target_kwh));
    const int begin = plan.start_delay_s;
    const auto at = [&](double frac) { return begin + static_cast<int>(frac * charging_s) / kTickS * kTickS; };
    // Resolve the hard-negative and fault ranges to seconds.
    std::vector<Range> pauses;
    for (const auto& [frac, seconds] : plan.pauses_frac)
        pauses.push_back({at(frac), at(frac) + static_cast<int>(seconds)});
    std::vector<std::pair<Range, double>> offered;
    for (const auto& [from, to, kw] : plan.offered_frac) offered.push_back({{at(from), at(to)}, kw});
    for (double frac : plan.offer_zero_frac) offered.push_back({{at(frac), at(frac) + 600}, 0.0});

    const std::string& fault = plan.fault;
    const int fault_at = at(plan.at_frac);
    const int fault_to = fault_at + static_cast<int>(plan.length_s) / kTickS * kTickS;
    Range pit, stuck, mismatch, over, gap, bad_time;
    if (fault == "ENERGY_PIT") pit = {fault_at, fault_to};
    if (fault == "STUCK_REGISTER") stuck = {fault_at, fault_to};
    if (fault == "ENERGY_POWER_MISMATCH") mismatch = plan.variant == 1 ? Range{0, 1 << 30} : Range{fault_at, fault_to};
    if (fault == "POWER_OVER_LIMIT") over = {fault_at, fault_to};
    if (fault == "DATA_GAP") gap = {fault_at, fault_to};
    if (fault == "TIMESTAMP_INVALID") bad_time = {fault_at, fault_to};
    if (fault == "POWER_OVER_LIMIT" && plan.variant == 1) {
        offered.push_back({{fault_at - 600, fault_to + 600}, std::max(1.4, plan.draw_kw * 0.4)});
    }
    const double over_kw = fault == "POWER_OVER_LIMIT"
                               ? plan.amount * (plan.variant == 1 ? std::max(1.4, plan.draw_kw * 0.4) : plan.rating_kw)
                               : 0.0;

    // Pass 2: physics with faults, then the tail.
    std::normal_distribution<double> gauss(0.0, 1.0);
    struct Tick {
        double energy = 0.0;  // kWh delivered before this tick
        double power = 0.0;
        double offered = 0.0;
        double soc = 0.0;
    };
    std::vector<Tick> ticks;
    double energy = 0.0;
    int delivery_end = -1;
    int end_s = 0;
    const int zero_length = static_cast<int>(plan.length_s);
    for (int s = 0;; s += kTickS) {
        const double soc = plan.soc_start + 100.0 * energy / plan.battery_kwh;
        double offer = plan.rating_kw;
        for (const auto& [range, kw] : offered) {
            if (range.Contains(s)) offer = kw;
        }
        const bool done = zero || energy >= plan.target_kwh || soc >= plan.stop_soc;
        if (done && delivery_end < 0 && s >= begin) delivery_end = s;
        const int min_end = plan.phase_s + 4 * plan.cadence_s;  // at least five readings
        if (!zero && delivery_end >= 0 && s >= delivery_end + plan.idle_tail_s && s >= min_end &&
            s >= std::min(plan.min_length_s, delivery_end + 16 * 3600)) {
            end_s = s;
            break;
        }
        if (zero && s >= zero_length && s >= min_end) {
            end_s = s;
            break;
        }
        if (s > 30 * 3600) {
            end_s = s;
            break;
        }
        double target = std::min(plan.draw_kw, offer);
        if (plan.dc && soc > 80.0) target = std::min(target, plan.draw_kw * std::max(0.05, (100.0 - soc) / 20.0));
        if (plan.ac_cv_onset > 0.0 && soc > plan.ac_cv_onset)
            target = std::min(target, plan.draw_kw * AcFallOff(plan.ac_cv_onset, soc));
        if (plan.dc && s - begin < 30) target *= std::max(0.1, (s - begin) / 30.0);  // ramp up
        if (over.Contains(s)) target = over_kw;
        bool charging = s >= begin && !done && !pit.Contains(s);
        for (const Range& pause : pauses) charging = charging && !pause.Contains(s);
        const double power = charging ? std::max(0.0, target * (1.0 + plan.noise * gauss(rng_))) : 0.0;
        ticks.push_back({energy, power, offer, soc});
        energy += power * kTickS / 3600.0;
    }
    if (delivery_end < 0) delivery_end = end_s;
    const EpochMs start = plan.start_ms;
    session.dc = plan.dc;
    if (record_true_soc_) {
        session.true_soc.reserve(ticks.size());
        for (const Tick& tick : ticks) session.true_soc.push_back(std::min(100.0, tick.soc));
        session.true_soc_start_ms = start;
        session.true_soc_step_s = kTickS;
        session.true_battery_kwh = plan.battery_kwh;
        const std::size_t end_tick = std::min(ticks.size() - 1, static_cast<std::size_t>(delivery_end / kTickS));
        session.ended_full = !zero && !ticks.empty() && ticks[end_tick].soc >= 99.9;
        session.ended_done = plan.ac_done && !zero;
        session.idle_after_done_s = plan.ac_done ? end_s - delivery_end : 0;
    }
    const EpochMs end_ms = start + static_cast<EpochMs>(end_s) * kMsPerS;
    session.options.now_ms = end_ms + static_cast<EpochMs>(Uniform(60.0, 900.0)) * kMsPerS;
    if (plan.give_facts) {
        session.options.connector.max_power_kw = plan.rating_kw;
        session.options.connector.current_type = plan.dc ? "DC" : "AC";
        if (!plan.dc) session.options.connector.phases = plan.phases;
    }

    const auto energy_at = [&](int s) {
        const std::size_t index = std::min(ticks.size() - 1, static_cast<std::size_t>(std::max(0, s) / kTickS));
        return ticks[index].energy;
    };
    const double q = plan.quantum_kwh;
    const auto quantise = [q](double kwh) { return std::floor(kwh / q + 1e-9) * q; };

    // Fault parameters that depend on the physics.
    double decrease_kwh = 0.0;
    double baseline = plan.baseline_kwh;
    if (fault == "KWH_DECREASE") {
        decrease_kwh = plan.amount > 0.0 ? plan.amount : 0.0;
        if (plan.amount < 0.0) {
            // A lifetime register that starts reporting session energy (mixed bases, F02).
            baseline = std::max(baseline, 2000.0 + std::floor(Uniform(0.0, 50000.0)));
            decrease_kwh = baseline - 0.5 * energy_at(fault_at);
        }
        decrease_kwh = std::min(decrease_kwh, baseline + 0.8 * energy_at(fault_at));
        if (decrease_kwh < 0.05) decrease_kwh = 0.05;
    }
    double boundary = 0.0;
    if (fault == "METER_RESET" && plan.variant == 1) {
        // A register crossing a rollover boundary (10^k Wh or 2^n Wh, in kWh) at the fault.
        const double boundaries[] = {99'999.999, 16'777.216, 999'999.999, 4'294'967.296};
        boundary = boundaries[Pick(4)];
        baseline = quantise(boundary - energy_at(fault_at) + q);
    }
    double spike_kwh = 0.0;
    if (fault == "ENERGY_SPIKE") {
        const double step = std::max(plan.draw_kw * std::max(plan.cadence_s, 60) / 3600.0, q);
        spike_kwh = plan.amount > 0.85 ? std::floor(Uniform(500.0, 5000.0)) : step * (5.0 + 40.0 * plan.amount);
        spike_kwh = std::max(spike_kwh, std::max(0.5, 4.0 * q));
    }

    const double scale = plan.unit == UnitStyle::kKwh ? 1.0 : 1000.0;
    const std::optional<std::string> energy_unit = plan.unit == UnitStyle::kKwh  ? std::optional<std::string>("kWh")
                                                   : plan.unit == UnitStyle::kWh ? std::optional<std::string>("Wh")
                                                                                 : std::nullopt;
    const std::optional<std::string> power_unit = plan.unit == UnitStyle::kKwh  ? std::optional<std::string>("kW")
                                                  : plan.unit == UnitStyle::kWh ? std::optional<std::string>("W")
                                                                                : std::nullopt;
    const char* phase_names[] = {"L1", "L2", "L3"};
    const int energy_phases = plan.per_phase_energy && !plan.dc ? plan.phases : 0;
    const int power_phases = plan.per_phase_power && !plan.dc ? plan.phases : 0;

    std::vector<EpochMs> sample_times;  // valid, emitted
    bool glitch_done = false;
    bool conflict_done = false;
    int first_bad = -1;
    int last_bad = -1;
    for (int s = plan.phase_s; s <= end_s; s += plan.cadence_s) {
        if (gap.Contains(s) && s > gap.from) continue;
        const Tick& tick = ticks[std::min(ticks.size() - 1, static_cast<std::size_t>(s / kTickS))];
        EpochMs t = start + static_cast<EpochMs>(s) * kMsPerS;
        bool bad = false;
        if (bad_time.Contains(s) && plan.variant != 2) {
            bad = true;
            if (plan.variant == 0) {
                t = 86'400'000 + static_cast<EpochMs>(s - bad_time.from) * kMsPerS;  // 1970-01-02, clock not set
            } else {
                t += 7'200'000 + static_cast<EpochMs>(end_s - s) * kMsPerS;  // local time (+2 h) sent as UTC
            }
            if (first_bad < 0) first_bad = s;
            last_bad = s;
        }
        if (!bad) sample_times.push_back(t);

        double reg = baseline + quantise(tick.energy);
        if (stuck.Contains(s)) reg = baseline + quantise(energy_at(stuck.from));
        if (stuck.from >= 0 && s >= stuck.to && plan.variant == 0) {
            reg -= quantise(energy_at(stuck.to) - energy_at(stuck.from));  // the frozen energy is lost
        }
        if (fault == "KWH_DECREASE" && s >= fault_at) reg -= decrease_kwh;
        if (fault == "METER_RESET" && s >= fault_at) {
            // Reboot: restarts from 0 (no baseline). Rollover: wraps at the boundary.
            reg = plan.variant == 1 ? quantise(baseline + tick.energy - boundary)
                                    : quantise(tick.energy - energy_at(fault_at));
            reg = std::max(0.0, reg);
        }
        if (fault == "ENERGY_SPIKE" && s >= fault_at) {
            if (plan.variant == 0 || !glitch_done) reg += spike_kwh;
            glitch_done = true;
        }
        reg = std::max(0.0, reg);
        if (energy_phases > 0) {
            for (int p = 0; p < energy_phases; ++p) {
                session.values.push_back(
                    Mv(t, reg / energy_phases * scale, "Energy.Active.Import.Register", energy_unit, phase_names[p]));
            }
        } else {
            // Half of the meters leave the measurand out (OCPP default).
            session.values.push_back(
                Mv(t, reg * scale,
                   (s / plan.cadence_s) % 2 == 0 || !plan.per_phase_power ? "Energy.Active.Import.Register" : nullptr,
                   energy_unit));
        }
        if (fault == "TIMESTAMP_INVALID" && plan.variant == 2 && !conflict_done && s >= fault_at) {
            // A second, different register value at the same time (F17/F18).
            session.values.push_back(session.values.back());
            session.values.back().value += std::max(3.0 * q, 0.01) * 7.0 * scale;
            conflict_done = true;
            first_bad = last_bad = s;
        }
        if (plan.report_power) {
            double power = tick.power;
            if (mismatch.Contains(s)) power *= plan.amount;
            if (power_phases > 0) {
                for (int p = 0; p < power_phases; ++p) {
                    session.values.push_back(
                        Mv(t, power / power_phases * scale, "Power.Active.Import", power_unit, phase_names[p]));
                }
            } else {
                session.values.push_back(Mv(t, power * scale, "Power.Active.Import", power_unit));
            }
        }
        if (plan.report_offered) session.values.push_back(Mv(t, tick.offered * scale, "Power.Offered", power_unit));
        if (plan.report_soc) {
            double soc = std::round(std::min(100.0, tick.soc));
            if (fault == "SOC_DECREASE" && s >= fault_at) soc = std::max(0.0, soc - std::round(plan.amount));
            if (fault == "SOC_JUMP" && s >= fault_at) {
                soc = plan.amount >= 999.0 ? 100.0 : std::min(100.0, soc + std::round(plan.amount));
            }
            session.values.push_back(Mv(t, soc, "SoC", std::string("Percent"), nullptr, "EV"));
        }
        if (plan.duplicate_share > 0.0 && Chance(plan.duplicate_share)) {
            session.values.push_back(session.values.back());  // offline queue resend: exact duplicate
        }
    }

    // Ground truth.
    const auto time_of = [start](int s) { return start + static_cast<EpochMs>(s) * kMsPerS; };
    // The readings around a point event at second `s`: the last before and the first at or after.
    const auto around = [&](int s) {
        const EpochMs t = time_of(s);
        EpochMs before = sample_times.front();
        EpochMs after = sample_times.back();
        for (EpochMs sample : sample_times) {
            if (sample < t) before = sample;
            if (sample >= t) {
                after = sample;
                break;
            }
        }
        return std::make_pair(before, after);
    };
    const auto label = [&session](const std::string& category, EpochMs from, EpochMs to) {
        session.labels.push_back({category, std::min(from, to), std::max(from, to)});
    };
    if (fault == "KWH_DECREASE" || fault == "METER_RESET" || fault == "ENERGY_SPIKE" || fault == "SOC_DECREASE" ||
        fault == "SOC_JUMP") {
        const auto [before, after] = around(fault_at);
        label(fault, before, after);
    } else if (fault == "ENERGY_PIT" || fault == "STUCK_REGISTER" || fault == "POWER_OVER_LIMIT") {
        label(fault, time_of(fault_at), time_of(fault_to));
    } else if (fault == "ENERGY_POWER_MISMATCH") {
        if (plan.variant == 1) {
            label(fault, sample_times.front(), sample_times.back());
        } else {
            label(fault, time_of(fault_at), time_of(fault_to));
        }
    } else if (fault == "ZERO_ENERGY") {
        label(fault, sample_times.front(), sample_times.back());
    } else if (fault == "TIMESTAMP_INVALID" && first_bad >= 0) {
        label(fault, around(first_bad).first, around(last_bad + 1).second);
    } else if (fault == "DATA_GAP") {
        label(fault, around(gap.from + 1).first, around(gap.to).second);
    } else if (fault == "IDLE_OCCUPANCY") {
        label(fault, time_of(delivery_end), sample_times.back());
    }

    // Other sessions on the same connector.
    const EpochMs first = sample_times.front();
    const EpochMs last = sample_times.back();
    for (std::size_t i = 0; i < plan.neighbours.size(); ++i) {
        const auto [gap_ms, length_ms] = plan.neighbours[i];
        SessionSpan span;
        if (i % 2 == 0) {
            // Before this one; a third end up to 40 s after it starts (clock skew, not an overlap).
            span.end_ms = first - gap_ms;
            span.start_ms = *span.end_ms - length_ms;
        } else {
            span.start_ms = last + gap_ms;
            span.end_ms = span.start_ms + length_ms;
        }
        session.options.other_sessions.push_back(span);
    }
    if (fault == "SESSION_OVERLAP") {
        const EpochMs duration = last - first;
        const EpochMs overlap = std::max<EpochMs>(5 * 60'000, static_cast<EpochMs>(plan.amount * duration));
        SessionSpan span;
        if (Chance(0.5)) {
            span.start_ms = first - static_cast<EpochMs>(Uniform(0.2, 3.0) * 3'600'000.0);
            span.end_ms = std::min(last, first + overlap);
        } else {
            span.start_ms = std::max(first, last - overlap);
            if (Chance(0.5)) span.end_ms = span.start_ms + static_cast<EpochMs>(Uniform(0.5, 3.0) * 3'600'000.0);
        }
        label(fault, std::max(first, span.start_ms), std::min(last, span.end_ms.value_or(last)));
        session.options.other_sessions.push_back(span);
    }

    std::ostringstream profile;
    profile << (plan.dc ? "DC " : "AC ") << plan.draw_kw << "kW cadence " << plan.cadence_s << "s q "
            << plan.quantum_kwh << " unit "
            << (plan.unit == UnitStyle::kKwh  ? "kWh"
                : plan.unit == UnitStyle::kWh ? "Wh"
                                              : "none")
            << (energy_phases ? " per-phase" : "") << (plan.report_power ? " +power" : "")
            << (plan.report_offered ? " +offered" : "") << (plan.report_soc ? " +soc" : "");
    session.profile = profile.str();
    return session;
}

}  // namespace evni::analysis::gen
