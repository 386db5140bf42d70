#include "analysis/station_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "analysis/normalise.h"

namespace evni::analysis::station {
namespace {

using domain::EpochMs;

// A step faster than this is not delivered energy (no charger delivers 1 MW).
constexpr double kMaxPlausibleKw = 1000.0;
// Energy below this (kWh) in a period counts as silence.
constexpr double kSilentKwh = 0.01;
constexpr int kMarkerMinutes = 15;

double Median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    const auto mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
    const double upper = v[mid];
    if (v.size() % 2 == 1) return upper;
    const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
    return (lower + upper) / 2.0;
}

// Mean without the top and bottom fifth: robust to the odd faulty or exceptional day in the history.
double TrimmedMean(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const std::size_t cut = v.size() / 5;
    double sum = 0.0;
    for (std::size_t i = cut; i < v.size() - cut; ++i) sum += v[i];
    return sum / static_cast<double>(v.size() - 2 * cut);
}

struct Run {
    int start = 0;  // hours, [start, end)
    int end = 0;
};

// Maximal runs of hours in [0, until_hour) where `silent(h)` holds, at least `min_len` long.
template <typename Pred>
std::vector<Run> SilentRuns(int until_hour, int min_len, Pred silent) {
    std::vector<Run> runs;
    int start = -1;
    for (int h = 0; h <= until_hour; ++h) {
        const bool s = h < until_hour && silent(h);
        if (s && start < 0) start = h;
        if (!s && start >= 0) {
            if (h - start >= min_len) runs.push_back({start, h});
            start = -1;
        }
    }
    return runs;
}

double Sum(const HourlyKwh& hours, int from, int to) {
    double s = 0.0;
    for (int h = from; h < to; ++h) s += hours[static_cast<std::size_t>(h)];
    return s;
}

// Sum over connectors (all, or all but `except`) of hourly values over hours [from, to).
double SumAll(const std::vector<HourlyCount>& per_connector, int from, int to,
              std::optional<std::size_t> except = std::nullopt) {
    double s = 0.0;
    for (std::size_t c = 0; c < per_connector.size(); ++c) {
        if (except && c == *except) continue;
        s += Sum(per_connector[c], from, to);
    }
    return s;
}

// The power of each charging run of a day (kWh per active minute): per connector, maximal runs of
// consecutive hours with delivery before `until_hour`, with at least `min_minutes` active minutes. A run is
// about one car's session (or a few back to back), so its power is about that car's.
std::vector<double> RunPowers(const DayProfile& d, int until_hour, double min_minutes) {
    std::vector<double> out;
    for (std::size_t c = 0; c < d.connectors.size() && c < d.active_minutes.size(); ++c) {
        double e = 0.0;
        double m = 0.0;
        for (int h = 0; h <= until_hour; ++h) {
            const double a = h < until_hour ? d.active_minutes[c][static_cast<std::size_t>(h)] : 0.0;
            if (a > 0.0) {
                e += d.connectors[c][static_cast<std::size_t>(h)];
                m += a;
            } else {
                if (m >= min_minutes) out.push_back(e / m);
                e = 0.0;
                m = 0.0;
            }
        }
    }
    return out;
}

// P(X >= k) for X ~ Binomial(n, p).
double BinomialTail(int k, int n, double p) {
    if (k <= 0) return 1.0;
    double term = std::pow(1.0 - p, n);  // P(X = 0)
    double below = 0.0;
    for (int i = 0; i < k; ++i) {
        below += term;
        term *= static_cast<double>(n - i) / static_cast<double>(i + 1) * p / (1.0 - p);
    }
    return std::clamp(1.0 - below, 0.0, 1.0);
}

double Quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    const auto i = static_cast<std::size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    return v[i];
}

