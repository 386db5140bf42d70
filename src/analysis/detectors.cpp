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
        case Category::kMeterReset:
            return "METER_RESET";
        case Category::kEnergySpike:
            return "ENERGY_SPIKE";
        case Category::kStuckRegister:
            return "STUCK_REGISTER";
        case Category::kEnergyPowerMismatch:
            return "ENERGY_POWER_MISMATCH";
        case Category::kPowerOverLimit:
            return "POWER_OVER_LIMIT";
        case Category::kSocJump:
            return "SOC_JUMP";
        case Category::kZeroEnergy:
            return "ZERO_ENERGY";
        case Category::kTimestampInvalid:
            return "TIMESTAMP_INVALID";
        case Category::kDataGap:
            return "DATA_GAP";
        case Category::kIdleOccupancy:
            return "IDLE_OCCUPANCY";
        case Category::kSessionOverlap:
            return "SESSION_OVERLAP";
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

namespace {

// A register that wraps does so at a power of two or ten of its counting unit (Wh or kWh).
bool NearRolloverBoundary(double value_kwh) {
    const auto near = [value_kwh](double boundary_kwh) {
        return value_kwh <= boundary_kwh && value_kwh >= 0.97 * boundary_kwh;
    };
    for (double boundary = 10.0; boundary <= 1e10; boundary *= 10.0) {
        if (near(boundary) || near(boundary / 1000.0)) return true;
    }
    for (int bits = 16; bits <= 40; ++bits) {
        const double boundary = std::ldexp(1.0, bits);
        if (near(boundary) || near(boundary / 1000.0)) return true;
    }
    return false;
}

}  // namespace

