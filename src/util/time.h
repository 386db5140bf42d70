#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evni {

using EpochMs = std::int64_t;

// Parses ISO 8601 / RFC 3339 date-times: "2026-02-27T10:00:00Z", fractional seconds, a "+01:00"
// offset, or no offset (taken as UTC, as OCPP timestamps are UTC). Years 1970..9999.
std::optional<EpochMs> ParseIsoDateTime(std::string_view text);

// A query bound: a date-time as above, or a plain date "2026-02-27". For a plain date,
// `end_of_day` selects its last millisecond instead of its first (inclusive upper bounds).
std::optional<EpochMs> ParseDateBound(std::string_view text, bool end_of_day);

// "2026-02-27T10:00:00Z", with ".mmm" only when the milliseconds are not zero.
std::string FormatIsoDateTime(EpochMs ms);

// Source of the current time; injected so tests are deterministic.
class Clock {
  public:
    virtual ~Clock() = default;
    virtual EpochMs NowMs() const = 0;
};

class SystemClock final : public Clock {
  public:
    EpochMs NowMs() const override;
};

}  // namespace evni
