#pragma once

// Normalisation of raw OCPP sampled values (analysis.md §1): string fields become compact codes, OCPP
// defaults are applied, values are converted to canonical units (kWh, kW, kvarh, kvar, kVA, A, V, °C, %, Hz).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/meter_value.h"

namespace evni::analysis {

enum class Measurand : std::uint8_t {
    kEnergyActiveImportRegister,
    kEnergyActiveExportRegister,
    kEnergyReactiveImportRegister,
    kEnergyReactiveExportRegister,
    kEnergyActiveImportInterval,
    kEnergyActiveExportInterval,
    kEnergyReactiveImportInterval,
    kEnergyReactiveExportInterval,
    kEnergyActiveNet,
    kEnergyReactiveNet,
    kEnergyApparentNet,
    kEnergyApparentImport,
    kEnergyApparentExport,
    kPowerActiveImport,
    kPowerActiveExport,
    kPowerOffered,
    kPowerReactiveImport,
    kPowerReactiveExport,
    kPowerFactor,
    kCurrentImport,
    kCurrentExport,
    kCurrentOffered,
    kVoltage,
    kFrequency,
    kTemperature,
    kSoC,
    kRpm,
    kOther,  // a measurand we do not know: kept in counts, ignored by detectors
    kCount,
};

enum class Phase : std::uint8_t {
    kNone,  // no phase: the overall value
    kL1,
    kL2,
    kL3,
    kN,
    kL1N,
    kL2N,
    kL3N,
    kL1L2,
    kL2L3,
    kL3L1,
    kOther,
    kCount,
};

// Where a reading goes in a total: 0 for the unphased value, 1..3 for L1..L3 (line to neutral too), -1 for
// phases that are not part of a total (N, line to line, unknown).
int PhaseSlot(Phase phase);

enum class Location : std::uint8_t { kOutlet, kInlet, kCable, kEv, kBody, kOther, kCount };

enum class Unit : std::uint8_t {
    kNone,  // the client sent no unit: decided per series (see UnitEvidence)
    kWh,
    kKWh,
    kVarh,
    kKvarh,
    kW,
    kKW,
    kVa,
    kKVa,
    kVar,
    kKvar,
    kA,
    kV,
    kKelvin,
    kCelsius,
    kFahrenheit,
    kPercent,
    kHz,
    kOther,  // a unit string we do not know: the value is not converted and detectors ignore it
    kCount,
};

// What physical quantity a measurand carries; decides the canonical unit.
enum class Quantity : std::uint8_t {
    kActiveEnergy,    // kWh
    kReactiveEnergy,  // kvarh
    kApparentEnergy,  // kVAh
    kActivePower,     // kW
    kReactivePower,   // kvar
    kPowerFactor,     // dimensionless
    kCurrent,         // A
    kVoltage,         // V
    kFrequency,       // Hz
    kTemperature,     // °C
    kPercent,         // %
    kOther,
};

Measurand ParseMeasurand(std::string_view text);  // empty = OCPP default Energy.Active.Import.Register
Phase ParsePhase(std::string_view text);          // empty = no phase
Location ParseLocation(std::string_view text);    // empty = OCPP default Outlet
Unit ParseUnit(std::string_view text);            // empty = kNone; aliases: Celcius/Celsius/C, Percent/%, Hertz/Hz

Quantity QuantityOf(Measurand measurand);
bool IsEnergyRegister(Measurand measurand);  // *.Register: cumulative, may be differenced
const char* MeasurandName(Measurand measurand);

// Converts `raw` in `unit` to the canonical unit of `quantity`. `unit` must not be kNone for energy and power
// (resolve the per-series decision first); for other quantities kNone means the canonical unit. Returns
// nullopt when the unit does not fit the quantity (e.g. energy in "A").
std::optional<double> ToCanonical(Quantity quantity, Unit unit, double raw);

// The earliest and latest timestamps accepted as valid: a charger clock before 2000 was never set.
inline constexpr domain::EpochMs kMinValidTimestampMs = 946'684'800'000;    // 2000-01-01T00:00:00Z
inline constexpr domain::EpochMs kMaxValidTimestampMs = 7'258'118'400'000;  // 2200-01-01T00:00:00Z
// Values beyond this magnitude are treated as garbage (the API bounds values to 0..1e10).
inline constexpr double kMaxAbsValue = 1e12;

// One sampled value in compact, normalised-code form (the value itself is still raw).
struct Reading {
    domain::EpochMs timestamp = 0;
    double raw = 0.0;
    Measurand measurand = Measurand::kEnergyActiveImportRegister;
    Phase phase = Phase::kNone;
    Location location = Location::kOutlet;
    Unit unit = Unit::kNone;
    bool reconstructed = false;