EnergyChannel::Step EnergyChannel::OnTotal(domain::EpochMs timestamp_ms, double total_kwh, double hard_limit_kw,
                                           bool has_power_now, double cum_power_kwh, AnomalySink& sink) {
    ++readings;
    const double power_kwh = cum_power_kwh - prev_cum_power_kwh;
    const bool power_known = has_power && has_power_now;
    has_power = has_power_now;
    prev_cum_power_kwh = cum_power_kwh;
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
    const double quantum_before = quantum_kwh;

    // Below this a fall is meter resolution or rounding: 1 Wh, one meter step (coarse meters up to 1 kWh),
    // 0.1 % of the energy delivered so far, and decimal noise of large lifetime registers.
    const double tolerance =
        std::max({0.001, std::min(quantum_kwh, 1.0), 0.001 * delivered_kwh, 1e-9 * std::fabs(prev_kwh)});
    // A drop to ~0 is a meter reset (METER_RESET), not a decrease: the new value is under half the old one
    // and no more than the meter could have counted since a restart at the highest rate seen (+0.1 kWh).
    step.reset = step.step_kwh < 0.0 && prev_kwh > 0.0 && total_kwh < 0.5 * prev_kwh &&
                 total_kwh <= 0.1 + 1.2 * std::max(max_rate_kw, rise_rate_kw) * elapsed_h;
    step.flat = std::fabs(step.step_kwh) <= std::max(1e-6, 1e-12 * std::fabs(prev_kwh));
    // A fall back to the level before a pending spike: the spike was a one-sample glitch.
    const bool glitch_return = spike_open && step.step_kwh < -tolerance && total_kwh >= spike_pre_kwh - tolerance &&
                               total_kwh <= spike_pre_kwh + 0.5 * spike_step_kwh;
    if (step.reset) {
        if (spike_open) ResolveSpike(0.0, spike_end_ms, false, sink);
        decrease.Close(false, sink);
        ++discontinuities;
        AnomalyRecord record;
        record.category = Category::kMeterReset;
        record.start_ms = prev_ms;
        record.end_ms = timestamp_ms;
        record.magnitude = prev_kwh - total_kwh;
        record.aux = prev_kwh;
        record.count = readings;
        record.flags = NearRolloverBoundary(prev_kwh) ? 1 : 0;
        sink.Add(record);
        running_max_kwh = total_kwh;
        window_ms = last_rise_ms = timestamp_ms;
        window_kwh = last_rise_kwh = total_kwh;
    } else if (glitch_return) {
        ResolveSpike(0.0, timestamp_ms, true, sink);
        ++discontinuities;
        running_max_kwh = std::max(total_kwh, spike_pre_kwh);
        window_ms = last_rise_ms = timestamp_ms;
        window_kwh = last_rise_kwh = total_kwh;
    } else if (step.step_kwh < -tolerance) {
        ++discontinuities;
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

    step.rising = step.step_kwh > 1e-6 && step.step_kwh >= kDeliveryMinKw * elapsed_h;
    if (!step.reset && step.step_kwh > 0.0) {
        imported_kwh += step.step_kwh;
        const double span_h = Hours(timestamp_ms - last_rise_ms);
        const double rate = span_h > 0.0 ? std::min((total_kwh - last_rise_kwh) / span_h, 1e7) : 1e7;
        const double min_kwh = std::max(kSpikeMinKwh, 3.0 * std::min(quantum_before, 1.0));
        // A rise the power readings account for is real delivery (a burst above the limit, a step up).
        const bool corroborated =
            power_known && step.step_kwh <= 1.5 * power_kwh + 2.0 * std::min(quantum_before, 1.0) + 0.05;
        const bool large = step.step_kwh > min_kwh && !corroborated;
        const bool blatant = large && rate > hard_limit_kw;
        // Decide a pending spike with the rate after it; when it was not one, its rate is the new normal
        // (a load-management step up).
        if (spike_open && !ResolveSpike(blatant ? 0.0 : rate, spike_end_ms, false, sink)) {
            rise_rate_kw = std::max(spike_rate_kw, 1e-3);
        }
        const bool faster = large && rise_rate_kw > 0.0 && rate > kSpikeFactor * rise_rate_kw;
        // The first rise has no rate before it: a candidate when large, decided by the rate after it.
        const bool first_rise = rise_rate_kw == 0.0 && large;
        step.spike_suspect = blatant || faster;
        if (blatant || faster || first_rise) {
            spike_open = true;
            spike_blatant = blatant;
            spike_start_ms = prev_ms;
            spike_end_ms = timestamp_ms;
            spike_step_kwh = step.step_kwh;
            spike_rate_kw = rate;
            spike_rate_before_kw = rise_rate_kw;
            spike_pre_kwh = prev_kwh;
        }
        if (step.spike_suspect) {
            ++discontinuities;
        } else {
            imported_clean_kwh += step.step_kwh;
        }
    }
    if (total_kwh > running_max_kwh) {
        delivered_kwh += total_kwh - running_max_kwh;
        running_max_kwh = total_kwh;
    }
    if (step.step_kwh > kMinQuantumKwh) {
        quantum_kwh = quantum_kwh == 0.0 ? step.step_kwh : ApproximateGcd(quantum_kwh, step.step_kwh);
    }

    if (step.spike_suspect) {
        // Neither the delivery rate nor the rise rate may learn from a spike.
        window_ms = last_rise_ms = timestamp_ms;
        window_kwh = last_rise_kwh = total_kwh;
    } else if (!step.reset && !glitch_return && timestamp_ms - window_ms >= kUnitWindowMs) {
        if (total_kwh > window_kwh) {
            const double rate = (total_kwh - window_kwh) / Hours(timestamp_ms - window_ms);
            max_rate_kw = std::max(max_rate_kw, std::min(rate, 1000.0));
        }
        window_ms = timestamp_ms;
        window_kwh = total_kwh;
    }
    if (step.rising && !step.reset && !step.spike_suspect) {
        rise_rate_kw = std::min((total_kwh - last_rise_kwh) / Hours(timestamp_ms - last_rise_ms), 1000.0);
        last_rise_ms = timestamp_ms;
        last_rise_kwh = total_kwh;
    }
    prev_ms = timestamp_ms;
    prev_kwh = total_kwh;
    return step;
}

bool EnergyChannel::ResolveSpike(double rate_after_kw, domain::EpochMs end_ms, bool glitch, AnomalySink& sink) {
    if (!spike_open) return false;
    spike_open = false;
    const double reference = std::max(spike_rate_before_kw, rate_after_kw);
    // Without a rate before it (the first rise), only the hard limit or a fall back can tell: a first rise
    // faster than the next ones is normal (DC taper, sparse readings).
    const bool confirmed =
        spike_blatant || (spike_rate_before_kw > 0.0 && spike_rate_kw > kSpikeFactor * reference) || glitch;
    if (!confirmed) return false;
    // Only the excess over the neighbours' rate is not delivered energy.
    spike_kwh += reference > 0.0 ? spike_step_kwh * std::max(0.0, 1.0 - reference / spike_rate_kw) : spike_step_kwh;
    AnomalyRecord record;
    record.category = Category::kEnergySpike;
    record.start_ms = spike_start_ms;
    record.end_ms = end_ms;
    record.magnitude = spike_step_kwh;
    record.aux = reference > 0.0 ? std::min(spike_rate_kw / reference, 1e6) : 1e6;
    record.count = 1;
    record.flags = static_cast<std::uint8_t>((spike_blatant ? 1 : 0) | (glitch ? 2 : 0));
    sink.Add(record);
    return true;
}

void EnergyChannel::Finish(AnomalySink& sink) {
    decrease.Close(false, sink);
    ResolveSpike(0.0, spike_end_ms, false, sink);
}

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
        } else if (before_had_energy && s.has_energy && before_power_kw > 0.0 && quantum > 0.0) {
            // A coarser register still bounds the missing energy to within one step either way: the pause lies
            // where that bound and the readings' bracket overlap (the middle of the overlap is the estimate).
            const double counted_kwh = s.imported_kwh - before_imported_kwh;
            const double to_ms = 3'600'000.0 / before_power_kw;
            const double hi_ms = static_cast<double>(upper) - std::max(0.0, counted_kwh - quantum) * to_ms;
            const double lo_ms = static_cast<double>(upper) - (counted_kwh + quantum) * to_ms;
            const double from = std::max(static_cast<double>(lower), lo_ms);
            const double to = std::min(static_cast<double>(upper), hi_ms);
            if (from <= to) duration_ms = static_cast<domain::EpochMs>(0.5 * (from + to));
        }
        // EV-side pause of 3 min or less. A bracket centred on exactly 3 min (e.g. three zero readings 60 s apart)
        // is as likely shorter as longer: no evidence of a pit.
        if (duration_ms <= kMinPitMs) return;
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
        // The time the energy counted across the plateau needs at the rate before it is not a pause: on a coarse
        // meter a short EV pause (< 3 min) plus one meter step's worth of delivery easily spans 3 min of flat
        // register. What is left is the pause ("missing energy", as in power mode).
        if (rate_before_kw > 0.0) {
            const double counted_kwh = std::max(0.0, s.imported_kwh - imported_at_open_kwh);
            const double missing_ms =
                static_cast<double>(s.timestamp_ms - start_ms) - counted_kwh / rate_before_kw * 3'600'000.0;
            if (missing_ms < static_cast<double>(kMinPitMs)) return;
        }
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

