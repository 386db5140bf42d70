// Quality benchmark of the SoC reconstruction (analysis.md §4, §6).
//
// 1. Generated sessions (labelled generator, clean DC and AC sessions) whose true SoC trajectory is known: the SoC
//    readings are removed, then either none or one (the true SoC, rounded, at a random energy reading) is kept.
//    The stop reason is what a charger would send: SOCLimitReached for half of the sessions that ended with a
//    full battery, otherwise EVDisconnected or Local. Error = |predicted - true| SoC at every point returned.
// 2. Real data: the EPFL Level-3 DC sessions (../shared/data/epfl-l3) give SoC at arrival and departure with the
//    energy delivered, the stay and the peak power. Each row becomes a session: the energy register at arrival
//    (0) and departure, the arrival SoC, and the peak power as one Power.Active.Import reading a minute after
//    arrival (the table has no time series). The departure SoC is predicted; the per-plug capacity history
//    (SocPrior) accumulates in time order from the earlier sessions only.
// Baseline: a 60 kWh battery starting at 20 % (for one reading kept, also 60 kWh through the reading).
//
// Usage: evni_bench_sorc [--data-dir DIR] [--seed N] [--sessions N] [--verbose 1]
//                        [--ac-ends legacy|falloff|measured] [--ac-finished-share X] [--dc-stays legacy|measured]
// --ac-ends (default measured) picks how generated AC sessions end (gen::AcEnds); legacy is the generator before
// 2026-11-28. --ac-finished-share raises the share of AC sessions whose car finished before it was unplugged
// (Boulder's own: 23.6 %; ACN Caltech workplace 64 %). --dc-holdout (default 1) draws the DC sessions from the EPFL
// sessions the DC SoC prior was not fitted on (arrivals from kDcSocPriorFitEndMs); 0 draws from all of them.
// --dc-stays (default measured) keeps a generated DC session plugged in for its EPFL envelope's own stay
// (gen::DcStays); legacy ends it a short idle tail after delivery, as the generator did before session 7. DIR defaults
// to $EVNI_DATA_DIR, else ../shared/data next to the repository.

#include "analysis/sorc.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/generator.h"
#include "analysis/soc_prior.h"

namespace {

bool g_verbose = false;  // --verbose: one line per generated session on stderr

using evni::analysis::BuildSocPrior;
using evni::analysis::EstimateSessionCapacity;
using evni::analysis::PriorObservation;
using evni::analysis::ReconstructSoc;
using evni::analysis::SocOptions;
using evni::analysis::SocReconstruction;
using evni::analysis::gen::GeneratedSession;
using evni::analysis::gen::Generator;
using evni::domain::EpochMs;
using evni::domain::MeterValue;
using evni::domain::MeterValues;

double Quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const auto index = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(index, v.size() - 1)];
}

double Mean(const std::vector<double>& v) {
    double sum = 0.0;
    for (double x : v) sum += x;
    return v.empty() ? 0.0 : sum / static_cast<double>(v.size());
}

double TrueSocAt(const GeneratedSession& s, EpochMs t) {
    const double pos = static_cast<double>(t - s.true_soc_start_ms) / (1000.0 * s.true_soc_step_s);
    if (s.true_soc.empty()) return 0.0;
    if (pos <= 0.0) return s.true_soc.front();
    const auto i = static_cast<std::size_t>(pos);
    if (i + 1 >= s.true_soc.size()) return s.true_soc.back();
    const double f = pos - static_cast<double>(i);
    return s.true_soc[i] * (1.0 - f) + s.true_soc[i + 1] * f;
}

// What one session contributes to a report.
struct SessionResult {
    double confidence = 0.0;
    std::vector<double> errors;        // engine, per point
    std::vector<double> naive;         // 60 kWh from 20 %, per point
    std::vector<double> naive_anchor;  // 60 kWh through the kept reading, per point
    std::vector<double> charging;      // engine errors at points before delivery ended
    bool reconstructed = false;
    bool done = false;  // AC: the car finished charging before it was unplugged (AcEnds::kMeasured)
};

