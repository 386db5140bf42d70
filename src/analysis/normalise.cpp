#include "analysis/normalise.h"

#include <array>
#include <cmath>
#include <cstddef>

namespace evni::analysis {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::string_view Trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

constexpr std::array<std::string_view, static_cast<std::size_t>(Measurand::kCount)> kMeasurandNames = {
    "Energy.Active.Import.Register",
    "Energy.Active.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Active.Import.Interval",
    "Energy.Active.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Energy.Reactive.Export.Interval",
    "Energy.Active.Net",
    "Energy.Reactive.Net",
    "Energy.Apparent.Net",
    "Energy.Apparent.Import",
    "Energy.Apparent.Export",
    "Power.Active.Import",
    "Power.Active.Export",
    "Power.Offered",
    "Power.Reactive.Import",
    "Power.Reactive.Export",
    "Power.Factor",
    "Current.Import",
    "Current.Export",
    "Current.Offered",
    "Voltage",
    "Frequency",
    "Temperature",
    "SoC",
    "RPM",
    "Other",
};

template <typename Enum, std::size_t N>
Enum Lookup(std::string_view text, const std::array<std::pair<std::string_view, Enum>, N>& table, Enum fallback) {
    // Exact spelling first (the common case), then tolerant of case.
    for (const auto& [name, code] : table) {
        if (text == name) return code;
    }
    for (const auto& [name, code] : table) {
        if (EqualsIgnoreCase(text, name)) return code;
    }
    return fallback;
}

constexpr std::array<std::pair<std::string_view, Phase>, 16> kPhases = {{
    {"L1", Phase::kL1},
    {"L2", Phase::kL2},
    {"L3", Phase::kL3},
    {"N", Phase::kN},
    {"L1-N", Phase::kL1N},
    {"L2-N", Phase::kL2N},
    {"L3-N", Phase::kL3N},
    {"L1-L2", Phase::kL1L2},
    {"L2-L3", Phase::kL2L3},
    {"L3-L1", Phase::kL3L1},
    {"L1N", Phase::kL1N},
    {"L2N", Phase::kL2N},
    {"L3N", Phase::kL3N},
    {"L1L2", Phase::kL1L2},
    {"L2L3", Phase::kL2L3},
    {"L3L1", Phase::kL3L1},
}};

constexpr std::array<std::pair<std::string_view, Location>, 5> kLocations = {{
    {"Outlet", Location::kOutlet},
    {"Inlet", Location::kInlet},
    {"Cable", Location::kCable},
    {"EV", Location::kEv},
    {"Body", Location::kBody},
}};

constexpr std::array<std::pair<std::string_view, Unit>, 27> kUnits = {{
    {"Wh", Unit::kWh},
    {"kWh", Unit::kKWh},
    {"varh", Unit::kVarh},
    {"kvarh", Unit::kKvarh},
    {"W", Unit::kW},
    {"kW", Unit::kKW},
    {"VA", Unit::kVa},
    {"kVA", Unit::kKVa},
    {"var", Unit::kVar},
    {"kvar", Unit::kKvar},
    {"A", Unit::kA},
    {"V", Unit::kV},
    {"K", Unit::kKelvin},
    {"Celsius", Unit::kCelsius},
    {"Celcius", Unit::kCelsius},
    {"C", Unit::kCelsius},
    {"°C", Unit::kCelsius},
    {"degC", Unit::kCelsius},
    {"Fahrenheit", Unit::kFahrenheit},
    {"F", Unit::kFahrenheit},
    {"Percent", Unit::kPercent},
    {"%", Unit::kPercent},
    {"Hertz", Unit::kHz},
    {"Hz", Unit::kHz},
    {"VAh", Unit::kOther},
    {"kVAh", Unit::kOther},
    {"Amp", Unit::kA},
}};

}  // namespace

Measurand ParseMeasurand(std::string_view text) {
    text = Trim(text);
    if (text.empty()) return Measurand::kEnergyActiveImportRegister;
    for (std::size_t i = 0; i + 1 < kMeasurandNames.size(); ++i) {
        if (text == kMeasurandNames[i]) return static_cast<Measurand>(i);
    }
    for (std::size_t i = 0; i + 1 < kMeasurandNames.size(); ++i) {
        if (EqualsIgnoreCase(text, kMeasurandNames[i])) return static_cast<Measurand>(i);
    }
    return Measurand::kOther;
}