// ---------------------------------------------------------------- STUCK_REGISTER

void StuckRegisterDetector::OnGroup(const GroupSignals& s, AnomalySink& sink) {
    if (!s.power_mode) return;
    if (open && s.has_power && s.power_kw <= kMinPowerKw) {
        // Charging stopped: judge the plateau up to here; the rest of it is a pause or the idle tail.
        if (!broken) Close(s.timestamp_ms, false, s.quantum_kwh, sink);
        open = true;
        broken = true;
    }
    if (!s.has_energy) return;
    const domain::EpochMs before_previous_ms = before_last_energy_ms;
    before_last_energy_ms = last_energy_ms;
    last_energy_ms = s.timestamp_ms;
    if (!s.energy_has_prev) return;
    if (s.energy_flat) {
        if (!open) {
            open = true;
            before_start_ms = before_previous_ms > 0 ? before_previous_ms : s.energy_prev_ms;
            // The power before the plateau counts too: a pause that began there is not a stuck meter.
            broken = !s.any_power || s.latest_power_kw <= kMinPowerKw;
            start_ms = s.energy_prev_ms;
            cum_power_at_start = s.cum_power_at_energy_prev;
            readings = 0;
        }
        ++readings;
        last_flat_ms = s.timestamp_ms;
        cum_power_at_last_flat = s.cum_power_kwh;
        return;
    }
    if (open) Close(s.timestamp_ms, true, s.quantum_kwh, sink);
}

void StuckRegisterDetector::Finish(const GroupSignals& last, AnomalySink& sink) {
    if (open) Close(last_flat_ms, false, last.quantum_kwh, sink);
}