    bool SameSeries(const Reading& other) const {
        return measurand == other.measurand && phase == other.phase && location == other.location;
    }
};

// Returns nullopt for a value the analysis ignores: NaN/Inf, |value| > kMaxAbsValue, or a timestamp outside
// [kMinValidTimestampMs, kMaxValidTimestampMs).
std::optional<Reading> ToReading(const domain::MeterValue& value);

// ToReading for many values: remembers the last few strings it parsed (a session repeats the same handful of
// measurand/unit/phase/location strings), so most values cost a short comparison instead of a table search.
// The cached views point into the values parsed, so one parser must not outlive the values it has seen.
class ReadingParser {
  public:
    std::optional<Reading> Parse(const domain::MeterValue& value);

  private:
    template <typename Code>
    struct Cache {
        static constexpr std::size_t kSize = 4;
        std::string_view text[kSize];
        Code code[kSize]{};
        std::size_t used = 0;
        std::size_t next = 0;

        template <typename ParseFn>
        Code Get(std::string_view key, ParseFn parse) {
            for (std::size_t i = 0; i < used; ++i) {
                if (text[i] == key) return code[i];
            }
            const Code parsed = parse(key);
            text[next] = key;
            code[next] = parsed;
            next = (next + 1) % kSize;
            if (used < kSize) ++used;
            return parsed;
        }
    };
    Cache<Measurand> measurands_;
    Cache<Unit> units_;
    Cache<Phase> phases_;
    Cache<Location> locations_;
};

// A series is identified by (measurand, phase, location); packed for cheap comparison.
inline std::uint32_t SeriesKey(Measurand measurand, Phase phase, Location location) {
    return (static_cast<std::uint32_t>(measurand) << 16) | (static_cast<std::uint32_t>(phase) << 8) |
           static_cast<std::uint32_t>(location);
}
inline std::uint32_t SeriesKey(const Reading& reading) {
    return SeriesKey(reading.measurand, reading.phase, reading.location);
}

// Evidence collected from the unit-less readings of one series, in time order, to decide their unit from
// physics. Energy: the highest rise rate over windows of >= 60 s, in raw units per hour. Power: the highest
// raw value.
//   - above 1000 (read as kWh/kW that is > 1 MW, which no charger delivers) -> Wh / W;
//   - from 1 up to 1000 (read as Wh/W the series would never exceed 1 kW, which is not charging) -> kWh / kW;
//   - below 1 (no evidence) -> Wh / W, the OCPP default.
// The rule depends on the whole series, so a later value can change it; IncrementalAnalyzer::CanAppend then
// refuses the append and the caller re-runs the full analysis (which decides on the whole series at once).
struct UnitEvidence {
    bool has_anchor = false;
    domain::EpochMs anchor_ms = 0;
    double anchor_raw = 0.0;
    double max_level = 0.0;       // see above
    std::uint32_t processed = 0;  // unit-less readings already converted with the current decision
};

inline constexpr domain::EpochMs kUnitWindowMs = 60'000;

// True when unit-less readings of this measurand are decided by UnitEvidence (energy registers and power).
bool HasUnitDecision(Measurand measurand);
void ObserveUnitless(Measurand measurand, UnitEvidence& evidence, domain::EpochMs timestamp, double raw);
// The unit unit-less readings of this series are read in: kWh/kW (true) or Wh/W (false).
bool DecidesKilo(const UnitEvidence& evidence);
// The unit a unit-less value of `measurand` is read in, given the series decision.
Unit ResolveUnit(Measurand measurand, Unit unit, bool kilo);

}  // namespace evni::analysis