Phase ParsePhase(std::string_view text) {
    text = Trim(text);
    if (text.empty()) return Phase::kNone;
    return Lookup(text, kPhases, Phase::kOther);
}

Location ParseLocation(std::string_view text) {
    text = Trim(text);
    if (text.empty()) return Location::kOutlet;
    return Lookup(text, kLocations, Location::kOther);
}

Unit ParseUnit(std::string_view text) {
    text = Trim(text);
    if (text.empty()) return Unit::kNone;
    return Lookup(text, kUnits, Unit::kOther);
}

const char* MeasurandName(Measurand measurand) {
    const auto index = static_cast<std::size_t>(measurand);
    return index < kMeasurandNames.size() ? kMeasurandNames[index].data() : "Other";
}

Quantity QuantityOf(Measurand measurand) {
    switch (measurand) {
        case Measurand::kEnergyActiveImportRegister:
        case Measurand::kEnergyActiveExportRegister:
        case Measurand::kEnergyActiveImportInterval:
        case Measurand::kEnergyActiveExportInterval:
        case Measurand::kEnergyActiveNet:
            return Quantity::kActiveEnergy;
        case Measurand::kEnergyReactiveImportRegister:
        case Measurand::kEnergyReactiveExportRegister:
        case Measurand::kEnergyReactiveImportInterval:
        case Measurand::kEnergyReactiveExportInterval:
        case Measurand::kEnergyReactiveNet:
            return Quantity::kReactiveEnergy;
        case Measurand::kEnergyApparentNet:
        case Measurand::kEnergyApparentImport:
        case Measurand::kEnergyApparentExport:
            return Quantity::kApparentEnergy;
        case Measurand::kPowerActiveImport:
        case Measurand::kPowerActiveExport:
        case Measurand::kPowerOffered:
            return Quantity::kActivePower;
        case Measurand::kPowerReactiveImport:
        case Measurand::kPowerReactiveExport:
            return Quantity::kReactivePower;
        case Measurand::kPowerFactor:
            return Quantity::kPowerFactor;
        case Measurand::kCurrentImport:
        case Measurand::kCurrentExport:
        case Measurand::kCurrentOffered:
            return Quantity::kCurrent;
        case Measurand::kVoltage:
            return Quantity::kVoltage;
        case Measurand::kFrequency:
            return Quantity::kFrequency;
        case Measurand::kTemperature:
            return Quantity::kTemperature;
        case Measurand::kSoC:
            return Quantity::kPercent;
        case Measurand::kRpm:
        case Measurand::kOther:
        case Measurand::kCount:
            break;
    }
    return Quantity::kOther;
}

bool IsEnergyRegister(Measurand measurand) {
    return measurand == Measurand::kEnergyActiveImportRegister || measurand == Measurand::kEnergyActiveExportRegister ||
           measurand == Measurand::kEnergyReactiveImportRegister ||
           measurand == Measurand::kEnergyReactiveExportRegister;
}

std::optional<double> ToCanonical(Quantity quantity, Unit unit, double raw) {
    switch (quantity) {
        case Quantity::kActiveEnergy:
            if (unit == Unit::kKWh) return raw;
            if (unit == Unit::kWh) return raw / 1000.0;
            return std::nullopt;
        case Quantity::kReactiveEnergy:
            if (unit == Unit::kKvarh) return raw;
            if (unit == Unit::kVarh) return raw / 1000.0;
            return std::nullopt;
        case Quantity::kActivePower:
            if (unit == Unit::kKW) return raw;
            if (unit == Unit::kW) return raw / 1000.0;
            return std::nullopt;
        case Quantity::kReactivePower:
            if (unit == Unit::kKvar || unit == Unit::kKVa) return raw;
            if (unit == Unit::kVar || unit == Unit::kVa || unit == Unit::kNone) return raw / 1000.0;
            return std::nullopt;
        case Quantity::kCurrent:
            if (unit == Unit::kA || unit == Unit::kNone) return raw;
            return std::nullopt;
        case Quantity::kVoltage:
            if (unit == Unit::kV || unit == Unit::kNone) return raw;
            return std::nullopt;
        case Quantity::kFrequency:
            if (unit == Unit::kHz || unit == Unit::kNone) return raw;
            return std::nullopt;
        case Quantity::kTemperature:
            if (unit == Unit::kCelsius || unit == Unit::kNone) return raw;
            if (unit == Unit::kKelvin) return raw - 273.15;
            if (unit == Unit::kFahrenheit) return (raw - 32.0) * 5.0 / 9.0;
            return std::nullopt;
        case Quantity::kPercent:
            if (unit == Unit::kPercent || unit == Unit::kNone) return raw;
            return std::nullopt;
        case Quantity::kPowerFactor:
            if (unit == Unit::kNone) return raw;
            return std::nullopt;
        case Quantity::kApparentEnergy:
        case Quantity::kOther:
            break;
    }
    return std::nullopt;
}