void StuckRegisterDetector::Close(domain::EpochMs end_ms, bool moved, double quantum_kwh, AnomalySink& sink) {
    open = false;
    if (broken) return;
    // The plateau lies between the flat readings' span and the span from the reading before it to the one
    // after it (or the last flat one).
    const domain::EpochMs lower_ms = last_flat_ms - start_ms;
    const domain::EpochMs upper_ms = (moved ? end_ms : last_flat_ms) - std::min(before_start_ms, start_ms);
    const domain::EpochMs flat_ms = (lower_ms + upper_ms) / 2;
    if (flat_ms >= kMinStuckMs) long_closed_ms = end_ms;
    const double expected_kwh = cum_power_at_last_flat - cum_power_at_start;
    // An unknown resolution is assumed coarse (1 kWh): a register that never moved may be a 1 kWh meter.
    const double quantum = quantum_kwh > 0.0 ? std::min(quantum_kwh, 1.0) : 1.0;
    if (flat_ms < kMinStuckMs || expected_kwh < std::max(0.05, 2.0 * quantum)) return;
    AnomalyRecord record;
    record.category = Category::kStuckRegister;
    record.start_ms = start_ms;
    record.end_ms = end_ms;
    record.magnitude = expected_kwh;
    record.aux = static_cast<double>(flat_ms) / 60'000.0;
    record.count = readings;
    record.flags = moved ? 1 : 0;
    sink.Add(record);
}

// ---------------------------------------------------------------- ENERGY_POWER_MISMATCH

void PowerMismatchDetector::Anchor(const GroupSignals& s) {
    anchored = true;
    anchor_ms = s.timestamp_ms;
    anchor_energy_kwh = s.imported_clean_kwh;
    anchor_power_kwh = s.cum_power_kwh;
    anchor_uncertainty_kwh = s.cum_power_uncertainty_kwh;
    anchor_discontinuities = s.discontinuities;
    intervals = 0;
}

void PowerMismatchDetector::OnGroup(const GroupSignals& s, bool stuck_open, bool stuck_long, AnomalySink& sink) {
    if (!s.power_mode || !s.has_energy || !s.has_power) return;
    if (!anchored) {
        Anchor(s);
        return;
    }
    if (s.discontinuities != anchor_discontinuities || stuck_long) {
        if (open) Close(sink);
        Anchor(s);
        return;
    }
    ++intervals;
    const domain::EpochMs elapsed_ms = s.timestamp_ms - anchor_ms;
    if (elapsed_ms < kMinWindowMs || intervals < 3 || stuck_open) return;
    const double energy = s.imported_clean_kwh - anchor_energy_kwh;
    const double power = s.cum_power_kwh - anchor_power_kwh;
    const double uncertainty = s.cum_power_uncertainty_kwh - anchor_uncertainty_kwh;
    // An unknown resolution (no step yet) may be a coarse meter's.
    const double quantum = s.quantum_kwh > 0.0 ? std::min(s.quantum_kwh, 1.0) : 1.0;
    if (std::max(energy, power) < std::max(0.5, 8.0 * quantum)) {
        // Too little delivered to compare; give up on windows that stay empty for an hour (idle).
        if (elapsed_ms >= 4 * kMinWindowMs) Anchor(s);
        return;
    }
    const double difference = std::fabs(energy - power);
    const bool mismatch = difference > kTolerance * std::max(energy, 0.1 * power) + quantum + 0.05 + uncertainty;
    if (mismatch) {
        if (!open) {
            open = true;
            start_ms = anchor_ms;
            max_deviation = 0.0;
            sum_difference_kwh = 0.0;
            windows = 0;
        }
        end_ms = s.timestamp_ms;
        ++windows;
        sum_difference_kwh += difference;
        max_deviation = std::max(max_deviation, std::min(difference / std::max(energy, 0.01), 1e6));
    } else if (open) {
        Close(sink);
    }
    Anchor(s);
}

void PowerMismatchDetector::Finish(AnomalySink& sink) {
    if (open) Close(sink);
}

void PowerMismatchDetector::Close(AnomalySink& sink) {
    open = false;
    AnomalyRecord record;
    record.category = Category::kEnergyPowerMismatch;
    record.start_ms = start_ms;
    record.end_ms = end_ms;
    record.magnitude = max_deviation;
    record.aux = sum_difference_kwh;
    record.count = windows;
    sink.Add(record);
}

// ---------------------------------------------------------------- POWER_OVER_LIMIT

