// Anomalies workspace (/v1/anomalies...) and tenant statistics (/v1/statistics): docs/anomalies.md,
// docs/statistics.md.
#include <boost/json.hpp>

#include "api/anomaly_listener.h"
#include "api/anomaly_service.h"
#include "api/handlers.h"
#include "api/json_util.h"

namespace evni::api {
namespace json = boost::json;
namespace {

std::string CategoryName(const std::string& id) {
    const auto* c = FindCategory(id);
    return c ? c->name : id;
}

json::object IssueObject(const storage::AnomalyRecord& r) {
    return json::object{{"id", r.issue_id},
                        {"statusName", r.issue_status},
                        {"assignedTo", StringOrNull(r.assigned_to)},
                        {"updatedAt", FormatIsoDateTime(r.issue_updated_at)}};
}

json::object AnomalyItem(const storage::AnomalyRecord& r) {
    return json::object{{"id", r.id},
                        {"anomalyType", CategoryName(r.category)},
                        {"anomalyTypeId", r.category},
                        {"aiRiskScore", r.score},
                        {"confidence", r.confidence},
                        {"connectorId", StringOrNull(r.connector_id)},
                        {"chargingPointId", r.station_id},
                        {"ocppChargingStationId", r.station_id},
                        {"evseId", StringOrNull(r.evse_id)},
                        {"chargingSessionId", r.session_id},
                        {"dateOfAnomalyOccurrence", FormatIsoDateTime(r.occurred_at)},
                        {"dateOfLastUpdate", FormatIsoDateTime(r.updated_at)},
                        {"firstDetectionDate", FormatIsoDateTime(r.first_detected_at)},
                        {"closedAt", TimeOrNull(r.closed_at)},
                        {"issues", json::array{IssueObject(r)}}};
}

json::array TypesArray(const std::vector<std::string>& categories) {
    json::array out;
    for (const auto& c : categories) out.push_back(json::object{{"id", c}, {"name", CategoryName(c)}});
    return out;
}

json::object Pagination(std::int64_t total, std::int64_t page, std::int64_t size) {
    return json::object{{"totalCount", total}, {"page", page}, {"size", size}};
}

// Every value of a repeatable query parameter; comma-separated values are split too.
std::vector<std::string> Multi(const Request& req, std::string_view name) {
    std::vector<std::string> out;
    for (const auto& [k, v] : req.query) {
        if (k != name) continue;
        std::size_t start = 0;
        while (start <= v.size()) {
            auto end = v.find(',', start);
            if (end == std::string::npos) end = v.size();
            std::string part = v.substr(start, end - start);
            while (!part.empty() && part.front() == ' ') part.erase(part.begin());
            while (!part.empty() && part.back() == ' ') part.pop_back();
            if (!part.empty()) out.push_back(part);
            start = end + 1;
        }
    }
    return out;
}

std::optional<std::string> Single(const Request& req, std::string_view name) {
    auto v = req.Query(name);
    if (!v || v->empty()) return std::nullopt;
    return std::string(*v);
}

std::optional<EpochMs> DateParam(const Request& req, const char* name, bool end, FieldErrors& errors) {
    auto raw = req.Query(name);
    if (!raw) return std::nullopt;
    auto t = ParseDateBound(*raw, end);
    if (!t) {
        errors.Add({std::string("query"), std::string(name)},
                   "Input should be a valid date or datetime (YYYY-MM-DD or ISO 8601)", "datetime_parsing");
    }
    return t;
}

std::vector<std::string> Categories(const Request& req, FieldErrors& errors) {
    auto values = Multi(req, "anomalyType");
    for (const auto& v : values) {
        if (!FindCategory(v)) {
            errors.Add({std::string("query"), std::string("anomalyType")},
                       "Unknown anomaly category '" + v + "' (see GET /v1/anomalies/categories)", "enum");
        }
    }
    return values;
}

// page, pageSize and its alias limit.
void Paging(const Request& req, std::int64_t& page, std::int64_t& size, FieldErrors& errors) {
    auto p = QueryInt(req.Query("page"), "page", 1, 1, 1'000'000, errors);
    auto s = QueryInt(req.Query("pageSize"), "pageSize", 50, 1, 1000, errors);
    auto l = QueryInt(req.Query("limit"), "limit", 0, 1, 1000, errors);
    if (p) page = *p;
    if (s) size = *s;
    if (l && req.Query("limit")) size = *l;
}

std::optional<storage::GroupSort> GroupSortParam(const Request& req, bool scores, FieldErrors& errors) {
    auto v = req.Query("sortBy");
    if (!v) return storage::GroupSort::kNone;
    if (*v == "count_asc") return storage::GroupSort::kCountAsc;
    if (*v == "count_desc") return storage::GroupSort::kCountDesc;
    if (scores && *v == "score_asc") return storage::GroupSort::kScoreAsc;
    if (scores && *v == "score_desc") return storage::GroupSort::kScoreDesc;
    errors.Add({std::string("query"), std::string("sortBy")},
               scores ? "Input should be 'score_asc', 'score_desc', 'count_asc' or 'count_desc'"
                      : "Input should be 'count_asc' or 'count_desc'",
               "enum");
    return std::nullopt;
}

Result<storage::GroupFilter> DecodeGroupFilter(const Request& req, bool by_session) {
    FieldErrors errors;
    storage::GroupFilter f;
    Paging(req, f.page, f.page_size, errors);
    f.categories = Categories(req, errors);
    if (!by_session) f.connector_id = Single(req, "connectorId");
    if (by_session) f.session_id = Single(req, "chargingSessionId");
    f.occurred_from = DateParam(req, "occurrenceFrom", false, errors);
    f.occurred_to = DateParam(req, "occurrenceTo", true, errors);
    auto sort = GroupSortParam(req, by_session, errors);
    if (!errors.Empty()) return Fail(errors.ToError());
    f.sort = *sort;
    return f;
}

json::object GroupItem(const storage::AnomalyGroup& g, bool by_session) {
    if (by_session) {
        return json::object{{"id", g.session_id},
                            {"chargingSessionId", g.session_id},
                            {"chargingPointId", g.station_id},
                            {"anomalyCount", g.count},
                            {"detectionDate", FormatIsoDateTime(g.first_detected_at)},
                            {"lastUpdate", FormatIsoDateTime(g.last_update)},
                            {"aiRiskScore", g.max_score},
                            {"anomalyTypes", TypesArray(g.categories)}};
    }
    return json::object{{"id", g.station_id + "/" + g.connector_id.value_or("")},
                        {"connectorId", StringOrNull(g.connector_id)},
                        {"anomalyCount", g.count},
                        {"chargingPointId", g.station_id},
                        {"evseId", StringOrNull(g.evse_id)},
                        {"detectionDate", FormatIsoDateTime(g.first_detected_at)},
                        {"lastUpdate", FormatIsoDateTime(g.last_update)},
                        {"aiRiskScore", g.max_score},
                        {"anomalyTypes", TypesArray(g.categories)}};
}

json::value Num(const std::optional<double>& d) { return d ? json::value(*d) : json::value(nullptr); }

}  // namespace

void AddAnomalyRoutes(std::vector<Route>& routes, const ApiContext& ctx) {
    AnomalyService* svc = ctx.anomalies;
    using domain::Role;

    routes.push_back(
        {"GET", "/v1/anomalies", Role::kViewer, 0, "List anomalies", [svc](Request& req) -> Result<Response> {
             FieldErrors errors;
             storage::AnomalyFilter f;
             Paging(req, f.page, f.page_size, errors);
             f.categories = Categories(req, errors);
             f.connector_id = Single(req, "connectorId");
             f.session_id = Single(req, "chargingSessionId");
             f.station_ids = Multi(req, "chargingPointId");
             if (auto s = Single(req, "ocpp_charging_station_id")) f.station_ids.push_back(*s);
             f.evse_ids = Multi(req, "evseId");
             f.occurred_from = DateParam(req, "occurrenceFrom", false, errors);
             f.occurred_to = DateParam(req, "occurrenceTo", true, errors);
             f.updated_from = DateParam(req, "updateFrom", false, errors);
             f.updated_to = DateParam(req, "updateTo", true, errors);
             if (auto s = req.Query("sortByScore")) {
                 if (*s == "asc") {
                     f.score_sort = storage::ScoreSort::kAsc;
                 } else if (*s == "desc") {
                     f.score_sort = storage::ScoreSort::kDesc;
                 } else {
                     errors.Add({std::string("query"), std::string("sortByScore")}, "Input should be 'asc' or 'desc'",
                                "enum");
                 }
             }
             f.statuses = Multi(req, "anomalyIssuesStatus");
             for (const auto& s : f.statuses) {
                 if (!IsIssueStatus(s)) {
                     errors.Add({std::string("query"), std::string("anomalyIssuesStatus")},
                                "Input should be OPEN, IN_PROGRESS, CONFIRMED, FALSE_POSITIVE, "
                                "RESOLVED or IGNORED",
                                "enum");
                 }
             }
             f.include_closed = QueryBool(req.Query("includeClosed"), "includeClosed", errors).value_or(false);
             if (!errors.Empty()) return Fail(errors.ToError());
             auto assignees = ResolveAssignees(*req.principal, Multi(req, "assignedTo"),
                                               {std::string("query"), std::string("assignedTo")});
             if (!assignees) return Fail(std::move(assignees.error()));
             f.assignees = std::move(*assignees);
             auto page = svc->List(*req.principal, f);
             if (!page) return Fail(std::move(page.error()));
             json::array content;
             for (const auto& r : page->items) content.push_back(AnomalyItem(r));
             return JsonResponse(json::object{{"content", std::move(content)},
                                              {"pagination", Pagination(page->total_count, f.page, f.page_size)}});
         }});

    routes.push_back(
        {"GET", "/v1/anomalies/categories", Role::kViewer, 0, "List anomaly categories",
         [](Request&) -> Result<Response> {
             json::array items;
             for (const auto& c : CategoryCatalogue()) {
                 items.push_back(json::object{
                     {"id", c.id}, {"name", c.name}, {"description", c.description}, {"maxScore", c.max_score}});
             }
             return JsonResponse(json::object{{"items", std::move(items)}});
         }});

    for (bool by_session : {false, true}) {
        routes.push_back({"GET", by_session ? "/v1/anomalies/sessions" : "/v1/anomalies/connectors", Role::kViewer, 0,
                          by_session ? "List anomaly sessions" : "List anomaly connectors",
                          [svc, by_session](Request& req) -> Result<Response> {
                              auto f = DecodeGroupFilter(req, by_session);
                              if (!f) return Fail(std::move(f.error()));
                              auto page = by_session ? svc->BySession(*req.principal, *f)
                                                     : svc->ByConnector(*req.principal, *f);
                              if (!page) return Fail(std::move(page.error()));
                              json::array content;
                              for (const auto& g : page->items) content.push_back(GroupItem(g, by_session));
                              return JsonResponse(
                                  json::object{{"content", std::move(content)},
                                               {"pagination", Pagination(page->total_count, f->page, f->page_size)}});
                          }});
    }

    routes.push_back(
        {"GET", "/v1/anomalies/sessions/{session_id}/categories/{category_id}/details", Role::kViewer, 0,
         "Get anomaly detail", [svc](Request& req) -> Result<Response> {
             auto d = svc->Detail(*req.principal, req.path_params["session_id"], req.path_params["category_id"]);
             if (!d) return Fail(std::move(d.error()));
             const auto& r = d->record;
             const auto* category = FindCategory(r.category);
             json::array values;
             values.reserve(d->values.size());
             for (const auto& p : d->values) {
                 values.push_back(json::object{{"timestamp", FormatIsoDateTime(p.timestamp)},
                                               {"energy", Num(p.energy_kwh)},
                                               {"stateOfCharge", Num(p.soc)},
                                               {"power", Num(p.power_kw)}});
             }
             json::array timeline;
             for (const auto& p : d->timeline) {
                 timeline.push_back(json::object{{"timestamp", FormatIsoDateTime(p.at)},
                                                 {"riskScore", p.score},
                                                 {"confidence", p.confidence},
                                                 {"analysisVersion", p.analysis_version}});
             }
             json::array periods;
             boost::system::error_code ec;
             auto ranges = json::parse(r.ranges_json, ec);
             if (!ec && ranges.is_array()) {
                 for (const auto& x : ranges.get_array()) {
                     const auto& o = x.get_object();
                     periods.push_back(json::object{{"start", FormatIsoDateTime(o.at("start").to_number<EpochMs>())},
                                                    {"end", FormatIsoDateTime(o.at("end").to_number<EpochMs>())},
                                                    {"score", o.at("score").to_number<double>()}});
                 }
             }
             json::array history;
             for (const auto& h : d->history) {
                 history.push_back(json::object{{"at", FormatIsoDateTime(h.at)},
                                                {"actor", h.actor},
                                                {"fromStatus", StringOrNull(h.from_status)},
                                                {"toStatus", h.to_status},
                                                {"fromAssignee", StringOrNull(h.from_assignee)},
                                                {"toAssignee", StringOrNull(h.to_assignee)}});
             }
             auto issue = IssueObject(r);
             issue["history"] = std::move(history);
             return JsonResponse(json::object{
                 {"anomalyId", r.id},
                 {"sessionId", r.session_id},
                 {"clientId", r.tenant_id},
                 {"connectorId", StringOrNull(d->session.connector_id)},
                 {"chargingPointId", d->session.station_id},
                 {"ocppChargingStationId", d->session.station_id},
                 {"evseId", StringOrNull(d->session.evse_id)},
                 {"detectionLevel", "session"},
                 {"meterValues", std::move(values)},
                 {"currentRiskScore", r.closed_at ? 0.0 : r.score},
                 {"confidence", r.confidence},
                 {"firstDetectionDate", FormatIsoDateTime(r.first_detected_at)},
                 {"lastUpdateDate", FormatIsoDateTime(r.updated_at)},
                 {"closedAt", TimeOrNull(r.closed_at)},
                 {"anomalyCategory", json::object{{"id", category->id},
                                                  {"name", category->name},
                                                  {"description", category->description},
                                                  {"maxScore", category->max_score}}},
                 {"riskScoreTimeline", std::move(timeline)},
                 {"anomalyPeriod", json::object{{"start", FormatIsoDateTime(r.occurred_at)},
                                                {"end", FormatIsoDateTime(r.occurred_until)}}},
                 {"anomalyPeriods", std::move(periods)},
                 {"issues", json::array{std::move(issue)}},
             });
         }});

    routes.push_back({"PUT", "/v1/anomalies/issues/{issue_id}", Role::kMember, 4 * 1024, "Update an anomaly issue",
                      [svc](Request& req) -> Result<Response> {
                          auto arena = BodyArena(req.body);
                          auto body = ParseObjectBody(req.body, arena);
                          if (!body) return Fail(std::move(body.error()));
                          FieldErrors errors;
                          const Loc base{std::string("body")};
                          IssueUpdate u;
                          auto status = errors.RequiredString(*body, "status", base, 32);
                          if (status && !IsIssueStatus(*status)) {
                              errors.Add(At(base, std::string("status")),
                                         "Input should be OPEN, IN_PROGRESS, CONFIRMED, FALSE_POSITIVE, RESOLVED or "
                                         "IGNORED",
                                         "enum");
                          }
                          u.assigned_to = errors.OptionalString(*body, "assignedTo", base, 254);
                          if (u.assigned_to.value && *u.assigned_to.value != "me") {
                              const auto& e = *u.assigned_to.value;
                              const auto at = e.find('@');
                              if (at == std::string::npos || at == 0 || at + 1 >= e.size() ||
                                  e.find_first_of(" \t\r\n,") != std::string::npos) {
                                  errors.Add(At(base, std::string("assignedTo")),
                                             "Input should be an email address, 'me' or null", "value_error");
                              }
                          }
                          if (!errors.Empty()) return Fail(errors.ToError());
                          u.status = *status;
                          auto r = svc->UpdateIssue(*req.principal, req.path_params["issue_id"], u);
                          if (!r) return Fail(std::move(r.error()));
                          return JsonResponse(IssueObject(*r));
                      }});

    routes.push_back(
        {"GET", "/v1/statistics", Role::kViewer, 0, "Get statistics", [svc](Request& req) -> Result<Response> {
             FieldErrors errors;
             auto from = DateParam(req, "occurrenceFrom", false, errors);
             auto to = DateParam(req, "occurrenceTo", true, errors);
             if (!errors.Empty()) return Fail(errors.ToError());
             auto s = svc->Statistics(*req.principal, from, to);
             if (!s) return Fail(std::move(s.error()));
             return JsonResponse(*s);
         }});
}

}  // namespace evni::api
