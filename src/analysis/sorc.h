#pragma once

// SoC reconstruction ("sorc", analysis.md §4): when a session has fewer than two usable SoC readings (or its SoC
// series is inconsistent), predict the state of charge at every 15-minute boundary from the energy series, the
// power-curve shape, the stop reason, any single SoC reading and a battery capacity estimate. The result is an
// overlay: it is never mixed into the meter values the detectors use.
//
// Model. SoC(t) = s_a + 100 * (E(t) - E(t_a)) / B, clamped to [0, 100], where E is the energy delivered (sum of
// the register's plausible rises, kWh), t_a the anchor time (the single SoC reading, else t0), s_a the SoC there
// and B the *effective* capacity: kWh of metered energy per 100 % SoC, i.e. battery capacity / charging
// efficiency (DC ~0.95, AC ~0.9 with on-board charger losses), which is what ΔkWh/ΔSoC of real sessions gives.
// (s_a, B) is inferred on a grid as a posterior:
//   - capacity prior (log-normal): DC by the session's peak power, because fast-charging cars have bigger
//     batteries (EPFL Level-3 table: ~50 kWh at 50 kW, ~75 at 100 kW, ~80 at 150 kW, ~88 at 170 kW); AC by the
//     rating class (3.7 kW single phase: small cars and plug-in hybrids, 7.4-22 kW: typical 50-77 kWh BEVs).
//     A per-connector/tenant SocPrior (median implied capacity of past sessions, and past sessions with the same
//     peak power, likely the same car) narrows it as history accumulates.
//     With enough history, the nearest past DC sessions by start SoC, energy, span, peak and mean-to-peak power
//     ("sessions like this one") give the prior instead, when the session's one SoC reading is at its start.
//   - start SoC prior: DC the arrival and departure SoC given the capacity, the peak power and the stay (the span of
//     the readings) (DcSessionPrior: EPFL reference sessions of the older half of the table), also with a SoC reading;
//     AC ~35 %, wide. A single SoC reading anchors the curve (to within its 1 % rounding).
//   - AC end of charge: a car that stopped drawing >= 30 min before the last reading had finished: its end SoC is
//     near 100 % (the CV fall-off was seen) or at a limit of its own (75-100 %, an abrupt stop), and the AC start
//     prior is left out (docs/soc_prior.md, "AC session ends").
//   - power-curve likelihood: the delivery is cut into segments; the mean power of a segment is predicted as
//     P_plateau times the harmonic mean of g(SoC) over the segment's SoC range, where g is the CC-CV shape: DC
//     power falls linearly from the taper onset (80 %) to ~0 at 100 %; AC keeps its power up to ~95 % and then
//     falls off. So a visible taper pins where 80 % is and, from its depth, the capacity; a session that ends at
//     full power was below the onset. Segments limited from outside are left out: power below Power.Offered,
//     pauses, and any stretch whose power comes back up later (a taper never recovers).
//   - hard physics: the trajectory cannot go below 0 % or above 100 % while energy still flows.
//   - stop reason: a full-battery stop (SOCLimitReached, StoppedByEV, "SOC") favours an end SoC near full;
//     user stops (EVDisconnected, Local, Remote, ...) carry no SoC information by themselves.
// The prediction is the posterior median of SoC at each point; each hypothesis is monotone in E, so the
// prediction never decreases while energy rises. confidence = P(|error| <= 5 points) under the posterior
// (erf(5 / (sd * sqrt 2)) with sd the mean posterior standard deviation over the points), capped at 0.98 and
// scaled down when the SoC series present was inconsistent or the data are thin.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/meter_value.h"