void PowerOverLimitDetector::OnGroup(const GroupSignals& s, double quantum_kwh, AnomalySink& sink) {
    if (!s.has_power || s.limit_kw <= 0.0) return;
    const bool over = s.power_kw > 1.1 * s.limit_kw + 0.2;
    if (over) {
        if (!open) {
            open = true;
            start_ms = s.timestamp_ms;
            max_ratio = 0.0;
            readings = 0;
            flags = 0;
            limit_kw = s.limit_kw;
            stable_single = !s.limit_changed;
            energy_at_start_kwh = prev_energy_kwh;
            power_at_start_kwh = prev_power_kwh;
        }
        ++readings;
        last_ms = s.timestamp_ms;
        max_ratio = std::max(max_ratio, std::min(s.power_kw / s.limit_kw, 1e6));
        limit_kw = std::min(limit_kw, s.limit_kw);
        if (s.limit_from_offered) flags |= 1;
        if (s.limit_from_rating) flags |= 2;
        if (s.limit_learned) flags |= 4;
    } else if (open) {
        Close(s.imported_clean_kwh, s.cum_power_kwh, quantum_kwh, sink);
    }
    prev_energy_kwh = s.imported_clean_kwh;
    prev_power_kwh = s.cum_power_kwh;
}

void PowerOverLimitDetector::Finish(const GroupSignals& last, double quantum_kwh, AnomalySink& sink) {
    if (open) Close(last.imported_clean_kwh, last.cum_power_kwh, quantum_kwh, sink);
}

void PowerOverLimitDetector::Close(double energy_now_kwh, double power_now_kwh, double quantum_kwh, AnomalySink& sink) {
    open = false;
    if (readings < 2 && !(stable_single && max_ratio >= 1.25)) return;
    const double energy = energy_now_kwh - energy_at_start_kwh;
    const double power = power_now_kwh - power_at_start_kwh;
    const double quantum = quantum_kwh > 0.0 ? std::min(quantum_kwh, 1.0) : 1.0;
    // The register contradicts the power readings: the power series is wrong, not the delivery.
    if (energy >= 4.0 * quantum && energy < 0.75 * power) return;
    AnomalyRecord record;
    record.category = Category::kPowerOverLimit;
    record.start_ms = start_ms;
    record.end_ms = last_ms;
    record.magnitude = max_ratio;
    record.aux = limit_kw;
    record.count = readings;
    record.flags = flags;
    sink.Add(record);
}

// ---------------------------------------------------------------- SOC_JUMP on the reconstruction

void SocAnchorCheck::OnGroup(const GroupSignals& s) {
    if (!s.has_soc) return;
    if (readings++ > 0) return;
    soc = s.soc_percent;
    soc_ms = s.timestamp_ms;
    energy_before_kwh = s.imported_clean_kwh;
    power_before_kwh = s.cum_power_kwh;
}

void SocAnchorCheck::Finish(const GroupSignals& last, double max_capacity_kwh, domain::EpochMs t0_ms,
                            AnomalySink& sink) const {
    if (readings != 1 || max_capacity_kwh <= 0.0) return;
    // Energy on each side of the reading: the register without resets and suspected spikes, and with power
    // readings no more than their integral says (whichever is smaller: the check must not rest on a faulty series).
    double before = energy_before_kwh;
    double after = std::max(0.0, last.imported_clean_kwh - energy_before_kwh);
    if (last.power_mode) {
        const double uncertainty = last.cum_power_uncertainty_kwh;
        before = std::min(before, power_before_kwh + uncertainty);
        after = std::min(after, std::max(0.0, last.cum_power_kwh - power_before_kwh) + uncertainty);
    }
    const double allowance = std::min(last.quantum_kwh, 1.0) + 0.05;
    constexpr double kRoundingPoints = 1.0;
    const double over_after =
        soc + 100.0 * std::max(0.0, after - allowance) / max_capacity_kwh - 100.0 - kRoundingPoints;
    const double under_before = 100.0 * std::max(0.0, before - allowance) / max_capacity_kwh - soc - kRoundingPoints;
    const bool is_before = under_before > over_after;
    const double overshoot = std::max(over_after, under_before);
    if (overshoot < kMinOvershootPoints) return;
    AnomalyRecord record;
    record.category = Category::kSocJump;
    record.start_ms = is_before ? t0_ms : soc_ms;
    record.end_ms = is_before ? soc_ms : last.timestamp_ms;
    record.magnitude = overshoot;
    record.aux = is_before ? before : after;
    record.count = 1;
    record.flags = static_cast<std::uint8_t>(kFlagReconstructed | (is_before ? kFlagBefore : 0));
    sink.Add(record);
}

