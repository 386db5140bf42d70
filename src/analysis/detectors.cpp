#include "analysis/detectors.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace evni::analysis {
namespace {

constexpr double kMsPerHour = 3'600'000.0;
constexpr domain::EpochMs kBucketMs = 15'000;

double Hours(domain::EpochMs duration_ms) { return static_cast<double>(duration_ms) / kMsPerHour; }

double Saturate(double x) { return 1.0 - std::exp(-std::max(0.0, x)); }

double Clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

constexpr double kMinQuantumKwh = 1e-6;

// Greatest common divisor of two positive steps, tolerant to decimal/float noise: the meter's resolution
// (1 Wh, 10 Wh, ... 1 kWh) divides every register step, whatever the cadence.
double ApproximateGcd(double a, double b) {
    if (a < b) std::swap(a, b);
    for (int i = 0; i < 64 && b > kMinQuantumKwh; ++i) {
        double remainder = std::fmod(a, b);
        if (remainder < kMinQuantumKwh || b - remainder < kMinQuantumKwh) remainder = 0.0;
        a = b;
        b = remainder;
    }
    return std::max(a, kMinQuantumKwh);
}

}  // namespace

const char* CategoryName(Category category) {
    switch (category) {
        case Category::kKwhDecrease:
            return "KWH_DECREASE";
        case Category::kEnergyPit:
            return "ENERGY_PIT";
        case Category::kSocDecrease:
            return "SOC_DECREASE";
        case Category::kCount:
            break;
    }
    return "UNKNOWN";
}

void AnomalySink::Add(const AnomalyRecord& record) {
    std::size_t same_category = 0;
    AnomalyRecord* latest = nullptr;
    for (AnomalyRecord& existing : records_) {
        if (existing.category != record.category) continue;
        ++same_category;
        latest = &existing;
    }
    if (same_category < kMaxPerCategory || latest == nullptr) {
        records_.push_back(record);
        return;
    }
    latest->end_ms = std::max(latest->end_ms, record.end_ms);
    latest->magnitude = std::max(latest->magnitude, record.magnitude);
    latest->aux = std::max(latest->aux, record.aux);
    latest->count += record.count;
    latest->flags |= record.flags;
}

void KwhDecreaseTracker::Close(bool still_below, AnomalySink& sink) {
    if (!open) return;
    open = false;
    AnomalyRecord record;
    record.category = Category::kKwhDecrease;
    record.start_ms = start_ms;
    record.end_ms = end_ms;
    record.magnitude = top_kwh - bottom_kwh;
    record.aux = tolerance_kwh;
    record.count = readings_below;
    record.flags = (still_below || readings_below >= 2) ? 1 : 0;
    sink.Add(record);
}

