// Quality benchmark of the station model (analysis.md §5, §6): station-day energy series built from real
// session tables (Boulder, Dundee, Perth & Kinross, Caltech ACN, SAP Labs France, Norway: real arrivals,
// durations and energy per charge point), with injected faults (all-day and some-hours outages, partial
// drops, surges, one connector down) on test days and a few past outages left in the history. Prints
// event-level precision/recall/F1 per anomaly type and the share of untouched station-days flagged, for the
// station model and for a same-weekday median baseline.
//
//   evni_bench_station [--data DIR] [--seed N] [--days-per-station N] [--min-daily-kwh X] [--fixed-power 0|1]
//                      [--connector-down-days N] [--cut-sessions 0|1] [--test-days-once 0|1]
//
// DIR defaults to $EVNI_DATA_DIR, else ../shared/data next to the repository (or its parent).
#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/station_model.h"

namespace {

namespace st = evni::analysis::station;
using evni::domain::EpochMs;

// One real session: local wall-clock times read as UTC (day boundaries at local midnight).
struct Envelope {
    std::string connector;
    EpochMs start = 0;
    EpochMs end = 0;
    double kwh = 0.0;
};

struct Station {
    std::string name;
    std::vector<Envelope> sessions;
};

std::vector<std::string> SplitCsv(const std::string& line, char sep) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted;
        } else if (c == sep && !quoted) {
            out.push_back(cur);
            cur.clear();
        } else if (c != '\r') {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

EpochMs Civil(int y, int mo, int d, int h, int mi, int s = 0) {
    // Days from civil (Howard Hinnant's algorithm).
    y -= mo <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * static_cast<unsigned>(mo + (mo > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const long long days = static_cast<long long>(era) * 146097 + static_cast<long long>(doe) - 719468;
    return (days * 86400 + h * 3600 + mi * 60 + s) * 1000LL;
}

double Num(std::string s) {
    std::replace(s.begin(), s.end(), ',', '.');
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    return end == s.c_str() ? std::nan("") : v;
}

// "YYYY-MM-DD..." with Dundee's Excel trap: when the day field is <= 12 the month and day were swapped.
bool ParseIsoDay(const std::string& s, bool dundee_swap, int& y, int& mo, int& d) {
    if (s.size() < 10 || s[4] != '-') return false;
    y = std::atoi(s.substr(0, 4).c_str());
    mo = std::atoi(s.substr(5, 2).c_str());
    d = std::atoi(s.substr(8, 2).c_str());
    if (dundee_swap && d <= 12) std::swap(mo, d);
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}

bool ParseHm(const std::string& s, int& h, int& mi) {
    if (s.size() < 4) return false;
    const auto colon = s.find(':');
    if (colon == std::string::npos) return false;
    h = std::atoi(s.substr(0, colon).c_str());
    mi = std::atoi(s.substr(colon + 1, 2).c_str());
    return true;
}

void AddSession(std::map<std::string, Station>& out, const std::string& station, const std::string& connector,
                EpochMs start, EpochMs end, double kwh) {
    if (!(kwh > 0.0) || kwh > 200.0) return;
    if (end <= start || end - start > 48 * st::kHourMs) end = start + static_cast<EpochMs>(kwh / 7.0 * st::kHourMs);
    auto& s = out[station];
    s.name = station;
    s.sessions.push_back({connector, start, end, kwh});
}

std::vector<std::string> Lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

// Boulder: a station is an address; its connectors are the named charge points there.
void LoadBoulder(const std::string& dir, std::map<std::string, Station>& out) {
    const auto lines = Lines(dir + "/open-ev-load/Boulder/ev_chargingstationdata_Boulder_March 2021.csv");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto f = SplitCsv(lines[i], ',');
        if (f.size() < 16) continue;
        int y, mo, d, h, mi, y2, mo2, d2, h2, mi2;
        if (std::sscanf(f[5].c_str(), "%d/%d/%d %d:%d", &y, &mo, &d, &h, &mi) != 5) continue;
        if (std::sscanf(f[7].c_str(), "%d/%d/%d %d:%d", &y2, &mo2, &d2, &h2, &mi2) != 5) continue;
        AddSession(out, "boulder/" + f[1], f[0], Civil(y, mo, d, h, mi), Civil(y2, mo2, d2, h2, mi2), Num(f[11]));
    }
}

// Dundee and Perth: a station is a site; its connectors are (charge point, connector).
void LoadScottish(const std::string& dir, const std::string& folder, const std::string& prefix,
                  std::map<std::string, Station>& out) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/open-ev-load/" + folder, ec)) {
        const auto lines = Lines(entry.path().string());
        if (lines.empty()) continue;
        auto header = SplitCsv(lines[0], ',');
        std::map<std::string, std::size_t> col;
        for (std::size_t i = 0; i < header.size(); ++i) {
            std::string h = header[i];
            if (!h.empty() && static_cast<unsigned char>(h[0]) == 0xEF) h = h.substr(3);
            col[h] = i;
        }
        if (!col.count("CP ID") || !col.count("Site") || !col.count("Start Date")) continue;
        const bool swap = folder == "Dundee";
        for (std::size_t i = 1; i < lines.size(); ++i) {
            const auto f = SplitCsv(lines[i], ',');
            if (f.size() < header.size() - 3) continue;
            auto get = [&](const char* name) { return col.count(name) ? f[col[name]] : std::string(); };
            int y, mo, d, h, mi, y2, mo2, d2, h2, mi2;
            auto day = [&](const std::string& s, int& yy, int& mm, int& dd) {
                if (s.find('/') != std::string::npos) return std::sscanf(s.c_str(), "%d/%d/%d", &dd, &mm, &yy) == 3;
                return ParseIsoDay(s, swap, yy, mm, dd);
            };
            if (!day(get("Start Date"), y, mo, d) || !ParseHm(get("Start Time"), h, mi)) continue;
            const EpochMs start = Civil(y, mo, d, h, mi);
            EpochMs end = 0;
            if (day(get("End Date"), y2, mo2, d2) && ParseHm(get("End Time"), h2, mi2))
                end = Civil(y2, mo2, d2, h2, mi2);
            const std::string site = get("Site");
            if (site.empty() || get("CP ID").empty()) continue;
            AddSession(out, prefix + site, get("CP ID") + ":" + get("Connector"), start, end, Num(get("Total kWh")));
        }
    }
}