// ---------------------------------------------------------------- SOC_JUMP

void SocJumpDetector::OnGroup(const GroupSignals& s, double quantum_kwh, AnomalySink& sink) {
    if (!s.has_soc) return;
    if (has_prev) {
        const double points = s.soc_percent - prev_soc;
        if (points >= 3.0) {
            // With power readings: the larger of their integral and the register without suspected spikes (a
            // frozen register, a wrong power series); without: the register without confirmed spikes.
            const double imported =
                s.power_mode ? std::max({0.0, s.cum_power_kwh - prev_power_kwh, s.imported_clean_kwh - prev_clean_kwh})
                             : std::max(0.0, s.imported_unspiked_kwh - prev_energy_kwh);
            const double allowance = imported + std::min(quantum_kwh, 1.0) + 0.05;
            const double implied_battery_kwh = allowance * 100.0 / (points - 1.0);
            const bool to_full = s.soc_percent >= 99.5 && points >= 8.0 && implied_battery_kwh < 30.0;
            if (implied_battery_kwh < 10.0 || to_full) {
                AnomalyRecord record;
                record.category = Category::kSocJump;
                record.start_ms = prev_ms;
                record.end_ms = s.timestamp_ms;
                record.magnitude = points;
                record.aux = imported;
                record.count = 1;
                record.flags = to_full ? 1 : 0;
                sink.Add(record);
            }
        }
    }
    has_prev = true;
    prev_soc = s.soc_percent;
    prev_ms = s.timestamp_ms;
    prev_energy_kwh = s.imported_unspiked_kwh;
    prev_clean_kwh = s.imported_clean_kwh;
    prev_power_kwh = s.cum_power_kwh;
}

// ---------------------------------------------------------------- DATA_GAP

void DataGapTracker::OnGroup(const GroupSignals& s) {
    if (has_last) {
        const domain::EpochMs interval_ms = s.timestamp_ms - last_ms;
        const double seconds = std::max(1.0, static_cast<double>(interval_ms) / 1000.0);
        const auto bin = static_cast<std::size_t>(
            std::clamp(std::floor(4.0 * std::log2(seconds)), 0.0, static_cast<double>(kBins - 1)));
        if (bins[bin] < 0xFFFFFFFFu) ++bins[bin];
        const bool delivering = (s.has_energy && s.energy_step_kwh > 0.02) || power_on_last;
        if (interval_ms >= kMinGapMs && delivering) {
            const Candidate candidate{last_ms, s.timestamp_ms};
            const auto longer = [](const Candidate& a, const Candidate& b) {
                const domain::EpochMs da = a.end_ms - a.start_ms;
                const domain::EpochMs db = b.end_ms - b.start_ms;
                return da != db ? da > db : a.start_ms < b.start_ms;
            };
            candidates.insert(std::upper_bound(candidates.begin(), candidates.end(), candidate, longer), candidate);
            if (candidates.size() > kMaxCandidates) candidates.pop_back();
        }
    }
    has_last = true;
    last_ms = s.timestamp_ms;
    if (s.has_power) power_on_last = s.power_kw > s.power_off_kw;
}

domain::EpochMs DataGapTracker::MedianIntervalMs() const {
    std::uint64_t total = 0;
    for (std::uint32_t count : bins) total += count;
    if (total == 0) return 0;
    std::uint64_t seen = 0;
    for (std::size_t bin = 0; bin < kBins; ++bin) {
        seen += bins[bin];
        if (2 * seen >= total) {
            return static_cast<domain::EpochMs>(1000.0 * std::exp2((static_cast<double>(bin) + 0.5) / 4.0));
        }
    }
    return 0;
}

void DataGapTracker::Finish(AnomalySink& sink) const {
    const domain::EpochMs threshold_ms = std::max(kMinGapMs, 5 * MedianIntervalMs());
    for (const Candidate& candidate : candidates) {
        if (candidate.end_ms - candidate.start_ms < threshold_ms) continue;
        AnomalyRecord record;
        record.category = Category::kDataGap;
        record.start_ms = candidate.start_ms;
        record.end_ms = candidate.end_ms;
        record.magnitude = static_cast<double>(candidate.end_ms - candidate.start_ms) / 60'000.0;
        record.aux = static_cast<double>(threshold_ms) / 60'000.0;
        record.count = 1;
        sink.Add(record);
    }
}