// The standard normal quantile of p in (0, 1) (Acklam's rational approximation, relative error < 1.2e-9).
double NormalQuantile(double p) {
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                                   1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                   6.680131188771972e+01, -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                   -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                   3.754408661907416e+00};
    p = std::clamp(p, 1e-12, 1.0 - 1e-12);
    if (p < 0.02425) {
        const double q = std::sqrt(-2.0 * std::log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    if (p > 1.0 - 0.02425) return -NormalQuantile(1.0 - p);
    const double q = p - 0.5;
    const double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

// Laplace's rule for "k of n days were like this".
double LaplaceShare(int k, int n) { return (static_cast<double>(k) + 1.0) / (static_cast<double>(n) + 2.0); }

// Connectors' idle runs: whole days on which a connector delivered nothing while others at the station did
// (days the whole station was silent pass: they say nothing about a connector). The odds of a run: each
// session another connector started that day had the connector's share of the station's sessions to land on
// it, so a run's log probability is the sum over its days of log(1 - share) times the others' sessions.
class IdleRuns {
  public:
    IdleRuns(std::vector<const DayProfile*> days, EpochMs day_start) : days_(std::move(days)), day_start_(day_start) {
        std::sort(days_.begin(), days_.end(),
                  [](const DayProfile* a, const DayProfile* b) { return a->day_start < b->day_start; });
        // Day sums, computed once: the tests below visit every day for every connector.
        for (const auto* d : days_) {
            total_.push_back(d->Total());
            auto& kwh = kwh_.emplace_back();
            auto& onsets = onsets_.emplace_back();
            double all = 0.0;
            for (std::size_t c = 0; c < d->connectors.size(); ++c) {
                kwh.push_back(d->ConnectorTotal(c));
                onsets.push_back(c < d->onsets.size() ? Sum(d->onsets[c], 0, kHoursPerDay) : 0.0);
                all += onsets.back();
            }
            onsets_all_.push_back(all);
        }
    }

    struct Current {
        int days = 0;              // idle days before today in the connector's run up to today
        double log_p = 0.0;        // of the run with today (up to `until_hour`)
        double missing_kwh = 0.0;  // energy the connector delivers by `until_hour` on its other working days
        int working = 0;           // the station's working days outside the run (the connector's rate learnt on them)
    };

    Current Run(std::size_t c, const DayProfile& today, int until_hour) {
        const auto& k = Of(c);
        Current out;
        out.days = k.run_days;
        out.working = k.working;
        if (k.run_days == 0 || k.working == 0) return out;
        out.missing_kwh = k.missing(until_hour);
        out.log_p =
            std::min(k.log_keep * SumAll(today.onsets, 0, until_hour, c) + k.run_log_p, (k.run_days + 1) * k.log_idle);
        return out;
    }

    // The days of connector c's current run (the days just before today it was idle while the station delivered,
    // and the silent days among them).
    std::vector<const DayProfile*> RunDays(std::size_t c) {
        const auto& k = Of(c);
        std::vector<const DayProfile*> out;
        for (std::size_t i = 0; i < days_.size(); ++i) {
            if (k.in_run[i]) out.push_back(days_[i]);
        }
        return out;
    }

    // Completed idle runs (followed by a day the connector delivered) of every connector, outside each one's
    // current run, with a log probability at most `log_p`: how often the station saw such a run end well.
    int RunsAtMost(std::size_t except, double log_p) {
        if (!pooled_) {
            pooled_ = true;
            const std::size_t n_conn = days_.empty() ? 0 : days_.back()->connectors.size();
            for (std::size_t c = 0; c < n_conn; ++c) {
                const auto& k = Of(c);
                double acc = 0.0;
                int len = 0;
                bool open = false;
                for (std::size_t i = 0; i < days_.size(); ++i) {
                    if (k.in_run[i] || (i > 0 && days_[i]->day_start != days_[i - 1]->day_start + kDayMs)) {
                        acc = 0.0;
                        len = 0;
                        open = false;
                    }
                    if (k.in_run[i] || total_[i] < kSilentKwh) continue;
                    if (Idle(i, c)) {
                        acc += k.log_keep * Others(i, c);
                        ++len;
                        open = true;
                    } else {
                        if (open) completed_.push_back(std::min(acc, len * k.log_idle));
                        acc = 0.0;
                        len = 0;
                        open = false;
                    }
                }
                ongoing_.push_back(k.run_days > 0 ? std::min(k.run_log_p, k.run_days * k.log_idle) : 0.0);
            }
        }
        int n =
            static_cast<int>(std::count_if(completed_.begin(), completed_.end(), [&](double v) { return v <= log_p; }));
        for (std::size_t j = 0; j < ongoing_.size(); ++j) n += j != except && ongoing_[j] < 0.0 && ongoing_[j] <= log_p;
        return n;
    }

  private:
    struct Connector {
        std::vector<bool> in_run;  // per day: part of the current run
        int run_days = 0;
        double run_log_p = 0.0;
        double log_keep = 0.0;
        double log_idle = 0.0;  // log of its share of idle days among its working days outside the run (Laplace)
        int working = 0;
        int idle_days = 0;
        std::vector<const DayProfile*> others;  // its working days outside the current run
        std::size_t c = 0;
        double missing(int until_hour) const {
            std::vector<double> v;
            for (const auto* d : others) v.push_back(Sum(d->connectors[c], 0, until_hour));
            return TrimmedMean(std::move(v));
        }
    };

    bool Idle(std::size_t i, std::size_t c) const {
        const double mine = c < kwh_[i].size() ? kwh_[i][c] : 0.0;
        return total_[i] >= kSilentKwh && mine < kSilentKwh && total_[i] - mine >= kSilentKwh;
    }
    // Sessions the other connectors started on day i.
    double Others(std::size_t i, std::size_t c) const {
        return onsets_all_[i] - (c < onsets_[i].size() ? onsets_[i][c] : 0.0);
    }

    const Connector& Of(std::size_t c) {
        if (auto it = cache_.find(c); it != cache_.end()) return it->second;
        Connector k;
        k.c = c;
        const std::size_t n = days_.size();
        k.in_run.assign(n, false);
        EpochMs want = day_start_ - kDayMs;
        for (std::size_t i = n; i-- > 0;) {
            if (days_[i]->day_start != want) break;
            const bool silent = total_[i] < kSilentKwh;
            if (!silent && !Idle(i, c)) break;
            k.in_run[i] = true;
            k.run_days += silent ? 0 : 1;
            want -= kDayMs;
        }
        double mine = 0.0;
        double every = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            if (k.in_run[i] || total_[i] < kSilentKwh) continue;
            ++k.working;
            k.idle_days += Idle(i, c) ? 1 : 0;
            k.others.push_back(days_[i]);
            mine += onsets_all_[i] - Others(i, c);
            every += onsets_all_[i];
        }
        k.log_keep = std::log(1.0 - (mine + 0.5) / (every + 1.0));
        k.log_idle = std::log(LaplaceShare(k.idle_days, k.working));
        for (std::size_t i = 0; i < n; ++i) {
            if (k.in_run[i] && total_[i] >= kSilentKwh) k.run_log_p += k.log_keep * Others(i, c);
        }
        return cache_.emplace(c, std::move(k)).first->second;
    }

    std::vector<const DayProfile*> days_;
    EpochMs day_start_ = 0;
    std::vector<double> total_;                // per day: station energy
    std::vector<std::vector<double>> kwh_;     // per day and connector: energy
    std::vector<std::vector<double>> onsets_;  // per day and connector: sessions started
    std::vector<double> onsets_all_;           // per day: sessions started at the station
    std::map<std::size_t, Connector> cache_;
    bool pooled_ = false;
    std::vector<double> completed_;
    std::vector<double> ongoing_;  // per connector: its current run up to yesterday (0 without one)
};

}  // namespace

EpochMs DayStart(EpochMs t) {
    EpochMs d = t / kDayMs;
    if (t % kDayMs < 0) --d;
    return d * kDayMs;
}

int Weekday(EpochMs day_start) {
    // 1970-01-01 was a Thursday (3 when Monday is 0).
    const EpochMs days = DayStart(day_start) / kDayMs;
    return static_cast<int>(((days + 3) % 7 + 7) % 7);
}

const char* AnomalyTypeName(AnomalyType type) {
    switch (type) {
        case AnomalyType::kEnergyDrop:
            return "energy_drop";
        case AnomalyType::kEnergySurge:
            return "energy_surge";
        case AnomalyType::kOutage:
            return "outage";
        case AnomalyType::kConnectorDown:
            return "connector_down";
    }
    return "energy_drop";
}