// Caltech ACN: a station is an ACN cluster (a garage level); its connectors are the EVSEs. Times are GMT,
// shifted to Pacific standard time.
void LoadAcn(const std::string& dir, std::map<std::string, Station>& out) {
    for (const char* file : {"acndata_sessions_cal_dec2020_may2023.json", "Office 1.json"}) {
        std::ifstream in(dir + "/acn/" + file);
        std::stringstream ss;
        ss << in.rdbuf();
        boost::system::error_code ec;
        auto doc = boost::json::parse(ss.str(), ec);
        if (ec || !doc.is_object() || !doc.as_object().contains("_items")) continue;
        static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        auto parse = [](const boost::json::value& v) -> EpochMs {
            if (!v.is_string()) return 0;
            char mon[4] = {};
            int d, y, h, mi, s;
            if (std::sscanf(v.as_string().c_str(), "%*3s, %d %3s %d %d:%d:%d", &d, mon, &y, &h, &mi, &s) != 6) return 0;
            for (int m = 0; m < 12; ++m) {
                if (std::string(mon) == kMonths[m]) return Civil(y, m + 1, d, h, mi, s) - 8 * st::kHourMs;
            }
            return 0;
        };
        for (const auto& item : doc.as_object().at("_items").as_array()) {
            const auto& o = item.as_object();
            if (!o.contains("kWhDelivered") || !o.contains("stationID")) continue;
            const EpochMs start = parse(o.at("connectionTime"));
            EpochMs end = o.contains("doneChargingTime") ? parse(o.at("doneChargingTime")) : 0;
            if (end <= start) end = parse(o.at("disconnectTime"));
            const std::string cluster = o.contains("clusterID") && o.at("clusterID").is_string()
                                            ? std::string(o.at("clusterID").as_string())
                                            : std::string("site");
            AddSession(out, std::string("acn/") + file + "/" + cluster, std::string(o.at("stationID").as_string()),
                       start, end, o.at("kWhDelivered").to_number<double>());
        }
    }
}

// SAP Labs France: a station is a site (workplace or home) and its connectors are the charge points.
void LoadSap(const std::string& dir, std::map<std::string, Station>& out) {
    const auto lines = Lines(dir + "/open-ev-load/SAP_Labs_France/conso-ve-sap0.csv");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto f = SplitCsv(lines[i], ';');
        if (f.size() < 15) continue;
        int y, mo, d, h, mi, s;
        if (std::sscanf(f[4].c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) continue;
        const EpochMs start = Civil(y, mo, d, h, mi, s);
        const double total_s = Num(f[9]);
        const EpochMs end = start + static_cast<EpochMs>((std::isnan(total_s) ? 0.0 : total_s) * 1000.0);
        std::string borne = f[2];
        const auto dash = borne.find_last_of('-');
        const std::string site = dash == std::string::npos ? borne : borne.substr(0, dash);
        AddSession(out, "sap/" + f[0] + "/" + site, borne + ":" + f[3], start, end, Num(f[14]) / 1000.0);
    }
}