EnergyChannel::Step EnergyChannel::OnTotal(domain::EpochMs timestamp_ms, double total_kwh, AnomalySink& sink) {
    ++readings;
    Step step;
    if (!has_prev) {
        // The first reading is the baseline, whatever its size (a lifetime register is normal).
        has_prev = true;
        prev_ms = timestamp_ms;
        prev_kwh = total_kwh;
        running_max_kwh = total_kwh;
        window_ms = last_rise_ms = timestamp_ms;
        window_kwh = last_rise_kwh = total_kwh;
        return step;
    }
    step.first = false;
    step.prev_ms = prev_ms;
    step.step_kwh = total_kwh - prev_kwh;
    step.rise_rate_before_kw = rise_rate_kw;
    const double elapsed_h = Hours(timestamp_ms - prev_ms);

    // Below this a fall is meter resolution or rounding: 1 Wh, one meter step (coarse meters up to 1 kWh),
    // 0.1 % of the energy delivered so far, and decimal noise of large lifetime registers.
    const double tolerance =
        std::max({0.001, std::min(quantum_kwh, 1.0), 0.001 * delivered_kwh, 1e-9 * std::fabs(prev_kwh)});
    // A drop to ~0 is a meter reset (METER_RESET), not a decrease: the new value is under half the old one
    // and no more than the meter could have counted since a restart at the highest rate seen (+0.1 kWh).
    step.reset = step.step_kwh < 0.0 && prev_kwh > 0.0 && total_kwh < 0.5 * prev_kwh &&
                 total_kwh <= 0.1 + 1.2 * max_rate_kw * elapsed_h;
    if (step.reset) {
        decrease.Close(false, sink);
        running_max_kwh = total_kwh;
        window_ms = last_rise_ms = timestamp_ms;
        window_kwh = last_rise_kwh = total_kwh;
    } else if (step.step_kwh < -tolerance) {
        if (!decrease.open) {
            decrease.open = true;
            decrease.start_ms = prev_ms;
            decrease.top_kwh = prev_kwh;
            decrease.bottom_kwh = total_kwh;
            decrease.end_ms = timestamp_ms;
            decrease.tolerance_kwh = tolerance;
            decrease.readings_below = 0;
        }
        ++decrease.readings_below;
        if (total_kwh < decrease.bottom_kwh) {
            decrease.bottom_kwh = total_kwh;
            decrease.end_ms = timestamp_ms;
        }
    } else if (decrease.open) {
        if (step.step_kwh > tolerance) {
            decrease.Close(total_kwh < decrease.top_kwh - decrease.tolerance_kwh, sink);
        } else {
            ++decrease.readings_below;
        }
    }

    if (!step.reset && step.step_kwh > 0.0) imported_kwh += step.step_kwh;
    if (total_kwh > running_max_kwh) {
        delivered_kwh += total_kwh - running_max_kwh;
        running_max_kwh = total_kwh;
    }
    if (step.step_kwh > kMinQuantumKwh) {
        quantum_kwh = quantum_kwh == 0.0 ? step.step_kwh : ApproximateGcd(quantum_kwh, step.step_kwh);
    }

    if (!step.reset && timestamp_ms - window_ms >= kUnitWindowMs) {
        if (total_kwh > window_kwh) {
            const double rate = (total_kwh - window_kwh) / Hours(timestamp_ms - window_ms);
            max_rate_kw = std::max(max_rate_kw, std::min(rate, 1000.0));
        }
        window_ms = timestamp_ms;
        window_kwh = total_kwh;
    }
    step.rising = step.step_kwh > 1e-6 && step.step_kwh >= kDeliveryMinKw * elapsed_h;
    if (step.rising && !step.reset) {
        rise_rate_kw = std::min((total_kwh - last_rise_kwh) / Hours(timestamp_ms - last_rise_ms), 1000.0);
        last_rise_ms = timestamp_ms;
        last_rise_kwh = total_kwh;
    }
    prev_ms = timestamp_ms;
    prev_kwh = total_kwh;
    return step;
}

void EnergyChannel::Finish(AnomalySink& sink) { decrease.Close(false, sink); }

void EnergyPitDetector::OnGroup(const GroupSignals& s, AnomalySink& sink) {
    if (s.power_mode) {
        if (!s.has_power) return;
        if (s.power_kw > s.power_off_kw) {
            if (open) Close(s, sink);
            delivering_seen = true;
            last_on_ms = s.timestamp_ms;
            last_on_power_kw = s.power_kw;
            last_on_imported_kwh = s.imported_kwh;
            last_on_had_energy = s.has_energy;
        } else if (open) {
            last_zero_ms = s.timestamp_ms;
            imported_at_last_zero_kwh = s.imported_kwh;
            ++zero_readings;
        } else if (delivering_seen) {
            open = true;
            by_power = true;
            start_ms = last_zero_ms = s.timestamp_ms;
            imported_at_open_kwh = imported_at_last_zero_kwh = s.imported_kwh;
            quantum_at_open_kwh = s.quantum_kwh;
            rate_before_kw = s.rise_rate_kw;
            offered_integral_at_open_ms = s.offered_low_integral_ms;
            zero_readings = 1;
            before_ms = last_on_ms;
            before_power_kw = last_on_power_kw;
            before_imported_kwh = last_on_imported_kwh;
            before_had_energy = last_on_had_energy;
        }
        return;
    }
    if (!s.has_energy || !s.energy_has_prev) return;
    if (s.energy_reset) {
        // A reset is a later category's business; do not measure a plateau across it.
        open = false;
        return;
    }
    if (s.energy_rising) {
        if (open) Close(s, sink);
        delivering_seen = true;
    } else if (open) {
        last_zero_ms = s.timestamp_ms;
        ++zero_readings;
    } else if (delivering_seen) {
        open = true;
        by_power = false;
        start_ms = s.energy_prev_ms;  // the plateau began at the previous reading
        last_zero_ms = s.timestamp_ms;
        imported_at_open_kwh = imported_at_last_zero_kwh = s.imported_kwh;
        quantum_at_open_kwh = s.quantum_kwh;
        rate_before_kw = s.rise_rate_kw;
        offered_integral_at_open_ms = s.offered_low_integral_at_energy_prev;
        zero_readings = 2;
    }
}

