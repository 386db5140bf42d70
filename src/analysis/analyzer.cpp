#include "analysis/analyzer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <tuple>
#include <utility>

#include "analysis/byte_io.h"
#include "analysis/detectors.h"
#include "analysis/normalise.h"
#include "analysis/sorc.h"

namespace evni::analysis {
namespace {

constexpr std::array<std::uint8_t, 4> kMagic = {'E', 'V', 'A', 'S'};
constexpr std::uint32_t kStateVersion = 3;
constexpr std::size_t kLocationCount = static_cast<std::size_t>(Location::kCount);
constexpr std::uint32_t kMinMeterValues = 3;

constexpr const char* kMessageTooFewValues = "Fewer than 3 meter values; inference not performed";
constexpr const char* kMessageNoEnergy =
    "No energy register series (Energy.Active.Import.Register); inference not performed";

// A load below this cannot charge a car: IEC 61851 forbids charging under 6 A (1.38 kW on one phase).
constexpr double kMinOfferedKw = 1.3;
constexpr double kMinOfferedAmps = 6.0;

// Why a value's timestamp cannot be used: 0 = valid, else TimestampTracker kind bits.
std::uint8_t InvalidTimestampKind(domain::EpochMs timestamp, domain::EpochMs now_ms) {
    if (timestamp < kMinValidTimestampMs) return 1;
    if (timestamp >= kMaxValidTimestampMs) return 2;
    if (now_ms > 0 && timestamp > now_ms + TimestampTracker::kFutureToleranceMs) return 2;
    return 0;
}

struct SeriesEntry {
    std::uint32_t key = 0;
    UnitEvidence evidence;
};

// 0..2 for L1..L3; -1 for the unphased value and for phases that are not part of a total.
int PhaseIndex(Phase phase) {
    const int slot = PhaseSlot(phase);
    return slot > 0 ? slot - 1 : -1;
}

// The values of one series family at one timestamp: the unphased value and L1..L3 (first value wins).
struct PhasedValue {
    bool has_total = false;
    double total = 0.0;
    std::array<bool, 3> has_phase{};
    std::array<double, 3> phase{};

    void Add(Phase phase_code, double value) {
        if (phase_code == Phase::kNone) {
            if (!has_total) {
                has_total = true;
                total = value;
            }
            return;
        }
        const int index = PhaseIndex(phase_code);
        if (index < 0 || has_phase[static_cast<std::size_t>(index)]) return;
        has_phase[static_cast<std::size_t>(index)] = true;
        phase[static_cast<std::size_t>(index)] = value;
    }
    bool AnyPhase() const { return has_phase[0] || has_phase[1] || has_phase[2]; }
    bool Any() const { return has_total || AnyPhase(); }
    // Unphased value, else the sum of the phases present.
    double Total() const {
        if (has_total) return total;
        double sum = 0.0;
        for (std::size_t i = 0; i < 3; ++i) {
            if (has_phase[i]) sum += phase[i];
        }
        return sum;
    }
    double MaxPhaseOrTotal() const {
        if (has_total) return total;
        double highest = 0.0;
        for (std::size_t i = 0; i < 3; ++i) {
            if (has_phase[i]) highest = std::max(highest, phase[i]);
        }
        return highest;
    }
};

struct GroupAccumulator {
    std::array<PhasedValue, kLocationCount> energy;
    std::array<PhasedValue, kLocationCount> power;
    PhasedValue offered_kw;
    PhasedValue current_offered_a;
    std::array<bool, kLocationCount> has_soc{};
    std::array<double, kLocationCount> soc{};
};

template <typename Io, typename T>
void VisitReading(Io& io, T& r) {
    io.Time(r.timestamp);
    io.Field(r.raw);
    io.Field(r.measurand);
    io.Field(r.phase);
    io.Field(r.location);
    io.Field(r.unit);
    io.Field(r.reconstructed);
}

template <typename Io, typename T>
void VisitSeries(Io& io, T& s) {
    io.Field(s.key);
    io.Field(s.evidence.has_anchor);
    io.Time(s.evidence.anchor_ms);
    io.Field(s.evidence.anchor_raw);
    io.Field(s.evidence.max_level);
    io.Field(s.evidence.processed);
}

}  // namespace

struct IncrementalAnalyzer::State {
    AnalysisOptions options;  // not serialised: given again on Deserialize

