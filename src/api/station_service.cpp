#include "api/station_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <map>

#include "util/crypto.h"
#include "util/log.h"

namespace evni::api {
namespace json = boost::json;
namespace st = analysis::station;
using domain::EpochMs;

namespace {

constexpr int kEnergyHours = 24;

Error StationNotFound() { return Error::NotFound("Charging station not found"); }

double Round(double v, double unit) { return std::round(v / unit) * unit; }

std::string DayText(EpochMs day) { return FormatIsoDateTime(day).substr(0, 10); }

// Connector key of a session: its connector id, else "" (sessions that name none).
std::string ConnectorKey(const storage::StationSession& s) { return s.connector_id.value_or(""); }

storage::SessionRecord AsRecord(const std::string& tenant_id, const storage::StationSession& s) {
    storage::SessionRecord r;
    r.pk = s.pk;
    r.tenant_id = tenant_id;
    r.session_id = s.session_id;
    return r;
}

}  // namespace

Result<storage::StationPage> StationService::List(const domain::Principal& who, const storage::StationFilter& f) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto page = tx->Stations().List(who.tenant_id, f);
    tx->Commit();
    return page;
}

Result<StationDetail> StationService::Get(const domain::Principal& who, const std::string& station_id) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto& stations = tx->Stations();
    auto found = stations.Find(who.tenant_id, station_id);
    if (!found) return Fail(StationNotFound());
    StationDetail d{std::move(*found), stations.Connectors(who.tenant_id, station_id),
                    stations.StationCategories(who.tenant_id, station_id)};
    tx->Commit();
    return d;
}

Result<std::vector<std::string>> StationService::Lookup(const domain::Principal& who) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto ids = tx->Stations().Ids(who.tenant_id);
    tx->Commit();
    return ids;
}

Result<EnergyView> StationService::Energy(const domain::Principal& who, const std::string& station_id,
                                          std::optional<EpochMs> date_to, std::optional<std::string> anomaly_id) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto& stations = tx->Stations();
    if (!stations.Find(who.tenant_id, station_id)) return Fail(StationNotFound());
    EpochMs to = 0;
    if (anomaly_id) {
        auto result = stations.FindDayByInference(who.tenant_id, station_id, *anomaly_id);
        if (!result) return Fail(Error::NotFound("Station anomaly not found at this charging station"));
        to = result->day + st::kDayMs - 1;
    } else if (date_to) {
        to = *date_to;
    } else if (auto span = stations.ActivitySpan(who.tenant_id, station_id)) {
        to = span->second;
    } else {
        to = clock_.NowMs();
    }
    // Whole hours: the window ends at the first hour boundary at or after `to`.
    to = (to + st::kHourMs - 1) / st::kHourMs * st::kHourMs;
    EnergyView v;
    v.station_id = station_id;
    v.to = to;
    v.from = to - kEnergyHours * st::kHourMs;
    std::map<std::string, std::vector<double>> bins;
    std::vector<double> station_bins(kEnergyHours, 0.0);
    for (const auto& c : stations.Connectors(who.tenant_id, station_id)) bins[c.connector_id].assign(kEnergyHours, 0.0);
    for (const auto& s : stations.SessionsBetween(who.tenant_id, station_id, v.from, v.to)) {
        const auto values = tx->Sessions().LoadValues(AsRecord(who.tenant_id, s));
        const auto intervals = st::EnergyIntervals(values);
        auto& b = bins[ConnectorKey(s)];
        if (b.empty()) b.assign(kEnergyHours, 0.0);
        st::SpreadEnergy(intervals, v.from, st::kHourMs, b);
        st::SpreadEnergy(intervals, v.from, st::kHourMs, station_bins);
    }
    for (const auto& a : stations.AnomaliesBetween(who.tenant_id, station_id, v.from, v.to))
        v.anomaly_occurrences.push_back(a.start_ms);
    // Station model findings of the days in the window.
    for (EpochMs day = st::DayStart(v.from); day < v.to; day += st::kDayMs) {
        auto result = stations.FindDay(who.tenant_id, station_id, day);
        if (!result || !result->is_anomaly) continue;
        boost::system::error_code ec;
        auto markers = json::parse(result->markers_json, ec);
        if (ec || !markers.is_array() || markers.as_array().empty()) continue;
        const auto& first = markers.as_array().front();
        if (!first.is_array() || first.as_array().empty()) continue;
        const EpochMs at = day + first.as_array()[0].to_number<std::int64_t>() * st::kMinuteMs;
        if (at >= v.from && at < v.to) v.anomaly_occurrences.push_back(at);
    }
    tx->Commit();
    std::sort(v.anomaly_occurrences.begin(), v.anomaly_occurrences.end());
    for (auto& [id, b] : bins) {
        std::vector<EnergyPoint> points;
        for (int h = 0; h < kEnergyHours; ++h)
            points.push_back({v.from + h * st::kHourMs, Round(b[static_cast<std::size_t>(h)], 1e-4)});
        v.connectors.emplace_back(id, std::move(points));
    }
    for (int h = 0; h < kEnergyHours; ++h) {
        v.station.push_back({v.from + h * st::kHourMs, Round(station_bins[static_cast<std::size_t>(h)], 1e-4)});
        v.delivered_kwh += station_bins[static_cast<std::size_t>(h)];
    }
    v.delivered_kwh = Round(v.delivered_kwh, 1e-4);
    return v;
}

