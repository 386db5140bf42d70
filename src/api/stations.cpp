// Stations resource: registry, aggregates, energy timelines and the station model (station_service.h).
#include <boost/json.hpp>

#include "api/handlers.h"
#include "api/json_util.h"
#include "api/station_service.h"

namespace evni::api {
namespace json = boost::json;
namespace {

json::value OptNumber(const std::optional<double>& d) { return d ? json::value(*d) : json::value(nullptr); }

json::value ParseJsonOr(const std::optional<std::string>& text, json::value fallback) {
    if (!text) return fallback;
    boost::system::error_code ec;
    auto v = json::parse(*text, ec);
    return ec ? fallback : v;
}

json::object Categories(const std::map<std::string, std::int64_t>& categories) {
    json::object o;
    for (const auto& [category, n] : categories) o[category] = n;
    return o;
}

json::object ConnectorObject(const storage::ConnectorRecord& c, bool with_categories) {
    json::object o{{"connectorId", c.connector_id},
                   {"evseId", c.evse_id ? json::value(*c.evse_id) : json::value(nullptr)},
                   {"totalSessions", c.aggregates.total_sessions},
                   {"anomalousSessions", c.aggregates.anomalous_sessions},
                   {"maxScore", OptNumber(c.aggregates.max_score)},
                   {"latestScore", OptNumber(c.aggregates.latest_score)},
                   {"lastAnomalyDate", TimeOrNull(c.aggregates.last_anomaly_at)},
                   {"metadata", ParseJsonOr(c.metadata_json, nullptr)}};
    if (with_categories) o["anomalyCategories"] = Categories(c.categories);
    return o;
}

// page/pageSize/limit: `limit` caps the page size (the reference accepts both).
struct Paging {
    std::int64_t page = 1;
    std::int64_t size = 50;
};
std::optional<Paging> DecodePaging(const Request& req, FieldErrors& errors) {
    auto page = QueryInt(req.Query("page"), "page", 1, 1, 1'000'000, errors);
    auto size = QueryInt(req.Query("pageSize"), "pageSize", 50, 1, 1000, errors);
    auto limit = QueryInt(req.Query("limit"), "limit", 1000, 1, 1000, errors);
    if (!page || !size || !limit) return std::nullopt;
    return Paging{*page, std::min(*size, *limit)};
}

std::optional<EpochMs> DateQuery(const Request& req, const char* name, bool end_of_day, FieldErrors& errors) {
    auto raw = req.Query(name);
    if (!raw) return std::nullopt;
    auto t = ParseDateBound(*raw, end_of_day);
    if (!t) {
        errors.Add({std::string("query"), std::string(name)},
                   "Input should be a valid date or datetime (YYYY-MM-DD or ISO 8601)", "datetime_parsing");
    }
    return t;
}

std::optional<bool> SortQuery(const Request& req, const char* name, FieldErrors& errors) {
    auto raw = req.Query(name);
    if (!raw) return std::nullopt;
    if (*raw == "asc") return true;
    if (*raw == "desc") return false;
    errors.Add({std::string("query"), std::string(name)}, "Input should be 'asc' or 'desc'", "enum");
    return std::nullopt;
}

json::object InferenceObject(const storage::StationDayRecord& r) {
    return json::object{{"chargingStationId", r.station_id},
                        {"inferenceId", r.inference_id},
                        {"day", FormatIsoDateTime(r.day).substr(0, 10)},
                        {"isAnomaly", r.is_anomaly},
                        {"anomalyScore", r.day_score},
                        {"detectionDetails", ParseJsonOr(r.details_json, json::object{})},
                        {"analyzedAt", FormatIsoDateTime(r.analyzed_at)}};
}

Result<std::optional<EpochMs>> DayQuery(const Request& req) {
    FieldErrors errors;
    auto day = DateQuery(req, "date", false, errors);
    if (!errors.Empty()) return Fail(errors.ToError());
    return day;
}

}  // namespace

void AddStationRoutes(std::vector<Route>& routes, const ApiContext& ctx) {
    StationService* svc = ctx.stations;
    using domain::Role;

    routes.push_back(
        {"GET", "/v1/stations", Role::kViewer, 0, "List stations with aggregated anomaly statistics",
         [svc](Request& req) -> Result<Response> {
             FieldErrors errors;
             storage::StationFilter f;
             auto paging = DecodePaging(req, errors);
             if (auto s = req.Query("ocpp_charging_station_id")) f.station_id = std::string(*s);
             f.occurrence_from = DateQuery(req, "occurrenceFrom", false, errors);
             f.occurrence_to = DateQuery(req, "occurrenceTo", true, errors);
             auto by_anomalies = SortQuery(req, "sortByAnomalies", errors);
             auto by_score = SortQuery(req, "sortByScore", errors);
             if (!errors.Empty()) return Fail(errors.ToError());
             f.page = paging->page;
             f.page_size = paging->size;
             if (by_anomalies) {
                 f.sort = *by_anomalies ? storage::StationSort::kAnomaliesAsc : storage::StationSort::kAnomaliesDesc;
             } else if (by_score) {
                 f.sort = *by_score ? storage::StationSort::kScoreAsc : storage::StationSort::kScoreDesc;
             }
             auto result = svc->List(*req.principal, f);
             if (!result) return Fail(std::move(result.error()));
             json::array content;
             for (const auto& s : result->items) {
                 content.push_back(json::object{
                     {"id", s.station_id},
                     {"chargingStationId", s.station_id},
                     {"ocppChargingStationId", s.station_id},
                     {"aiScore", OptNumber(s.aggregates.max_score)},
                     {"latestScore", OptNumber(s.aggregates.latest_score)},
                     {"totalAnomalies", s.aggregates.anomalous_sessions},
                     {"totalSessions", s.aggregates.total_sessions},
                     {"lastAnomalyDate", TimeOrNull(s.aggregates.last_anomaly_at)},
                 });
             }
             return JsonResponse(json::object{
                 {"content", std::move(content)},
                 {"pagination",
                  json::object{{"totalCount", result->total_count}, {"page", f.page}, {"size", f.page_size}}},
             });
         }});

    routes.push_back({"GET", "/v1/stations/lookup", Role::kViewer, 0, "Distinct station ids",
                      [svc](Request& req) -> Result<Response> {
                          auto ids = svc->Lookup(*req.principal);
                          if (!ids) return Fail(std::move(ids.error()));
                          json::array items;
                          for (const auto& id : *ids) items.push_back(json::value(id));
                          return JsonResponse(json::object{{"items", std::move(items)}});
                      }});

    routes.push_back({"GET", "/v1/stations/{charging_station_id}", Role::kViewer, 0, "Station detail",
                      [svc](Request& req) -> Result<Response> {
                          auto d = svc->Get(*req.principal, req.path_params.at("charging_station_id"));
                          if (!d) return Fail(std::move(d.error()));
                          json::array connectors;
                          for (const auto& c : d->connectors) connectors.push_back(ConnectorObject(c, false));
                          const auto& a = d->station.aggregates;
                          return JsonResponse(json::object{
                              {"chargingStationId", d->station.station_id},
                              {"connectors", std::move(connectors)},
                              {"totalSessions", a.total_sessions},
                              {"anomalousSessions", a.anomalous_sessions},
                              {"anomalyCategories", Categories(d->categories)},
                              {"maxScore", OptNumber(a.max_score)},
                              {"latestScore", OptNumber(a.latest_score)},
                              {"lastAnomalyDate", TimeOrNull(a.last_anomaly_at)},
                              {"lastActivityAt", TimeOrNull(d->station.last_activity_at)},
                              {"createdAt", FormatIsoDateTime(d->station.created_at)},
                              {"metadata", ParseJsonOr(d->station.metadata_json, nullptr)},
                          });
                      }});

    routes.push_back({"GET", "/v1/stations/{charging_station_id}/connectors", Role::kViewer, 0,
                      "Station connectors with anomaly categories", [svc](Request& req) -> Result<Response> {
                          auto d = svc->Get(*req.principal, req.path_params.at("charging_station_id"));
                          if (!d) return Fail(std::move(d.error()));
                          json::array connectors;
                          for (const auto& c : d->connectors) connectors.push_back(ConnectorObject(c, true));
                          return JsonResponse(json::object{{"chargingStationId", d->station.station_id},
                                                           {"connectors", std::move(connectors)}});
                      }});

    routes.push_back(
        {"GET", "/v1/stations/{charging_station_id}/energy", Role::kViewer, 0, "Station energy timelines",
         [svc](Request& req) -> Result<Response> {
             FieldErrors errors;
             auto date_to = DateQuery(req, "dateTo", true, errors);
             std::optional<std::string> anomaly_id;
             if (auto a = req.Query("anomalyId")) anomaly_id = std::string(*a);
             if (!errors.Empty()) return Fail(errors.ToError());
             auto v = svc->Energy(*req.principal, req.path_params.at("charging_station_id"), date_to, anomaly_id);
             if (!v) return Fail(std::move(v.error()));
             auto points = [](const std::vector<EnergyPoint>& ps) {
                 json::array out;
                 for (const auto& p : ps)
                     out.push_back(json::object{{"energy", p.kwh}, {"timestamp", FormatIsoDateTime(p.at)}});
                 return out;
             };
             json::array connectors;
             for (const auto& [id, ps] : v->connectors)
                 connectors.push_back(json::object{{"connectorId", id}, {"energy", points(ps)}});
             json::array occurrences;
             for (auto t : v->anomaly_occurrences) occurrences.push_back(json::value(FormatIsoDateTime(t)));
             return JsonResponse(json::object{
                 {"chargingStationId", v->station_id},
                 {"dateFrom", FormatIsoDateTime(v->from)},
                 {"dateTo", FormatIsoDateTime(v->to)},
                 {"anomalyOccurrences", std::move(occurrences)},
                 {"energyConsumptionConnectors", std::move(connectors)},
                 {"energyConsumptionStation", points(v->station)},
                 {"energyDelivered", v->delivered_kwh},
             });
         }});

    routes.push_back({"GET", "/v1/stations/{charging_station_id}/inference", Role::kViewer, 0, "Station model result",
                      [svc](Request& req) -> Result<Response> {
                          auto day = DayQuery(req);
                          if (!day) return Fail(std::move(day.error()));
                          auto r = svc->Inference(*req.principal, req.path_params.at("charging_station_id"), *day);
                          if (!r) return Fail(std::move(r.error()));
                          return JsonResponse(InferenceObject(*r));
                      }});

    routes.push_back(
        {"GET", "/v1/stations/{charging_station_id}/shade-overview", Role::kViewer, 0,
         "Cumulative energy timeline with anomaly markers", [svc](Request& req) -> Result<Response> {
             auto day = DayQuery(req);
             if (!day) return Fail(std::move(day.error()));
             auto r = svc->Inference(*req.principal, req.path_params.at("charging_station_id"), *day);
             if (!r) return Fail(std::move(r.error()));
             json::array timeline;
             auto values = ParseJsonOr(r->timeline_json, json::array{});
             if (values.is_array()) {
                 // Point m: the energy delivered up to the end of minute m.
                 std::int64_t minute = 1;
                 for (const auto& v : values.as_array()) {
                     timeline.push_back(json::object{{"timestamp", FormatIsoDateTime(r->day + minute * 60'000)},
                                                     {"cumulativeKwh", v}});
                     ++minute;
                 }
             }
             json::array markers;
             auto stored = ParseJsonOr(r->markers_json, json::array{});
             if (stored.is_array()) {
                 for (const auto& m : stored.as_array()) {
                     if (!m.is_array() || m.as_array().size() < 2) continue;
                     const auto minute = m.as_array()[0].to_number<std::int64_t>();
                     markers.push_back(json::object{{"startMinute", minute},
                                                    {"timestamp", FormatIsoDateTime(r->day + minute * 60'000)},
                                                    {"score", m.as_array()[1]}});
                 }
             }
             return JsonResponse(json::object{{"chargingStationId", r->station_id},
                                              {"day", FormatIsoDateTime(r->day).substr(0, 10)},
                                              {"dayScore", r->day_score},
                                              {"isAnomaly", r->is_anomaly},
                                              {"energyTimeline", std::move(timeline)},
                                              {"anomalyMarkers", std::move(markers)},
                                              {"analyzedAt", FormatIsoDateTime(r->analyzed_at)}});
         }});

    routes.push_back(
        {"GET", "/v1/stations/{charging_station_id}/anomalies", Role::kViewer, 0,
         "Station model results, newest day first", [svc](Request& req) -> Result<Response> {
             FieldErrors errors;
             auto paging = DecodePaging(req, errors);
             if (!errors.Empty()) return Fail(errors.ToError());
             auto page =
                 svc->History(*req.principal, req.path_params.at("charging_station_id"), paging->page, paging->size);
             if (!page) return Fail(std::move(page.error()));
             json::array content;
             for (const auto& r : page->items) {
                 auto o = InferenceObject(r);
                 o.erase("chargingStationId");
                 content.push_back(std::move(o));
             }
             return JsonResponse(json::object{
                 {"content", std::move(content)},
                 {"pagination",
                  json::object{{"totalCount", page->total_count}, {"page", paging->page}, {"size", paging->size}}},
             });
         }});
}

}  // namespace evni::api