    bool has_t0 = false;
    domain::EpochMs t0_ms = 0;
    domain::EpochMs last_group_ms = 0;  // latest flushed timestamp
    domain::EpochMs pending_ms = 0;
    std::vector<Reading> pending;  // the latest timestamp's values: more may still arrive for it
    std::uint32_t valid_values = 0;
    std::uint32_t groups = 0;
    std::uint32_t conflicting_duplicates = 0;  // same series and time, different value (TIMESTAMP_INVALID later)

    std::vector<SeriesEntry> series;  // unit evidence of series with unit-less values
    std::array<EnergyChannel, kLocationCount> energy;
    bool has_primary_energy = false;
    Location primary_energy = Location::kOutlet;
    bool has_primary_power = false;
    Location primary_power = Location::kOutlet;
    bool has_primary_soc = false;
    Location primary_soc = Location::kEv;
    double peak_power_kw = 0.0;
    bool offered_kw_known = false;
    double offered_kw = 0.0;
    bool current_offered_known = false;
    double current_offered_a = 0.0;
    bool offered_low = false;
    std::int64_t offered_low_integral_ms = 0;
    std::int64_t offered_integral_at_energy_prev_ms = 0;

    EnergyPitDetector pit;
    SocDecreaseDetector soc;
    std::vector<AnomalyRecord> anomalies;

    bool ac_inferred = false;  // per-phase readings seen: an AC connector
    bool has_power_reading = false;
    domain::EpochMs last_power_ms = 0;
    double last_power_kw = 0.0;
    double cum_power_kwh = 0.0;
    double cum_power_uncertainty_kwh = 0.0;
    double cum_power_at_last_energy = 0.0;
    double offered_prev_kw = 0.0;
    bool offered_prev_known = false;
    double limit_prev_kw = 0.0;
    StuckRegisterDetector stuck;
    PowerMismatchDetector mismatch;
    PowerOverLimitDetector over_limit;
    SocJumpDetector soc_jump;
    SocAnchorCheck soc_anchor;
    DataGapTracker gaps;
    IdleTailTracker idle;
    TimestampTracker timestamps;

    // Feeds one value's timestamp verdict in arrival order (TIMESTAMP_INVALID). Returns true when the value
    // is to be analysed. `latest_valid` is the running maximum of valid timestamps in arrival order.
    bool Admit(const domain::MeterValue& value, domain::EpochMs& latest_valid) {
        const std::uint8_t kind = InvalidTimestampKind(value.timestamp, options.now_ms);
        if (kind != 0) {
            timestamps.OnInvalid(latest_valid, kind);
            return false;
        }
        AnomalySink sink(anomalies);
        timestamps.OnValid(value.timestamp, sink);
        latest_valid = std::max(latest_valid, value.timestamp);
        return true;
    }

    GroupSignals LastSignals() const {
        GroupSignals last;
        last.timestamp_ms = last_group_ms;
        last.power_mode = has_primary_power;
        last.cum_power_kwh = cum_power_kwh;
        last.cum_power_uncertainty_kwh = cum_power_uncertainty_kwh;
        if (has_primary_energy) {
            const EnergyChannel& primary = energy[static_cast<std::size_t>(primary_energy)];
            last.imported_clean_kwh = primary.imported_clean_kwh;
            last.quantum_kwh = primary.quantum_kwh;
        }
        return last;
    }

    // The largest effective battery the typical-EV prior allows for this session (SocAnchorCheck): by current type
    // (metadata, else per-phase readings, else the reconstruction's rule: a peak above 23 kW or a rating above 44 kW
    // is DC), peak power and rating.
    double MaxCapacityKwh() const {
        double peak_kw = peak_power_kw;
        if (has_primary_energy)
            peak_kw = std::max(peak_kw, energy[static_cast<std::size_t>(primary_energy)].max_rate_kw);
        const double rating = options.connector.max_power_kw.value_or(0.0);
        bool dc = peak_kw > 23.0 || rating > 44.0;
        if (const auto& type = options.connector.current_type) {
            dc = *type == "DC" || *type == "dc";
        } else if (ac_inferred) {
            dc = false;
        }
        return MaxPlausibleCapacityKwh(peak_kw, dc, rating);
    }