storage::StationDayRecord StationService::AnalyzeAndStore(const std::string& tenant_id, const std::string& station_id,
                                                          EpochMs day) {
    const EpochMs now = clock_.NowMs();
    std::vector<std::string> connectors;
    std::vector<std::vector<double>> today;
    std::vector<st::DayProfile> history;
    {
        auto tx = store_.Begin(storage::TxMode::kRead);
        auto& stations = tx->Stations();
        std::map<std::string, std::size_t> index;
        for (const auto& c : stations.Connectors(tenant_id, station_id)) {
            index[c.connector_id] = connectors.size();
            connectors.push_back(c.connector_id);
        }
        // History: the days before `day`, from the station's first meter value on (days before it existed
        // are not days without energy).
        EpochMs history_from = day - options_.history_days * st::kDayMs;
        if (auto span = stations.ActivitySpan(tenant_id, station_id)) {
            history_from = std::max(history_from, st::DayStart(span->first));
        }
        history_from = std::min(history_from, day);
        const auto history_days = static_cast<std::size_t>((day - history_from) / st::kDayMs);
        const auto sessions = stations.SessionsBetween(tenant_id, station_id, history_from, day + st::kDayMs);
        for (const auto& s : sessions) {
            const auto key = ConnectorKey(s);
            if (!index.count(key)) {
                index[key] = connectors.size();
                connectors.push_back(key);
            }
        }
        today.assign(connectors.size(), std::vector<double>(st::kMinutesPerDay, 0.0));
        // Each connector's delivery intervals; the history days are rebuilt from them minute by minute, so
        // the model sees the same activity (minutes delivering, session onsets) in history as today.
        std::vector<std::vector<st::EnergyInterval>> delivered(connectors.size());
        for (const auto& s : sessions) {
            const auto c = index[ConnectorKey(s)];
            const auto intervals = st::EnergyIntervals(tx->Sessions().LoadValues(AsRecord(tenant_id, s)));
            st::SpreadEnergy(intervals, day, st::kMinuteMs, today[c]);
            delivered[c].insert(delivered[c].end(), intervals.begin(), intervals.end());
        }
        tx->Commit();
        // Sorted by start, a day needs only the intervals starting in it or at most the longest one before.
        std::vector<EpochMs> longest(connectors.size(), 0);
        for (std::size_t c = 0; c < connectors.size(); ++c) {
            std::sort(delivered[c].begin(), delivered[c].end(),
                      [](const st::EnergyInterval& a, const st::EnergyInterval& b) { return a.start_ms < b.start_ms; });
            for (const auto& iv : delivered[c]) longest[c] = std::max(longest[c], iv.end_ms - iv.start_ms);
        }
        std::vector<std::vector<double>> grid(connectors.size());
        for (std::size_t d = 0; d < history_days; ++d) {
            const EpochMs start = history_from + static_cast<EpochMs>(d) * st::kDayMs;
            for (std::size_t c = 0; c < connectors.size(); ++c) {
                grid[c].assign(st::kMinutesPerDay, 0.0);
                const auto& ivs = delivered[c];
                auto by_start = [](const st::EnergyInterval& iv, EpochMs t) { return iv.start_ms < t; };
                const auto from = std::lower_bound(ivs.begin(), ivs.end(), start - longest[c], by_start);
                const auto to = std::lower_bound(from, ivs.end(), start + st::kDayMs, by_start);
                st::SpreadEnergy(std::span(from, to), start, st::kMinuteMs, grid[c]);
            }
            history.push_back(st::ToProfile(start, grid));
        }
    }
    const int until = now >= day + st::kDayMs ? st::kMinutesPerDay
                                              : static_cast<int>(std::max<EpochMs>(0, now - day) / st::kMinuteMs);
    const auto res = st::AnalyzeDay(day, today, history, options_, until);

    storage::StationDayRecord r;
    r.tenant_id = tenant_id;
    r.station_id = station_id;
    r.day = day;
    r.inference_id = crypto::NewUuid();
    r.analyzed_at = now;
    r.is_anomaly = res.is_anomaly;
    r.day_score = Round(res.day_score, 1e-4);
    r.expected_kwh = Round(res.expected_kwh, 1e-3);
    r.actual_kwh = Round(res.actual_kwh, 1e-3);
    json::object details;
    json::array findings;
    for (const auto& f : res.findings) {
        const bool whole = f.start_minute == 0 && f.end_minute >= st::kMinutesPerDay;
        json::object o{{"anomaly_type", st::AnomalyTypeName(f.type)},
                       {"expected_energy_kwh", Round(f.expected_kwh, 1e-3)},
                       {"actual_energy_kwh", Round(f.actual_kwh, 1e-3)},
                       {"affected_period", whole ? DayText(day)
                                                 : FormatIsoDateTime(day + f.start_minute * st::kMinuteMs) + "/" +
                                                       FormatIsoDateTime(day + f.end_minute * st::kMinuteMs)},
                       {"score", Round(f.score, 1e-4)}};
        if (f.connector) o["connector_id"] = connectors[*f.connector];
        findings.push_back(std::move(o));
    }
    if (!res.findings.empty()) {
        const auto& top = findings.front().as_object();
        r.anomaly_type = std::string(top.at("anomaly_type").as_string());
        details = top;
        details.erase("score");
    } else {
        details = json::object{{"anomaly_type", nullptr},
                               {"expected_energy_kwh", r.expected_kwh},
                               {"actual_energy_kwh", r.actual_kwh},
                               {"affected_period", DayText(day)}};
    }
    details["day_expected_energy_kwh"] = r.expected_kwh;
    details["day_actual_energy_kwh"] = r.actual_kwh;
    details["history_days"] = res.history_days;
    details["enough_history"] = res.enough_history;
    details["analyzed_until_minute"] = until;
    details["findings"] = std::move(findings);
    r.details_json = json::serialize(details);
    json::array timeline;
    for (double v : res.cumulative_kwh) timeline.push_back(Round(v, 1e-4));
    r.timeline_json = json::serialize(timeline);
    json::array markers;
    for (const auto& m : res.markers) markers.push_back(json::array{m.start_minute, Round(m.score, 1e-4)});
    r.markers_json = json::serialize(markers);

    return storage::WithRetry([&] {
        auto tx = store_.Begin(storage::TxMode::kWrite);
        auto& stations = tx->Stations();
        const auto previous = stations.FindDay(tenant_id, station_id, day);
        stations.SaveDay(r);
        // Announce a station anomaly once per station-day and type.
        if (r.is_anomaly && (!previous || !previous->is_anomaly || previous->anomaly_type != r.anomaly_type)) {
            json::object data{{"chargingStationId", station_id},
                              {"inferenceId", r.inference_id},
                              {"day", DayText(day)},
                              {"anomalyScore", r.day_score},
                              {"analyzedAt", FormatIsoDateTime(r.analyzed_at)}};
            boost::system::error_code ec;
            auto parsed = json::parse(r.details_json, ec);
            data["detectionDetails"] = ec ? json::value(json::object{}) : parsed;
            events_.Emit(*tx, tenant_id, "station.anomaly", std::move(data));
        }
        tx->Commit();
        return r;
    });
}