void EnergyPitDetector::Close(const GroupSignals& s, AnomalySink& sink) {
    open = false;
    domain::EpochMs duration_ms = s.timestamp_ms - start_ms;
    const double quantum = std::min(quantum_at_open_kwh, 1.0);
    std::uint8_t flags = 0;
    if (by_power) {
        // The pause lies between `lower` (the zero readings) and `upper` (the readings around them).
        const domain::EpochMs lower = last_zero_ms - start_ms;
        const domain::EpochMs upper = s.timestamp_ms - before_ms;
        duration_ms = (lower + upper) / 2;
        const double upper_h = static_cast<double>(upper) / 3'600'000.0;
        const double expected_kwh = before_power_kw * upper_h;
        if (before_had_energy && s.has_energy && before_power_kw > 0.0 && quantum <= 0.1 * expected_kwh) {
            // Energy missing against the power before the pit, with a register fine enough to measure it.
            const double missing_h = (expected_kwh - (s.imported_kwh - before_imported_kwh)) / before_power_kw;
            const double missing_ms = std::clamp(missing_h * 3'600'000.0, 0.0, 1e13);
            duration_ms = std::clamp(static_cast<domain::EpochMs>(missing_ms), lower, upper);
        }
        if (duration_ms < kMinPitMs) return;  // EV-side pause shorter than 3 min
        const double rise = imported_at_last_zero_kwh - imported_at_open_kwh;
        // The register kept counting: the power reading is stale, not the delivery.
        if (rise > std::max(0.05, 2.0 * quantum)) return;
        flags |= 1;
        if (quantum > 0.0 && quantum <= 0.01 && rise <= 0.002) flags |= 2;
    } else {
        const domain::EpochMs plateau_ms = last_zero_ms - start_ms;
        domain::EpochMs needed_ms = kMinPitMs;
        // A coarse meter is flat for quantum / power between steps; allow twice that.
        if (rate_before_kw > 0.0 && quantum > 0.0) {
            const double step_ms = 2.0 * quantum / rate_before_kw * 3'600'000.0;
            needed_ms = std::max(needed_ms, static_cast<domain::EpochMs>(std::min(step_ms, 1e10)));
        }
        if (plateau_ms < needed_ms) return;
    }
    if (s.offered_known) flags |= 4;
    // Load management: the offered power was ~0 for at least half of the pit.
    const std::int64_t offered_low_ms = s.offered_low_integral_ms - offered_integral_at_open_ms;
    if (offered_low_ms * 2 >= duration_ms) return;

    AnomalyRecord record;
    record.category = Category::kEnergyPit;
    record.start_ms = start_ms;
    record.end_ms = s.timestamp_ms;
    record.magnitude = static_cast<double>(duration_ms) / 60'000.0;
    record.count = zero_readings;
    record.flags = flags;
    sink.Add(record);
}

void SocDecreaseDetector::OnGroup(const GroupSignals& s, AnomalySink& sink) {
    if (s.has_power && s.power_kw > s.power_off_kw) ++power_on_since_peak;
    if (!s.has_soc) return;
    const double soc = s.soc_percent;
    if (!has_peak || soc >= peak_soc) {
        if (open) Close(sink);
        has_peak = true;
        peak_soc = soc;
        peak_ms = s.timestamp_ms;
        peak_imported_kwh = s.imported_kwh;
        power_on_since_peak = 0;
        return;
    }
    if (!open) {
        open = true;
        start_ms = peak_ms;
        start_imported_kwh = peak_imported_kwh;
        min_soc = soc;
        min_ms = s.timestamp_ms;
        min_imported_kwh = last_imported_kwh = s.imported_kwh;
        power_on_in_fall = power_on_since_peak;
        readings = 2;
        return;
    }
    ++readings;
    last_imported_kwh = s.imported_kwh;
    power_on_in_fall = power_on_since_peak;
    if (soc < min_soc) {
        min_soc = soc;
        min_ms = s.timestamp_ms;
        min_imported_kwh = s.imported_kwh;
    }
}