void PrintReport(const std::string& title, const std::vector<SessionResult>& results, bool anchored) {
    std::vector<double> errors, naive, naive_anchor;
    int not_reconstructed = 0;
    for (const SessionResult& r : results) {
        if (!r.reconstructed) ++not_reconstructed;
        errors.insert(errors.end(), r.errors.begin(), r.errors.end());
        naive.insert(naive.end(), r.naive.begin(), r.naive.end());
        naive_anchor.insert(naive_anchor.end(), r.naive_anchor.begin(), r.naive_anchor.end());
    }
    const double mae = Mean(errors);
    const double naive_mae = Mean(naive);
    std::printf("\n%s: %zu sessions, %zu points%s\n", title.c_str(), results.size(), errors.size(),
                not_reconstructed ? (" (" + std::to_string(not_reconstructed) + " not reconstructed!)").c_str() : "");
    std::printf("  engine (sorc)             MAE %6.2f  p90 %6.2f  SoC points\n", mae, Quantile(errors, 0.9));
    std::vector<double> charging, done, not_done;
    std::size_t done_sessions = 0;
    for (const SessionResult& r : results) {
        charging.insert(charging.end(), r.charging.begin(), r.charging.end());
        auto& group = r.done ? done : not_done;
        group.insert(group.end(), r.errors.begin(), r.errors.end());
        if (r.done) ++done_sessions;
    }
    if (!charging.empty()) {
        std::printf("  engine, points while charging MAE %6.2f  p90 %6.2f  (%zu points; the rest are idle tails)\n",
                    Mean(charging), Quantile(charging, 0.9), charging.size());
    }
    if (done_sessions > 0) {
        std::printf("  engine, car done before unplug MAE %6.2f (%zu sessions), not done MAE %6.2f\n", Mean(done),
                    done_sessions, Mean(not_done));
    }
    std::printf("  naive 60 kWh from 20 %%    MAE %6.2f  p90 %6.2f  -> engine %.1fx better\n", naive_mae,
                Quantile(naive, 0.9), mae > 0 ? naive_mae / mae : 0.0);
    if (anchored) {
        const double m = Mean(naive_anchor);
        std::printf("  naive 60 kWh via reading  MAE %6.2f  p90 %6.2f  -> engine %.1fx better\n", m,
                    Quantile(naive_anchor, 0.9), mae > 0 ? m / mae : 0.0);
    }
    // Calibration: sessions by confidence decile.
    std::vector<const SessionResult*> sorted;
    for (const SessionResult& r : results) {
        if (r.reconstructed) sorted.push_back(&r);
    }
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const SessionResult* a, const SessionResult* b) { return a->confidence < b->confidence; });
    std::printf("  calibration by sorcConfidence decile (low -> high):\n");
    std::printf("    decile  conf range     mean conf  MAE    p90    share |err|<=5\n");
    for (int d = 0; d < 10 && !sorted.empty(); ++d) {
        const std::size_t from = sorted.size() * static_cast<std::size_t>(d) / 10;
        const std::size_t to = sorted.size() * static_cast<std::size_t>(d + 1) / 10;
        if (to <= from) continue;
        std::vector<double> e;
        double conf = 0.0;
        for (std::size_t i = from; i < to; ++i) {
            conf += sorted[i]->confidence;
            e.insert(e.end(), sorted[i]->errors.begin(), sorted[i]->errors.end());
        }
        const double within =
            static_cast<double>(std::count_if(e.begin(), e.end(), [](double x) { return x <= 5.0; })) /
            static_cast<double>(std::max<std::size_t>(1, e.size()));
        std::printf("    %2d      %.2f..%.2f      %.2f    %6.2f %6.2f  %.2f\n", d + 1, sorted[from]->confidence,
                    sorted[to - 1]->confidence, conf / static_cast<double>(to - from), Mean(e), Quantile(e, 0.9),
                    within);
    }
}

