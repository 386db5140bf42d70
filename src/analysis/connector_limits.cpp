#include "analysis/connector_limits.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <vector>

#include "analysis/normalise.h"

namespace evni::analysis {
namespace {

constexpr domain::EpochMs kMinuteMs = 60'000;
constexpr double kChargingKw = 0.5;     // a minute below this is not charging
constexpr double kPhaseCurrentA = 1.0;  // a phase carrying more than this is in use
constexpr double kPhasePowerKw = 0.2;   // ... or delivering more than this
constexpr double kAcMaxKw = 44.0;       // 63 A x 230 V x 3: no AC connector delivers more
constexpr double kSustainedQuantile = 0.9;

constexpr std::array<double, 5> kAcLadder{3.7, 7.4, 11.0, 22.0, 43.0};
constexpr std::array<double, 4> kDcLadder{50.0, 100.0, 150.0, 350.0};

bool AtConnector(Location l) { return l == Location::kOutlet || l == Location::kInlet || l == Location::kCable; }

double Quantile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(std::floor(q * static_cast<double>(v.size() - 1)));
    return v[i];
}

}  // namespace

std::optional<PowerObservation> ObserveSessionPower(std::span<const domain::MeterValue> values) {
    ReadingParser parser;
    std::vector<Reading> readings;
    readings.reserve(values.size());
    std::map<std::uint32_t, UnitEvidence> evidence;
    bool phase_tagged = false;
    domain::EpochMs last_ms = 0;
    for (const auto& v : values) {
        auto r = parser.Parse(v);
        if (!r || r->reconstructed || !AtConnector(r->location)) continue;
        const bool power = r->measurand == Measurand::kPowerActiveImport;
        const bool energy = r->measurand == Measurand::kEnergyActiveImportRegister;
        const bool current = r->measurand == Measurand::kCurrentImport;
        if (!power && !energy && !current && r->measurand != Measurand::kVoltage) continue;
        const int phase = PhaseSlot(r->phase);
        if (phase < 0) continue;
        if (phase > 0) phase_tagged = true;
        if (r->measurand == Measurand::kVoltage) continue;
        if (r->unit == Unit::kNone && HasUnitDecision(r->measurand))
            ObserveUnitless(r->measurand, evidence[SeriesKey(*r)], r->timestamp, r->raw);
        last_ms = std::max(last_ms, r->timestamp);
        readings.push_back(*r);
    }
    // Per timestamp: the overall power and energy, else the sum of the phases.
    struct Point {
        std::optional<double> power, power_phases, energy, energy_phases;
    };
    std::map<domain::EpochMs, Point> by_time;
    std::array<bool, 4> phase_used{};
    for (const auto& r : readings) {
        bool kilo = false;
        if (auto it = evidence.find(SeriesKey(r)); it != evidence.end()) kilo = DecidesKilo(it->second);
        const auto value = ToCanonical(QuantityOf(r.measurand), ResolveUnit(r.measurand, r.unit, kilo), r.raw);
        if (!value || !std::isfinite(*value)) continue;
        const int phase = PhaseSlot(r.phase);
        if (r.measurand == Measurand::kCurrentImport) {
            if (phase > 0 && *value > kPhaseCurrentA) phase_used[static_cast<std::size_t>(phase)] = true;
            continue;
        }
        auto& p = by_time[r.timestamp];
        const bool power = r.measurand == Measurand::kPowerActiveImport;
        if (phase == 0) {
            auto& slot = power ? p.power : p.energy;
            if (!slot) slot = *value;
        } else {
            auto& slot = power ? p.power_phases : p.energy_phases;
            slot = slot.value_or(0.0) + *value;
            if (power && *value > kPhasePowerKw) phase_used[static_cast<std::size_t>(phase)] = true;
        }
    }

    // Per-minute mean power; else the energy register's rise over >= 60 s windows.
    std::vector<double> minutes;
    std::map<domain::EpochMs, std::pair<double, int>> power_by_minute;
    for (const auto& [t, p] : by_time) {
        const auto kw = p.power ? p.power : p.power_phases;
        if (!kw) continue;
        auto& [sum, n] = power_by_minute[t / kMinuteMs];
        sum += *kw;
        ++n;
    }
    if (!power_by_minute.empty()) {
        for (const auto& [minute, acc] : power_by_minute) {
            const double kw = acc.first / acc.second;
            if (kw >= kChargingKw) minutes.push_back(kw);
        }
    } else {
        bool anchored = false;
        domain::EpochMs anchor_ms = 0;
        double anchor_kwh = 0.0;
        for (const auto& [t, p] : by_time) {
            const auto kwh = p.energy ? p.energy : p.energy_phases;
            if (!kwh) continue;
            if (!anchored || *kwh < anchor_kwh) {  // first reading, or a reset: start again
                anchored = true;
                anchor_ms = t;
                anchor_kwh = *kwh;
                continue;
            }
            if (t - anchor_ms < kMinuteMs) continue;
            const double kw = (*kwh - anchor_kwh) / (static_cast<double>(t - anchor_ms) / 3'600'000.0);
            // A window over a data gap says nothing about a minute's power: keep windows up to 15 min.
            if (t - anchor_ms <= 15 * kMinuteMs && kw >= kChargingKw) minutes.push_back(kw);
            anchor_ms = t;
            anchor_kwh = *kwh;
        }
    }
    if (static_cast<int>(minutes.size()) < kMinChargingMinutes) return std::nullopt;

    PowerObservation o;
    o.sustained_peak_kw = Quantile(std::move(minutes), kSustainedQuantile);
    o.observed_at = last_ms;
    o.phases = static_cast<int>(std::count(phase_used.begin() + 1, phase_used.end(), true));
    if (o.sustained_peak_kw > kAcMaxKw) {
        o.current_type = "DC";
        o.phases = 0;
    } else if (phase_tagged) {
        o.current_type = "AC";
    }
    return o;
}