void SocDecreaseDetector::Finish(AnomalySink& sink) {
    if (open) Close(sink);
}

void SocDecreaseDetector::Close(AnomalySink& sink) {
    open = false;
    const double drop = peak_soc - min_soc;
    const double imported = min_imported_kwh - start_imported_kwh;
    if (drop < kMinDropPoints - 1e-9) return;
    // SoC may fall while the car is idle (own consumption); only a fall during import is a fault. A sudden
    // fall is judged on the import while SoC stays below its peak.
    if (last_imported_kwh - start_imported_kwh < 0.02 && power_on_in_fall == 0) return;
    AnomalyRecord record;
    record.category = Category::kSocDecrease;
    record.start_ms = start_ms;
    record.end_ms = min_ms;
    record.magnitude = drop;
    record.aux = std::max(0.0, imported);
    record.count = readings;
    record.flags = power_on_in_fall > 0 ? 1 : 0;
    sink.Add(record);
}

std::int64_t BucketOf(domain::EpochMs timestamp_ms, domain::EpochMs t0_ms) {
    if (timestamp_ms <= t0_ms) return 0;
    return (timestamp_ms - t0_ms) / kBucketMs;
}

Anomaly ScoreAnomaly(const AnomalyRecord& record, const SessionContext& context) {
    Anomaly anomaly;
    anomaly.category = CategoryName(record.category);
    double score = 0.0;
    double confidence = 0.0;
    switch (record.category) {
        case Category::kKwhDecrease: {
            // Severity relative to the session's energy, with a floor for large absolute falls
            // (a 1 kWh fall matters even in a long session).
            const double relative = record.magnitude / std::max(context.delivered_kwh, 1.0);
            const double effective = std::max(relative, record.magnitude / 50.0);
            score = 0.35 + 0.65 * Saturate(effective / 0.02);
            confidence = 0.6;
            if (record.magnitude >= 10.0 * record.aux) confidence += 0.15;
            if (context.energy_readings >= 10) confidence += 0.1;
            if (record.flags & 1) confidence += 0.1;
            break;
        }
        case Category::kEnergyPit: {
            const double minutes = record.magnitude;
            const double share =
                context.duration_ms > 0 ? record.magnitude * 60'000.0 / static_cast<double>(context.duration_ms) : 0.0;
            score = 0.5 + 0.5 * Saturate((minutes - 3.0) / 10.0 + 2.0 * share);
            if (record.flags & 1) {
                confidence = 0.55;
                if (record.flags & 2) confidence += 0.15;
                if (record.flags & 4) confidence += 0.1;
            } else {
                confidence = 0.5;
                if (context.energy_readings >= 10) confidence += 0.1;
            }
            if (record.count >= 3) confidence += 0.15;
            break;
        }
        case Category::kSocDecrease: {
            // The fall plus the rise the imported energy should have caused (75 kWh nominal battery).
            const double discrepancy = record.magnitude + 100.0 * record.aux / 75.0;
            score = Saturate(discrepancy / 5.0);
            confidence = 0.55;
            if (record.count >= 3) confidence += 0.15;
            if (record.aux >= 1.0) confidence += 0.15;
            if (record.flags & 1) confidence += 0.1;
            break;
        }
        case Category::kCount:
            break;
    }
    anomaly.score = Clamp01(score);
    anomaly.confidence = std::min(Clamp01(confidence), 0.95);
    anomaly.buckets.start_unit = BucketOf(record.start_ms, context.t0_ms);
    anomaly.buckets.end_unit = std::max(anomaly.buckets.start_unit, BucketOf(record.end_ms, context.t0_ms));
    anomaly.start_ms = context.t0_ms + kBucketMs * anomaly.buckets.start_unit;
    anomaly.end_ms = context.t0_ms + kBucketMs * (anomaly.buckets.end_unit + 1);
    return anomaly;
}

double NormalConfidence(const SessionContext& context) {
    return 0.5 + 0.45 * Saturate(static_cast<double>(context.energy_readings) / 30.0);
}

}  // namespace evni::analysis