std::optional<Reading> ToReading(const domain::MeterValue& value) {
    ReadingParser parser;
    return parser.Parse(value);
}

std::optional<Reading> ReadingParser::Parse(const domain::MeterValue& value) {
    if (!std::isfinite(value.value) || std::fabs(value.value) > kMaxAbsValue) return std::nullopt;
    if (value.timestamp < kMinValidTimestampMs || value.timestamp >= kMaxValidTimestampMs) return std::nullopt;
    Reading reading;
    reading.timestamp = value.timestamp;
    reading.raw = value.value;
    reading.measurand =
        value.measurand ? measurands_.Get(*value.measurand, ParseMeasurand) : Measurand::kEnergyActiveImportRegister;
    reading.phase = value.phase ? phases_.Get(*value.phase, ParsePhase) : Phase::kNone;
    reading.location = value.location ? locations_.Get(*value.location, ParseLocation) : Location::kOutlet;
    reading.unit = value.unit ? units_.Get(*value.unit, ParseUnit) : Unit::kNone;
    reading.reconstructed = value.reconstructed;
    return reading;
}

bool HasUnitDecision(Measurand measurand) {
    return measurand == Measurand::kEnergyActiveImportRegister || measurand == Measurand::kEnergyActiveExportRegister ||
           measurand == Measurand::kPowerActiveImport || measurand == Measurand::kPowerActiveExport ||
           measurand == Measurand::kPowerOffered;
}

void ObserveUnitless(Measurand measurand, UnitEvidence& evidence, domain::EpochMs timestamp, double raw) {
    if (QuantityOf(measurand) == Quantity::kActivePower) {
        if (raw > evidence.max_level) evidence.max_level = raw;
        return;
    }
    if (!evidence.has_anchor) {
        evidence.has_anchor = true;
        evidence.anchor_ms = timestamp;
        evidence.anchor_raw = raw;
        return;
    }
    const domain::EpochMs elapsed_ms = timestamp - evidence.anchor_ms;
    if (elapsed_ms < kUnitWindowMs) return;
    if (raw > evidence.anchor_raw) {
        const double rate_per_hour = (raw - evidence.anchor_raw) * 3'600'000.0 / static_cast<double>(elapsed_ms);
        if (rate_per_hour > evidence.max_level) evidence.max_level = rate_per_hour;
    }
    evidence.anchor_ms = timestamp;
    evidence.anchor_raw = raw;
}

bool DecidesKilo(const UnitEvidence& evidence) {
    // > 1000 raw/h (or raw) would be > 1 MW in kWh/kW; < 1 would be no charging at all.
    return evidence.max_level >= 1.0 && evidence.max_level <= 1000.0;
}

Unit ResolveUnit(Measurand measurand, Unit unit, bool kilo) {
    if (unit != Unit::kNone) return unit;
    switch (QuantityOf(measurand)) {
        case Quantity::kActiveEnergy:
            if (!HasUnitDecision(measurand)) return Unit::kWh;  // intervals, net: OCPP default
            return kilo ? Unit::kKWh : Unit::kWh;
        case Quantity::kActivePower:
            return kilo ? Unit::kKW : Unit::kW;
        case Quantity::kReactiveEnergy:
            return Unit::kVarh;
        default:
            return Unit::kNone;
    }
}

int PhaseSlot(Phase phase) {
    switch (phase) {
        case Phase::kNone:
            return 0;
        case Phase::kL1:
        case Phase::kL1N:
            return 1;
        case Phase::kL2:
        case Phase::kL2N:
            return 2;
        case Phase::kL3:
        case Phase::kL3N:
            return 3;
        default:
            return -1;
    }
}

}  // namespace evni::analysis
