#pragma once

// DC session prior of the SoC reconstruction (sorc.cpp, docs/soc_prior.md "DC session prior"): how likely a DC
// session is to arrive at SoC a and leave at d given its effective capacity B and its peak power, from reference
// sessions (EPFL Level-3, the older half: tools/fit_dc_session_prior.py). Cars of one class arrive and leave at
// typical SoCs of their own (a big car charging at 150 kW tops up from 40 to 80 %, a small one at 50 kW from 20 to
// 90 %), which a prior of (a, d) alone and a capacity prior by peak power alone, multiplied, miss.

#include <cstddef>
#include <span>
#include <vector>

namespace evni::analysis {

struct DcReferenceSession {
    double arrival_soc = 0.0;
    double departure_soc = 0.0;
    double capacity_kwh = 0.0;  // effective: energy * 100 / (departure - arrival)
    double peak_kw = 0.0;
    double stay_min = 0.0;  // plug-in to plug-out
};

// The reference sessions (dc_session_prior_table.cpp, generated).
std::span<const DcReferenceSession> DcReferenceSessions();

// log p(a, d | B, peak, stay) up to a constant, for one session: a kernel estimate over the reference sessions
// (kernel sd 7 SoC points in a and d, 12 % in B, 15 % in peak power, 30 % in the stay), regularised towards the (a, d)
// density of all of them with a pseudo-count of half a session, so that a capacity few reference sessions have falls
// back to the population's (a, d) prior rather than to noise.
class DcSessionPrior {
  public:
    // peak_kw: the session's peak power (<= 0: unknown, all reference sessions count alike). at_rating: the peak
    // sits at the charger's rating, so the car may draw more: reference sessions with a higher peak count fully.
    // stay_min: the session's span from its first to its last reading (<= 0: unknown, not used). How long a driver
    // stays says how far they charge (a 10-minute top-up, a 45-minute charge to 80 %), and with the energy, which
    // car: it selects the reference sessions like peak power does.
    // mean_to_peak: the mean power over the stay relative to the peak (< 0: not used), how much of the stay went
    // into charging at full power rather than into the taper or idling. A summary of the power curve for sessions
    // whose readings do not resolve it (start and end readings only, as in a CDR); where the curve is resolved, the
    // reconstruction reads the taper itself and leaves this out (it would count the same thing twice, and its
    // narrower kernel would outweigh a visible taper).
    DcSessionPrior(double peak_kw, bool at_rating, double stay_min, double mean_to_peak = -1.0);

    // Tabulates log p(a, a + 100 * energy / B_k | B_k) for the capacities B_k on a 2.5-point grid of a.
    void Prepare(std::span<const double> capacities_kwh, double energy_kwh);

    // log p(arrival = s_start, departure = s_start + 100 * energy / B_k | B_k, peak), interpolated (s_start clamped
    // to 0..100). Prepare first.
    double LogDensity(std::size_t capacity_index, double s_start) const;

  private:
    std::vector<double> weights_;  // per reference session, by peak power, stay and mean-to-peak power
    std::vector<double> table_;    // [capacity][arrival grid point]
};

}  // namespace evni::analysis