std::vector<EnergyInterval> EnergyIntervals(std::span<const domain::MeterValue> values) {
    // Energy.Active.Import.Register readings grouped by (location, phase).
    ReadingParser parser;
    std::map<std::pair<Location, Phase>, std::vector<Reading>> series;
    for (const auto& v : values) {
        auto r = parser.Parse(v);
        if (!r || r->measurand != Measurand::kEnergyActiveImportRegister) continue;
        if (r->phase == Phase::kN) continue;
        series[{r->location, r->phase}].push_back(*r);
    }
    if (series.empty()) return {};
    // One location: the outlet when it has readings, else the first one.
    Location location = series.begin()->first.first;
    for (const auto& [key, readings] : series) {
        if (key.first == Location::kOutlet) location = Location::kOutlet;
    }
    const bool unphased = series.count({location, Phase::kNone}) > 0;

    std::vector<EnergyInterval> out;
    for (auto& [key, readings] : series) {
        if (key.first != location) continue;
        if (unphased != (key.second == Phase::kNone)) continue;
        std::stable_sort(readings.begin(), readings.end(),
                         [](const Reading& a, const Reading& b) { return a.timestamp < b.timestamp; });
        UnitEvidence evidence;
        for (const auto& r : readings) {
            if (r.unit == Unit::kNone) ObserveUnitless(r.measurand, evidence, r.timestamp, r.raw);
        }
        const bool kilo = DecidesKilo(evidence);
        std::optional<Reading> prev;
        double prev_kwh = 0.0;
        for (const auto& r : readings) {
            auto kwh = ToCanonical(Quantity::kActiveEnergy, ResolveUnit(r.measurand, r.unit, kilo), r.raw);
            if (!kwh) continue;
            if (prev && r.timestamp > prev->timestamp) {
                const double delta = *kwh - prev_kwh;
                const double hours = static_cast<double>(r.timestamp - prev->timestamp) / kHourMs;
                if (delta > 0.0 && delta / hours <= kMaxPlausibleKw)
                    out.push_back({prev->timestamp, r.timestamp, delta});
            }
            if (!prev || r.timestamp > prev->timestamp) {
                prev = r;
                prev_kwh = *kwh;
            }
        }
    }
    return out;
}

void SpreadEnergy(std::span<const EnergyInterval> intervals, EpochMs origin_ms, EpochMs bin_ms,
                  std::span<double> bins) {
    const EpochMs end_ms = origin_ms + bin_ms * static_cast<EpochMs>(bins.size());
    for (const auto& iv : intervals) {
        if (iv.end_ms <= iv.start_ms || iv.end_ms <= origin_ms || iv.start_ms >= end_ms) continue;
        const double per_ms = iv.kwh / static_cast<double>(iv.end_ms - iv.start_ms);
        const EpochMs from = std::max(iv.start_ms, origin_ms);
        const EpochMs to = std::min(iv.end_ms, end_ms);
        for (EpochMs t = from; t < to;) {
            const auto bin = static_cast<std::size_t>((t - origin_ms) / bin_ms);
            const EpochMs bin_end = origin_ms + bin_ms * static_cast<EpochMs>(bin + 1);
            const EpochMs stop = std::min(bin_end, to);
            bins[bin] += per_ms * static_cast<double>(stop - t);
            t = stop;
        }
    }
}

double DayProfile::Total() const {
    double s = 0.0;
    for (const auto& c : connectors) s += Sum(c, 0, kHoursPerDay);
    return s;
}

double DayProfile::ConnectorTotal(std::size_t c) const {
    return c < connectors.size() ? Sum(connectors[c], 0, kHoursPerDay) : 0.0;
}

double DayProfile::StationHour(int hour) const {
    double s = 0.0;
    for (const auto& c : connectors) s += c[static_cast<std::size_t>(hour)];
    return s;
}

DayProfile ToProfile(EpochMs day_start, const std::vector<std::vector<double>>& minute_kwh) {
    DayProfile p;
    p.day_start = day_start;
    for (const auto& minutes : minute_kwh) {
        HourlyKwh h{};
        HourlyCount active{};
        HourlyCount onsets{};
        // Delivering at midnight: a session that started the day before, not an onset; idle at midnight: as
        // if idle long before.
        int idle = !minutes.empty() && minutes[0] > kActiveMinuteKwh ? 0 : kOnsetGapMinutes;
        for (std::size_t m = 0; m < minutes.size() && m < static_cast<std::size_t>(kMinutesPerDay); ++m) {
            h[m / 60] += minutes[m];
            if (minutes[m] > kActiveMinuteKwh) {
                active[m / 60] += 1.0;
                if (idle >= kOnsetGapMinutes) onsets[m / 60] += 1.0;
                idle = 0;
            } else {
                ++idle;
            }
        }
        p.connectors.push_back(h);
        p.active_minutes.push_back(active);
        p.onsets.push_back(onsets);
    }
    // Joint stops: a minute with delivery followed by a long station silence, and how many connectors
    // delivered in it (all of them stopped then).
    auto active_at = [&](const std::vector<double>& minutes, int m) {
        return static_cast<std::size_t>(m) < minutes.size() && minutes[static_cast<std::size_t>(m)] > kActiveMinuteKwh;
    };
    int silent_after = 0;  // station-silent minutes after minute m
    for (int m = kMinutesPerDay - 1; m >= 0; --m) {
        int n = 0;
        for (const auto& minutes : minute_kwh) n += active_at(minutes, m) ? 1 : 0;
        if (n > 0) {
            auto& j = p.joint_stops[static_cast<std::size_t>(m / 60)];
            if (silent_after >= kJointStopSilenceMinutes) j = std::max(j, static_cast<double>(n));
            silent_after = 0;
        } else {
            ++silent_after;
        }
    }
    return p;
}