SessionResult Evaluate(const GeneratedSession& session, int keep, std::mt19937_64& rng) {
    MeterValues values;
    std::vector<EpochMs> energy_times;
    for (const MeterValue& v : session.values) {
        if (v.measurand && *v.measurand == "SoC") continue;
        values.push_back(v);
        if (!v.measurand || *v.measurand == "Energy.Active.Import.Register") energy_times.push_back(v.timestamp);
    }
    std::optional<std::pair<EpochMs, double>> reading;
    if (keep == 1 && !energy_times.empty()) {
        const EpochMs t = energy_times[rng() % energy_times.size()];
        reading = std::make_pair(t, std::round(TrueSocAt(session, t)));
        MeterValue soc;
        soc.timestamp = t;
        soc.value = reading->second;
        soc.measurand = "SoC";
        soc.unit = "Percent";
        soc.location = "EV";
        values.push_back(soc);
    }
    SocOptions options;
    options.connector = session.options.connector;
    options.now_ms = session.options.now_ms;
    const bool coin = (rng() % 2) == 0;
    options.stop_reason = session.ended_full && coin ? "SOCLimitReached" : (coin ? "Local" : "EVDisconnected");
    const SocReconstruction r = ReconstructSoc(values, options);
    if (g_verbose && !r.points.empty()) {
        std::fprintf(stderr, "%s keep %d %s%s idle %d min B %.0f est %.0f conf %.2f start %.1f/%.1f end %.1f/%.1f %s\n",
                     session.id.c_str(), keep, session.profile.c_str(), session.ended_done ? " done" : "",
                     session.idle_after_done_s / 60, session.true_battery_kwh, r.battery_kwh, r.confidence,
                     TrueSocAt(session, r.points.front().timestamp), r.points.front().value,
                     TrueSocAt(session, r.points.back().timestamp), r.points.back().value,
                     options.stop_reason->c_str());
    }
    SessionResult result;
    result.reconstructed = r.reconstructed;
    result.done = session.ended_done;
    EpochMs delivery_end = session.true_soc_start_ms;
    for (const MeterValue& v : values) {
        if ((!v.measurand || *v.measurand == "Energy.Active.Import.Register") && v.timestamp > delivery_end) {
            delivery_end = v.timestamp;
        }
    }
    // Delivery ended where the true SoC stopped rising (the truth is recorded every tick).
    for (std::size_t i = session.true_soc.size(); i-- > 1;) {
        if (session.true_soc[i] > session.true_soc[i - 1] + 1e-9) {
            delivery_end = session.true_soc_start_ms + static_cast<EpochMs>(i) * session.true_soc_step_s * 1000;
            break;
        }
    }
    result.confidence = r.confidence;
    // Naive baselines need the delivered energy at each point: integrate the register as the engine's points do.
    // The true SoC is linear in delivered energy: E(t) = (soc(t) - soc(start)) * B / 100.
    const double b = session.true_battery_kwh;
    const double soc0 = session.true_soc.empty() ? 0.0 : session.true_soc.front();
    for (const auto& p : r.points) {
        const double truth = TrueSocAt(session, p.timestamp);
        const double delivered = (truth - soc0) * b / 100.0;
        result.errors.push_back(std::fabs(p.value - truth));
        if (p.timestamp <= delivery_end) result.charging.push_back(result.errors.back());
        result.naive.push_back(std::fabs(std::clamp(20.0 + delivered * 100.0 / 60.0, 0.0, 100.0) - truth));
        if (reading) {
            const double delivered_at_reading = (TrueSocAt(session, reading->first) - soc0) * b / 100.0;
            const double naive = reading->second + (delivered - delivered_at_reading) * 100.0 / 60.0;
            result.naive_anchor.push_back(std::fabs(std::clamp(naive, 0.0, 100.0) - truth));
        }
    }
    return result;
}

// ------------------------------------------------------------------ EPFL

std::vector<std::string> SplitCsv(const std::string& line) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            fields.push_back(field);
            field.clear();
        } else if (c != '\r') {
            field.push_back(c);
        }
    }
    fields.push_back(field);
    return fields;
}