Result<storage::StationDayRecord> StationService::Inference(const domain::Principal& who, const std::string& station_id,
                                                            std::optional<EpochMs> day) {
    std::optional<storage::StationDayRecord> stored;
    {
        auto tx = store_.Begin(storage::TxMode::kRead);
        auto& stations = tx->Stations();
        if (!stations.Find(who.tenant_id, station_id)) return Fail(StationNotFound());
        if (day) {
            stored = stations.FindDay(who.tenant_id, station_id, st::DayStart(*day));
        } else {
            stored = stations.LatestDay(who.tenant_id, station_id);
            if (!stored) {
                auto span = stations.ActivitySpan(who.tenant_id, station_id);
                day = st::DayStart(span ? span->second : clock_.NowMs());
            }
        }
        tx->Commit();
    }
    if (stored) return *stored;
    return AnalyzeAndStore(who.tenant_id, station_id, st::DayStart(*day));
}

Result<storage::StationDayPage> StationService::History(const domain::Principal& who, const std::string& station_id,
                                                        std::int64_t page, std::int64_t page_size) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto& stations = tx->Stations();
    if (!stations.Find(who.tenant_id, station_id)) return Fail(StationNotFound());
    auto out = stations.ListDays(who.tenant_id, station_id, page, page_size);
    tx->Commit();
    return out;
}

int StationService::RunDaily() {
    const EpochMs now = clock_.NowMs();
    const EpochMs day = st::DayStart(now) - st::kDayMs;
    std::vector<std::pair<std::string, std::string>> active;
    {
        auto tx = store_.Begin(storage::TxMode::kRead);
        active = tx->Stations().ActiveStations(day - 7 * st::kDayMs);
        tx->Commit();
    }
    int analysed = 0;
    for (const auto& [tenant, station] : active) {
        try {
            {
                auto tx = store_.Begin(storage::TxMode::kRead);
                auto existing = tx->Stations().FindDay(tenant, station, day);
                tx->Commit();
                if (existing && existing->analyzed_at >= day + st::kDayMs) continue;
            }
            AnalyzeAndStore(tenant, station, day);
            ++analysed;
        } catch (const std::exception& e) {
            spdlog::warn("station model failed for {}/{}: {}", tenant, station, e.what());
        }
    }
    return analysed;
}

}  // namespace evni::api