// Norway, 12 residential locations: a station is a location; its connectors are the parking spaces.
void LoadNorway(const std::string& dir, std::map<std::string, Station>& out) {
    const auto lines = Lines(dir + "/norway-12sites/Dataset1_charging_reports.csv");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto f = SplitCsv(lines[i], ';');
        if (f.size() < 7) continue;
        int y, mo, d, h, mi, s, y2, mo2, d2, h2, mi2, s2;
        if (std::sscanf(f[3].c_str(), "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) continue;
        if (std::sscanf(f[4].c_str(), "%d-%d-%d %d:%d:%d", &y2, &mo2, &d2, &h2, &mi2, &s2) != 6) continue;
        AddSession(out, "norway/" + f[0], f[1], Civil(y, mo, d, h, mi, s), Civil(y2, mo2, d2, h2, mi2, s2), Num(f[6]));
    }
}

// Per station: connectors, per-day per-connector minute energy. A session delivers from its start at a
// constant power: the car's, drawn per session from the usual AC on-board chargers (3.7 kW single phase
// 30 %, 7.4 kW 50 %, 11 kW three phase 20 %), or faster when the session's duration requires it (DC, 22 kW).
// The tables give energy and plug-in time, not power, so the draw stands for the spread of power a real
// station sees from one car to the next. `fixed_power` (--fixed-power 1): every car at 7.4 kW, as the
// benchmark did before 2026-11-28; with it a station's power while charging hardly varies from day to day.
struct Series {
    std::string name;
    std::vector<std::string> connectors;
    EpochMs first_day = 0;
    int days = 0;
    std::vector<std::vector<std::vector<double>>> minutes;  // [day][connector][minute]
    // Each session's delivery on each day it touches: [start, end) in minutes from that day's midnight (start
    // negative when it began the day before).
    std::vector<std::vector<std::vector<std::pair<int, int>>>> deliveries;  // [day][connector]
};

Series BuildSeries(const Station& s, bool fixed_power, std::uint64_t seed) {
    std::mt19937_64 rng(seed ^ std::hash<std::string>{}(s.name));
    std::discrete_distribution<int> car({30.0, 50.0, 20.0});
    constexpr std::array<double, 3> kCarKw = {3.7, 7.4, 11.0};
    Series out;
    out.name = s.name;
    std::map<std::string, std::size_t> index;
    EpochMs lo = s.sessions.front().start, hi = lo;
    for (const auto& e : s.sessions) {
        if (!index.count(e.connector)) {
            index[e.connector] = out.connectors.size();
            out.connectors.push_back(e.connector);
        }
        lo = std::min(lo, e.start);
        hi = std::max(hi, e.end);
    }
    out.first_day = st::DayStart(lo);
    out.days = static_cast<int>((st::DayStart(hi) - out.first_day) / st::kDayMs) + 1;
    out.minutes.assign(static_cast<std::size_t>(out.days),
                       std::vector<std::vector<double>>(out.connectors.size(), std::vector<double>()));
    out.deliveries.assign(static_cast<std::size_t>(out.days),
                          std::vector<std::vector<std::pair<int, int>>>(out.connectors.size()));
    for (const auto& e : s.sessions) {
        const double hours = static_cast<double>(e.end - e.start) / st::kHourMs;
        const double car_kw = fixed_power ? 7.4 : kCarKw[static_cast<std::size_t>(car(rng))];
        const double kw = std::max(car_kw, e.kwh / std::max(hours, 1e-3));
        const EpochMs charge_end = e.start + static_cast<EpochMs>(e.kwh / kw * st::kHourMs);
        const st::EnergyInterval iv{e.start, std::max(charge_end, e.start + st::kMinuteMs), e.kwh};
        const std::size_t c = index[e.connector];
        for (EpochMs d = st::DayStart(iv.start_ms); d < iv.end_ms; d += st::kDayMs) {
            auto& grid = out.minutes[static_cast<std::size_t>((d - out.first_day) / st::kDayMs)][c];
            if (grid.empty()) grid.assign(st::kMinutesPerDay, 0.0);
            st::SpreadEnergy(std::span(&iv, 1), d, st::kMinuteMs, grid);
            const auto first = static_cast<int>((iv.start_ms - d) / st::kMinuteMs);
            const auto last = static_cast<int>((iv.end_ms - d + st::kMinuteMs - 1) / st::kMinuteMs);
            out.deliveries[static_cast<std::size_t>((d - out.first_day) / st::kDayMs)][c].push_back(
                {first, std::min(last, st::kMinutesPerDay)});
        }
    }
    for (auto& day : out.minutes) {
        for (auto& grid : day) {
            if (grid.empty()) grid.assign(st::kMinutesPerDay, 0.0);
        }
    }
    return out;
}

double DayTotal(const std::vector<std::vector<double>>& day) {
    double s = 0.0;
    for (const auto& c : day) {
        for (double v : c) s += v;
    }
    return s;
}

struct Label {
    std::string type;  // "" for a clean day
    int start_minute = 0;
    int end_minute = st::kMinutesPerDay;
};

struct Detection {
    std::string type;
    int start_minute = 0;
    int end_minute = st::kMinutesPerDay;
    double score = 0.5;
};

const std::vector<std::string> kTypes = {"outage", "connector_down", "energy_drop", "energy_surge"};

struct Counts {
    int labels = 0, detections = 0, matched_labels = 0, true_detections = 0;
};

struct Report {
    std::map<std::string, Counts> per_type;
    int clean = 0, clean_flagged = 0;
    int source_fault = 0, source_fault_flagged = 0;  // clean days whose source data holds a fault
    // Returns whether a detection matched the label.
    bool Add(const Label& label, const std::vector<Detection>& dets, bool fault_in_source = false) {
        if (label.type.empty()) {
            ++clean;
            if (!dets.empty()) ++clean_flagged;
            if (fault_in_source) {
                ++source_fault;
                if (!dets.empty()) ++source_fault_flagged;
            }
        } else {
            ++per_type[label.type].labels;
        }
        bool matched = false;
        for (const auto& d : dets) {
            auto& c = per_type[d.type];
            ++c.detections;
            // Same type and overlapping periods (60 minutes of slack).
            const bool hit = d.type == label.type && d.start_minute < label.end_minute + 60 &&
                             label.start_minute < d.end_minute + 60;
            if (hit) {
                ++c.true_detections;
                matched = true;
            }
        }
        if (matched) ++per_type[label.type].matched_labels;
        return matched;
    }
    void Print(const char* name) const {
        std::printf("\n%-16s %7s %7s %7s %7s %7s\n", name, "labels", "dets", "prec", "recall", "F1");
        for (const auto& t : kTypes) {
            const auto it = per_type.find(t);
            const Counts c = it == per_type.end() ? Counts{} : it->second;
            const double p = c.detections ? static_cast<double>(c.true_detections) / c.detections : 0.0;
            const double r = c.labels ? static_cast<double>(c.matched_labels) / c.labels : 0.0;
            const double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
            std::printf("%-16s %7d %7d %7.3f %7.3f %7.3f\n", t.c_str(), c.labels, c.detections, p, r, f1);
        }
        std::printf("%-16s clean station-days flagged: %.2f%% (%d/%d)\n", "",
                    100.0 * clean_flagged / std::max(1, clean), clean_flagged, clean);
        const int rest = clean - source_fault, rest_flagged = clean_flagged - source_fault_flagged;
        std::printf("%-16s   without the %d with a fault in the source data (%d of them flagged): %.2f%% (%d/%d)\n", "",
                    source_fault, source_fault_flagged, 100.0 * rest_flagged / std::max(1, rest), rest_flagged, rest);
    }
};

// What a user would pick instead: the median of the same weekday over the history (8 weeks).
std::vector<Detection> Baseline(const std::vector<std::vector<double>>& day, EpochMs day_start,
                                const std::vector<st::DayProfile>& history) {
    std::vector<const st::DayProfile*> same;
    for (const auto& h : history) {
        if (st::Weekday(h.day_start) == st::Weekday(day_start)) same.push_back(&h);
    }
    std::vector<Detection> out;
    if (same.size() < 3) return out;
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.empty() ? 0.0 : (v[(v.size() - 1) / 2] + v[v.size() / 2]) / 2.0;
    };
    const st::DayProfile today = st::ToProfile(day_start, day);
    std::vector<double> totals;
    for (const auto* h : same) totals.push_back(h->Total());
    const double expected = median(totals);
    const double actual = today.Total();
    // Outage: 3+ silent hours where the weekday median of those hours is >= 1 kWh.
    int run = -1;
    for (int h = 0; h <= 24; ++h) {
        const bool silent = h < 24 && today.StationHour(h) < 0.01;
        if (silent && run < 0) run = h;
        if (!silent && run >= 0) {
            if (h - run >= 3) {
                std::vector<double> v;
                for (const auto* d : same) {
                    double e = 0.0;
                    for (int k = run; k < h; ++k) e += d->StationHour(k);
                    v.push_back(e);
                }
                if (median(v) >= 1.0) out.push_back({"outage", run * 60, h * 60});
            }
            run = -1;
        }
    }
    for (std::size_t c = 0; c < today.connectors.size() && today.connectors.size() > 1; ++c) {
        std::vector<double> v;
        for (const auto* d : same) v.push_back(d->ConnectorTotal(c));
        if (today.ConnectorTotal(c) < 0.01 && actual - today.ConnectorTotal(c) > 0.01 && median(v) >= 1.0)
            out.push_back({"connector_down", 0, st::kMinutesPerDay});
    }
    if (expected > 0.0 && actual < 0.5 * expected && actual > 0.01) out.push_back({"energy_drop", 0, 1440});
    if (expected > 0.0 && actual > 1.5 * expected) out.push_back({"energy_surge", 0, 1440});
    return out;
}

