#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace evni::domain {

// Milliseconds since the Unix epoch, UTC. All timestamps inside evni use this representation.
using EpochMs = std::int64_t;

// One OCPP sampled value exactly as the client sent it (lossless: original unit, measurand, phase
// and location strings are kept; the value is the number the client sent).
struct MeterValue {
    EpochMs timestamp = 0;
    double value = 0.0;
    std::optional<std::string> measurand;
    std::optional<std::string> unit;
    std::optional<std::string> phase;
    std::optional<std::string> location;
    bool reconstructed = false;

    bool operator==(const MeterValue&) const = default;
};

using MeterValues = std::vector<MeterValue>;

// Facts about the connector a session ran on, taken from session or station metadata when the
// client provides them.
struct ConnectorFacts {
    std::optional<double> max_power_kw;
    std::optional<std::string> current_type;  // "AC" or "DC"
    std::optional<int> phases;
};

}  // namespace evni::domain
