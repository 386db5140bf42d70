#pragma once

// Connector limits learned from history (docs/analysis.md "Learned connector limits"): what one session shows
// about the power its connector delivers (sustained peak, AC or DC, phases) and the rule that turns a connector's
// history into a learned rating for POWER_OVER_LIMIT when metadata gives no `maxPowerKw`.

#include <optional>
#include <span>
#include <string>

#include "domain/meter_value.h"

namespace evni::analysis {

// What one session shows about its connector.
struct PowerObservation {
    double sustained_peak_kw = 0.0;   // a robust high quantile (90th percentile) of per-minute power
    std::string current_type;         // "AC" (per-phase readings), "DC" (sustained peak above 44 kW) or "" (unknown)
    int phases = 0;                   // phases with current or power readings (1..3), 0 when unknown
    domain::EpochMs observed_at = 0;  // the session's last meter value
    bool operator==(const PowerObservation&) const = default;
};

// Minutes of charging a session needs to count (a short plug-in says little about the connector).
inline constexpr int kMinChargingMinutes = 3;
// Sessions on a connector before its history gives a learned rating.
inline constexpr int kMinLearnedSessions = 5;
// The newest observations per connector a learned rating is made from.
inline constexpr int kLearnedHistoryLimit = 100;
// The learned rating is the next standard rating at or above the sustained peak times this margin.
inline constexpr double kLearnedMargin = 1.15;

// The session's observation from its meter values (any order): per-minute mean of Power.Active.Import (the
// overall value, else the sum of the phases), else the per-minute rise of the energy register; minutes below
// 0.5 kW are not charging. nullopt when fewer than kMinChargingMinutes charging minutes.
std::optional<PowerObservation> ObserveSessionPower(std::span<const domain::MeterValue> values);

// The learned rating of a connector, with what it was made from.
struct LearnedLimit {
    double max_power_kw = 0.0;  // the rating POWER_OVER_LIMIT holds power to
    std::string current_type;   // the ladder it was taken from: "AC", "DC" or "" (both)
    double peak_kw = 0.0;       // the sustained peak it was made from (the second highest of the history)
    int sessions = 0;           // observations it was made from
};

// The next standard rating at or above `kw` (AC 3.7, 7.4, 11, 22, 43 kW; DC 50, 100, 150, 350 kW; both ladders
// when `current_type` is neither). nullopt above the top of the ladder.
std::optional<double> NextStandardRatingKw(double kw, const std::string& current_type);

// True when a learned rating `learned_kw` can change the verdict of a session whose highest primary power reading
// is `peak_power_kw` (IncrementalAnalyzer::PeakPowerKw): only POWER_OVER_LIMIT uses it, and only readings above
// 1.1 x the limit + 0.2 kW count there. Lets a caller keep a verdict analysed without the learned rating.
inline bool LearnedLimitMatters(double peak_power_kw, double learned_kw) {
    return peak_power_kw > 1.1 * learned_kw + 0.2;
}

// The learned rating from a connector's observations (newest first, the session itself excluded) and the facts
// its metadata gives: nullopt when metadata gives `maxPowerKw` (metadata wins), with fewer than
// kMinLearnedSessions observations, or when the rating would be above the ladder. A DC rating is one step further
// up (the car, not the charger, decides most DC power), at most 350 kW. The peak is the second highest
// sustained peak (one odd session does not widen nor fix the limit); the current type is metadata's, else the
// majority of the observations that know theirs (DC when any session was clearly DC, as AC cannot exceed 44 kW).
std::optional<LearnedLimit> LearnConnectorLimit(std::span<const PowerObservation> history,
                                                const domain::ConnectorFacts& metadata);

}  // namespace evni::analysis