// An untouched test day whose source data already holds a station fault, by a rule that knows nothing of
// the model (the real tables have outages nobody labelled): the station delivered under a quarter of its
// median day of the 56 before; or it was silent for 3+ hours that held half of its mean day's energy over
// those 56 days (twice the bar for injected outages); or a connector that delivered on 90 % of them (the
// injected connector_down takes 80 %) delivered nothing. Surges are not looked for.
bool FaultInSource(const std::vector<std::vector<double>>& day, const std::vector<st::DayProfile>& history) {
    if (history.empty()) return false;
    std::vector<double> totals;
    std::array<double, 24> mean_hour{};
    for (const auto& h : history) {
        totals.push_back(h.Total());
        for (int k = 0; k < 24; ++k)
            mean_hour[static_cast<std::size_t>(k)] += h.StationHour(k) / static_cast<double>(history.size());
    }
    std::sort(totals.begin(), totals.end());
    const double median = totals[totals.size() / 2];
    const st::DayProfile today = st::ToProfile(0, day);
    if (today.Total() < 0.25 * median) return true;
    double mean_day = 0.0;
    for (double v : mean_hour) mean_day += v;
    int run = -1;
    for (int h = 0; h <= 24; ++h) {
        const bool silent = h < 24 && today.StationHour(h) < 0.01;
        if (silent && run < 0) run = h;
        if (!silent && run >= 0) {
            double e = 0.0;
            for (int k = run; k < h; ++k) e += mean_hour[static_cast<std::size_t>(k)];
            if (h - run >= 3 && e >= 0.5 * mean_day) return true;
            run = -1;
        }
    }
    for (std::size_t c = 0; c < today.connectors.size() && today.connectors.size() > 1; ++c) {
        int active = 0;
        for (const auto& h : history) active += h.ConnectorTotal(c) > 0.01;
        if (active >= 0.9 * static_cast<double>(history.size()) && today.ConnectorTotal(c) < 0.01) return true;
    }
    return false;
}

