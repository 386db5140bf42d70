#pragma once

// Battery capacity history for the SoC reconstruction (sorc.h): what one session tells about the capacity of the
// cars charging at its connector, and how a connector's (or tenant's) past sessions become the engine's SocPrior.
// Pure functions: the server stores the observations (storage::SocPriorRepository), the benchmark keeps them in
// memory, and both build the prior the same way.

#include <optional>
#include <span>

#include "analysis/sorc.h"
#include "domain/meter_value.h"

namespace evni::analysis {

// One past session's direct capacity estimate.
struct PriorObservation {
    double peak_power_kw = 0.0;       // SessionPeakPowerKw: the key of "likely the same car"
    double capacity_kwh = 0.0;        // effective capacity: kWh metered per 100 % SoC
    double weight = 1.0;              // (0, 1]: how much the estimate counts (ObservationWeight)
    domain::EpochMs observed_at = 0;  // the session's last SoC reading
    double ev_max_power_kw = 0.0;     // the EV's maximum power request (SocOptions::ev_max_power_kw), 0 = unknown
    // The session's features for the "sessions like this one" match (CapacityEvidence; migration 0014): SoC at its
    // first reading (< 0 = unknown: rows stored before 0014), energy delivered (kWh) and span (minutes).
    double start_soc = -1.0;
    double session_energy_kwh = 0.0;
    double session_minutes = 0.0;
    bool operator==(const PriorObservation&) const = default;
};

// Weight of a direct estimate by the SoC rise it rests on: SoC is reported in whole percent (and the displayed SoC
// of many cars is not linear in energy near the ends), so a 5-point rise is worth a quarter of a >= 20-point one.
double ObservationWeight(double soc_rise);

// The direct estimate of a session with >= 2 usable, consistent SoC readings (ImpliedCapacity: energy / ΔSoC
// between the first and the last reading, a rise of >= 5 points and >= 1 kWh), nullopt otherwise.
std::optional<PriorObservation> EstimateSessionCapacity(std::span<const domain::MeterValue> values);

// Observations taken into the median and the same-car matches, newest first.
inline constexpr int kPriorObservationLimit = 200;
// Observations of a connector read for a prior, newest first: the "sessions like this one" match of the engine
// (sorc.cpp, NeighbourPrior) looks further back than the median, since it finds a car model's sessions only when
// the history holds enough of them (EPFL departure SoC with 200 / 1,000: docs/soc_prior.md).
inline constexpr int kPriorReadLimit = 1000;
// A connector with less history than this (in weight) borrows its tenant's history (see BuildSocPrior).
inline constexpr double kConnectorHistoryEnough = 3.0;
// The history's median counts as at most this many sessions against the typical-EV prior (the engine pulls its
// prior towards the median with weight count / (count + 5)): the cars of a public connector are as mixed as the
// population, while the peak power conditions the typical-EV prior (EPFL departure-SoC MAE with the median
// counting as 1 / 3 / 5 / 10 / all sessions: 6.65 / 6.69 / 6.72 / 6.78 / 6.89, docs/soc_prior.md). A connector
// used by one car or one fleet model is served by the same-peak-power match instead, which counts fully.
inline constexpr double kMaxMedianCount = 3.0;

// The engine's prior from a connector's observations (up to kPriorReadLimit: the newest kPriorObservationLimit give
// the median; all of them go to SocPrior::recent for the engine's matches) and, when the connector has less than
// kConnectorHistoryEnough weight of history, its tenant's (other connectors'), both newest first. The median
// is the weighted median in log capacity; count the summed weight, at most kMaxMedianCount (rounded, >= 1).
// Tenant history fills the connector's weight up to kConnectorHistoryEnough in the median (a fleet median is
// barely more than the population prior) but feeds the "same peak power, likely the same car model" match fully.
// station_newest_first (up to kPriorReadLimit; the connector's own included) becomes SocPrior::station, the pool of the
// engine's "sessions like this one" match. nullopt when all are empty.
std::optional<SocPrior> BuildSocPrior(std::span<const PriorObservation> connector_newest_first,
                                      std::span<const PriorObservation> tenant_newest_first,
                                      std::span<const PriorObservation> station_newest_first = {});

}  // namespace evni::analysis
