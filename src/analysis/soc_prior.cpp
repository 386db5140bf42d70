#include "analysis/soc_prior.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace evni::analysis {
namespace {

// Weighted median of log capacity (the capacity whose cumulative weight first reaches half the total).
double WeightedMedianCapacity(std::vector<std::pair<double, double>> capacity_weight) {
    std::sort(capacity_weight.begin(), capacity_weight.end());
    double total = 0.0;
    for (const auto& [c, w] : capacity_weight) total += w;
    double running = 0.0;
    for (std::size_t i = 0; i < capacity_weight.size(); ++i) {
        running += capacity_weight[i].second;
        if (running >= 0.5 * total - 1e-12) {
            // Exactly half: between this and the next one (geometric mean, the middle in log capacity).
            if (std::fabs(running - 0.5 * total) < 1e-9 && i + 1 < capacity_weight.size())
                return std::sqrt(capacity_weight[i].first * capacity_weight[i + 1].first);
            return capacity_weight[i].first;
        }
    }
    return capacity_weight.back().first;
}

bool Usable(const PriorObservation& o) {
    return std::isfinite(o.capacity_kwh) && o.capacity_kwh >= 10.0 && o.capacity_kwh <= 250.0 && o.weight > 0.0 &&
           std::isfinite(o.weight);
}

CapacityObservation ToCapacityObservation(const PriorObservation& o) {
    return {o.peak_power_kw, o.capacity_kwh, o.ev_max_power_kw, o.start_soc, o.session_energy_kwh, o.session_minutes};
}

}  // namespace

double ObservationWeight(double soc_rise) { return std::clamp(soc_rise / 20.0, 0.25, 1.0); }

std::optional<PriorObservation> EstimateSessionCapacity(std::span<const domain::MeterValue> values) {
    const auto evidence = ImpliedCapacity(values);
    if (!evidence) return std::nullopt;
    PriorObservation o;
    o.capacity_kwh = evidence->capacity_kwh;
    o.peak_power_kw = evidence->peak_power_kw;
    o.weight = ObservationWeight(evidence->soc_rise);
    o.observed_at = evidence->last_soc_ms;
    o.start_soc = evidence->start_soc;
    o.session_energy_kwh = evidence->session_energy_kwh;
    o.session_minutes = evidence->session_minutes;
    return o;
}

std::optional<SocPrior> BuildSocPrior(std::span<const PriorObservation> connector_newest_first,
                                      std::span<const PriorObservation> tenant_newest_first,
                                      std::span<const PriorObservation> station_newest_first) {
    std::vector<std::pair<double, double>> weighted;
    double connector_weight = 0.0;
    SocPrior prior;
    const auto take = [](std::span<const PriorObservation> s, int limit) {
        return s.subspan(0, std::min<std::size_t>(s.size(), static_cast<std::size_t>(limit)));
    };
    int taken = 0;
    for (const PriorObservation& o : take(connector_newest_first, kPriorReadLimit)) {
        if (!Usable(o)) continue;
        if (taken++ < kPriorObservationLimit) {
            weighted.emplace_back(o.capacity_kwh, o.weight);
            connector_weight += o.weight;
        }
        prior.recent.push_back(ToCapacityObservation(o));
    }
    double weight = connector_weight;
    if (connector_weight < kConnectorHistoryEnough && !tenant_newest_first.empty()) {
        // The tenant's fleet: its median counts as at most kConnectorHistoryEnough sessions in all.
        double tenant_weight = 0.0;
        std::vector<std::pair<double, double>> fleet;
        std::vector<CapacityObservation> fleet_recent;
        for (const PriorObservation& o : take(tenant_newest_first, kPriorObservationLimit)) {
            if (!Usable(o)) continue;
            fleet.emplace_back(o.capacity_kwh, o.weight);
            tenant_weight += o.weight;
            fleet_recent.push_back(ToCapacityObservation(o));
        }
        if (tenant_weight > 0.0) {
            const double budget = kConnectorHistoryEnough - connector_weight;
            const double scale = std::min(1.0, budget / tenant_weight);
            for (auto& [c, w] : fleet) weighted.emplace_back(c, w * scale);
            weight += tenant_weight * scale;
            // The connector's own sessions stay the newest in the engine's look-back.
            prior.recent.insert(prior.recent.end(), fleet_recent.begin(), fleet_recent.end());
        }
    }
    if (weighted.empty()) return std::nullopt;
    for (const PriorObservation& o : take(station_newest_first, kPriorReadLimit)) {
        if (Usable(o)) prior.station.push_back(ToCapacityObservation(o));
    }
    prior.median_capacity_kwh = WeightedMedianCapacity(std::move(weighted));
    prior.count = std::max(1, static_cast<int>(std::lround(std::min(weight, kMaxMedianCount))));
    std::reverse(prior.recent.begin(), prior.recent.end());  // the engine wants oldest first
    return prior;
}

}  // namespace evni::analysis