// Diagnostic only (the rates above do not use it): an untouched test day on which a connector of the source
// data has been idle for 3 days or more in a row (today with the 2+ days before, the others delivering), having
// delivered on >= 80 % of the station's other working days of the 56: the injected connector_down runs as
// they happen in the source (a failure, or a resident away).
bool IdleRunInSource(const std::vector<std::vector<double>>& day, const std::vector<st::DayProfile>& history) {
    const st::DayProfile today = st::ToProfile(0, day);
    for (std::size_t c = 0; c < today.connectors.size() && today.connectors.size() > 1; ++c) {
        if (today.ConnectorTotal(c) >= 0.01 || today.Total() < 0.01) continue;
        int run = 0;
        std::size_t i = history.size();
        while (i > 0 && history[i - 1].ConnectorTotal(c) < 0.01 && history[i - 1].Total() >= 0.01) --i, ++run;
        if (run < 2) continue;
        int working = 0, active = 0;
        for (std::size_t k = 0; k < i; ++k) {
            if (history[k].Total() < 0.01) continue;
            ++working;
            active += history[k].ConnectorTotal(c) >= 0.01;
        }
        if (working > 0 && active >= 0.8 * working) return true;
    }
    return false;
}

std::string DefaultDataDir() {
    if (const char* env = std::getenv("EVNI_DATA_DIR"); env != nullptr && *env != '\0') return env;
    std::string here = __FILE__;
    const auto slash = here.find_last_of('/');
    const std::string bench = slash == std::string::npos ? "." : here.substr(0, slash);
    // ../shared/data next to the repository (or next to its parent, for git worktrees), found from this
    // source file's path or from the working directory (the repository root under `make`).
    for (const std::string& candidate : {bench + "/../../shared/data", bench + "/../../../shared/data",
                                         std::string("../shared/data"), std::string("../../shared/data")}) {
        if (std::filesystem::exists(candidate + "/open-ev-load")) return candidate;
    }
    return bench + "/../../shared/data";
}

}  // namespace

