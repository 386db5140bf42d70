#include "analysis/dc_session_prior.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace evni::analysis {
namespace {

constexpr double kSocBandwidth = 7.0;         // SoC points
constexpr double kCapacityBandwidth = 0.12;   // log capacity
constexpr double kPeakBandwidth = 0.15;       // log peak power
constexpr double kStayBandwidth = 0.30;       // log stay (the scale of the "sessions like this one" match, sorc.cpp)
constexpr double kRatioBandwidth = 0.10;      // mean-to-peak power (the same match's scale)
constexpr double kPseudoCount = 0.5;          // sessions of the population's (a, d) density
constexpr double kGridStep = 2.5;             // arrival (and departure) SoC grid
constexpr std::size_t kArrivalPoints = 41;    // 0..100
constexpr std::size_t kDeparturePoints = 61;  // 0..150 (a departure over 100 is for the physics term to reject)

double Gauss(double x) { return std::exp(-0.5 * x * x / (kSocBandwidth * kSocBandwidth)); }

// The kernel of reference session r at (a, d), reflected at the ends of the SoC scale: SoC lives in 0..100, and a
// plain kernel would put half the weight of every session that left full (10 % of EPFL's end at 100 %) above 100,
// where the physics term of the reconstruction rejects it, and so bias departures near full downwards. Beyond 100 the
// reflection is left out (the density there is the plain kernel's tail, not a mirror image of the one below).
double SocKernel(double a, double d, const DcReferenceSession& r) {
    const double ka = Gauss(a - r.arrival_soc) + Gauss(a + r.arrival_soc);
    const double kd = Gauss(d - r.departure_soc) + (d <= 100.0 ? Gauss(d - (200.0 - r.departure_soc)) : 0.0);
    return ka * kd;
}

// The (a, d) density of all reference sessions (mean kernel value) on the grid, computed once.
const std::vector<double>& PopulationDensity() {
    static const std::vector<double> table = [] {
        const auto refs = DcReferenceSessions();
        std::vector<double> t(kArrivalPoints * kDeparturePoints, 0.0);
        for (std::size_t i = 0; i < kArrivalPoints; ++i) {
            for (std::size_t j = 0; j < kDeparturePoints; ++j) {
                const double a = kGridStep * static_cast<double>(i);
                const double d = kGridStep * static_cast<double>(j);
                double sum = 0.0;
                for (const DcReferenceSession& r : refs) sum += SocKernel(a, d, r);
                t[i * kDeparturePoints + j] = sum / static_cast<double>(std::max<std::size_t>(1, refs.size()));
            }
        }
        return t;
    }();
    return table;
}

// Bilinear interpolation of PopulationDensity at (arrival grid point i, departure d).
double PopulationAt(std::size_t i, double d) {
    const auto& t = PopulationDensity();
    const double y = std::clamp(d, 0.0, kGridStep * static_cast<double>(kDeparturePoints - 1)) / kGridStep;
    const auto j = std::min<std::size_t>(kDeparturePoints - 2, static_cast<std::size_t>(y));
    const double f = y - static_cast<double>(j);
    return (1.0 - f) * t[i * kDeparturePoints + j] + f * t[i * kDeparturePoints + j + 1];
}

}  // namespace

DcSessionPrior::DcSessionPrior(double peak_kw, bool at_rating, double stay_min, double mean_to_peak) {
    const auto refs = DcReferenceSessions();
    weights_.reserve(refs.size());
    for (const DcReferenceSession& r : refs) {
        double w = 1.0;
        if (peak_kw > 0.0 && !(at_rating && r.peak_kw >= peak_kw)) {
            const double z = std::log(r.peak_kw / peak_kw) / kPeakBandwidth;
            w = std::exp(-0.5 * z * z);
        }
        if (stay_min > 0.0 && r.stay_min > 0.0) {
            const double z = std::log(r.stay_min / stay_min) / kStayBandwidth;
            w *= std::exp(-0.5 * z * z);
        }
        if (mean_to_peak >= 0.0 && r.stay_min > 0.0 && r.peak_kw > 0.0) {
            const double energy = r.capacity_kwh * (r.departure_soc - r.arrival_soc) / 100.0;
            const double ratio = std::min(energy / (r.stay_min / 60.0) / r.peak_kw, 1.5);
            const double z = (ratio - std::min(mean_to_peak, 1.5)) / kRatioBandwidth;
            w *= std::exp(-0.5 * z * z);
        }
        weights_.push_back(w);
    }
}

void DcSessionPrior::Prepare(std::span<const double> capacities_kwh, double energy_kwh) {
    const auto refs = DcReferenceSessions();
    table_.assign(capacities_kwh.size() * kArrivalPoints, 0.0);
    std::vector<std::size_t> near;
    std::vector<double> v;
    for (std::size_t k = 0; k < capacities_kwh.size(); ++k) {
        const double b = capacities_kwh[k];
        const double rise = 100.0 * energy_kwh / b;
        near.clear();
        v.clear();
        double m = 0.0;
        for (std::size_t i = 0; i < refs.size(); ++i) {
            const double z = std::log(refs[i].capacity_kwh / b) / kCapacityBandwidth;
            if (std::fabs(z) > 4.0 || weights_[i] < 1e-4) continue;
            const double w = weights_[i] * std::exp(-0.5 * z * z);
            near.push_back(i);
            v.push_back(w);
            m += w;
        }
        for (std::size_t g = 0; g < kArrivalPoints; ++g) {
            const double a = kGridStep * static_cast<double>(g);
            const double d = a + rise;
            double n = 0.0;
            for (std::size_t q = 0; q < near.size(); ++q) {
                const DcReferenceSession& r = refs[near[q]];
                n += v[q] * SocKernel(a, d, r);
            }
            const double p = (n + kPseudoCount * PopulationAt(g, d)) / (m + kPseudoCount);
            table_[k * kArrivalPoints + g] = std::log(std::max(p, 1e-12));
        }
    }
}

double DcSessionPrior::LogDensity(std::size_t capacity_index, double s_start) const {
    const double x = std::clamp(s_start, 0.0, 100.0) / kGridStep;
    const auto g = std::min<std::size_t>(kArrivalPoints - 2, static_cast<std::size_t>(x));
    const double f = x - static_cast<double>(g);
    const double* row = table_.data() + capacity_index * kArrivalPoints;
    return (1.0 - f) * row[g] + f * row[g + 1];
}

}  // namespace evni::analysis