std::optional<double> NextStandardRatingKw(double kw, const std::string& current_type) {
    std::vector<double> ladder;
    if (current_type != "DC") ladder.insert(ladder.end(), kAcLadder.begin(), kAcLadder.end());
    if (current_type != "AC") ladder.insert(ladder.end(), kDcLadder.begin(), kDcLadder.end());
    for (double step : ladder) {
        if (step >= kw) return step;
    }
    return std::nullopt;
}

std::optional<LearnedLimit> LearnConnectorLimit(std::span<const PowerObservation> history,
                                                const domain::ConnectorFacts& metadata) {
    if (metadata.max_power_kw) return std::nullopt;
    const int n = static_cast<int>(std::min<std::size_t>(history.size(), kLearnedHistoryLimit));
    if (n < kMinLearnedSessions) return std::nullopt;
    double top = 0.0;
    double second = 0.0;
    int ac = 0;
    int dc = 0;
    for (int i = 0; i < n; ++i) {
        const PowerObservation& o = history[static_cast<std::size_t>(i)];
        if (o.sustained_peak_kw > top) {
            second = top;
            top = o.sustained_peak_kw;
        } else if (o.sustained_peak_kw > second) {
            second = o.sustained_peak_kw;
        }
        if (o.current_type == "AC") ++ac;
        if (o.current_type == "DC") ++dc;
    }
    LearnedLimit limit;
    limit.sessions = n;
    limit.peak_kw = second;
    if (metadata.current_type) {
        limit.current_type = *metadata.current_type;
    } else if (metadata.phases) {
        limit.current_type = "AC";
    } else if (dc > 0) {
        limit.current_type = "DC";
    } else if (ac > 0) {
        limit.current_type = "AC";
    }
    auto rating = NextStandardRatingKw(kLearnedMargin * second, limit.current_type);
    if (!rating) return std::nullopt;
    // DC: the car decides the power far more than the charger (a 150 kW charger may only ever have seen 60 kW
    // cars), so one step further up, at most the top of the ladder.
    if (limit.current_type == "DC") rating = NextStandardRatingKw(*rating + 0.01, "DC").value_or(*rating);
    limit.max_power_kw = *rating;
    return limit;
}

}  // namespace evni::analysis