// ---------------------------------------------------------------- IDLE_OCCUPANCY

void IdleTailTracker::OnGroup(const GroupSignals& s) {
    if (s.power_mode) {
        if (!s.has_power) return;
        if (s.power_kw > s.power_off_kw) {
            delivered = true;
            last_on_ms = s.timestamp_ms;
            last_on_power_kw = s.power_kw;
            imported_at_last_on_kwh = s.imported_clean_kwh;
            off_after = false;
        } else if (delivered && !off_after) {
            off_after = true;
            first_off_ms = s.timestamp_ms;
        }
        return;
    }
    if (s.has_energy && s.energy_rising) {
        delivered = true;
        last_rise_ms = s.timestamp_ms;
        rate_at_last_rise_kw = s.rise_rate_kw;
    }
}

void IdleTailTracker::Finish(const GroupSignals& last, double quantum_kwh, AnomalySink& sink) const {
    if (!delivered) return;
    domain::EpochMs end_of_delivery = 0;
    if (last.power_mode) {
        if (!off_after) return;
        end_of_delivery = last_on_ms + (first_off_ms - last_on_ms) / 2;
        if (quantum_kwh > 0.0 && quantum_kwh <= 0.01 && last_on_power_kw > 0.5) {
            // The energy counted after the last on reading, at that reading's power.
            const double hours = (last.imported_clean_kwh - imported_at_last_on_kwh) / last_on_power_kw;
            const double ms = std::clamp(hours * 3'600'000.0, 0.0, static_cast<double>(first_off_ms - last_on_ms));
            end_of_delivery = last_on_ms + static_cast<domain::EpochMs>(ms);
        }
    } else {
        end_of_delivery = last_rise_ms;
        if (quantum_kwh >= 0.05 && rate_at_last_rise_kw > 0.1) {
            const double ms = 0.5 * std::min(quantum_kwh, 1.0) / rate_at_last_rise_kw * 3'600'000.0;
            end_of_delivery += static_cast<domain::EpochMs>(std::min(ms, 3'600'000.0));
        }
    }
    if (last.timestamp_ms - end_of_delivery < kMinIdleMs) return;
    AnomalyRecord record;
    record.category = Category::kIdleOccupancy;
    record.start_ms = end_of_delivery;
    record.end_ms = last.timestamp_ms;
    record.magnitude = static_cast<double>(last.timestamp_ms - end_of_delivery) / 60'000.0;
    record.count = 1;
    record.flags = last.power_mode ? 1 : 0;
    sink.Add(record);
}

// ---------------------------------------------------------------- TIMESTAMP_INVALID

void TimestampTracker::OnInvalid(domain::EpochMs attributed_ms, std::uint8_t kind) {
    if (!open) {
        open = true;
        start_ms = attributed_ms;
        count = 0;
        kinds = 0;
    }
    if (count < 0xFFFFFFFFu) ++count;
    kinds |= kind;
}

void TimestampTracker::OnValid(domain::EpochMs timestamp_ms, AnomalySink& sink) {
    if (!open) return;
    open = false;
    AnomalyRecord record;
    record.category = Category::kTimestampInvalid;
    record.start_ms = start_ms;
    record.end_ms = std::max(start_ms, timestamp_ms);
    record.magnitude = count;
    record.count = count;
    record.flags = kinds;
    sink.Add(record);
}

void TimestampTracker::OnConflict(domain::EpochMs timestamp_ms, AnomalySink& sink) {
    AnomalyRecord record;
    record.category = Category::kTimestampInvalid;
    record.start_ms = timestamp_ms;
    record.end_ms = timestamp_ms;
    record.magnitude = 1;
    record.count = 1;
    record.flags = 4;
    sink.Add(record);
}

void TimestampTracker::Finish(AnomalySink& sink) { OnValid(start_ms, sink); }

// ---------------------------------------------------------------- limits

namespace {

bool IsAc(const domain::ConnectorFacts& facts, bool ac_inferred) {
    if (facts.current_type) return *facts.current_type == "AC";
    return ac_inferred || facts.phases.has_value();
}

}  // namespace

double HardLimitKw(const domain::ConnectorFacts& facts, bool ac_inferred) {
    // Twice the rating: a wrong rating is POWER_OVER_LIMIT's business, not a register spike.
    if (facts.max_power_kw && *facts.max_power_kw > 0.0) return std::max(2.0 * *facts.max_power_kw, 3.7);
    return IsAc(facts, ac_inferred) ? 1.2 * 44.0 : 1.2 * 400.0;
}