    bool HasFed() const { return has_t0 || !pending.empty(); }
    domain::EpochMs LatestFed() const { return pending.empty() ? last_group_ms : pending_ms; }

    static UnitEvidence& EvidenceIn(std::vector<SeriesEntry>& table, std::uint32_t key) {
        for (SeriesEntry& entry : table) {
            if (entry.key == key) return entry.evidence;
        }
        table.push_back(SeriesEntry{key, {}});
        return table.back().evidence;
    }

    static void Observe(std::vector<SeriesEntry>& table, const Reading& reading) {
        if (reading.unit != Unit::kNone || !HasUnitDecision(reading.measurand)) return;
        ObserveUnitless(reading.measurand, EvidenceIn(table, SeriesKey(reading)), reading.timestamp, reading.raw);
    }

    // `readings` must be time-ordered and not earlier than LatestFed().
    void AppendReadings(std::span<const Reading> readings) {
        // Unit decisions see the whole chunk before any of it is converted (so one chunk == full analysis).
        for (const Reading& reading : readings) Observe(series, reading);
        for (const Reading& reading : readings) {
            if (!pending.empty() && reading.timestamp != pending_ms) FlushPending();
            pending_ms = reading.timestamp;
            pending.push_back(reading);
        }
    }

    std::optional<double> Canonical(const Reading& reading) {
        bool kilo = false;
        if (reading.unit == Unit::kNone && HasUnitDecision(reading.measurand)) {
            UnitEvidence& evidence = EvidenceIn(series, SeriesKey(reading));
            kilo = DecidesKilo(evidence);
            ++evidence.processed;
        }
        return ToCanonical(QuantityOf(reading.measurand), ResolveUnit(reading.measurand, reading.unit, kilo),
                           reading.raw);
    }