std::optional<EpochMs> ParseDateTime(const std::string& text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
    // Days from civil (H. Hinnant).
    const int yy = y - (mo <= 2 ? 1 : 0);
    const int era = (yy >= 0 ? yy : yy - 399) / 400;
    const int yoe = yy - era * 400;
    const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const long long days = static_cast<long long>(era) * 146097 + doe - 719468;
    return (days * 86400 + h * 3600 + mi * 60 + s) * 1000LL;
}

struct EpflRow {
    EpochMs arrival = 0;
    EpochMs departure = 0;
    std::string plug;
    double energy_kwh = 0.0;
    double pmax_kw = 0.0;
    double preq_max_kw = 0.0;  // the EV's maximum power request (a property of the car model)
    double soc_arrival = 0.0;
    double soc_departure = 0.0;
};

MeterValue Mv(EpochMs t, double value, const char* measurand, const char* unit) {
    MeterValue v;
    v.timestamp = t;
    v.value = value;
    v.measurand = measurand;
    v.unit = unit;
    if (std::string(measurand) == "SoC") v.location = "EV";
    return v;
}

MeterValues EpflSession(const EpflRow& row, bool with_departure_soc) {
    MeterValues values;
    values.push_back(Mv(row.arrival, 0.0, "Energy.Active.Import.Register", "kWh"));
    values.push_back(Mv(row.arrival, row.soc_arrival, "SoC", "Percent"));
    values.push_back(Mv(std::min(row.arrival + 60'000, row.departure), row.pmax_kw, "Power.Active.Import", "kW"));
    values.push_back(Mv(row.departure, row.energy_kwh, "Energy.Active.Import.Register", "kWh"));
    if (with_departure_soc) values.push_back(Mv(row.departure, row.soc_departure, "SoC", "Percent"));
    return values;
}

void RunEpfl(const std::string& data_dir) {
    const std::string path = data_dir + "/epfl-l3/Session_data.derived.csv";
    std::ifstream in(path);
    std::printf("\nEPFL Level-3 DC sessions (real data): %s\n", path.c_str());
    if (!in) {
        std::printf("  ABSENT: cannot read %s; real-data figure not computed (set --data-dir or EVNI_DATA_DIR)\n",
                    path.c_str());
        return;
    }
    std::string line;
    std::getline(in, line);
    std::vector<EpflRow> rows;
    int skipped = 0;
    while (std::getline(in, line)) {
        const auto f = SplitCsv(line);
        if (f.size() < 13) {
            ++skipped;
            continue;
        }
        EpflRow row;
        const auto arrival = ParseDateTime(f[2]);
        const auto departure = ParseDateTime(f[3]);
        if (!arrival || !departure || *departure <= *arrival) {
            ++skipped;
            continue;
        }
        row.arrival = *arrival;
        row.departure = *departure;
        row.plug = f[1];
        row.energy_kwh = std::atof(f[5].c_str()) / 1000.0;
        row.pmax_kw = std::atof(f[6].c_str()) / 1000.0;
        row.preq_max_kw = std::atof(f[7].c_str()) / 1000.0;
        row.soc_arrival = std::atof(f[11].c_str());
        row.soc_departure = std::atof(f[12].c_str());
        if (row.energy_kwh <= 0.0 || row.soc_departure < row.soc_arrival) {
            ++skipped;
            continue;
        }
        rows.push_back(row);
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const EpflRow& a, const EpflRow& b) { return a.arrival < b.arrival; });
    std::printf("  %zu sessions (%d rows skipped: unparsable, no energy or SoC falling)\n", rows.size(), skipped);

    // Capacity history as the server keeps it (analysis/soc_prior.h): per plug (connector), and the site's other
    // plugs (tenant) as the fallback of a plug with little history.
    std::map<std::string, std::vector<PriorObservation>> history;  // oldest first
    std::vector<std::pair<std::string, PriorObservation>> site;    // oldest first
    const auto newest_first = [](const std::vector<PriorObservation>& v) {
        std::vector<PriorObservation> out(v.rbegin(), v.rend());
        if (out.size() > static_cast<std::size_t>(evni::analysis::kPriorReadLimit))
            out.resize(evni::analysis::kPriorReadLimit);
        return out;
    };
    std::vector<double> err_plain, err_plug, err_site, err_fleet, err_fleet_full, err_no_request;
    // The server's prior without the EV's request, on the older half (the DC SoC prior's fit set: in-sample) and on
    // the newer half (out of sample).
    std::vector<double> err_no_request_old, err_no_request_new;
    std::vector<SessionResult> results;
    for (const EpflRow& row : rows) {
        const MeterValues values = EpflSession(row, false);
        SocOptions options;
        options.connector.current_type = "DC";
        options.connector.max_power_kw = 172.5;
        const SocReconstruction plain = ReconstructSoc(values, options);
        const auto plug = newest_first(history[row.plug]);
        std::vector<PriorObservation> others;
        for (auto it = site.rbegin(); it != site.rend() && others.size() < 200; ++it) {
            if (it->first != row.plug) others.push_back(it->second);
        }
        options.prior = BuildSocPrior(plug, {});
        const SocReconstruction plug_only = ReconstructSoc(values, options);
        std::vector<PriorObservation> all;
        for (auto it = site.rbegin();
             it != site.rend() && all.size() < static_cast<std::size_t>(evni::analysis::kPriorReadLimit); ++it)
            all.push_back(it->second);
        options.prior = BuildSocPrior({}, all);
        const SocReconstruction site_only = ReconstructSoc(values, options);
        options.prior = BuildSocPrior(all, {});
        const SocReconstruction site_as_plug = ReconstructSoc(values, options);
        // As the server reads it (api/soc_prior.cpp): a plug with enough history gets the station's sessions (here the
        // site's: one station) as the pool of "sessions like this one".
        double plug_weight = 0.0;
        for (const PriorObservation& o : plug) plug_weight += o.weight;
        const std::vector<PriorObservation> no_rows;
        options.prior =
            BuildSocPrior(plug, others, plug_weight >= evni::analysis::kConnectorHistoryEnough ? all : no_rows);
        const SocReconstruction without_request = ReconstructSoc(values, options);
        // The server's prior and the EV's power request (metadata evMaxPowerKw; EPFL's Preq_max).
        options.ev_max_power_kw = row.preq_max_kw;
        const SocReconstruction refined = ReconstructSoc(values, options);
        const double truth = row.soc_departure;
        // EVNI_BENCH_DEBUG=1: one line per session on stderr (arrival ms, plug, arrival and departure SoC, kWh, peak
        // kW, stay min, predicted departure, posterior capacity, confidence) for error analysis.
        if (std::getenv("EVNI_BENCH_DEBUG") != nullptr && !without_request.points.empty())
            std::fprintf(stderr, "DUMP %lld %s %.1f %.1f %.3f %.2f %.0f %.2f %.2f %.3f\n",
                         static_cast<long long>(row.arrival), row.plug.c_str(), row.soc_arrival, row.soc_departure,
                         row.energy_kwh, row.pmax_kw, static_cast<double>(row.departure - row.arrival) / 60000.0,
                         without_request.points.back().value, without_request.battery_kwh, without_request.confidence);
        if (!without_request.points.empty()) {
            err_no_request.push_back(std::fabs(without_request.points.back().value - truth));
            (row.arrival < evni::analysis::kDcSocPriorFitEndMs ? err_no_request_old : err_no_request_new)
                .push_back(err_no_request.back());
        }
        SessionResult r;
        r.reconstructed = refined.reconstructed;
        r.confidence = refined.confidence;
        if (!refined.points.empty()) r.errors.push_back(std::fabs(refined.points.back().value - truth));
        r.naive.push_back(std::fabs(std::clamp(20.0 + row.energy_kwh * 100.0 / 60.0, 0.0, 100.0) - truth));
        r.naive_anchor.push_back(
            std::fabs(std::clamp(row.soc_arrival + row.energy_kwh * 100.0 / 60.0, 0.0, 100.0) - truth));
        results.push_back(r);
        if (!refined.points.empty()) err_site.push_back(r.errors.back());
        if (!plain.points.empty()) err_plain.push_back(std::fabs(plain.points.back().value - truth));
        if (!plug_only.points.empty()) err_plug.push_back(std::fabs(plug_only.points.back().value - truth));
        if (!site_only.points.empty()) err_fleet.push_back(std::fabs(site_only.points.back().value - truth));
        if (!site_as_plug.points.empty()) err_fleet_full.push_back(std::fabs(site_as_plug.points.back().value - truth));
        // The session's own SoC readings feed the history of later sessions (as the server does).
        const MeterValues full = EpflSession(row, true);
        if (auto estimate = EstimateSessionCapacity(full)) {
            estimate->ev_max_power_kw = row.preq_max_kw;
            history[row.plug].push_back(*estimate);
            site.emplace_back(row.plug, *estimate);
        }
    }
    std::printf("  departure SoC predicted from the arrival SoC and the session:\n");
    std::printf("  engine, no history                    MAE %6.2f  p90 %6.2f  SoC points\n", Mean(err_plain),
                Quantile(err_plain, 0.9));
    std::printf("  engine, per-plug history only         MAE %6.2f  p90 %6.2f  SoC points\n", Mean(err_plug),
                Quantile(err_plug, 0.9));
    std::printf("  engine, site history as fallback only MAE %6.2f  p90 %6.2f  SoC points (no plug history)\n",
                Mean(err_fleet), Quantile(err_fleet, 0.9));
    std::printf("  engine, site history at full weight   MAE %6.2f  p90 %6.2f  SoC points (all plugs as one)\n",
                Mean(err_fleet_full), Quantile(err_fleet_full, 0.9));
    std::printf(
        "  engine, per-plug + site fallback      MAE %6.2f  p90 %6.2f  SoC points (the server's prior: + station "
        "pool)\n",
        Mean(err_no_request), Quantile(err_no_request, 0.9));
    std::printf("    older half (prior fit set, in-sample) MAE %6.2f  p90 %6.2f  SoC points (%zu sessions)\n",
                Mean(err_no_request_old), Quantile(err_no_request_old, 0.9), err_no_request_old.size());
    std::printf("    newer half (out of sample)          MAE %6.2f  p90 %6.2f  SoC points (%zu sessions)\n",
                Mean(err_no_request_new), Quantile(err_no_request_new, 0.9), err_no_request_new.size());
    std::printf("  ... and the EV's power request        MAE %6.2f  p90 %6.2f  SoC points (metadata evMaxPowerKw)\n",
                Mean(err_site), Quantile(err_site, 0.9));
    PrintReport(
        "EPFL, engine with the server's prior: per-plug history, site fallback, EV power request (time order, "
        "earlier sessions only)",
        results, true);
}

std::string DefaultDataDir() {
    if (const char* env = std::getenv("EVNI_DATA_DIR"); env != nullptr && *env != '\0') return env;
    // EVNI_BENCH_DIR is the absolute source directory (CMake): __FILE__ is relative under ccache builds.
    // ../shared/data next to the repository; a git worktree in <dir>/wt/<name> also looks next to <dir>.
    for (const char* up : {"/../../shared/data", "/../../../shared/data"}) {
        const std::string dir = std::string(EVNI_BENCH_DIR) + up;
        if (std::filesystem::is_directory(dir)) return dir;
    }
    return std::string(EVNI_BENCH_DIR) + "/../../shared/data";
}

}  // namespace

int main(int argc, char** argv) {
    std::string data_dir = DefaultDataDir();
    std::uint64_t seed = 20260301;
    int per_kind = 300;
    auto ac_ends = evni::analysis::gen::AcEnds::kMeasured;
    std::string ac_ends_name = "measured";
    double finished_share = 0.0;
    bool dc_holdout = true;
    bool dc_stays = true;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--data-dir") {
            data_dir = value;
        } else if (flag == "--seed") {
            seed = std::stoull(value);
        } else if (flag == "--verbose") {
            g_verbose = value != "0";
        } else if (flag == "--sessions") {
            per_kind = std::stoi(value);
        } else if (flag == "--ac-ends") {
            if (value != "legacy" && value != "falloff" && value != "measured") {
                std::fprintf(stderr, "--ac-ends: legacy, falloff or measured\n");
                return 2;
            }
            ac_ends = value == "legacy"    ? evni::analysis::gen::AcEnds::kLegacy
                      : value == "falloff" ? evni::analysis::gen::AcEnds::kFallOff
                                           : evni::analysis::gen::AcEnds::kMeasured;
            ac_ends_name = value;
        } else if (flag == "--dc-stays") {
            if (value != "legacy" && value != "measured") {
                std::fprintf(stderr, "--dc-stays: legacy or measured\n");
                return 2;
            }
            dc_stays = value == "measured";
        } else if (flag == "--dc-holdout") {
            dc_holdout = value != "0";
        } else if (flag == "--ac-finished-share") {
            finished_share = std::stod(value);
        } else {
            std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
            return 2;
        }
    }
    std::vector<std::string> warnings;
    auto population = evni::analysis::gen::LoadPopulation(data_dir, warnings);
    for (const std::string& warning : warnings) std::fprintf(stderr, "WARNING: %s\n", warning.c_str());
    std::printf("SoC reconstruction benchmark (sorc)\npopulations:");
    for (const std::string& source : population.sources) std::printf(" [%s]", source.c_str());
    std::printf("\nseed %llu, %d sessions per current type\n", static_cast<unsigned long long>(seed), per_kind);

    if (dc_holdout) {
        // The DC arrival/departure prior is fitted on the older half of the EPFL sessions: generate DC sessions from
        // the newer half only.
        std::vector<evni::analysis::gen::Envelope> late;
        for (const auto& envelope : population.dc) {
            if (envelope.start_ms >= evni::analysis::kDcSocPriorFitEndMs) late.push_back(envelope);
        }
        std::printf("DC envelopes: %zu of %zu (EPFL hold-out half, --dc-holdout 1)\n", late.size(),
                    population.dc.size());
        population.dc = std::move(late);
    }
    Generator generator(std::move(population), seed);
    generator.RecordTrueSoc(true);
    generator.SetAcEnds(ac_ends, finished_share);
    generator.SetDcStays(dc_stays ? evni::analysis::gen::DcStays::kMeasured : evni::analysis::gen::DcStays::kLegacy);
    std::printf("DC stays: %s\n", dc_stays ? "measured (the EPFL envelope's own stay)" : "legacy");
    std::printf("AC ends: %s%s\n", ac_ends_name.c_str(),
                finished_share > 0.0 ? (", finished share raised to " + std::to_string(finished_share)).c_str() : "");
    std::vector<GeneratedSession> dc, ac;
    while (static_cast<int>(dc.size()) < per_kind || static_cast<int>(ac.size()) < per_kind) {
        GeneratedSession s = generator.Clean();
        auto& bucket = s.dc ? dc : ac;
        if (static_cast<int>(bucket.size()) < per_kind) bucket.push_back(std::move(s));
    }
    std::mt19937_64 rng(seed);
    const auto begin = std::chrono::steady_clock::now();
    std::size_t runs = 0;
    for (int keep = 1; keep >= 0; --keep) {
        for (const bool is_dc : {true, false}) {
            std::vector<SessionResult> results;
            for (const GeneratedSession& s : is_dc ? dc : ac) {
                results.push_back(Evaluate(s, keep, rng));
                ++runs;
            }
            PrintReport(std::string("generated ") + (is_dc ? "DC" : "AC") +
                            (keep == 1 ? ", one SoC reading kept" : ", no SoC reading"),
                        results, keep == 1);
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    std::printf("\nengine time: %.2f ms per session\n",
                1000.0 * seconds / static_cast<double>(std::max<std::size_t>(1, runs)));
    RunEpfl(data_dir);
    std::printf("\ntargets: MAE <= 3 (DC, one reading), <= 6 (DC, none), <= 5 (EPFL departure), naive beaten >= 3x\n");
    return 0;
}
