#include "analysis/sorc.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <utility>

#include "analysis/dc_session_prior.h"
#include "analysis/normalise.h"

namespace evni::analysis {
namespace {

using domain::EpochMs;

constexpr EpochMs kFutureToleranceMs = 5 * 60'000;
constexpr EpochMs kPointStepMs = 15 * 60'000;
// A "session" longer than this is not a charging session: nothing is reconstructed.
constexpr EpochMs kMaxSpanMs = 14LL * 24 * 3'600'000;
constexpr double kMsPerHour = 3'600'000.0;
// An AC car that drew nothing for this long before the last reading had finished charging (DetectAcEnd).
constexpr EpochMs kDoneTailMs = 30 * 60'000;

struct Sample {
    EpochMs t = 0;
    double v = 0.0;
};

// The series the reconstruction needs, in canonical units, one value per distinct timestamp, time-ordered.
struct Series {
    bool any = false;
    EpochMs t0 = 0;
    EpochMs t_last = 0;
    std::vector<Sample> energy;   // cumulative energy delivered since the first reading (kWh)
    std::vector<Sample> power;    // kW
    std::vector<Sample> offered;  // kW
    std::vector<Sample> soc;      // %
    double quantum_kwh = 0.0;     // smallest register rise seen (meter resolution)
};

struct Converted {
    EpochMs t = 0;
    int slot = 0;
    Location location = Location::kOutlet;
    double v = 0.0;
};

// Converts the readings of one measurand to canonical units, deciding the unit of unit-less readings per
// (phase, location) series from physics as the analyzer does.
std::vector<Converted> Convert(const std::vector<Reading>& readings) {
    std::map<std::uint32_t, UnitEvidence> evidence;
    for (const Reading& r : readings) {
        if (r.unit == Unit::kNone && HasUnitDecision(r.measurand)) {
            ObserveUnitless(r.measurand, evidence[SeriesKey(r)], r.timestamp, r.raw);
        }
    }
    std::vector<Converted> out;
    for (const Reading& r : readings) {
        const int slot = PhaseSlot(r.phase);
        if (slot < 0) continue;
        bool kilo = false;
        if (const auto it = evidence.find(SeriesKey(r)); it != evidence.end()) kilo = DecidesKilo(it->second);
        const Unit unit = ResolveUnit(r.measurand, r.unit, kilo);
        const auto value = ToCanonical(QuantityOf(r.measurand), unit, r.raw);
        if (!value || !std::isfinite(*value)) continue;
        out.push_back({r.timestamp, slot, r.location, *value});
    }
    return out;
}

// Totals per timestamp: the unphased value when the series has one, else the sum of the latest L1..L3 values.
// Only the preferred location (Outlet, else the most frequent one) is used.
std::vector<Sample> Totals(const std::vector<Converted>& converted) {
    if (converted.empty()) return {};
    std::array<int, static_cast<std::size_t>(Location::kCount)> per_location{};
    for (const Converted& c : converted) ++per_location[static_cast<std::size_t>(c.location)];
    Location location = Location::kOutlet;
    if (per_location[static_cast<std::size_t>(Location::kOutlet)] == 0) {
        location =
            static_cast<Location>(std::max_element(per_location.begin(), per_location.end()) - per_location.begin());
    }
    bool unphased = false;
    for (const Converted& c : converted) unphased = unphased || (c.location == location && c.slot == 0);
    std::vector<Sample> out;
    std::array<std::optional<double>, 4> latest{};
    for (std::size_t i = 0; i < converted.size(); ++i) {
        const Converted& c = converted[i];
        if (c.location != location || (unphased != (c.slot == 0))) continue;
        latest[static_cast<std::size_t>(c.slot)] = c.v;
        double total = 0.0;
        if (unphased) {
            total = c.v;
        } else {
            for (int p = 1; p <= 3; ++p) total += latest[static_cast<std::size_t>(p)].value_or(0.0);
        }
        if (!out.empty() && out.back().t == c.t) {
            out.back().v = total;  // several values at one timestamp: the last one (or the completed sum) wins
        } else {
            out.push_back({c.t, total});
        }
    }
    return out;
}

bool IsDcHint(const domain::ConnectorFacts& facts) {
    return facts.current_type && (*facts.current_type == "DC" || *facts.current_type == "dc");
}

Series Extract(std::span<const domain::MeterValue> values, const domain::ConnectorFacts& facts, EpochMs now_ms) {
    Series series;
    std::array<std::vector<Reading>, 4> by_kind;  // energy, power, offered, soc
    ReadingParser parser;
    for (const domain::MeterValue& value : values) {
        const auto reading = parser.Parse(value);
        if (!reading) continue;
        if (now_ms > 0 && reading->timestamp > now_ms + kFutureToleranceMs) continue;
        if (!series.any) {
            series.any = true;
            series.t0 = series.t_last = reading->timestamp;
        }
        series.t0 = std::min(series.t0, reading->timestamp);
        series.t_last = std::max(series.t_last, reading->timestamp);
        switch (reading->measurand) {
            case Measurand::kEnergyActiveImportRegister:
                by_kind[0].push_back(*reading);
                break;
            case Measurand::kPowerActiveImport:
                by_kind[1].push_back(*reading);
                break;
            case Measurand::kPowerOffered:
                by_kind[2].push_back(*reading);
                break;
            case Measurand::kSoC:
                by_kind[3].push_back(*reading);
                break;
            default:
                break;
        }
    }
    for (auto& readings : by_kind) {
        std::stable_sort(readings.begin(), readings.end(),
                         [](const Reading& a, const Reading& b) { return a.timestamp < b.timestamp; });
    }
    // Energy: the sum of plausible rises. A rise faster than any charger (offline placeholder 0 followed by the
    // lifetime register, Wh/kWh mix-ups) and a fall (reset, other register basis) start a new base.
    const double hard_limit_kw =
        std::max(facts.max_power_kw.value_or(0.0) * 1.3, IsDcHint(facts) ? 450.0 : (facts.current_type ? 50.0 : 450.0));
    const std::vector<Sample> registers = Totals(Convert(by_kind[0]));
    double delivered = 0.0;
    double quantum = 0.0;
    for (std::size_t i = 0; i < registers.size(); ++i) {
        if (i > 0) {
            const double step = registers[i].v - registers[i - 1].v;
            const double hours = static_cast<double>(registers[i].t - registers[i - 1].t) / kMsPerHour;
            if (step > 0.0 && step <= hard_limit_kw * hours + 0.05) {
                delivered += step;
                if (step > 1e-6 && (quantum == 0.0 || step < quantum)) quantum = step;
            }
        }
        series.energy.push_back({registers[i].t, delivered});
    }
    series.quantum_kwh = quantum;
    for (const Sample& s : Totals(Convert(by_kind[1]))) {
        if (s.v >= 0.0 && s.v <= hard_limit_kw) series.power.push_back(s);
    }
    series.offered = Totals(Convert(by_kind[2]));
    for (const Reading& r : by_kind[3]) {
        if (r.unit != Unit::kNone && r.unit != Unit::kPercent) continue;
        if (!(r.raw >= 0.0 && r.raw <= 100.0)) continue;
        if (!series.soc.empty() && series.soc.back().t == r.timestamp) {
            series.soc.back().v = r.raw;
        } else {
            series.soc.push_back({r.timestamp, r.raw});
        }
    }
    return series;
}

// Linear interpolation of a time-ordered cumulative series, held flat outside it.
double EnergyAt(const std::vector<Sample>& energy, EpochMs t) {
    if (energy.empty()) return 0.0;
    if (t <= energy.front().t) return energy.front().v;
    if (t >= energy.back().t) return energy.back().v;
    const auto it =
        std::lower_bound(energy.begin(), energy.end(), t, [](const Sample& s, EpochMs time) { return s.t < time; });
    const Sample& b = *it;
    const Sample& a = *(it - 1);
    if (b.t == a.t) return b.v;
    return a.v + (b.v - a.v) * static_cast<double>(t - a.t) / static_cast<double>(b.t - a.t);
}

// Whether >= 2 SoC readings form a usable series: no fall beyond rounding, no rise the energy cannot explain
// (implied capacity < 10 kWh, or < 20 kWh for a jump of > 10 points to 100 %), no flat SoC while a lot of energy flows
// (> 250 kWh implied).
bool SocConsistent(const Series& series) {
    const auto& soc = series.soc;
    if (soc.size() < 2) return false;
    double running_max = soc.front().v;
    for (std::size_t i = 1; i < soc.size(); ++i) {
        if (soc[i].v < running_max - 2.0) return false;
        const double d_soc = soc[i].v - soc[i - 1].v;
        const double d_e = EnergyAt(series.energy, soc[i].t) - EnergyAt(series.energy, soc[i - 1].t);
        if (d_soc > 3.0 && d_e * 100.0 / d_soc < 10.0) return false;
        // A jump to 100 % (BMS recalibration, value leak) faster than any car battery (< 20 kWh implied), seen as
        // a step of a series of >= 3 readings: with just two, 100 % at the end is the ordinary report of a full
        // battery (some cars rescale their SoC near full; the EPFL table has such sessions).
        if (soc.size() >= 3 && d_soc > 10.0 && soc[i].v >= 99.5 && d_e * 100.0 / d_soc < 20.0) return false;
        running_max = std::max(running_max, soc[i].v);
    }
    const double d_soc = soc.back().v - soc.front().v;
    const double d_e = EnergyAt(series.energy, soc.back().t) - EnergyAt(series.energy, soc.front().t);
    if (d_e > 2.0 && d_e * 100.0 / std::max(d_soc, 0.5) > 250.0) return false;
    return true;
}

double Percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(v.size() - 1, lo + 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// One stretch of delivery: its mean power and the energy delivered at its ends.
struct Segment {
    EpochMs from = 0;
    EpochMs to = 0;
    double e_from = 0.0;
    double e_to = 0.0;
    double power_kw = 0.0;
    double sigma = 0.06;  // relative uncertainty of power_kw (noise, model, meter resolution)
    bool used = true;
};

// Cuts [first energy reading, end of delivery] into at most ~80 segments of >= 1 minute that hold several meter
// steps each.
std::vector<Segment> MakeSegments(const Series& series) {
    std::vector<Segment> segments;
    const auto& e = series.energy;
    if (e.size() < 2) return segments;
    const double total = e.back().v;
    std::size_t last = e.size() - 1;
    while (last > 0 && e[last - 1].v >= total - 1e-9) --last;  // the delivery ends where the final value is reached
    if (last == 0) return segments;
    const double window_ms = static_cast<double>(e[last].t - e.front().t);
    const double mean_kw = total / std::max(window_ms / kMsPerHour, 1e-6);
    double min_ms = std::max(60'000.0, window_ms / 80.0);
    if (series.quantum_kwh > 0.0 && mean_kw > 0.0) {
        min_ms = std::max(min_ms, std::min(window_ms / 4.0, 8.0 * series.quantum_kwh / mean_kw * kMsPerHour));
    }
    std::size_t i = 0;
    while (i < last) {
        std::size_t j = i + 1;
        while (j < last && static_cast<double>(e[j].t - e[i].t) < min_ms) ++j;
        if (j == last && !segments.empty() && static_cast<double>(e[j].t - e[i].t) < min_ms / 3.0) {
            Segment& prev = segments.back();  // a short remainder joins the previous segment
            prev.to = e[j].t;
            prev.e_to = e[j].v;
        } else {
            segments.push_back({e[i].t, e[j].t, e[i].v, e[j].v, 0.0, 0.06, true});
        }
        i = j;
    }
    for (Segment& s : segments) {
        const double hours = static_cast<double>(s.to - s.from) / kMsPerHour;
        const double de = s.e_to - s.e_from;
        s.power_kw = hours > 0.0 ? de / hours : 0.0;
        const double resolution = series.quantum_kwh > 0.0 && de > 0.0 ? series.quantum_kwh / de : 0.0;
        s.sigma = std::hypot(0.06, resolution);
    }
    return segments;
}

// The CC-CV power shape: 1 below the onset, falling linearly to 0 at 100 %, never below `floor`.
struct Shape {
    double onset = 80.0;
    double floor = 0.05;

    // ∫ ds / g(s) from a to b (0 <= a <= b <= 100).
    double InverseIntegral(double a, double b) const {
        const double span = 100.0 - onset;
        const double s_floor = 100.0 - floor * span;
        double sum = 0.0;
        const double a1 = std::min(a, onset);
        const double b1 = std::min(b, onset);
        sum += std::max(0.0, b1 - a1);
        const double a2 = std::clamp(a, onset, s_floor);
        const double b2 = std::clamp(b, onset, s_floor);
        if (b2 > a2) sum += span * std::log((100.0 - a2) / (100.0 - b2));
        const double a3 = std::max(a, s_floor);
        const double b3 = std::max(b, s_floor);
        sum += std::max(0.0, b3 - a3) / floor;
        return sum;
    }
    double G(double s) const { return std::clamp((100.0 - s) / (100.0 - onset), floor, 1.0); }
    // Harmonic mean of g over [a, b]: the mean power (relative to the plateau) of a stretch from a to b.
    double Mean(double a, double b) const {
        a = std::clamp(a, 0.0, 100.0);
        b = std::clamp(b, 0.0, 100.0);
        if (b - a < 1e-3) return G(0.5 * (a + b));
        return (b - a) / InverseIntegral(a, b);
    }
};

// Effective capacity prior of DC cars by the session's peak power (EPFL Level-3 sessions: median implied
// capacity per peak-power class).
double DcCapacityPrior(double peak_kw) {
    static constexpr std::array<std::pair<double, double>, 8> kTable = {{{0.0, 40.0},
                                                                         {25.0, 40.0},
                                                                         {50.0, 50.0},
                                                                         {75.0, 66.0},
                                                                         {100.0, 75.0},
                                                                         {150.0, 80.0},
                                                                         {200.0, 88.0},
                                                                         {350.0, 95.0}}};
    for (std::size_t i = 1; i < kTable.size(); ++i) {
        if (peak_kw <= kTable[i].first) {
            const auto [x0, y0] = kTable[i - 1];
            const auto [x1, y1] = kTable[i];
            return y0 + (y1 - y0) * (peak_kw - x0) / (x1 - x0);
        }
    }
    return kTable.back().second;
}

// Spread (log-normal sigma) of the DC capacity prior by peak power: the EPFL table's implied capacities spread
// widely among slow DC sessions (log-sd ~0.4 at <= 50 kW: small cars, plug-in hybrids and throttled big cars mix)
// and narrowly among fast ones (~0.13-0.2 at >= 100 kW). Above 75 kW it stays at 0.28 all the same: the table
// mixes cars whose SoC scales differ, and a narrower prior would outweigh a visible taper.
double DcCapacitySigma(double peak_kw) {
    if (peak_kw <= 50.0) return 0.40;
    if (peak_kw <= 75.0) return 0.40 + (0.28 - 0.40) * (peak_kw - 50.0) / 25.0;
    return 0.28;
}

// When the session's peak sits at the charger's rating, the charger limited it and the car may be able to draw
// more: the capacity prior is that of all cars with a peak of at least the rating (EPFL: median implied capacity
// 77 kWh for cars reaching >= 50 kW, log-sd 0.32; 81 kWh and 0.16 for >= 100 kW; 83 kWh and 0.13 for >= 150 kW).
std::pair<double, double> DcCapacityPriorAtLeast(double peak_kw) {
    static constexpr std::array<std::array<double, 3>, 7> kTable = {{{0.0, 76.5, 0.40},
                                                                     {25.0, 76.6, 0.39},
                                                                     {50.0, 77.3, 0.32},
                                                                     {75.0, 78.9, 0.21},
                                                                     {100.0, 80.6, 0.16},
                                                                     {125.0, 82.5, 0.13},
                                                                     {150.0, 83.3, 0.13}}};
    for (std::size_t i = 1; i < kTable.size(); ++i) {
        if (peak_kw <= kTable[i][0]) {
            const double f = (peak_kw - kTable[i - 1][0]) / (kTable[i][0] - kTable[i - 1][0]);
            return {kTable[i - 1][1] + f * (kTable[i][1] - kTable[i - 1][1]),
                    kTable[i - 1][2] + f * (kTable[i][2] - kTable[i - 1][2])};
        }
    }
    return {kTable.back()[1], kTable.back()[2]};
}

// Effective capacity prior of AC cars: single-phase 3.7 kW is mostly small cars and plug-in hybrids; 7.4-22 kW
// typical 50-77 kWh battery-electric cars, plus ~10 % on-board charger losses.
double AcCapacityPrior(double peak_kw) {
    (void)peak_kw;
    return 60.0;
}

bool IsFullStop(const std::optional<std::string>& reason) {
    if (!reason) return false;
    const std::string& r = *reason;
    return r == "SOCLimitReached" || r == "StoppedByEV" || r == "SOC" || r == "EVFull" || r == "SoCLimitReached";
}

double PeakPower(const Series& series, const std::vector<Segment>& segments) {
    std::vector<double> seg;
    for (const Segment& s : segments) seg.push_back(s.power_kw);
    double peak = Percentile(seg, 0.9);
    std::vector<double> readings;
    for (const Sample& p : series.power) {
        if (p.v > 0.1) readings.push_back(p.v);
    }
    return std::max(peak, Percentile(readings, 0.9));
}

// Mean power over the span of the readings relative to the peak; -1 when either is unknown.
double MeanToPeak(const Series& series, double peak_kw) {
    const double hours = static_cast<double>(series.t_last - series.t0) / kMsPerHour;
    if (hours <= 0.0 || peak_kw <= 0.0 || series.energy.empty()) return -1.0;
    return series.energy.back().v / hours / peak_kw;
}

// How an AC session's delivery ended. A car that finished charging (full, or at its own SoC limit) draws ~0 kW
// until it is unplugged; its on-board charger's current falls off over the last few percent first (CV phase) when
// it charged to full, whereas a stop at a limit below full is abrupt.
struct AcEnd {
    bool done = false;      // delivery stopped >= 30 min before the last reading and nothing flowed since
    bool fall_off = false;  // the last full stretch of delivery ran well below the plateau
};

AcEnd DetectAcEnd(const Series& series, double peak_kw) {
    AcEnd end;
    if (series.energy.size() < 3 || peak_kw <= 0.0) return end;
    const double e_total = series.energy.back().v;
    // The first reading at the final energy: delivery ended between it and the reading before.
    std::size_t k = series.energy.size() - 1;
    while (k > 0 && series.energy[k - 1].v >= e_total - 1e-9) --k;
    if (k < 2) return end;
    EpochMs t_done = series.energy[k].t;
    // A coarse register's last step comes before the end of delivery: power readings above ~0 after it move the
    // end of delivery to the last of them.
    const double zero_kw = std::max(0.05, 0.03 * peak_kw);
    const EpochMs t_register = t_done;
    for (const Sample& p : series.power) {
        if (p.t > t_done && p.v > zero_kw) t_done = p.t;
    }
    // At least 30 min (IDLE_OCCUPANCY's bar): shorter stops are EV-side pauses, schedules, load management.
    if (series.t_last - t_done < kDoneTailMs) return end;
    int zero_power = 0;
    for (const Sample& p : series.power) zero_power += p.t > t_done ? 1 : 0;
    // Without power readings in the tail, a coarse register can stay flat for a while at low power: at 8 % of the
    // peak (the fall-off's end) one meter step takes quantum / (0.08 peak) hours; the tail must be longer.
    const double step_h = series.quantum_kwh > 0.0 ? series.quantum_kwh / (0.08 * peak_kw) : 0.0;
    if (zero_power < 2 && static_cast<double>(series.t_last - t_register) < step_h * kMsPerHour) return end;
    end.done = true;
    // The fall-off: the power readings of the last stretch of delivery, else the energy rate of the last full
    // interval before the one delivery ended in (that one is partial).
    double last_power = -1.0;
    for (const Sample& p : series.power) {
        if (p.t <= t_done && p.v > 0.05 * peak_kw) last_power = p.v;
    }
    if (last_power >= 0.0) {
        end.fall_off = last_power < 0.6 * peak_kw;
    } else {
        const Sample& a = series.energy[k - 2];
        const Sample& b = series.energy[k - 1];
        const double hours = static_cast<double>(b.t - a.t) / kMsPerHour;
        if (hours > 0.0 && hours <= 0.5) end.fall_off = (b.v - a.v) / hours < 0.75 * peak_kw;
    }
    return end;
}

// log of the end-SoC likelihood of an AC car that finished: near 100 % (w_full) or at a limit of its own, spread
// over 75-100 % (falling off below 75 with sd 5).
double AcDoneEndLogLikelihood(double s_end, double w_full) {
    constexpr double kSd = 1.5;
    const double full = std::exp(-0.5 * std::pow((std::min(s_end, 100.0) - 100.0) / kSd, 2)) / (kSd * 2.5066);
    const double limit = (s_end >= 75.0 ? 1.0 : std::exp(-0.5 * std::pow((75.0 - s_end) / 5.0, 2))) / 25.0;
    return std::log(w_full * full + (1.0 - w_full) * limit + 1e-300);
}

// "Sessions like this one" (docs/soc_prior.md, round 5): a session's start SoC, energy, span, peak power and mean
// power over the span relative to the peak. Cars of one model arriving at a similar SoC draw a similar peak and a
// similar power curve, so their nearest past sessions at the connector (or tenant) say more about the capacity than
// the peak power alone. The scales make one unit of each term a comparable difference (15 SoC points, 35 % in
// energy or span, 22 % in peak, 0.1 in the mean-to-peak ratio); they were set by judgement, not fitted.
struct SessionFeatures {
    double start_soc = 0.0;
    double log_energy = 0.0;
    double log_peak = 0.0;
    double log_minutes = 0.0;
    double ratio = 0.0;  // mean power over the span / peak power
};

std::optional<SessionFeatures> FeaturesOf(double start_soc, double energy_kwh, double minutes, double peak_kw) {
    if (!(start_soc >= 0.0 && start_soc <= 100.0) || !(energy_kwh >= 1.0) || !(minutes >= 1.0) || !(peak_kw > 1.0))
        return std::nullopt;
    const double mean_kw = energy_kwh / (minutes / 60.0);
    return SessionFeatures{start_soc, std::log(energy_kwh), std::log(peak_kw), std::log(minutes),
                           std::min(mean_kw / peak_kw, 1.5)};
}

double FeatureDistance(const SessionFeatures& a, const SessionFeatures& b) {
    const auto sq = [](double x) { return x * x; };
    return sq((a.start_soc - b.start_soc) / 15.0) + sq((a.log_energy - b.log_energy) / 0.3) +
           sq((a.log_peak - b.log_peak) / 0.2) + sq((a.log_minutes - b.log_minutes) / 0.3) +
           sq((a.ratio - b.ratio) / 0.1);
}

// The k nearest past sessions need this much history with features to choose from.
constexpr std::size_t kNeighbours = 5;
constexpr std::size_t kNeighbourHistory = 20;

// log-normal capacity prior from the nearest past sessions: median and spread of their log capacity.
std::optional<std::pair<double, double>> NeighbourPrior(const SessionFeatures& target, const SocPrior& prior) {
    std::vector<std::pair<double, double>> candidates;  // distance, log capacity
    for (const CapacityObservation& o : prior.station.empty() ? prior.recent : prior.station) {
        if (o.capacity_kwh < 10.0 || o.capacity_kwh > 250.0) continue;
        const auto f = FeaturesOf(o.start_soc, o.session_energy_kwh, o.session_minutes, o.peak_power_kw);
        if (f) candidates.emplace_back(FeatureDistance(target, *f), std::log(o.capacity_kwh));
    }
    const std::size_t k_n = kNeighbours;
    if (candidates.size() < kNeighbourHistory || candidates.size() < k_n) return std::nullopt;
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k_n), candidates.end());
    std::vector<double> logs;
    for (std::size_t i = 0; i < k_n; ++i) logs.push_back(candidates[i].second);
    const double median = Percentile(logs, 0.5);
    std::vector<double> dev;
    for (double x : logs) dev.push_back(std::fabs(x - median));
    const double spread = std::clamp(1.4826 * Percentile(dev, 0.5), 0.1, 0.28);
    return std::pair{median, spread};
}

}  // namespace

CapacityPrior TypicalCapacityPrior(double peak_kw, bool dc, double rating_kw) {
    if (!dc) return {AcCapacityPrior(peak_kw > 0.0 ? peak_kw : rating_kw), 0.32};
    if (rating_kw > 0.0 && peak_kw >= 0.93 * rating_kw) {
        const auto [median, spread] = DcCapacityPriorAtLeast(rating_kw);
        return {median, spread};
    }
    return {DcCapacityPrior(peak_kw), DcCapacitySigma(peak_kw)};
}

double MaxPlausibleCapacityKwh(double peak_kw, bool dc, double rating_kw) {
    const CapacityPrior prior = TypicalCapacityPrior(peak_kw, dc, rating_kw);
    constexpr double kZ = 3.09;  // the 99.9th percentile of the log-normal prior
    return std::clamp(prior.median_kwh * std::exp(kZ * prior.sigma), 120.0, 250.0);
}

double SessionPeakPowerKw(std::span<const domain::MeterValue> values) {
    const Series series = Extract(values, {}, 0);
    return PeakPower(series, MakeSegments(series));
}

std::optional<double> ImpliedCapacityKwh(std::span<const domain::MeterValue> values) {
    const auto evidence = ImpliedCapacity(values);
    if (!evidence) return std::nullopt;
    return evidence->capacity_kwh;
}

std::optional<CapacityEvidence> ImpliedCapacity(std::span<const domain::MeterValue> values) {
    const Series series = Extract(values, {}, 0);
    if (!SocConsistent(series)) return std::nullopt;
    const double d_soc = series.soc.back().v - series.soc.front().v;
    const double d_e = EnergyAt(series.energy, series.soc.back().t) - EnergyAt(series.energy, series.soc.front().t);
    if (d_soc < 5.0 || d_e < 1.0) return std::nullopt;
    const double capacity = d_e * 100.0 / d_soc;
    if (capacity < 10.0 || capacity > 250.0) return std::nullopt;
    CapacityEvidence evidence{capacity, d_soc, d_e, series.soc.back().t, PeakPower(series, MakeSegments(series))};
    evidence.start_soc =
        std::clamp(series.soc.front().v - EnergyAt(series.energy, series.soc.front().t) * 100.0 / capacity, 0.0, 100.0);
    evidence.session_energy_kwh = series.energy.back().v;
    evidence.session_minutes = static_cast<double>(series.t_last - series.t0) / 60'000.0;
    return evidence;
}

SocReconstruction ReconstructSoc(std::span<const domain::MeterValue> values, const SocOptions& options) {
    SocReconstruction result;
    const Series series = Extract(values, options.connector, options.now_ms);
    if (series.soc.size() >= 2 && SocConsistent(series)) {
        result.method = "measured";
        return result;
    }
    if (series.energy.size() < 2) {
        result.method = "no_energy";
        return result;
    }
    if (series.t_last - series.t0 > kMaxSpanMs) {
        result.method = "span_too_long";
        return result;
    }
    const bool inconsistent = series.soc.size() >= 2;

    std::vector<Segment> segments = MakeSegments(series);
    const double peak_kw = PeakPower(series, segments);
    const double rating = options.connector.max_power_kw.value_or(0.0);
    bool dc = IsDcHint(options.connector);
    if (!options.connector.current_type) dc = peak_kw > 23.0 || rating > 44.0;
    const Shape shape = dc ? Shape{80.0, 0.05} : Shape{95.0, 0.1};

    // Segments limited from outside say nothing about the battery: pauses and ramps, power held down by
    // Power.Offered, and any stretch whose power comes back up later (a taper never recovers).
    // The first and the last segment hold the start of delivery (ramp-up, start delay) and its end (which falls
    // somewhere between two readings): partial by construction, they would fake a taper.
    if (segments.size() >= 4) {
        segments.front().used = false;
        segments.back().used = false;
    }
    double later_max = 0.0;
    for (std::size_t k = segments.size(); k-- > 0;) {
        Segment& s = segments[k];
        if (s.power_kw < 0.1 * peak_kw) s.used = false;
        if (s.power_kw * (1.0 + s.sigma) < later_max) s.used = false;
        later_max = std::max(later_max, s.power_kw * (1.0 - s.sigma));
        if (!series.offered.empty()) {
            const EpochMs mid = s.from + (s.to - s.from) / 2;
            const auto it = std::upper_bound(series.offered.begin(), series.offered.end(), mid,
                                             [](EpochMs t, const Sample& o) { return t < o.t; });
            if (it != series.offered.begin()) {
                const double offered = (it - 1)->v;
                if (offered < 0.97 * peak_kw && s.power_kw >= 0.85 * offered) s.used = false;
            }
        }
    }
    std::vector<Segment> used;
    for (const Segment& s : segments) {
        if (s.used) used.push_back(s);
    }

    // AC: did the car finish before it was unplugged? Then the end of delivery is ~100 % (or the car's own limit)
    // and the start follows from the energy and the capacity; the arrival prior is left out (nothing measured
    // supports one for AC, and top-ups that finish start high: Boulder's finishing sessions deliver a median
    // 6.8 kWh).
    const AcEnd ac_end = dc ? AcEnd{} : DetectAcEnd(series, peak_kw);
    // P(full | the car finished): 0.9 when the CV fall-off is visible (only a charge to full has it), else 0.4.
    const double w_full = ac_end.fall_off ? 0.9 : 0.4;

    // Capacity prior (log-normal).
    const CapacityPrior typical = TypicalCapacityPrior(peak_kw, dc, rating);
    double mu = std::log(typical.median_kwh);
    double sigma = typical.sigma;
    if (options.prior) {
        const SocPrior& prior = *options.prior;
        std::vector<double> similar;
        const std::size_t from = prior.recent.size() > 200 ? prior.recent.size() - 200 : 0;
        // The same EV power request: the same car model (or the same car).
        const double ev_kw = options.ev_max_power_kw.value_or(0.0);
        for (std::size_t k = prior.recent.size(); ev_kw > 0.0 && k-- > from;) {
            const CapacityObservation& o = prior.recent[k];
            if (o.capacity_kwh >= 10.0 && o.capacity_kwh <= 250.0 && o.ev_max_power_kw > 0.0 &&
                std::fabs(std::log(o.ev_max_power_kw / ev_kw)) < 0.01) {
                similar.push_back(o.capacity_kwh);
                if (similar.size() >= 15) break;
            }
        }
        const bool same_request = similar.size() >= 3;
        if (!same_request) similar.clear();
        // Sessions like this one: DC, its single SoC reading at the start (so the start SoC is known).
        std::optional<std::pair<double, double>> neighbours;
        if (!same_request && dc && series.soc.size() == 1 &&
            EnergyAt(series.energy, series.soc.front().t) <= std::max(0.5, 0.02 * series.energy.back().v)) {
            const auto target = FeaturesOf(series.soc.front().v, series.energy.back().v,
                                           static_cast<double>(series.t_last - series.t0) / 60'000.0, peak_kw);
            if (target) neighbours = NeighbourPrior(*target, prior);
        }
        for (std::size_t k = prior.recent.size(); !same_request && !neighbours && k-- > from;) {
            const CapacityObservation& o = prior.recent[k];
            if (o.capacity_kwh >= 10.0 && o.capacity_kwh <= 250.0 && o.peak_power_kw > 0.0 && peak_kw > 0.0 &&
                std::fabs(std::log(o.peak_power_kw / peak_kw)) < 0.03) {
                similar.push_back(o.capacity_kwh);
                if (similar.size() >= 15) break;
            }
        }
        if (neighbours) {
            mu = neighbours->first;
            sigma = neighbours->second;
        } else if (similar.size() >= 3) {
            // Likely the same car model (or the same car): a sharper prior.
            mu = std::log(Percentile(similar, 0.5));
            sigma = similar.size() >= 6 ? 0.15 : 0.2;
        } else if (prior.median_capacity_kwh && *prior.median_capacity_kwh >= 10.0 &&
                   *prior.median_capacity_kwh <= 250.0 && prior.count > 0) {
            const double w = prior.count / (prior.count + 5.0);
            mu = (1.0 - w) * mu + w * std::log(*prior.median_capacity_kwh);
            sigma = std::min(sigma, 0.28);
        }
    }

    // Anchor: the single SoC reading (or the first of an inconsistent series), else t0 with the start prior.
    const bool anchored = !series.soc.empty();
    const EpochMs t_anchor = anchored ? series.soc.front().t : series.t0;
    const double e_anchor = EnergyAt(series.energy, t_anchor);
    const double e_total = series.energy.back().v;
    std::vector<double> anchor_grid;
    if (anchored) {
        for (double d = -0.5; d <= 0.5 + 1e-9; d += 0.25)
            anchor_grid.push_back(std::clamp(series.soc.front().v + d, 0.0, 100.0));
    } else {
        for (double s = 0.0; s <= 100.0 + 1e-9; s += 0.5) anchor_grid.push_back(s);
    }
    constexpr int kCapacitySteps = 90;
    const double log_lo = std::log(8.0);
    const double log_hi = std::log(260.0);
    // AC arrival prior (no measured basis; wide). DC: DcSessionPrior below.
    constexpr double kAcStartMean = 35.0;
    constexpr double kStartSd = 18.0;
    const bool full_stop = IsFullStop(options.stop_reason);
    const double full_from = dc ? 85.0 : 92.0;
    const double peak_floor = 0.97 * peak_kw;

    std::vector<double> seg_e_from, seg_e_to, seg_w;
    for (const Segment& s : used) {
        seg_e_from.push_back(s.e_from - e_anchor);
        seg_e_to.push_back(s.e_to - e_anchor);
        seg_w.push_back(1.0 / (s.sigma * s.sigma));
    }

    struct Cell {
        double s_anchor;
        double capacity;
        double logp;
    };
    // DC: the arrival/departure prior given the capacity and the peak power (dc_session_prior.h).
    std::vector<double> capacities;
    for (int k = 0; k < kCapacitySteps; ++k)
        capacities.push_back(std::exp(log_lo + (log_hi - log_lo) * k / (kCapacitySteps - 1)));
    // The mean-to-peak power over the stay only where fewer than 3 stretches of the power curve are usable (start and
    // end readings, as in a CDR): a resolved curve shows its taper directly (dc_session_prior.h).
    DcSessionPrior session_prior(peak_kw, rating > 0.0 && peak_kw >= 0.93 * rating,
                                 static_cast<double>(series.t_last - series.t0) / 60'000.0,
                                 used.size() < 3 ? MeanToPeak(series, peak_kw) : -1.0);
    if (dc) session_prior.Prepare(capacities, e_total);

    std::vector<Cell> cells;
    cells.reserve(anchor_grid.size() * kCapacitySteps);
    std::vector<double> mean_g(used.size());
    for (int k = 0; k < kCapacitySteps; ++k) {
        const double log_b = log_lo + (log_hi - log_lo) * k / (kCapacitySteps - 1);
        const double b = std::exp(log_b);
        const double z_b = (log_b - mu) / sigma;
        for (double s_a : anchor_grid) {
            double logp = -0.5 * z_b * z_b;
            const double s_start = s_a - 100.0 * e_anchor / b;
            const double s_end = s_a + 100.0 * (e_total - e_anchor) / b;
            if (ac_end.done) {
                logp += AcDoneEndLogLikelihood(s_end, w_full);
            } else if (dc) {
                // The joint arrival/departure prior also with a SoC reading: the reading fixes one point of the
                // trajectory, the prior still says how likely its start and end are (and so the capacity).
                logp += session_prior.LogDensity(static_cast<std::size_t>(k), s_start);
            } else if (!anchored) {
                const double z = (s_start - kAcStartMean) / kStartSd;
                logp -= 0.5 * z * z;
            }
            // SoC cannot go below 0 or above 100 while energy flows (1 point of slack for rounding).
            if (s_start < -1.0) logp -= 0.5 * std::pow((-1.0 - s_start) / 0.5, 2);
            if (s_end > 101.0) logp -= 0.5 * std::pow((s_end - 101.0) / 0.5, 2);
            if (full_stop && s_end < full_from) logp -= 0.5 * std::pow((full_from - s_end) / 6.0, 2);
            if (!used.empty()) {
                double num = 0.0;
                double den = 0.0;
                for (std::size_t i = 0; i < used.size(); ++i) {
                    const double g = shape.Mean(s_a + 100.0 * seg_e_from[i] / b, s_a + 100.0 * seg_e_to[i] / b);
                    mean_g[i] = g;
                    num += seg_w[i] * used[i].power_kw * g;
                    den += seg_w[i] * g * g;
                }
                const double plateau = std::max(peak_floor, den > 0.0 ? num / den : peak_floor);
                for (std::size_t i = 0; i < used.size(); ++i) {
                    double r = (used[i].power_kw - plateau * mean_g[i]) / (plateau * used[i].sigma);
                    const double a = std::fabs(r);
                    logp -= a < 3.0 ? 0.5 * r * r : 3.0 * a - 4.5;  // Huber: robust to stray segments
                }
            }
            cells.push_back({s_a, b, logp});
        }
    }
    double best = -1e300;
    for (const Cell& c : cells) best = std::max(best, c.logp);

    // Output times: every 15 minutes from t0, and the last reading.
    std::vector<EpochMs> times;
    for (EpochMs t = series.t0; t < series.t_last; t += kPointStepMs) times.push_back(t);
    times.push_back(series.t_last);
    std::vector<double> e_rel(times.size());
    for (std::size_t i = 0; i < times.size(); ++i) e_rel[i] = EnergyAt(series.energy, times[i]) - e_anchor;
    std::vector<double> sum(times.size());  // zero-initialised
    std::vector<double> sum_sq(times.size());
    // Posterior of each point's SoC on 0.25-point bins: the prediction is its median (least absolute error).
    constexpr int kBins = 401;
    std::vector<double> histogram(times.size() * kBins, 0.0);
    double total_w = 0.0;
    double capacity_sum = 0.0;
    for (const Cell& c : cells) {
        const double w = std::exp(c.logp - best);
        if (w < 1e-9) continue;
        total_w += w;
        capacity_sum += w * c.capacity;
        for (std::size_t i = 0; i < times.size(); ++i) {
            const double s = std::clamp(c.s_anchor + 100.0 * e_rel[i] / c.capacity, 0.0, 100.0);
            sum[i] += w * s;
            sum_sq[i] += w * s * s;
            histogram[i * kBins + static_cast<std::size_t>(std::lround(s * 4.0))] += w;
        }
    }
    double sd_sum = 0.0;
    for (std::size_t i = 0; i < times.size(); ++i) {
        const double mean = total_w > 0.0 ? sum[i] / total_w : 0.0;
        const double var = total_w > 0.0 ? std::max(0.0, sum_sq[i] / total_w - mean * mean) : 0.0;
        sd_sum += std::sqrt(var);
        double median = mean;
        double acc = 0.0;
        for (int bin = 0; bin < kBins && total_w > 0.0; ++bin) {
            acc += histogram[i * kBins + static_cast<std::size_t>(bin)];
            if (acc >= 0.5 * total_w) {
                median = bin / 4.0;
                break;
            }
        }
        result.points.push_back({times[i], std::clamp(median, 0.0, 100.0)});
    }
    // Each hypothesis is monotone, so are the posterior quantiles; make it exact against the binning.
    for (std::size_t i = 1; i < result.points.size(); ++i) {
        if (e_rel[i] >= e_rel[i - 1])
            result.points[i].value = std::max(result.points[i].value, result.points[i - 1].value);
    }
    const double sd = sd_sum / static_cast<double>(times.size());
    double confidence = std::erf(5.0 / (std::max(sd, 1e-3) * std::sqrt(2.0)));
    if (inconsistent) confidence *= 0.8;
    if (series.energy.size() < 3) confidence *= 0.8;
    result.confidence = std::clamp(confidence, 0.02, 0.98);
    result.battery_kwh = total_w > 0.0 ? capacity_sum / total_w : std::exp(mu);
    result.reconstructed = true;
    result.method = inconsistent ? "inconsistent_soc" : anchored ? "anchored" : "prior";
    return result;
}

}  // namespace evni::analysis