    void FlushPending();
    void Finish();
    Verdict MakeVerdict() const;
};

void IncrementalAnalyzer::State::FlushPending() {
    if (pending.empty()) return;
    const domain::EpochMs t = pending_ms;
    if (!has_t0) {
        has_t0 = true;
        t0_ms = t;
    } else if (offered_low) {
        offered_low_integral_ms += t - last_group_ms;
    }

    GroupAccumulator group;
    for (std::size_t i = 0; i < pending.size(); ++i) {
        const Reading& reading = pending[i];
        bool duplicate = false;
        bool conflict = false;
        for (std::size_t j = 0; j < i; ++j) {
            const Reading& earlier = pending[j];
            if (!earlier.SameSeries(reading)) continue;
            if (earlier.raw == reading.raw && earlier.unit == reading.unit) {
                duplicate = true;
                break;
            }
            conflict = true;
        }
        if (duplicate) continue;  // exact duplicate (offline queue resend): dropped
        ++valid_values;
        if (conflict) {
            // Kept and counted; the first value of the series is the one analysed.
            ++conflicting_duplicates;
            AnomalySink conflicts(anomalies);
            timestamps.OnConflict(t, conflicts);
            continue;
        }
        if (reading.phase != Phase::kNone && reading.phase != Phase::kN &&
            (reading.measurand == Measurand::kEnergyActiveImportRegister ||
             reading.measurand == Measurand::kPowerActiveImport)) {
            ac_inferred = true;
        }
        const std::optional<double> value = Canonical(reading);
        if (!value) continue;
        const auto location = static_cast<std::size_t>(reading.location);
        switch (reading.measurand) {
            case Measurand::kEnergyActiveImportRegister:
                group.energy[location].Add(reading.phase, *value);
                break;
            case Measurand::kPowerActiveImport:
                group.power[location].Add(reading.phase, *value);
                break;
            case Measurand::kPowerOffered:
                group.offered_kw.Add(reading.phase, *value);
                break;
            case Measurand::kCurrentOffered:
                group.current_offered_a.Add(reading.phase, *value);
                break;
            case Measurand::kSoC:
                if (!reading.reconstructed && *value >= 0.0 && *value <= 100.0 && !group.has_soc[location]) {
                    group.has_soc[location] = true;
                    group.soc[location] = *value;
                }
                break;
            default:
                break;
        }
    }

    AnomalySink sink(anomalies);
    GroupSignals signals;
    signals.timestamp_ms = t;

    if (!has_primary_power) {
        for (std::size_t location = 0; location < kLocationCount; ++location) {
            if (!group.power[location].Any()) continue;
            has_primary_power = true;
            primary_power = static_cast<Location>(location);
            break;
        }
    }
    if (has_primary_power) {
        const PhasedValue& power = group.power[static_cast<std::size_t>(primary_power)];
        signals.power_mode = true;
        if (power.Any()) {
            signals.has_power = true;
            signals.power_kw = power.Total();
            peak_power_kw = std::max(peak_power_kw, signals.power_kw);
        }
    }
    // "~0" power: standby draw, and at most 2 % of the peak (a DC car idles at a few hundred watts).
    signals.power_off_kw = std::max(kDeliveryMinKw, std::min(2.0, 0.02 * peak_power_kw));
    if (signals.has_power) {
        if (has_power_reading) {
            const double hours = static_cast<double>(t - last_power_ms) / 3'600'000.0;
            cum_power_kwh += 0.5 * (last_power_kw + signals.power_kw) * hours;
            cum_power_uncertainty_kwh += 0.5 * std::fabs(signals.power_kw - last_power_kw) * hours;
        }
        has_power_reading = true;
        last_power_ms = t;
        last_power_kw = signals.power_kw;
    }
    signals.any_power = has_power_reading;
    signals.latest_power_kw = last_power_kw;
    signals.cum_power_kwh = cum_power_kwh;
    signals.cum_power_uncertainty_kwh = cum_power_uncertainty_kwh;
    signals.cum_power_at_energy_prev = cum_power_at_last_energy;

    for (std::size_t location = 0; location < kLocationCount; ++location) {
        const PhasedValue& values = group.energy[location];
        EnergyChannel& channel = energy[location];
        double total = 0.0;
        if (values.has_total) {
            channel.unphased_seen = true;
            total = values.total;
        } else if (values.AnyPhase() && !channel.unphased_seen) {
            total = 0.0;
            for (std::size_t p = 0; p < 3; ++p) {
                if (values.has_phase[p]) {
                    channel.phase_seen[p] = true;
                    channel.phase_kwh[p] = values.phase[p];
                }
                if (channel.phase_seen[p]) total += channel.phase_kwh[p];
            }
        } else {
            continue;
        }
        if (!has_primary_energy) {
            has_primary_energy = true;
            primary_energy = static_cast<Location>(location);
        }
        const EnergyChannel::Step step = channel.OnTotal(t, total, HardLimitKw(options.connector, ac_inferred),
                                                         has_power_reading, cum_power_kwh, sink);
        if (static_cast<Location>(location) == primary_energy) {
            signals.has_energy = true;
            signals.energy_has_prev = !step.first;
            signals.energy_prev_ms = step.prev_ms;
            signals.energy_step_kwh = step.step_kwh;
            signals.energy_reset = step.reset;
            signals.energy_rising = step.rising;
            signals.energy_flat = step.flat;
            signals.rise_rate_kw = step.rise_rate_before_kw;
        }
    }
    if (has_primary_energy) {
        const EnergyChannel& primary = energy[static_cast<std::size_t>(primary_energy)];
        signals.imported_kwh = primary.imported_kwh;
        signals.quantum_kwh = primary.quantum_kwh;
        signals.imported_clean_kwh = primary.imported_clean_kwh;
        signals.imported_unspiked_kwh = primary.imported_kwh - primary.spike_kwh;
        signals.discontinuities = primary.discontinuities;
    }

    if (group.offered_kw.Any()) {
        offered_kw_known = true;
        offered_kw = group.offered_kw.Total();
    }
    if (group.current_offered_a.Any()) {
        current_offered_known = true;
        current_offered_a = group.current_offered_a.MaxPhaseOrTotal();
    }
    // The power limit: rating (or physical bound) and Power.Offered, with one reading of grace after the
    // offer steps down (the car follows within seconds, the reading may predate that).
    {
        double rated = RatedLimitKw(options.connector, ac_inferred);
        bool learned = false;
        if (!options.connector.max_power_kw && options.learned_max_power_kw && *options.learned_max_power_kw > 0.0 &&
            *options.learned_max_power_kw < rated) {
            rated = *options.learned_max_power_kw;
            learned = true;
        }
        double limit = rated;
        if (offered_kw_known) {
            double offered = std::max(offered_kw, 0.0);
            if (offered_prev_known && t - last_group_ms <= 60'000) offered = std::max(offered, offered_prev_kw);
            if (offered < limit) {
                limit = offered;
                signals.limit_from_offered = true;
            }
        }
        signals.limit_kw = limit;
        signals.limit_from_rating = options.connector.max_power_kw.has_value();
        signals.limit_learned = learned && !signals.limit_from_offered;
        signals.limit_changed = groups > 0 && limit != limit_prev_kw;
        limit_prev_kw = limit;
        offered_prev_known = offered_kw_known;
        offered_prev_kw = offered_kw;
    }
    offered_low = (offered_kw_known && offered_kw < kMinOfferedKw) ||
                  (current_offered_known && current_offered_a < kMinOfferedAmps);
    signals.offered_known = offered_kw_known || current_offered_known;
    signals.offered_low_integral_ms = offered_low_integral_ms;
    signals.offered_low_integral_at_energy_prev = offered_integral_at_energy_prev_ms;

    if (!has_primary_soc) {
        for (std::size_t location = 0; location < kLocationCount; ++location) {
            if (!group.has_soc[location]) continue;
            has_primary_soc = true;
            primary_soc = static_cast<Location>(location);
            break;
        }
    }
    if (has_primary_soc && group.has_soc[static_cast<std::size_t>(primary_soc)]) {
        signals.has_soc = true;
        signals.soc_percent = group.soc[static_cast<std::size_t>(primary_soc)];
    }

    pit.OnGroup(signals, sink);
    soc.OnGroup(signals, sink);
    stuck.OnGroup(signals, sink);
    mismatch.OnGroup(signals, stuck.Pending(), stuck.Suspect() || stuck.long_closed_ms == t, sink);
    over_limit.OnGroup(signals, signals.quantum_kwh, sink);
    soc_jump.OnGroup(signals, signals.quantum_kwh, sink);
    soc_anchor.OnGroup(signals);
    gaps.OnGroup(signals);
    idle.OnGroup(signals);

    if (signals.has_energy) {
        offered_integral_at_energy_prev_ms = offered_low_integral_ms;
        cum_power_at_last_energy = cum_power_kwh;
    }
    last_group_ms = t;
    ++groups;
    pending.clear();
}

void IncrementalAnalyzer::State::Finish() {
    FlushPending();
    AnomalySink sink(anomalies);
    for (EnergyChannel& channel : energy) channel.Finish(sink);
    soc.Finish(sink);
    // An ENERGY_PIT still open at the end has no resumption: an idle tail, not a pit.
    timestamps.Finish(sink);
    if (!has_t0) return;
    const GroupSignals last = LastSignals();
    stuck.Finish(last, sink);
    mismatch.Finish(sink);
    over_limit.Finish(last, last.quantum_kwh, sink);
    // A stretch whose values arrived with unusable timestamps is TIMESTAMP_INVALID, not lost data.
    const std::size_t before_gaps = anomalies.size();
    gaps.Finish(sink);
    const auto explained = [this](const AnomalyRecord& gap) {
        return std::any_of(anomalies.begin(), anomalies.end(), [&gap](const AnomalyRecord& other) {
            return other.category == Category::kTimestampInvalid && (other.flags & 3) != 0 &&
                   other.start_ms <= gap.end_ms && other.end_ms >= gap.start_ms;
        });
    };
    anomalies.erase(
        std::remove_if(anomalies.begin() + static_cast<std::ptrdiff_t>(before_gaps), anomalies.end(), explained),
        anomalies.end());
    idle.Finish(last, last.quantum_kwh, sink);
    soc_anchor.Finish(last, MaxCapacityKwh(), t0_ms, sink);
}

Verdict IncrementalAnalyzer::State::MakeVerdict() const {
    Verdict verdict;
    if (valid_values < kMinMeterValues) {
        verdict.message = kMessageTooFewValues;
        return verdict;
    }
    if (!has_primary_energy) {
        verdict.message = kMessageNoEnergy;
        return verdict;
    }
    verdict.analyzed = true;

    const EnergyChannel& primary = energy[static_cast<std::size_t>(primary_energy)];
    SessionContext context;
    context.t0_ms = t0_ms;
    context.duration_ms = last_group_ms - t0_ms;
    context.delivered_kwh = std::max(0.0, primary.delivered_kwh - primary.spike_kwh);
    context.energy_readings = primary.readings;
    context.power_mode = has_primary_power;

    std::vector<AnomalyRecord> records = anomalies;
    // ZERO_ENERGY: >= 10 min and < 0.1 kWh by the register, and by the power readings where there are some
    // (a register that never moves while power flows is STUCK_REGISTER).
    constexpr domain::EpochMs kZeroEnergyMinMs = 600'000;
    if (context.duration_ms >= kZeroEnergyMinMs && context.delivered_kwh < 0.1 &&
        (!has_primary_power || cum_power_kwh < 0.5)) {
        AnomalyRecord record;
        record.category = Category::kZeroEnergy;
        record.start_ms = t0_ms;
        record.end_ms = last_group_ms;
        record.magnitude = static_cast<double>(context.duration_ms) / 60'000.0;
        record.aux = context.delivered_kwh;
        records.push_back(record);
    }
    // SESSION_OVERLAP: more than 60 s in common with another session on the connector (a minute of clock skew
    // between a stop and the next start is normal).
    constexpr domain::EpochMs kOverlapToleranceMs = 60'000;
    for (const SessionSpan& other : options.other_sessions) {
        const domain::EpochMs from = std::max(t0_ms, other.start_ms);
        const domain::EpochMs to = std::min(last_group_ms, other.end_ms.value_or(last_group_ms));
        if (to - from <= kOverlapToleranceMs) continue;
        AnomalyRecord record;
        record.category = Category::kSessionOverlap;
        record.start_ms = from;
        record.end_ms = to;
        record.magnitude = static_cast<double>(to - from) / 60'000.0;
        record.aux =
            context.duration_ms > 0 ? static_cast<double>(to - from) / static_cast<double>(context.duration_ms) : 1.0;
        records.push_back(record);
    }

    std::vector<Anomaly> scored;
    scored.reserve(records.size());
    for (const AnomalyRecord& record : records) scored.push_back(ScoreAnomaly(record, context));

    // Overlapping occurrences of one category (e.g. the same fall seen at two locations) are one anomaly. The
    // full order makes the result independent of the order the records were found in.
    std::sort(scored.begin(), scored.end(), [](const Anomaly& a, const Anomaly& b) {
        return std::tie(a.category, a.buckets.start_unit, a.buckets.end_unit, b.score, b.confidence) <
               std::tie(b.category, b.buckets.start_unit, b.buckets.end_unit, a.score, a.confidence);
    });
    for (std::size_t i = 0; i < scored.size(); ++i) {
        Anomaly& merged = scored[i];
        std::size_t j = i + 1;
        while (j < scored.size() && scored[j].category == merged.category &&
               scored[j].buckets.start_unit <= merged.buckets.end_unit) {
            const Anomaly& other = scored[j];
            if (other.buckets.end_unit > merged.buckets.end_unit) {
                merged.buckets.end_unit = other.buckets.end_unit;
                merged.end_ms = other.end_ms;
            }
            if (other.score > merged.score) {
                merged.score = other.score;
                merged.confidence = other.confidence;
            }
            ++j;
        }
        verdict.anomalies.push_back(std::move(merged));
        i = j - 1;
    }
    std::stable_sort(verdict.anomalies.begin(), verdict.anomalies.end(), [](const Anomaly& a, const Anomaly& b) {
        if (a.buckets.start_unit != b.buckets.start_unit) return a.buckets.start_unit < b.buckets.start_unit;
        if (a.category != b.category) return a.category < b.category;
        return a.buckets.end_unit < b.buckets.end_unit;
    });

    verdict.anomaly_confidence = NormalConfidence(context);
    for (const Anomaly& anomaly : verdict.anomalies) {
        if (anomaly.score > verdict.anomaly_score) {
            verdict.anomaly_score = anomaly.score;
            verdict.anomaly_confidence = anomaly.confidence;
        }
    }
    return verdict;
}

namespace {

template <typename Io, typename S>
void VisitState(Io& io, S& s) {
    io.Field(s.has_t0);
    io.Time(s.t0_ms);
    io.Time(s.last_group_ms);
    io.Time(s.pending_ms);
    io.Vector(s.pending, 10'000'000, 21, [](auto& sub, auto& r) { VisitReading(sub, r); });
    io.Field(s.valid_values);
    io.Field(s.groups);
    io.Field(s.conflicting_duplicates);
    io.Vector(s.series, 100'000, 34, [](auto& sub, auto& e) { VisitSeries(sub, e); });
    for (auto& channel : s.energy) VisitChannel(io, channel);
    io.Field(s.has_primary_energy);
    io.Field(s.primary_energy);
    io.Field(s.has_primary_power);
    io.Field(s.primary_power);
    io.Field(s.has_primary_soc);
    io.Field(s.primary_soc);
    io.Field(s.peak_power_kw);
    io.Field(s.offered_kw_known);
    io.Field(s.offered_kw);
    io.Field(s.current_offered_known);
    io.Field(s.current_offered_a);
    io.Field(s.offered_low);
    io.Duration(s.offered_low_integral_ms);
    io.Duration(s.offered_integral_at_energy_prev_ms);
    VisitPit(io, s.pit);
    VisitSoc(io, s.soc);
    io.Field(s.ac_inferred);
    io.Field(s.has_power_reading);
    io.Time(s.last_power_ms);
    io.Field(s.last_power_kw);
    io.Field(s.cum_power_kwh);
    io.Field(s.cum_power_uncertainty_kwh);
    io.Field(s.cum_power_at_last_energy);
    io.Field(s.offered_prev_kw);
    io.Field(s.offered_prev_known);
    io.Field(s.limit_prev_kw);
    VisitStuck(io, s.stuck);
    VisitMismatch(io, s.mismatch);
    VisitOverLimit(io, s.over_limit);
    VisitSocJump(io, s.soc_jump);
    VisitSocAnchor(io, s.soc_anchor);
    VisitGaps(io, s.gaps);
    VisitIdle(io, s.idle);
    VisitTimestamps(io, s.timestamps);
    io.Vector(s.anomalies, AnomalySink::kMaxPerCategory * static_cast<std::size_t>(Category::kCount) + 64, 38,
              [](auto& sub, auto& r) { VisitRecord(sub, r); });
}

}  // namespace

IncrementalAnalyzer::IncrementalAnalyzer(AnalysisOptions options) : state_(std::make_shared<State>()) {
    state_->options = std::move(options);
}

IncrementalAnalyzer::State& IncrementalAnalyzer::Mutable() {
    if (state_.use_count() > 1) state_ = std::make_shared<State>(*state_);
    return *state_;
}

std::vector<std::uint8_t> IncrementalAnalyzer::Serialize() const {
    ByteWriter writer(2048);
    writer.Raw(kMagic.data(), kMagic.size());
    writer.Scalar(kStateVersion);
    VisitState(writer, *state_);
    const std::uint64_t checksum = StateChecksum(writer.Buffer());
    writer.Scalar(checksum);
    return std::move(writer.Buffer());
}

std::optional<IncrementalAnalyzer> IncrementalAnalyzer::Deserialize(std::span<const std::uint8_t> bytes,
                                                                    AnalysisOptions options) {
    constexpr std::size_t kChecksumBytes = sizeof(std::uint64_t);
    if (bytes.size() < kMagic.size() + sizeof(kStateVersion) + kChecksumBytes) return std::nullopt;
    const auto body = bytes.first(bytes.size() - kChecksumBytes);
    ByteReader trailer(bytes.last(kChecksumBytes));
    if (trailer.Scalar<std::uint64_t>() != StateChecksum(body)) return std::nullopt;

    ByteReader reader(body);
    std::array<std::uint8_t, 4> magic{};
    reader.Raw(magic.data(), magic.size());
    if (magic != kMagic || reader.Scalar<std::uint32_t>() != kStateVersion) return std::nullopt;

    IncrementalAnalyzer analyzer(std::move(options));
    State& state = *analyzer.state_;
    VisitState(reader, state);
    if (!reader.Ok() || !reader.AtEnd()) return std::nullopt;
    // Cross-field consistency: the pending group holds one timestamp, not earlier than the flushed ones.
    for (const Reading& reading : state.pending) {
        if (reading.timestamp != state.pending_ms) return std::nullopt;
    }
    if (!state.pending.empty() && state.has_t0 && state.pending_ms <= state.last_group_ms) return std::nullopt;
    if (state.has_t0 && (state.t0_ms == 0 || state.last_group_ms < state.t0_ms)) return std::nullopt;
    return analyzer;
}

bool IncrementalAnalyzer::CanAppend(std::span<const domain::MeterValue> values) const {
    const State& state = *state_;
    bool fed = state.HasFed();
    domain::EpochMs latest = state.LatestFed();
    std::vector<SeriesEntry> series = state.series;
    ReadingParser parser;
    for (const domain::MeterValue& value : values) {
        if (InvalidTimestampKind(value.timestamp, state.options.now_ms) != 0) continue;  // never part of a series
        const std::optional<Reading> reading = parser.Parse(value);
        if (!reading) continue;  // ignored by the full analysis as well
        if (fed && reading->timestamp < latest) return false;
        fed = true;
        latest = reading->timestamp;
        State::Observe(series, *reading);
    }
    // A unit decision that changes for a series some values were already converted with.
    for (const SeriesEntry& before : state.series) {
        if (before.evidence.processed == 0) continue;
        for (const SeriesEntry& after : series) {
            if (after.key == before.key && DecidesKilo(after.evidence) != DecidesKilo(before.evidence)) return false;
        }
    }
    return true;
}

void IncrementalAnalyzer::Append(std::span<const domain::MeterValue> values) {
    State& state = Mutable();
    std::vector<Reading> readings;
    readings.reserve(values.size());
    bool fed = state.HasFed();
    domain::EpochMs latest = state.LatestFed();
    domain::EpochMs latest_valid = fed ? latest : 0;
    ReadingParser parser;
    for (const domain::MeterValue& value : values) {
        if (!state.Admit(value, latest_valid)) continue;
        std::optional<Reading> reading = parser.Parse(value);
        if (!reading) continue;
        // Contract violation (CanAppend would have said no): earlier values are dropped, never reordered.
        if (fed && reading->timestamp < latest) continue;
        fed = true;
        latest = reading->timestamp;
        readings.push_back(*reading);
    }
    state.AppendReadings(readings);
}

Verdict IncrementalAnalyzer::Current() const {
    State copy = *state_;
    copy.Finish();
    return copy.MakeVerdict();
}

double IncrementalAnalyzer::PeakPowerKw() const {
    State copy = *state_;
    copy.Finish();
    return copy.peak_power_kw;
}

Verdict Analyze(std::span<const domain::MeterValue> values, const AnalysisOptions& options) {
    IncrementalAnalyzer analyzer(options);
    IncrementalAnalyzer::State& state = *analyzer.state_;
    std::vector<Reading> readings;
    readings.reserve(values.size());
    ReadingParser parser;
    domain::EpochMs latest_valid = 0;
    for (const domain::MeterValue& value : values) {
        if (!state.Admit(value, latest_valid)) continue;
        if (std::optional<Reading> reading = parser.Parse(value)) readings.push_back(*reading);
    }
    const auto by_time = [](const Reading& a, const Reading& b) { return a.timestamp < b.timestamp; };
    if (!std::is_sorted(readings.begin(), readings.end(), by_time)) {
        std::stable_sort(readings.begin(), readings.end(), by_time);
    }
    state.AppendReadings(readings);
    state.Finish();
    return state.MakeVerdict();
}

}  // namespace evni::analysis
