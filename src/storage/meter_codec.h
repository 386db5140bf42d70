#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "domain/meter_value.h"

namespace evni::storage {

// Compact, lossless binary encoding of a chunk of meter values (one database row per chunk):
// a string dictionary for measurand/unit/phase/location, zig-zag varint timestamp deltas and
// the values as IEEE-754 doubles. Typically ~13 bytes per reading instead of ~150 bytes of JSON.
std::vector<std::uint8_t> EncodeMeterChunk(std::span<const domain::MeterValue> values);

// Appends the decoded values to `out`; false when the bytes are not a valid chunk.
bool DecodeMeterChunk(std::span<const std::uint8_t> bytes, domain::MeterValues& out);

}  // namespace evni::storage