double RatedLimitKw(const domain::ConnectorFacts& facts, bool ac_inferred) {
    if (facts.max_power_kw && *facts.max_power_kw > 0.0) return *facts.max_power_kw;
    if (!IsAc(facts, ac_inferred)) return 400.0;
    // AC: 63 A x 230 V per phase at most (44 kW on three phases).
    if (facts.phases) return 14.5 * std::clamp(*facts.phases, 1, 3);
    return 44.0;
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
        case Category::kMeterReset: {
            // Every reset breaks billing by register difference; more so the more it loses.
            score = 0.6 + 0.35 * Saturate(2.0 * record.magnitude / std::max(context.delivered_kwh, 1.0));
            confidence = 0.75;
            if (record.flags & 1) confidence += 0.1;
            if (context.energy_readings >= 10) confidence += 0.1;
            break;
        }
        case Category::kEnergySpike: {
            const double relative = record.magnitude / std::max(context.delivered_kwh, 1.0);
            score = 0.55 + 0.45 * Saturate(relative + (std::min(record.aux, 1e3) - 3.0) / 20.0);
            confidence = 0.7;
            if (record.flags & 1) confidence += 0.15;
            if (context.energy_readings >= 10) confidence += 0.1;
            break;
        }
        case Category::kStuckRegister: {
            const double relative = record.magnitude / std::max(context.delivered_kwh + record.magnitude, 1.0);
            score = 0.5 + 0.5 * Saturate((record.aux - 5.0) / 20.0 + 2.0 * relative);
            confidence = 0.7;
            if (record.count >= 3) confidence += 0.1;
            if (record.flags & 1) confidence += 0.1;
            break;
        }
        case Category::kEnergyPowerMismatch: {
            score = 0.5 + 0.5 * Saturate((record.magnitude - 0.25) / 0.75 + 0.1 * record.count);
            confidence = 0.65;
            if (record.count >= 2) confidence += 0.15;
            if (record.magnitude >= 0.5) confidence += 0.1;
            break;
        }
        case Category::kPowerOverLimit: {
            score = 0.5 + 0.5 * Saturate((record.magnitude - 1.1) / 0.5 + 0.05 * record.count);
            confidence = 0.6;
            if (record.flags & 2) confidence += 0.15;
            if (record.flags & 1) confidence += 0.1;
            if (record.count >= 3) confidence += 0.1;
            // A learned rating is an inference from history: below a metadata rating and the physical bound.
            if (record.flags & 4) confidence = std::min(confidence - 0.1, 0.6);
            break;
        }
        case Category::kSocJump: {
            score = 0.5 + 0.5 * Saturate((record.magnitude - 3.0) / 15.0 + ((record.flags & 1) ? 0.3 : 0.0));
            confidence = 0.75;
            if (record.magnitude >= 8.0) confidence += 0.1;
            if (record.flags & SocAnchorCheck::kFlagReconstructed) confidence *= kReconstructedConfidenceFactor;
            break;
        }
        case Category::kZeroEnergy: {
            score = 0.55 + 0.4 * Saturate(record.magnitude / 60.0);
            confidence = 0.6 + 0.3 * Saturate(static_cast<double>(context.energy_readings) / 20.0);
            break;
        }
        case Category::kTimestampInvalid: {
            score = 0.5 + 0.45 * Saturate((record.magnitude - 1.0) / 5.0);
            confidence = (record.flags & 3) ? 0.9 : 0.8;
            break;
        }
        case Category::kDataGap: {
            const double share =
                context.duration_ms > 0 ? record.magnitude * 60'000.0 / static_cast<double>(context.duration_ms) : 0.0;
            score = 0.5 + 0.5 * Saturate(record.magnitude / std::max(record.aux, 1.0) - 1.0 + share);
            confidence = 0.8;
            break;
        }
        case Category::kIdleOccupancy: {
            score = 0.5 + 0.45 * Saturate((record.magnitude - 30.0) / 90.0);
            confidence = (record.flags & 1) ? 0.85 : 0.7;
            break;
        }
        case Category::kSessionOverlap: {
            score = 0.6 + 0.4 * Saturate(3.0 * record.aux);
            confidence = 0.9;
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