int main(int argc, char** argv) {
    std::string data_dir = DefaultDataDir();
    std::uint64_t seed = 20260227;
    int days_per_station = 60;
    double min_daily_kwh = 30.0;
    bool fixed_power = false;
    int max_down_days = 5;
    bool cut_sessions = true;
    bool once = true;
    st::ModelOptions options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const double v = std::atof(argv[i + 1]);
        if (a == "--data") data_dir = argv[i + 1];
        if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
        if (a == "--days-per-station") days_per_station = std::atoi(argv[i + 1]);
        if (a == "--min-daily-kwh") min_daily_kwh = v;
        if (a == "--fixed-power") fixed_power = v != 0.0;
        if (a == "--connector-down-days") max_down_days = std::max(1, static_cast<int>(v));
        if (a == "--cut-sessions") cut_sessions = v != 0.0;
        if (a == "--test-days-once") once = v != 0.0;
        // Model options, to explore the trade-offs (the defaults are the service's).
        if (a == "--z") options.z_threshold = v;
        if (a == "--drop-ratio") options.drop_ratio = v;
        if (a == "--surge-ratio") options.surge_ratio = v;
        if (a == "--max-silent-share") options.max_silent_share = v;
        if (a == "--min-outage-share") options.min_outage_share = v;
        if (a == "--outage-margin") options.outage_margin = v;
        if (a == "--min-silent-hours") options.min_silent_hours = static_cast<int>(v);
        if (a == "--min-log-sigma") options.min_log_sigma = v;
        if (a == "--max-outage-tail") options.max_outage_tail = v;
        if (a == "--min-expected-onsets") options.min_expected_onsets = v;
        if (a == "--min-joint-stop") options.min_joint_stop = static_cast<int>(v);
        if (a == "--min-day-onsets") options.min_day_onsets = v;
        if (a == "--connector-alpha") options.connector_alpha = v;
        if (a == "--max-connector-tail") options.max_connector_tail = v;
        if (a == "--max-idle-run-tail") options.max_idle_run_tail = v;
        if (a == "--idle-run-alpha") options.idle_run_alpha = v;
        if (a == "--min-power-sigma") options.min_power_sigma = v;
        if (a == "--power-confirm-z") options.power_confirm_z = v;
        if (a == "--energy-confirm-z") options.energy_confirm_z = v;
        if (a == "--run-quantile") options.run_quantile = v;
        if (a == "--min-run-share") options.min_run_share = v;
        if (a == "--min-runs") options.min_runs = static_cast<int>(v);
        if (a == "--run-alpha") options.run_alpha = v;
        if (a == "--max-power-tail") options.max_power_tail = v;
        if (a == "--calibration-share") options.calibration_share = v;
        if (a == "--rank-alpha") options.rank_alpha = v;
        if (a == "--rank-surge") options.rank_surge = v != 0.0;
        if (a == "--max-connector-silent-share") options.max_connector_silent_share = v;
        if (a == "--busy-connector-alpha") options.busy_connector_alpha = v;
        if (a == "--min-calibration-days") options.min_calibration_days = static_cast<int>(v);
        if (a == "--calibrate-outage") options.calibrate_outage = v != 0.0;
        if (a == "--calibrate-connector") options.calibrate_connector = v != 0.0;
        if (a == "--calibrate-energy") options.calibrate_energy = v != 0.0;
    }
    const std::clock_t t0 = std::clock();
    std::map<std::string, Station> stations;
    LoadBoulder(data_dir, stations);
    LoadScottish(data_dir, "Dundee", "dundee/", stations);
    LoadScottish(data_dir, "Perth_City", "perth/", stations);
    LoadAcn(data_dir, stations);
    LoadSap(data_dir, stations);
    LoadNorway(data_dir, stations);
    std::size_t sessions = 0;
    for (const auto& [name, s] : stations) sessions += s.sessions.size();
    std::printf("station model benchmark: data %s\n%zu sessions, %zu stations read\n", data_dir.c_str(), sessions,
                stations.size());
    if (sessions == 0) {
        std::fprintf(stderr, "no session tables under %s (set EVNI_DATA_DIR or --data)\n", data_dir.c_str());
        return 1;
    }

    constexpr int kHistory = 56;
    double model_seconds = 0.0;  // wall time in AnalyzeDay (56 history days as profiles, the day as minutes)
    int model_days = 0;
    std::mt19937_64 rng(seed);
    Report model, baseline;
    std::map<std::string, int> used_per_source;
    int used_stations = 0;
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    // Connector_down labels and how many were found, by day of the down run (1st, 2nd, .., 5th and later).
    std::array<std::pair<int, int>, 5> down_by_position{};
    int clean_idle_run = 0, clean_idle_run_flagged = 0;  // IdleRunInSource
    // Every test day the model judged, for the threshold sweep.
    struct Record {
        Label label;
        std::vector<Detection> dets;
        bool fault_in_source = false;
    };
    std::vector<Record> records;
    // Runs the model and the baseline on one test day; true when the model matched the label.
    const Series* current = nullptr;           // the station being tested (diagnostics)
    std::vector<bool>* tested_days = nullptr;  // its days tested so far
    auto evaluate = [&](const std::string& name, int d, const std::vector<std::vector<double>>& day, const Label& label,
                        const std::vector<st::DayProfile>& history) {
        const EpochMs day_start = history.back().day_start + st::kDayMs;
        (*tested_days)[static_cast<std::size_t>(d)] = true;
        const auto t_model = std::chrono::steady_clock::now();
        const auto res = st::AnalyzeDay(day_start, day, history, options);
        model_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_model).count();
        ++model_days;
        std::vector<Detection> dets;
        for (const auto& f : res.findings)
            dets.push_back({st::AnomalyTypeName(f.type), f.start_minute, f.end_minute, f.score});
        const bool fault_in_source = label.type.empty() && FaultInSource(day, history);
        records.push_back({label, dets, fault_in_source});
        bool wrong = false;
        for (const auto& x : dets) wrong |= x.type != label.type;
        if (std::getenv("EVNI_BENCH_DEBUG") &&
            (label.type.empty() ? !dets.empty()
                                : dets.empty() || (std::getenv("EVNI_BENCH_DEBUG")[0] == '2' && wrong))) {
            std::printf("%s[%d,%d) %s day %d hist %d exp %.1f act %.1f:",
                        label.type.empty() ? (fault_in_source ? "FP-source" : "FP") : label.type.c_str(),
                        label.start_minute, label.end_minute, name.c_str(), d, res.history_days, res.expected_kwh,
                        res.actual_kwh);
            if (label.type == "outage" && label.start_minute > 0) {
                int n = 0;
                for (const auto& c : day) n += c[static_cast<std::size_t>(label.start_minute - 1)] > 1e-4;
                std::printf(" stopped=%d", n);
            }
            for (const auto& f : res.findings) {
                std::printf(" %s[%d,%d) e=%.1f s=%.2f", st::AnomalyTypeName(f.type), f.start_minute, f.end_minute,
                            f.expected_kwh, f.score);
                if (!f.connector || !label.type.empty()) continue;
                // An untouched day's connector_down: how often the connector delivers, and its idle run in the
                // source before and after the day (the days after are what the model cannot see).
                const std::size_t c = *f.connector;
                int working = 0, active = 0, before = 0, after = 0;
                for (const auto& h : history) {
                    if (h.Total() < 0.01) continue;
                    ++working;
                    active += h.ConnectorTotal(c) >= 0.01;
                }
                for (std::size_t i = history.size(); i-- > 0 && history[i].ConnectorTotal(c) < 0.01;) ++before;
                for (int k = d + 1; k < current->days && k <= d + 14; ++k) {
                    const auto& g = current->minutes[static_cast<std::size_t>(k)];
                    double mine = 0.0;
                    for (double v : g[c]) mine += v;
                    if (mine >= 0.01 && DayTotal(g) >= 0.01) break;
                    ++after;
                }
                std::printf(" {c%zu/%zu active %d/%d idle before %d after %d}", c, day.size(), active, working, before,
                            after);
            }
            std::printf("\n");
        }
        if (label.type.empty() && IdleRunInSource(day, history)) {
            ++clean_idle_run;
            clean_idle_run_flagged += !dets.empty();
        }
        const bool hit = model.Add(label, dets, fault_in_source);
        baseline.Add(label, Baseline(day, day_start, history), fault_in_source);
        return hit;
    };
    for (const auto& [name, station] : stations) {
        if (station.sessions.size() < 200) continue;
        const Series s = BuildSeries(station, fixed_power, seed);
        current = &s;
        if (s.days < kHistory + 14) continue;
        // Busy enough that a fault is observable: median daily energy >= min_daily_kwh over the station's life.
        std::vector<double> totals;
        for (const auto& d : s.minutes) totals.push_back(DayTotal(d));
        std::vector<double> sorted = totals;
        std::sort(sorted.begin(), sorted.end());
        if (sorted[sorted.size() / 2] < min_daily_kwh) continue;
        ++used_stations;
        ++used_per_source[name.substr(0, name.find('/'))];

        // A few past outages in the history (the expected profile must be robust to them).
        std::vector<bool> past_outage(static_cast<std::size_t>(s.days), false);
        for (int d = 0; d < s.days; ++d) past_outage[static_cast<std::size_t>(d)] = u01(rng) < 0.03;
        std::vector<st::DayProfile> profiles;
        for (int d = 0; d < s.days; ++d) {
            auto p = st::ToProfile(s.first_day + d * st::kDayMs, s.minutes[static_cast<std::size_t>(d)]);
            if (past_outage[static_cast<std::size_t>(d)]) {
                for (auto& c : p.connectors) c.fill(0.0);
            }
            profiles.push_back(std::move(p));
        }
        std::uniform_int_distribution<int> pick_day(kHistory, s.days - 1);
        // A station-day is tested once (before round 5 a day drawn twice was tested, and counted, twice).
        std::vector<bool> tested(static_cast<std::size_t>(s.days), false);
        tested_days = &tested;
        for (int n = 0; n < days_per_station; ++n) {
            const int d = pick_day(rng);
            if (past_outage[static_cast<std::size_t>(d)]) continue;
            if (once && tested[static_cast<std::size_t>(d)]) continue;
            auto day = s.minutes[static_cast<std::size_t>(d)];
            // A day without a single recorded session is an export gap (or a real outage nobody labelled):
            // not a test day.
            if (DayTotal(day) < 0.01) continue;
            // Test days need a history with data: at least 40 of the 56 days before with recorded sessions.
            int active = 0;
            for (int k = d - kHistory; k < d; ++k) active += profiles[static_cast<std::size_t>(k)].Total() > 0.01;
            if (active < 40) continue;
            Label label;
            const double r = u01(rng);
            if (r < 0.35) {
                // untouched
            } else if (r < 0.45) {
                label = {"outage", 0, st::kMinutesPerDay};
                for (auto& c : day) std::fill(c.begin(), c.end(), 0.0);
            } else if (r < 0.58) {
                // Some hours of outage (3 to 8) where the station's history says energy flows: windows whose
                // mean energy over the 56 days before is at least a quarter of a mean day (an outage at night
                // at a workplace station is not observable, by anyone).
                const int len = std::uniform_int_distribution<int>(3, 8)(rng);
                std::vector<int> starts;
                double mean_day = 0.0;
                std::array<double, 24> mean_hour{};
                for (int k = d - kHistory; k < d; ++k) {
                    for (int h = 0; h < 24; ++h)
                        mean_hour[static_cast<std::size_t>(h)] +=
                            profiles[static_cast<std::size_t>(k)].StationHour(h) / kHistory;
                }
                for (double v : mean_hour) mean_day += v;
                for (int start = 0; start + len <= 24; ++start) {
                    double e = 0.0;
                    for (int h = start; h < start + len; ++h) e += mean_hour[static_cast<std::size_t>(h)];
                    if (e >= 0.25 * mean_day) starts.push_back(start);
                }
                if (starts.empty()) continue;
                const int start = starts[std::uniform_int_distribution<std::size_t>(0, starts.size() - 1)(rng)];
                label = {"outage", start * 60, (start + len) * 60};
                for (std::size_t c = 0; c < day.size(); ++c) {
                    auto& grid = day[c];
                    std::fill(grid.begin() + start * 60, grid.begin() + (start + len) * 60, 0.0);
                    if (!cut_sessions) continue;
                    // A real outage ends the sessions in progress (the charger loses power and stops the
                    // transaction: no delivery after the outage starts) and a car arriving during it finds the
                    // station dead (its session never happens). Sessions starting after it are unchanged.
                    for (const auto& [a, b] : s.deliveries[static_cast<std::size_t>(d)][c]) {
                        const int from = a < start * 60 ? start * 60 : a;
                        if (a < (start + len) * 60 && b > start * 60 && from < b)
                            std::fill(grid.begin() + from, grid.begin() + b, 0.0);
                    }
                }
            } else if (r < 0.72) {
                const double f = std::uniform_real_distribution<double>(0.3, 0.6)(rng);
                label = {"energy_drop", 0, st::kMinutesPerDay};
                for (auto& c : day) {
                    for (auto& v : c) v *= f;
                }
            } else if (r < 0.86) {
                const double f = std::uniform_real_distribution<double>(1.8, 3.0)(rng);
                label = {"energy_surge", 0, st::kMinutesPerDay};
                for (auto& c : day) {
                    for (auto& v : c) v *= f;
                }
            } else {
                // The connector that delivered on the most of the 56 days before, if it did on >= 80 % of them
                // (a connector used now and then is silent on many days anyway).
                if (s.connectors.size() < 2) continue;
                std::size_t busiest = 0;
                int best = -1;
                for (std::size_t c = 0; c < s.connectors.size(); ++c) {
                    int active = 0;
                    for (int k = d - kHistory; k < d; ++k)
                        active += profiles[static_cast<std::size_t>(k)].ConnectorTotal(c) > 0.01;
                    if (active > best) best = active, busiest = c;
                }
                if (best < 0.8 * kHistory) continue;
                // A failed connector stays down until it is repaired: whole days, from day d on, for a run of
                // 1 to --connector-down-days days (uniform; 1 = the single day of the benchmark before
                // 2026-11-28). Every day of the run is a test day, its history holding the run's earlier days.
                const int run_days = max_down_days > 1 ? std::uniform_int_distribution<int>(1, max_down_days)(rng) : 1;
                for (int k = 0; k < run_days && d + k < s.days; ++k) {
                    const int dd = d + k;
                    auto down_day = s.minutes[static_cast<std::size_t>(dd)];
                    // A day the whole station is out (a past outage, an export gap) is no test day; the run goes on.
                    if (past_outage[static_cast<std::size_t>(dd)] || DayTotal(down_day) < 0.01) continue;
                    std::fill(down_day[busiest].begin(), down_day[busiest].end(), 0.0);
                    std::vector<st::DayProfile> history(profiles.begin() + (dd - kHistory), profiles.begin() + dd);
                    for (int j = d; j < dd; ++j) {
                        auto grid = s.minutes[static_cast<std::size_t>(j)];
                        std::fill(grid[busiest].begin(), grid[busiest].end(), 0.0);
                        auto& h = history[static_cast<std::size_t>(j - (dd - kHistory))];
                        if (!past_outage[static_cast<std::size_t>(j)]) h = st::ToProfile(h.day_start, grid);
                    }
                    const bool hit = evaluate(name, dd, down_day, {"connector_down", 0, st::kMinutesPerDay}, history);
                    auto& pos = down_by_position[std::min(k, 4)];
                    ++pos.first;
                    pos.second += hit;
                }
                continue;
            }
            std::vector<st::DayProfile> history(profiles.begin() + (d - kHistory), profiles.begin() + d);
            evaluate(name, d, day, label, history);
        }
    }
    std::printf("%d stations busy enough (median >= %.0f kWh/day, >= 70 days):", used_stations, min_daily_kwh);
    for (const auto& [source, n] : used_per_source) std::printf(" %s=%d", source.c_str(), n);
    std::printf("\n");
    model.Print("station model");
    baseline.Print("weekday median");
    std::printf(
        "\nuntouched days with a connector idle >= 3 days in a row in the source (diagnostic): %d, %d of "
        "them flagged by the model\n",
        clean_idle_run, clean_idle_run_flagged);
    // The precision/recall trade-off per type: findings of that type kept only when their score is at least
    // t (the other types as the model reports them), with the share of untouched days flagged.
    std::printf(
        "\nthreshold sweep (a type's findings kept when score >= t; others unchanged):\n%-16s %5s %7s %7s %7s "
        "%8s %8s\n",
        "type", "t", "prec", "recall", "F1", "clean%", "clean-sf%");
    for (const auto& type : kTypes) {
        for (const double t : {0.5, 0.52, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8}) {
            Report r;
            for (const auto& rec : records) {
                std::vector<Detection> kept;
                for (const auto& x : rec.dets) {
                    if (x.type != type || x.score >= t) kept.push_back(x);
                }
                r.Add(rec.label, kept, rec.fault_in_source);
            }
            const Counts c = r.per_type[type];
            const double p = c.detections ? static_cast<double>(c.true_detections) / c.detections : 0.0;
            const double rc = c.labels ? static_cast<double>(c.matched_labels) / c.labels : 0.0;
            const int rest = r.clean - r.source_fault;
            std::printf("%-16s %5.2f %7.3f %7.3f %7.3f %7.2f%% %7.2f%%\n", type.c_str(), t, p, rc,
                        p + rc > 0 ? 2 * p * rc / (p + rc) : 0.0, 100.0 * r.clean_flagged / std::max(1, r.clean),
                        100.0 * (r.clean_flagged - r.source_fault_flagged) / std::max(1, rest));
        }
    }
    std::printf("connector_down recall by day of the down run (up to %d days):", max_down_days);
    for (std::size_t k = 0; k < down_by_position.size(); ++k) {
        const auto [n, hits] = down_by_position[k];
        if (n > 0) std::printf(" day %zu%s %d/%d", k + 1, k + 1 == down_by_position.size() ? "+" : "", hits, n);
    }
    std::printf("\n");
    std::printf("\nmodel %.3f ms per station-day (%d station-days); CPU time %.1f s in all\n",
                1000.0 * model_seconds / std::max(1, model_days), model_days,
                static_cast<double>(std::clock() - t0) / CLOCKS_PER_SEC);
    return 0;
}