namespace {

DayResult AnalyzeProfile(const DayProfile& today, std::span<const DayProfile> history, const ModelOptions& o,
                         int until_minute, bool with_timelines);

// The station's own false-alarm rate: its past working days in the window, each run through the same model
// against the days before it, give per type the score a day of this station reaches without anyone having
// called it a fault (or with one: then the bar is that fault's). A finding of a calibrated type stays when
// at most `calibration_share` of those days scored as high for the type. Whole-day outages are not
// calibrated (a working day cannot have one). A connector found down is compared without the days of its
// current idle run (they are the fault itself, not the station's normal).
void Calibrate(const DayProfile& today, std::span<const DayProfile> history, const ModelOptions& o, int until_minute,
               std::vector<Finding>& findings) {
    if (o.calibration_share <= 0.0 || findings.empty()) return;
    const bool today_silent = today.Total() < kSilentKwh;
    auto calibrated = [&](const Finding& f) {
        switch (f.type) {
            case AnomalyType::kOutage:
                return o.calibrate_outage && !today_silent;
            case AnomalyType::kConnectorDown:
                return o.calibrate_connector;
            case AnomalyType::kEnergyDrop:
            case AnomalyType::kEnergySurge:
                return o.calibrate_energy;
        }
        return false;
    };
    if (std::none_of(findings.begin(), findings.end(), calibrated)) return;

    struct Past {
        EpochMs day_start = 0;
        std::vector<Finding> findings;
    };
    std::vector<Past> past;
    for (const auto& d : history) {
        if (d.day_start >= today.day_start || d.day_start < today.day_start - kDayMs * o.history_days) continue;
        if (d.Total() < kSilentKwh) continue;  // not a working day: an outage or an export gap
        DayResult r = AnalyzeProfile(d, history, o, until_minute, false);
        if (!r.enough_history) continue;
        past.push_back({d.day_start, std::move(r.findings)});
    }
    if (static_cast<int>(past.size()) < o.min_calibration_days) return;

    // A connector's current idle run, as the connector tests define it.
    std::vector<const DayProfile*> window;
    for (const auto& d : history) {
        if (d.day_start < today.day_start && d.day_start >= today.day_start - kDayMs * o.history_days)
            window.push_back(&d);
    }
    IdleRuns idle_runs(window, today.day_start);
    std::vector<Finding> kept;
    for (const auto& f : findings) {
        if (!calibrated(f)) {
            kept.push_back(f);
            continue;
        }
        std::vector<const DayProfile*> skip;
        if (f.type == AnomalyType::kConnectorDown && f.connector) skip = idle_runs.RunDays(*f.connector);
        int n = 0;
        int as_high = 0;
        for (const auto& p : past) {
            if (std::any_of(skip.begin(), skip.end(), [&](const DayProfile* d) { return d->day_start == p.day_start; }))
                continue;
            ++n;
            double best = 0.0;
            for (const auto& g : p.findings) {
                if (g.type == f.type) best = std::max(best, g.score);
            }
            as_high += best > 0.0 && best >= f.score;
        }
        if (n < o.min_calibration_days || as_high <= static_cast<int>(o.calibration_share * n)) kept.push_back(f);
    }
    findings = std::move(kept);
}

// The model on one day's profile: findings, expected and actual energy; the timelines and markers only when
// `with_timelines` (the analysed day, not a past day run for the calibration).
DayResult AnalyzeProfile(const DayProfile& today, std::span<const DayProfile> history, const ModelOptions& o,
                         int until_minute, bool with_timelines) {
    DayResult result;
    const EpochMs day_start = today.day_start;
    const int until_hour = until_minute / 60;  // whole hours judged
    const std::size_t n_conn = today.connectors.size();
    double acc = 0.0;

    // Usable history: earlier days within the window. Same weekday when there are enough of them (weekly
    // seasonality), else every day.
    std::vector<const DayProfile*> all;
    std::vector<const DayProfile*> same;
    std::vector<const DayProfile*> kind;  // same kind of day: Monday to Friday, or weekend
    const int weekday = Weekday(day_start);
    auto weekend = [](int wd) { return wd >= 5; };
    for (const auto& d : history) {
        if (d.day_start >= day_start || d.day_start < day_start - kDayMs * o.history_days) continue;
        all.push_back(&d);
        const int wd = Weekday(d.day_start);
        if (wd == weekday) same.push_back(&d);
        if (weekend(wd) == weekend(weekday)) kind.push_back(&d);
    }
    result.history_days = static_cast<int>(all.size());
    const auto& basis = static_cast<int>(same.size()) >= o.min_same_weekday ? same : all;
    // Silence shares and the spread want many days: the same kind of day when there are enough.
    const auto& wide = static_cast<int>(kind.size()) >= o.min_same_weekday ? kind : all;

    // Expected day energy: median of the basis days' totals (robust to earlier faults); hourly shape per
    // connector: trimmed mean of the basis days, scaled to that median.
    std::vector<HourlyKwh> expected(n_conn, HourlyKwh{});
    double expected_total = 0.0;
    if (!basis.empty()) {
        std::vector<double> totals;
        for (const auto* d : basis) totals.push_back(d->Total());
        expected_total = Median(totals);
        double shape_total = 0.0;
        for (std::size_t c = 0; c < n_conn; ++c) {
            for (int h = 0; h < kHoursPerDay; ++h) {
                std::vector<double> v;
                for (const auto* d : basis) {
                    v.push_back(c < d->connectors.size() ? d->connectors[c][static_cast<std::size_t>(h)] : 0.0);
                }
                expected[c][static_cast<std::size_t>(h)] = TrimmedMean(std::move(v));
                shape_total += expected[c][static_cast<std::size_t>(h)];
            }
        }
        const double scale = shape_total > 0.0 ? expected_total / shape_total : 0.0;
        for (auto& c : expected) {
            for (auto& v : c) v *= scale;
        }
    }
    HourlyKwh expected_station{};
    for (const auto& c : expected) {
        for (int h = 0; h < kHoursPerDay; ++h)
            expected_station[static_cast<std::size_t>(h)] += c[static_cast<std::size_t>(h)];
    }
    if (with_timelines) {
        result.expected_cumulative_kwh.assign(kMinutesPerDay, 0.0);
        acc = 0.0;
        for (int m = 0; m < kMinutesPerDay; ++m) {
            acc += expected_station[static_cast<std::size_t>(m / 60)] / 60.0;
            result.expected_cumulative_kwh[static_cast<std::size_t>(m)] = acc;
        }
    }
    const double expected_part = Sum(expected_station, 0, until_hour);
    const double actual_part = Sum(
        [&] {
            HourlyKwh s{};
            for (int h = 0; h < kHoursPerDay; ++h) s[static_cast<std::size_t>(h)] = today.StationHour(h);
            return s;
        }(),
        0, until_hour);
    result.expected_kwh = expected_part;
    result.actual_kwh = actual_part;
    result.enough_history = result.history_days >= o.min_history_days && !basis.empty();

    // Robust day-to-day spread of the basis days, on a log scale (energy varies multiplicatively).
    const double offset = std::max(1.0, 0.1 * expected_total);
    std::vector<double> logs;
    for (const auto* d : wide) logs.push_back(std::log((d->Total() + offset) / (expected_total + offset)));
    const double mid = Median(logs);
    std::vector<double> dev;
    for (double l : logs) dev.push_back(std::fabs(l - mid));
    const double sigma = std::max(o.min_log_sigma, 1.4826 * Median(dev));

    // Share of basis days silent over hours [from, to): at the station (connector nullopt) or on one connector.
    auto silent_share = [&](int from, int to, std::optional<std::size_t> connector,
                            std::span<const DayProfile* const> except = {}) {
        if (wide.empty()) return 1.0;
        int silent = 0;
        int days = 0;
        for (const auto* d : wide) {
            if (std::find(except.begin(), except.end(), d) != except.end()) continue;
            // Days the whole station was silent (earlier outages, export gaps) say nothing about a connector or
            // about part of a day: they are outages themselves.
            const bool whole_day = from == 0 && to == kHoursPerDay;
            if ((connector || !whole_day) && d->Total() < kSilentKwh) continue;
            ++days;
            double e = 0.0;
            if (connector) {
                if (*connector < d->connectors.size()) e = Sum(d->connectors[*connector], from, to);
            } else {
                for (int h = from; h < to; ++h) e += d->StationHour(h);
            }
            if (e < kSilentKwh * (to - from)) ++silent;
        }
        // Laplace's rule: a handful of days never proves silence impossible.
        return (static_cast<double>(silent) + 1.0) / (static_cast<double>(days) + 2.0);
    };
    auto silence_score = [&](double missing, double share, double bar) {
        const double size = std::min(1.0, missing / std::max(expected_total * 0.5, o.min_expected_kwh));
        const double sure = 1.0 - share / std::max(bar, 1e-9);
        return std::clamp(0.5 + 0.5 * size * sure, 0.5, 1.0);
    };

    // Activity (session onsets, minutes delivering) of the history's working days of the same kind: the
    // count side of "no sessions where there normally are".
    const bool activity =
        today.HasActivity() && !all.empty() && std::all_of(all.begin(), all.end(), [&](const DayProfile* d) {
            return d->HasActivity() && d->connectors.size() == n_conn && d->onsets.size() == n_conn;
        });
    std::vector<const DayProfile*> working;  // days of the same kind the station delivered on
    for (const auto* d : wide) {
        if (d->Total() >= kSilentKwh) working.push_back(d);
    }
    HourlyCount onset_rate{};  // mean sessions started per hour at the station on a working day
    if (activity && !working.empty()) {
        for (const auto* d : working) {
            for (int h = 0; h < kHoursPerDay; ++h)
                onset_rate[static_cast<std::size_t>(h)] += SumAll(d->onsets, h, h + 1);
        }
        for (auto& v : onset_rate) v /= static_cast<double>(working.size());
    }
    const int n_working = static_cast<int>(working.size());
    // Working days of any kind (the idle runs are learnt on all of them).
    const int n_working_all = static_cast<int>(
        std::count_if(all.begin(), all.end(), [](const DayProfile* d) { return d->Total() >= kSilentKwh; }));

    if (result.enough_history) {
        // Connector down: one connector silent for a long stretch while others deliver.
        if (n_conn >= 2) {
            IdleRuns idle_runs(all, day_start);
            for (std::size_t c = 0; c < n_conn; ++c) {
                // The connector's own record is learnt outside its current idle run: on the second day of a
                // failure, the first must not teach the model that the connector is often silent.
                const auto run_days = idle_runs.RunDays(c);
                std::vector<const DayProfile*> usual;  // working days of the same kind outside the run
                for (const auto* d : working) {
                    if (std::find(run_days.begin(), run_days.end(), d) == run_days.end()) usual.push_back(d);
                }
                const int n_usual = static_cast<int>(usual.size());
                // The whole day (so far): shorter silences of one connector are everyday events.
                const int min_len = std::max(until_hour, o.min_silent_hours);
                for (const auto& run : SilentRuns(until_hour, min_len, [&](int h) {
                         return today.connectors[c][static_cast<std::size_t>(h)] < kSilentKwh;
                     })) {
                    double others = 0.0;
                    for (std::size_t k = 0; k < n_conn; ++k) {
                        if (k != c) others += Sum(today.connectors[k], run.start, run.end);
                    }
                    if (others < kSilentKwh) continue;  // the station itself was silent: an outage's business
                    const double missing = Sum(expected[c], run.start, run.end);
                    // Every connector is a separate test: with many connectors one of them is silent on
                    // most days by chance, so the bar rises with their number.
                    double bar = o.max_connector_silent_share / std::sqrt(static_cast<double>(n_conn - 1));
                    // The connector's own record: how often it was silent over the run on working days.
                    double share = silent_share(run.start, run.end, c, run_days);
                    // The connector's share of the station's sessions on working days over the run.
                    auto session_share = [&] {
                        double mine = 0.0;
                        double every = 0.0;
                        for (const auto* d : usual) {
                            mine += Sum(d->onsets[c], run.start, run.end);
                            every += SumAll(d->onsets, run.start, run.end);
                        }
                        return (mine + 0.5) / (every + 1.0);
                    };
                    if (activity && share <= bar && o.busy_connector_alpha < 1.0) {
                        // Seldom silent, but today's sessions elsewhere must also have been likely to reach it.
                        const double p_share = session_share();
                        if (std::pow(1.0 - p_share, SumAll(today.onsets, run.start, run.end, c)) >
                            o.busy_connector_alpha)
                            share = 1.0;
                    }
                    if (activity && share > bar) {
                        // Today's sessions elsewhere each had the connector's share as chance to land on it.
                        const double p_share = session_share();
                        auto p_left = [&](const DayProfile& d) {
                            return std::pow(1.0 - p_share, SumAll(d.onsets, run.start, run.end, c));
                        };
                        const double p_today = p_left(today);
                        const bool unlikely = p_today <= o.connector_alpha / static_cast<double>(n_conn);
                        // Calibrated on the station itself: working days where the connector was left silent
                        // against odds at least as long (dedicated bays, a connector only some cars fit).
                        int k = 0;
                        for (const auto* d : usual) {
                            if (Sum(d->connectors[c], run.start, run.end) < kSilentKwh && p_left(*d) <= p_today) ++k;
                        }
                        // The odds test already paid for the number of connectors: the calibration only
                        // checks that such silences were rare here (earlier ones were faults themselves).
                        const double calibrated = LaplaceShare(k, n_usual);
                        if (unlikely && calibrated <= o.max_connector_tail) {
                            share = calibrated;
                            bar = o.max_connector_tail;
                        }
                    }
                    double reported = missing;
                    if ((missing < o.min_expected_kwh || share > bar) && activity) {
                        // A failed connector stays down until repaired: idle yesterday (and before) too, the run's
                        // odds multiply, judged against the connector's other working days (not the run's own,
                        // which would teach the model that the connector is idle).
                        const auto idle = idle_runs.Run(c, today, until_hour);
                        // The connector's normal must be known: most of the window lies outside the run (a
                        // connector idle for weeks is not told from one out of use).
                        if (idle.days == 0 || 2 * idle.working < n_working_all || idle.working < o.min_history_days ||
                            idle.missing_kwh < o.min_expected_kwh ||
                            idle.log_p > std::log(o.idle_run_alpha / static_cast<double>(2 * n_conn)))
                            continue;
                        const double tail = LaplaceShare(idle_runs.RunsAtMost(c, idle.log_p), n_working);
                        if (tail > o.max_idle_run_tail) continue;
                        reported = idle.missing_kwh;
                        share = tail;
                        bar = o.max_idle_run_tail;
                    } else if (missing < o.min_expected_kwh || share > bar) {
                        continue;
                    }
                    result.findings.push_back({AnomalyType::kConnectorDown, run.start * 60, run.end * 60, reported, 0.0,
                                               silence_score(reported, share, bar), c});
                }
            }
        }
        // Outage: the whole station silent where its history says energy flows. A silent stretch is judged by
        // the energy expected in it, against the largest such stretch of each earlier day of the same kind
        // (the longest silence of a day is picked after the fact, so it is compared with the same statistic
        // of days known to have worked). A whole silent day is judged by how often whole days were silent.
        // Connectors found down take no part: a silence of the station where only they used to deliver is
        // their fault, not an outage; the others' silence must be abnormal by itself.
        std::vector<bool> down(n_conn, false);
        for (const auto& f : result.findings) {
            if (f.type == AnomalyType::kConnectorDown && f.connector) down[*f.connector] = true;
        }
        // Several connectors silent all day: more likely the station's fault in the hours they carry.
        if (std::count(down.begin(), down.end(), true) >= 2) std::fill(down.begin(), down.end(), false);
        HourlyCount up_rate{};
        HourlyKwh up_expected{};
        for (std::size_t c = 0; c < n_conn; ++c) {
            if (down[c]) continue;
            for (int h = 0; h < kHoursPerDay; ++h) {
                const auto hh = static_cast<std::size_t>(h);
                up_expected[hh] += expected[c][hh];
                if (!activity || working.empty()) continue;
                for (const auto* d : working) up_rate[hh] += d->onsets[c][hh] / static_cast<double>(working.size());
            }
        }
        auto station_runs = [&](const DayProfile& d) {
            return SilentRuns(until_hour, o.min_silent_hours, [&](int h) { return d.StationHour(h) < kSilentKwh; });
        };
        double null_max = 0.0;
        // With activity: per working day, the most sessions expected in one of its silent runs (the longest
        // silence of a day is picked after the fact, so today's is ranked among the same statistic of
        // days that worked).
        std::vector<double> day_max_onsets;
        for (const auto* d : working) {
            double m = 0.0;
            for (const auto& run : station_runs(*d)) {
                null_max = std::max(null_max, Sum(expected_station, run.start, run.end));
                m = std::max(m, Sum(up_rate, run.start, run.end));
            }
            day_max_onsets.push_back(m);
        }
        const double expected_part_onsets = Sum(onset_rate, 0, until_hour);
        for (const auto& run : station_runs(today)) {
            const double missing = Sum(up_expected, run.start, run.end);
            const bool whole_day = run.start == 0 && run.end >= until_hour && actual_part < kSilentKwh;
            double share = 0.0;
            double bar = o.max_silent_share;
            if (whole_day) {
                share = silent_share(0, kHoursPerDay, std::nullopt);
                if (share > o.max_silent_share && activity && expected_part_onsets >= o.min_day_onsets) {
                    // Earlier silent days were outages themselves: the question is whether a day this station
                    // works can be (nearly) silent.
                    int low = 0;
                    for (const auto* d : working) {
                        double e = 0.0;
                        for (int h = 0; h < until_hour; ++h) e += d->StationHour(h);
                        if (e < 0.1 * expected_part) ++low;
                    }
                    share = LaplaceShare(low, n_working);
                }
                if (share > o.max_silent_share) continue;
            } else if (activity) {
                const double lambda = Sum(up_rate, run.start, run.end);
                share = 1.0;
                if (lambda >= o.min_expected_onsets) {
                    const auto k = std::count_if(day_max_onsets.begin(), day_max_onsets.end(),
                                                 [&](double m) { return m >= lambda; });
                    share = LaplaceShare(static_cast<int>(k), n_working);
                }
                bar = o.max_outage_tail;
                // Too few sessions expected in the silence to miss them: the sessions in progress when it began
                // may tell, if several stopped in the same minute (a cut), which working days rarely saw.
                const double stopped = run.start > 0 ? today.joint_stops[static_cast<std::size_t>(run.start - 1)] : 0.0;
                if (share > bar && stopped >= o.min_joint_stop) {
                    const auto k = std::count_if(working.begin(), working.end(), [&](const DayProfile* d) {
                        return *std::max_element(d->joint_stops.begin(), d->joint_stops.end()) >= stopped;
                    });
                    share = LaplaceShare(static_cast<int>(k), n_working);
                }
                if (share > bar) continue;
            } else if (missing <= null_max * (1.0 + o.outage_margin)) {
                continue;
            }
            if (missing < std::max(o.min_expected_kwh, o.min_outage_share * expected_total)) continue;
            result.findings.push_back({AnomalyType::kOutage, run.start * 60, run.end * 60, missing, 0.0,
                                       silence_score(missing, share, bar), std::nullopt});
        }
    }

    // Drop / surge of the day's energy so far. Energy an outage or a down connector already explains is
    // added back before testing for a drop, so one fault is reported once.
    double explained = 0.0;
    for (const auto& f : result.findings) explained += f.expected_kwh;
    double z = 0.0;
    if (!basis.empty() && expected_part > 0.0) {
        const double part_offset = offset * expected_part / std::max(expected_total, 1e-9);
        const double adjusted = std::min(actual_part + explained, std::max(actual_part, expected_part));
        const double z_drop = std::log((adjusted + part_offset) / (expected_part + part_offset)) / sigma;
        const double z_raw = std::log((actual_part + part_offset) / (expected_part + part_offset)) / sigma;
        z = explained > 0.0 ? std::min(0.0, z_drop) : z_raw;
        // The power delivered while charging (energy per active connector-minute) against the station's
        // working days: the day's energy varies with how many cars come, the power they draw much less, so a
        // derated or over-counting station shows there first. Silent periods (outages) leave it unchanged.
        double z_power = 0.0;
        double power_ratio = 1.0;
        bool power_known = false;
        if (activity) {
            auto power = [&](const DayProfile& d, double& minutes) {
                minutes = SumAll(d.active_minutes, 0, until_hour);
                double e = 0.0;
                for (int h = 0; h < until_hour; ++h) e += d.StationHour(h);
                return minutes > 0.0 ? e / minutes : 0.0;
            };
            std::vector<double> logs_p;
            for (const auto* d : all) {
                double minutes = 0.0;
                const double p = power(*d, minutes);
                if (minutes >= o.min_active_minutes && p > 0.0) logs_p.push_back(std::log(p));
            }
            double minutes_today = 0.0;
            const double p_today = power(today, minutes_today);
            if (static_cast<int>(logs_p.size()) >= o.min_history_days && minutes_today >= o.min_active_minutes &&
                p_today > 0.0) {
                const double med = Median(logs_p);
                std::vector<double> dev_p;
                for (double l : logs_p) dev_p.push_back(std::fabs(l - med));
                const double sigma_p = std::max(o.min_power_sigma, 1.4826 * Median(dev_p));
                z_power = (std::log(p_today) - med) / sigma_p;
                power_ratio = std::exp(std::log(p_today) - med);
                power_known = true;
            }
        }
        if (std::fabs(z_power) > std::fabs(z)) z = z_power;
        // The charging runs' powers against the station's own pool of runs: how many of today's fall below
        // its low quantile (a drop: cars draw less than they do here) or above its high one (a surge: more
        // than the connectors have delivered), against the binomial and against the same share on each
        // earlier day (cold days, a fleet of slow cars).
        double runs_drop_score = 0.0;
        double runs_surge_score = 0.0;
        if (activity) {
            std::vector<double> pool;
            std::vector<std::vector<double>> per_day;
            for (const auto* d : all) {
                per_day.push_back(RunPowers(*d, until_hour, kOnsetGapMinutes));
                pool.insert(pool.end(), per_day.back().begin(), per_day.back().end());
            }
            const auto mine = RunPowers(today, until_hour, kOnsetGapMinutes);
            const int n = static_cast<int>(mine.size());
            if (static_cast<int>(pool.size()) >= o.min_pool_runs && n >= o.min_runs) {
                const double lo = Quantile(pool, o.run_quantile);
                const double hi = Quantile(pool, 1.0 - o.run_quantile);
                auto shares = [&](const std::vector<double>& v) {
                    double below = 0.0;
                    double above = 0.0;
                    for (double p : v) below += p<lo, above += p> hi;
                    const double size = std::max<double>(1.0, static_cast<double>(v.size()));
                    return std::pair{below / size, above / size};
                };
                const auto [below, above] = shares(mine);
                int days = 0;
                int k_below = 0;
                int k_above = 0;
                for (const auto& v : per_day) {
                    if (static_cast<int>(v.size()) < o.min_runs) continue;
                    ++days;
                    const auto [b, a] = shares(v);
                    k_below += b >= below;
                    k_above += a >= above;
                }
                auto judge = [&](double share, int k) {
                    const double tail = LaplaceShare(k, days);
                    const int count = static_cast<int>(std::lround(share * n));
                    if (share < o.min_run_share || tail > o.max_power_tail ||
                        BinomialTail(count, n, o.run_quantile) > o.run_alpha)
                        return 0.0;
                    return 0.5 + 0.5 * std::min(1.0, share) * (1.0 - tail / o.max_power_tail);
                };
                runs_drop_score = judge(below, k_below);
                runs_surge_score = judge(above, k_above);
                // The whole of today's runs against the pool: their mean rank (mid-ranks, in [0, 1]) is 1/2 with
                // spread sqrt(1 / (12 n)) when they are drawn like the pool's; a derated station shifts every
                // car down, not only the ones that fall below the pool's low quantile. Calibrated like the
                // shares above: earlier days with as extreme a mean rank at most max_power_tail of them.
                if (o.rank_alpha > 0.0) {
                    std::vector<double> sorted = pool;
                    std::sort(sorted.begin(), sorted.end());
                    auto mean_rank = [&](const std::vector<double>& v) {
                        double sum = 0.0;
                        for (double p : v) {
                            const auto lo_it = std::lower_bound(sorted.begin(), sorted.end(), p);
                            const auto hi_it = std::upper_bound(sorted.begin(), sorted.end(), p);
                            const double mid =
                                0.5 * static_cast<double>((lo_it - sorted.begin()) + (hi_it - sorted.begin()));
                            sum += mid / static_cast<double>(sorted.size());
                        }
                        return sum / static_cast<double>(v.size());
                    };
                    const double r_today = mean_rank(mine);
                    const double z_rank = (r_today - 0.5) / std::sqrt(1.0 / (12.0 * static_cast<double>(n)));
                    const double z_bar = -NormalQuantile(o.rank_alpha);
                    int lower = 0;
                    int higher = 0;
                    for (const auto& v : per_day) {
                        if (static_cast<int>(v.size()) < o.min_runs) continue;
                        const double r = mean_rank(v);
                        lower += r <= r_today;
                        higher += r >= r_today;
                    }
                    auto rank_score = [&](double z_abs, int k) {
                        const double tail = LaplaceShare(k, days);
                        if (z_abs < z_bar || tail > o.max_power_tail) return 0.0;
                        return 0.5 + 0.5 * (1.0 - tail / o.max_power_tail) * std::min(1.0, z_abs / (2.0 * z_bar));
                    };
                    if (z_rank < 0.0) runs_drop_score = std::max(runs_drop_score, rank_score(-z_rank, lower));
                    if (z_rank > 0.0 && o.rank_surge)
                        runs_surge_score = std::max(runs_surge_score, rank_score(z_rank, higher));
                }
            }
        }
        if (result.enough_history && expected_part >= o.min_expected_kwh) {
            // Each test wants the other's statistic to lean the same way (when the power is known): fewer cars
            // than usual is not a fault, nor is one day of cars that draw less.
            const double lean_power = power_known ? o.power_confirm_z : -1e9;
            const bool energy_drop =
                z_drop <= -o.z_threshold && adjusted <= o.drop_ratio * expected_part && z_power <= -lean_power;
            const bool power_drop = power_known && z_power <= -o.z_threshold && power_ratio <= o.drop_ratio &&
                                    actual_part < expected_part && z_drop <= -o.energy_confirm_z;
            const bool runs_drop =
                runs_drop_score > 0.0 && actual_part < expected_part && z_drop <= -o.energy_confirm_z;
            if (energy_drop || power_drop || runs_drop) {
                const double zz = std::max(energy_drop ? -z_drop : 0.0, power_drop ? -z_power : 0.0);
                result.findings.push_back({AnomalyType::kEnergyDrop, 0, until_hour * 60, expected_part, actual_part,
                                           std::max(zz / (zz + o.z_threshold), runs_drop ? runs_drop_score : 0.0),
                                           std::nullopt});
            }
            const bool energy_surge = explained == 0.0 && z_raw >= o.z_threshold &&
                                      actual_part >= o.surge_ratio * expected_part &&
                                      actual_part - expected_part >= o.min_expected_kwh && z_power >= lean_power;
            const bool power_surge = power_known && z_power >= o.z_threshold && power_ratio >= o.surge_ratio &&
                                     actual_part - expected_part >= o.min_expected_kwh && z_raw >= o.energy_confirm_z;
            const bool runs_surge = runs_surge_score > 0.0 && actual_part - expected_part >= o.min_expected_kwh &&
                                    z_raw >= o.energy_confirm_z;
            if (energy_surge || power_surge || runs_surge) {
                const double zz = std::max(energy_surge ? z_raw : 0.0, power_surge ? z_power : 0.0);
                result.findings.push_back({AnomalyType::kEnergySurge, 0, until_hour * 60, expected_part, actual_part,
                                           std::max(zz / (zz + o.z_threshold), runs_surge ? runs_surge_score : 0.0),
                                           std::nullopt});
            }
        }
    }
    // Actual energy of silent periods is what was delivered in them (none at the station; for a connector,
    // that connector's).
    for (auto& f : result.findings) {
        if (f.type == AnomalyType::kOutage || f.type == AnomalyType::kConnectorDown) f.actual_kwh = 0.0;
    }
    std::stable_sort(result.findings.begin(), result.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.score > b.score; });
    if (with_timelines) Calibrate(today, history, o, until_minute, result.findings);