namespace evni::analysis {

// The DC arrival/departure prior of the reconstruction is fitted on the EPFL sessions arriving before this time
// (tools/fit_dc_soc_prior.py); the benchmark evaluates on the later ones.
inline constexpr domain::EpochMs kDcSocPriorFitEndMs = 1'668'968'580'000;  // 2022-11-20 18:23 (table time)

struct SocPoint {
    domain::EpochMs timestamp = 0;
    double value = 0.0;  // SoC in percent, [0, 100]
    bool operator==(const SocPoint&) const = default;
};

// Capacity history of a connector or tenant, accumulated by the caller from sessions that have real SoC readings
// (ImpliedCapacityKwh together with SessionPeakPowerKw).
struct CapacityObservation {
    double peak_power_kw = 0.0;
    double capacity_kwh = 0.0;
    double ev_max_power_kw = 0.0;  // the EV's maximum power request of that session (SocOptions); 0 = unknown
    // What the session looked like (CapacityEvidence), the features of the "sessions like this one" match: SoC at the
    // session's first reading (< 0 = unknown), the energy delivered in the session (kWh) and its span (minutes).
    double start_soc = -1.0;
    double session_energy_kwh = 0.0;
    double session_minutes = 0.0;
};
struct SocPrior {
    std::optional<double> median_capacity_kwh;  // median implied capacity of past sessions
    int count = 0;                              // how many sessions that median is from
    // Recent past sessions (oldest first; the engine looks at the last 200): sessions whose peak power is
    // within 3 % of this one's are likely the same car model, a sharper prior than the median.
    std::vector<CapacityObservation> recent;
    // The station's recent past sessions on all its connectors (newest first, up to 1,000; empty = not read): the
    // pool of the "sessions like this one" match, since a returning car takes whichever connector is free. recent
    // is the pool when this is empty.
    std::vector<CapacityObservation> station;
};

struct SocOptions {
    domain::ConnectorFacts connector;
    std::optional<std::string> stop_reason;  // OCPP 1.6 StopTransaction.reason or 2.0.1 stoppedReason
    std::optional<SocPrior> prior;
    // The EV's maximum power request (kW), when the charger reports it: ISO 15118 EVMaximumPowerLimit, OCPP 2.0.1
    // NotifyEVChargingNeeds dcChargingParameters.evMaxPower; session metadata `evMaxPowerKw`. It is a property of
    // the car model (unlike the delivered peak, which the charger, the SoC and the temperature limit), so past
    // sessions with the same request (within 1 %) are the sharpest capacity prior there is.
    std::optional<double> ev_max_power_kw;
    // Injected clock: values more than 5 min after it are left out (as the analyzer does). 0 disables.
    domain::EpochMs now_ms = 0;
};

struct SocReconstruction {
    bool reconstructed = false;    // false: real SoC is usable, or too little data (see method)
    std::vector<SocPoint> points;  // t0, t0 + 15 min, ..., and the last reading time
    double confidence = 0.0;       // in [0, 1]: probability-like, higher means lower error
    double battery_kwh = 0.0;      // posterior mean effective capacity (kWh per 100 % SoC)
    // "measured" (>= 2 usable SoC readings, nothing reconstructed), "no_energy" (no usable energy series),
    // "anchored" (one SoC reading anchors the curve), "inconsistent_soc" (the SoC series failed the checks; its
    // first reading anchors), "prior" (no SoC reading).
    std::string method;
    bool operator==(const SocReconstruction&) const = default;
};

// Pure and deterministic; values in any order.
SocReconstruction ReconstructSoc(std::span<const domain::MeterValue> values, const SocOptions& options);

// Effective capacity implied by a session with >= 2 usable, consistent SoC readings: ΔkWh * 100 / ΔSoC between
// the first and the last reading. nullopt when the SoC rise is < 5 points, < 1 kWh was delivered, the series is
// inconsistent or the result lies outside 10..250 kWh.
std::optional<double> ImpliedCapacityKwh(std::span<const domain::MeterValue> values);

// ImpliedCapacityKwh with what it rests on (same conditions): the SoC rise and the energy between the first and the
// last usable SoC reading, and the time of that last reading.
struct CapacityEvidence {
    double capacity_kwh = 0.0;
    double soc_rise = 0.0;    // SoC points
    double energy_kwh = 0.0;  // delivered between the two readings
    domain::EpochMs last_soc_ms = 0;
    double peak_power_kw = 0.0;  // SessionPeakPowerKw
    // The session as a whole: SoC at its first reading (t0), extrapolated back from the first SoC reading with this
    // capacity; the energy delivered from the first to the last reading; and that span in minutes.
    double start_soc = 0.0;
    double session_energy_kwh = 0.0;
    double session_minutes = 0.0;
};
std::optional<CapacityEvidence> ImpliedCapacity(std::span<const domain::MeterValue> values);

// The typical-EV prior of the effective capacity (log-normal: median and log-sd) the reconstruction starts from,
// before any connector history: DC by the session's peak power (the cars that reach at least the rating when the
// peak sits at the connector's `rating_kw`), AC 60 kWh (log-sd 0.32).
struct CapacityPrior {
    double median_kwh = 0.0;
    double sigma = 0.0;
};
CapacityPrior TypicalCapacityPrior(double peak_kw, bool dc, double rating_kw);
// The largest effective capacity the typical-EV prior allows: its 99.9th percentile, within 120..250 kWh (250 is
// the SOC_JUMP bound of analysis.md; 120 keeps the narrow priors of fast-charging classes from excluding the big
// batteries of rare cars). Used by the SoC overlay check of the detectors (SocAnchorCheck).
double MaxPlausibleCapacityKwh(double peak_kw, bool dc, double rating_kw);

// The session's peak delivery power (kW): the 90th percentile of Power.Active.Import readings, or the highest
// energy rate over >= 2-minute spans, whichever is larger. 0 when unknown. Key of CapacityObservation.
double SessionPeakPowerKw(std::span<const domain::MeterValue> values);

}  // namespace evni::analysis