    result.is_anomaly = !result.findings.empty();
    if (result.is_anomaly) {
        result.day_score = result.findings.front().score;
    } else {
        // Below the threshold: how far the day is from expected, kept under 0.5.
        const double a = std::fabs(z);
        result.day_score = result.enough_history ? std::min(0.49, a / (a + o.z_threshold)) : 0.0;
    }

    if (!with_timelines) return result;
    // Markers: the 15-minute buckets of each finding where actual and expected part.
    std::vector<double> bucket_score(kMinutesPerDay / kMarkerMinutes, 0.0);
    for (const auto& f : result.findings) {
        const bool whole_day = f.type == AnomalyType::kEnergyDrop || f.type == AnomalyType::kEnergySurge;
        for (int m = f.start_minute; m < f.end_minute; m += kMarkerMinutes) {
            const int h = m / 60;
            if (whole_day) {
                // Only the hours that carry the deviation.
                const double e = expected_station[static_cast<std::size_t>(h)];
                const double a = today.StationHour(h);
                const bool parted =
                    f.type == AnomalyType::kEnergyDrop ? a < 0.5 * e && e > kSilentKwh : a > 1.5 * e + kSilentKwh;
                if (!parted) continue;
            }
            auto& s = bucket_score[static_cast<std::size_t>(m / kMarkerMinutes)];
            s = std::max(s, f.score);
        }
    }
    for (std::size_t b = 0; b < bucket_score.size(); ++b) {
        if (bucket_score[b] > 0.0) result.markers.push_back({static_cast<int>(b) * kMarkerMinutes, bucket_score[b]});
    }
    return result;
}

}  // namespace

DayResult AnalyzeDay(EpochMs day_start, const std::vector<std::vector<double>>& minute_kwh,
                     std::span<const DayProfile> history, const ModelOptions& o, int until_minute) {
    until_minute = std::clamp(until_minute, 0, kMinutesPerDay);
    DayResult result = AnalyzeProfile(ToProfile(day_start, minute_kwh), history, o, until_minute, true);
    // Actual cumulative energy at 1-minute resolution.
    result.cumulative_kwh.assign(kMinutesPerDay, 0.0);
    double acc = 0.0;
    for (int m = 0; m < kMinutesPerDay; ++m) {
        for (const auto& c : minute_kwh) {
            if (static_cast<std::size_t>(m) < c.size()) acc += c[static_cast<std::size_t>(m)];
        }
        result.cumulative_kwh[static_cast<std::size_t>(m)] = acc;
    }
    return result;
}

}  // namespace evni::analysis::station
