// Documentation of the anomalies workspace and statistics routes (anomalies.cpp), with their schemas.
#include "api/openapi.h"

namespace evni::api::openapi {
namespace json = boost::json;

namespace {

Schema NullableString(std::string_view d) { return Schema::String(d).Nullable(); }

Schema IssueStatus(std::string_view d) {
    return Schema::Enum({"OPEN", "IN_PROGRESS", "CONFIRMED", "FALSE_POSITIVE", "RESOLVED", "IGNORED"}, d);
}

Param Multi(std::string name, std::string description) {
    return Param::Query(std::move(name), Schema::Array(Schema::String()),
                        description + " (repeat the parameter or separate values by commas)");
}

std::vector<Param> PagingParams() {
    return {Param::Query("page", Schema::Integer().Min(1).Default(1), "Page (1-based)"),
            Param::Query("pageSize", Schema::Integer().Min(1).Max(1000).Default(50), "Items per page"),
            Param::Query("limit", Schema::Integer().Min(1).Max(1000), "Alias of pageSize (wins when both are given)")};
}

Param DateParam(std::string name, std::string description) {
    return Param::Query(std::move(name), Schema::String().Example("2026-02-27T00:00:00Z"),
                        description + " (ISO 8601 date-time, or a date: an upper bound date includes that whole day)");
}

json::object IssueExample() {
    return json::object{{"id", "iss_4f1c2a9b7e3d5a6c1b2d3e4f"},
                        {"statusName", "OPEN"},
                        {"assignedTo", "ops@example.com"},
                        {"updatedAt", "2026-02-27T10:31:02Z"}};
}

void AddSchemas(DocRegistry& r) {
    r.AddSchema("AnomalyIssue",
                Schema::Object("The issue of an anomaly (one per session and category)")
                    .Required("id", Schema::String("Issue id"))
                    .Required("statusName", IssueStatus("Issue status"))
                    .Required("assignedTo", NullableString("Assignee email"))
                    .Required("updatedAt", Schema::DateTime("Last status or assignment change (or creation)"))
                    .Optional("history", Schema::Array(Schema::Ref("AnomalyIssueChange"), "Changes, oldest first"))
                    .Closed());
    r.AddSchema("AnomalyIssueChange",
                Schema::Object("One change of an issue")
                    .Required("at", Schema::DateTime("When"))
                    .Required("actor", Schema::String("Who: a member's email, `api-key:<name>`, or `system` when a "
                                                      "resolved anomaly was detected again"))
                    .Required("fromStatus", NullableString("Status before"))
                    .Required("toStatus", Schema::String("Status after"))
                    .Required("fromAssignee", NullableString("Assignee before"))
                    .Required("toAssignee", NullableString("Assignee after"))
                    .Closed());
    r.AddSchema("AnomalyTypeRef", Schema::Object("An anomaly category")
                                      .Required("id", Schema::Ref("AnomalyCategory"))
                                      .Required("name", Schema::String("Category name"))
                                      .Closed());
    r.AddSchema("Pagination", Schema::Object("Page information")
                                  .Required("totalCount", Schema::Integer("Items matching the filters"))
                                  .Required("page", Schema::Integer("Page"))
                                  .Required("size", Schema::Integer("Page size"))
                                  .Closed());
    r.AddSchema(
        "AnomalyItem",
        Schema::Object("One anomaly: one category in one session")
            .Required("id", Schema::String("Anomaly id"))
            .Required("anomalyType", Schema::String("Category name"))
            .Required("anomalyTypeId", Schema::Ref("AnomalyCategory"))
            .Required("aiRiskScore",
                      Schema::Number("Current score (highest of the category's occurrences)").Min(0).Max(1))
            .Required("confidence", Schema::Number("Confidence of that occurrence").Min(0).Max(1))
            .Required("connectorId", NullableString("Connector"))
            .Required("chargingPointId", Schema::String("Charging station (OCPP charge point) id"))
            .Required("ocppChargingStationId", Schema::String("Charging station id (same as chargingPointId)"))
            .Required("evseId", NullableString("EVSE"))
            .Required("chargingSessionId", Schema::String("Session id"))
            .Required("dateOfAnomalyOccurrence", Schema::DateTime("Start of the earliest occurrence (meter time)"))
            .Required("dateOfLastUpdate", Schema::DateTime("Last change of score, ranges, open/closed state or issue"))
            .Required("firstDetectionDate", Schema::DateTime("When the analysis first found it"))
            .Required("closedAt",
                      Schema::DateTime("When a re-analysis no longer found it (null while detected)").Nullable())
            .Required("issues", Schema::Array(Schema::Ref("AnomalyIssue"), "Its issue"))
            .Closed());
    r.AddSchema("AnomalyList", Schema::Object("A page of anomalies")
                                   .Required("content", Schema::Array(Schema::Ref("AnomalyItem"), "Anomalies"))
                                   .Required("pagination", Schema::Ref("Pagination"))
                                   .Closed());
    r.AddSchema("AnomalyConnector",
                Schema::Object("Open anomalies of one connector")
                    .Required("id", Schema::String("`<chargingPointId>/<connectorId>`"))
                    .Required("connectorId", NullableString("Connector (null: sessions without a connector)"))
                    .Required("anomalyCount", Schema::Integer("Anomalies (session x category)"))
                    .Required("chargingPointId", Schema::String("Charging station id"))
                    .Required("evseId", NullableString("EVSE"))
                    .Required("detectionDate", Schema::DateTime("Earliest first detection"))
                    .Required("lastUpdate", Schema::DateTime("Latest update"))
                    .Required("aiRiskScore", Schema::Number("Highest score").Min(0).Max(1))
                    .Required("anomalyTypes", Schema::Array(Schema::Ref("AnomalyTypeRef"), "Categories found"))
                    .Closed());
    r.AddSchema("AnomalyConnectorList",
                Schema::Object("A page of connectors with anomalies")
                    .Required("content", Schema::Array(Schema::Ref("AnomalyConnector"), "Connectors"))
                    .Required("pagination", Schema::Ref("Pagination"))
                    .Closed());
    r.AddSchema("AnomalySession",
                Schema::Object("Open anomalies of one session")
                    .Required("id", Schema::String("Session id"))
                    .Required("chargingSessionId", Schema::String("Session id"))
                    .Required("chargingPointId", Schema::String("Charging station id"))
                    .Required("anomalyCount", Schema::Integer("Anomalies (categories)"))
                    .Required("detectionDate", Schema::DateTime("Earliest first detection"))
                    .Required("lastUpdate", Schema::DateTime("Latest update"))
                    .Required("aiRiskScore", Schema::Number("Highest score").Min(0).Max(1))
                    .Required("anomalyTypes", Schema::Array(Schema::Ref("AnomalyTypeRef"), "Categories found"))
                    .Closed());
    r.AddSchema("AnomalySessionList", Schema::Object("A page of sessions with anomalies")
                                          .Required("content", Schema::Array(Schema::Ref("AnomalySession"), "Sessions"))
                                          .Required("pagination", Schema::Ref("Pagination"))
                                          .Closed());
    r.AddSchema(
        "AnomalyCategoryInfo",
        Schema::Object("A category of the catalogue")
            .Required("id", Schema::Ref("AnomalyCategory"))
            .Required("name", Schema::String("Name"))
            .Required("description", Schema::String("What it means"))
            .Required("maxScore", Schema::Number("Highest score the detector gives this category").Min(0).Max(1))
            .Closed());
    r.AddSchema("AnomalyCategoryList",
                Schema::Object("The category catalogue")
                    .Required("items", Schema::Array(Schema::Ref("AnomalyCategoryInfo"), "Categories"))
                    .Closed());
    r.AddSchema("Period", Schema::Object("A time range")
                              .Required("start", Schema::DateTime("Start"))
                              .Required("end", Schema::DateTime("End"))
                              .Optional("score", Schema::Number("Score of this occurrence").Min(0).Max(1))
                              .Closed());
    r.AddSchema("AnomalyDetail",
                Schema::Object("Full detail of one anomaly (session and category)")
                    .Required("anomalyId", Schema::String("Anomaly id"))
                    .Required("sessionId", Schema::String("Session id"))
                    .Required("clientId", Schema::String("Tenant id"))
                    .Required("connectorId", NullableString("Connector"))
                    .Required("chargingPointId", Schema::String("Charging station id"))
                    .Required("ocppChargingStationId", Schema::String("Charging station id"))
                    .Required("evseId", NullableString("EVSE"))
                    .Required("detectionLevel", Schema::Enum({"session"}, "Which model found it"))
                    .Required("meterValues",
                              Schema::Array(Schema::Object("Readings at one timestamp in kWh, %, kW")
                                                .Required("timestamp", Schema::DateTime("Timestamp"))
                                                .Required("energy", Schema::Number("Energy register, kWh").Nullable())
                                                .Required("stateOfCharge", Schema::Number("SoC, %").Nullable())
                                                .Required("power", Schema::Number("Active power, kW").Nullable())
                                                .Closed(),
                                            "Merged meter values, by time"))
                    .Required("currentRiskScore", Schema::Number("Current score (0 once closed)").Min(0).Max(1))
                    .Required("confidence", Schema::Number("Confidence").Min(0).Max(1))
                    .Required("firstDetectionDate", Schema::DateTime("First detection"))
                    .Required("lastUpdateDate", Schema::DateTime("Last update"))
                    .Required("closedAt", Schema::DateTime("When a re-analysis no longer found it").Nullable())
                    .Required("anomalyCategory", Schema::Ref("AnomalyCategoryInfo"))
                    .Required("riskScoreTimeline",
                              Schema::Array(
                                  Schema::Object("The score after an analysis that changed it")
                                      .Required("timestamp", Schema::DateTime("When"))
                                      .Required("riskScore", Schema::Number("Score (0: no longer found)").Min(0).Max(1))
                                      .Required("confidence", Schema::Number("Confidence").Min(0).Max(1))
                                      .Required("analysisVersion", Schema::Integer("Session analysis version"))
                                      .Closed(),
                                  "How the score evolved"))
                    .Required("anomalyPeriod", Schema::Ref("Period", "From the earliest start to the latest end"))
                    .Required("anomalyPeriods", Schema::Array(Schema::Ref("Period"), "Each occurrence"))
                    .Required("issues", Schema::Array(Schema::Ref("AnomalyIssue"), "Its issue with the change history"))
                    .Closed());
    r.AddSchema("IssueUpdate",
                Schema::Object("New status and/or assignee")
                    .Required("status", IssueStatus("New status (the current one for an assignment only)"))
                    .Optional("assignedTo",
                              NullableString("Assignee email, `me` for the caller, null to unassign; absent keeps it")
                                  .MaxLength(254)));
    auto window = [](std::string_view d) {
        return Schema::Object(d)
            .Required("from", Schema::DateTime("Window start").Nullable())
            .Required("to", Schema::DateTime("Window end").Nullable())
            .Required("totalSessions", Schema::Integer("Sessions"))
            .Required("sessionsWithAnomaliesCount", Schema::Integer("Sessions with an open anomaly"))
            .Required("totalAnomaliesCount", Schema::Integer("Open anomalies"))
            .Required("activeAnomaliesCount", Schema::Integer("Open anomalies with an unresolved issue"))
            .Required("connectorsWithAnomaliesCount", Schema::Integer("Connectors"))
            .Required("chargingStationsWithAnomaliesCount", Schema::Integer("Stations"))
            .Required("totalRevenue", Schema::Number("Revenue"))
            .Required("revenueAtRisk", Schema::Number("Revenue of sessions with an open anomaly"))
            .Required("revenueLeakEstimate", Schema::Number("Estimated unbilled energy, priced"))
            .Closed()
            .Nullable();
    };
    auto dq_window = Schema::Object("Data quality of the sessions of one window")
                         .Required("sessions", Schema::Integer("Sessions"))
                         .Required("withGaps", Schema::Integer("With a DATA_GAP anomaly"))
                         .Required("withInvalidTimestamps", Schema::Integer("With invalid timestamps"))
                         .Required("withDuplicates", Schema::Integer("With two readings of one series at one time"))
                         .Required("withMissingMeasurands", Schema::Integer("Without energy register or power"))
                         .Required("withReconstructedSoc", Schema::Integer("With fewer than 2 SoC readings"))
                         .Required("notMeasured", Schema::Integer("Not measured yet by the job"))
                         .Required("percentages", Schema::Object("Each count as % of sessions").FreeForm())
                         .Closed();
    r.AddSchema("Statistics",
                Schema::Object("Tenant statistics (docs/statistics.md defines every field)")
                    .Required("activeAnomaliesCount", Schema::Integer("Open anomalies whose issue is unresolved"))
                    .Required("sessionsWithAnomaliesCount", Schema::Integer("Sessions with an open anomaly"))
                    .Required("connectorsWithAnomaliesCount", Schema::Integer("Connectors with an open anomaly"))
                    .Required("totalAnomaliesCount", Schema::Integer("Open anomalies (session x category)"))
                    .Required("chargingStationsWithAnomaliesCount", Schema::Integer("Stations with an open anomaly"))
                    .Required("uptimePercentage", Schema::Number("NEVI-style port uptime").Min(0).Max(100))
                    .Required("uptimeDelta", Schema::Number("Change against the previous period of equal length"))
                    .Required("totalSessions", Schema::Integer("Sessions"))
                    .Required("totalRevenue", Schema::Number("Revenue"))
                    .Required("revenueAtRisk", Schema::Number("Revenue of sessions with an open anomaly"))
                    .Required("revenueLeakEstimate", Schema::Number("Estimated unbilled energy, priced"))
                    .Required("dataQuality", Schema::Object("Data quality per window; null until the first job run")
                                                 .Required("computedAt", Schema::DateTime("Job run"))
                                                 .Required("7d", dq_window)
                                                 .Required("30d", dq_window)
                                                 .Required("all", dq_window)
                                                 .Closed()
                                                 .Nullable())
                    .Required("generatedAt", Schema::DateTime("When computed"))
                    .Required("ranges", Schema::Object("Three named time-window snapshots")
                                            .Required("7d", window("The last 7 days"))
                                            .Required("30d", window("The last 30 days"))
                                            .Required("all", window("All time"))
                                            .Closed())
                    .Required("revenueBasis",
                              Schema::Object("How revenue was priced")
                                  .Required("currency", NullableString("The organization's currency"))
                                  .Required("defaultTariffPerKwh", Schema::Number("Organization tariff").Nullable())
                                  .Required("measuredSessions", Schema::Integer("Sessions with a measurement"))
                                  .Required("unpricedSessions", Schema::Integer("Sessions with energy but no price"))
                                  .Required("note", NullableString("What counted as 0, and why"))
                                  .Closed())
                    .Required("uptimeBasis",
                              Schema::Object("How uptime was computed")
                                  .Required("periodFrom", Schema::DateTime("Period start"))
                                  .Required("periodTo", Schema::DateTime("Period end"))
                                  .Required("ports", Schema::Integer("Connectors (a station without any counts 1)"))
                                  .Required("outageSource", Schema::String("Where outages come from"))
                                  .Required("outageMinutes", Schema::Number("Outage port-minutes").Nullable())
                                  .Required("note", NullableString("Caveat"))
                                  .Closed())
                    .Closed());
}

}  // namespace

void DocumentAnomalyRoutes(DocRegistry& r) {
    AddSchemas(r);
    auto list_params = PagingParams();
    for (auto& p : std::vector<Param>{
             Multi("anomalyType", "Filter by anomaly category"),
             Param::Query("connectorId", Schema::String(), "Filter by connector"),
             Param::Query("chargingSessionId", Schema::String(), "Filter by session"),
             Multi("chargingPointId", "Filter by charging point(s) (charging station ids)"),
             Multi("evseId", "Filter by EVSE(s)"),
             Param::Query("ocpp_charging_station_id", Schema::String(), "Filter by charging station id"),
             DateParam("occurrenceFrom", "Occurrence (start of the earliest occurrence) lower bound"),
             DateParam("occurrenceTo", "Occurrence upper bound"),
             DateParam("updateFrom", "Last update lower bound"),
             DateParam("updateTo", "Last update upper bound"),
             Param::Query("sortByScore", Schema::Enum({"asc", "desc"}),
                          "Sort by score (default: newest occurrence first)"),
             Multi("anomalyIssuesStatus", "Filter by issue status(es)"),
             Multi("assignedTo", "Filter by assignee email(s); `me` is the caller (needs a member's token)"),
             Param::Query("includeClosed", Schema::Boolean().Default(false),
                          "Also list anomalies a re-analysis no longer finds"),
         }) {
        list_params.push_back(std::move(p));
    }
    json::object item{{"id", "anm_1c2d3e4f5a6b7c8d9e0f1a2b"},
                      {"anomalyType", "kWh decrease"},
                      {"anomalyTypeId", "KWH_DECREASE"},
                      {"aiRiskScore", 0.87},
                      {"confidence", 0.85},
                      {"connectorId", "1"},
                      {"chargingPointId", "CP-NL-AMS-0042"},
                      {"ocppChargingStationId", "CP-NL-AMS-0042"},
                      {"evseId", nullptr},
                      {"chargingSessionId", "sess-abc-001"},
                      {"dateOfAnomalyOccurrence", "2026-02-27T10:01:00Z"},
                      {"dateOfLastUpdate", "2026-02-27T10:31:02Z"},
                      {"firstDetectionDate", "2026-02-27T10:31:02Z"},
                      {"closedAt", nullptr},
                      {"issues", json::array{IssueExample()}}};
    json::object pagination{{"totalCount", 1}, {"page", 1}, {"size", 50}};
    r.Add({
        .method = "GET",
        .pattern = "/v1/anomalies",
        .operation_id = "listAnomalies",
        .tag = "Anomalies",
        .summary = "List Anomalies",
        .description = "List anomalies (one per session and category) with pagination and optional filters. An "
                       "anomaly a re-analysis no longer finds is closed and left out unless `includeClosed=true`.",
        .params = list_params,
        .replies = {{200, "A page of anomalies", Schema::Ref("AnomalyList"),
                     json::object{{"content", json::array{item}}, {"pagination", pagination}}}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/anomalies/categories",
        .operation_id = "listAnomalyCategories",
        .tag = "Anomalies",
        .summary = "List Anomaly Categories",
        .description = "The catalogue of anomaly categories with their name, description and the highest score the "
                       "detector gives each.",
        .replies = {{200, "The catalogue", Schema::Ref("AnomalyCategoryList"), nullptr}},
    });
    auto group_params = [](bool by_session) {
        auto p = PagingParams();
        p.push_back(Multi("anomalyType", "Filter by anomaly category"));
        if (by_session) {
            p.push_back(Param::Query("chargingSessionId", Schema::String(), "Filter by session"));
        } else {
            p.push_back(Param::Query("connectorId", Schema::String(), "Filter by connector"));
        }
        p.push_back(DateParam("occurrenceFrom", "Occurrence lower bound"));
        p.push_back(DateParam("occurrenceTo", "Occurrence upper bound"));
        p.push_back(Param::Query("sortBy",
                                 by_session ? Schema::Enum({"score_asc", "score_desc", "count_asc", "count_desc"})
                                            : Schema::Enum({"count_asc", "count_desc"}),
                                 "Sort (default: latest update first)"));
        return p;
    };
    r.Add({
        .method = "GET",
        .pattern = "/v1/anomalies/connectors",
        .operation_id = "listAnomalyConnectors",
        .tag = "Anomalies",
        .summary = "List Anomaly Connectors",
        .description = "List connectors with open anomalies, aggregated by charging station and connector.",
        .params = group_params(false),
        .replies = {{200, "A page of connectors", Schema::Ref("AnomalyConnectorList"), nullptr}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/anomalies/sessions",
        .operation_id = "listAnomalySessions",
        .tag = "Anomalies",
        .summary = "List Anomaly Sessions",
        .description = "List sessions with open anomalies, aggregated by session.",
        .params = group_params(true),
        .replies = {{200, "A page of sessions", Schema::Ref("AnomalySessionList"), nullptr}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/anomalies/sessions/{session_id}/categories/{category_id}/details",
        .operation_id = "getAnomalyDetail",
        .tag = "Anomalies",
        .summary = "Get Anomaly Detail",
        .description = "Full detail of the anomaly of one category in one session: merged meter values, the current "
                       "score, first detection and last update, the category, the score timeline, the periods and "
                       "the issue with its history. 404 for an unknown session or category, or when that category "
                       "was never found in the session.",
        .params = {Param::Path("session_id", "Session id"),
                   Param::Path("category_id", "Category id, e.g. KWH_DECREASE")},
        .replies = {{200, "The anomaly", Schema::Ref("AnomalyDetail"), nullptr}},
    });
    r.Add({
        .method = "PUT",
        .pattern = "/v1/anomalies/issues/{issue_id}",
        .operation_id = "updateAnomalyIssue",
        .tag = "Anomalies",
        .summary = "Update Issue",
        .description =
            "Update an anomaly issue's status and/or assignment. Allowed transitions: OPEN -> IN_PROGRESS, "
            "CONFIRMED, FALSE_POSITIVE, IGNORED; IN_PROGRESS -> OPEN, CONFIRMED, FALSE_POSITIVE, RESOLVED, IGNORED; "
            "CONFIRMED -> IN_PROGRESS, RESOLVED; FALSE_POSITIVE, RESOLVED, IGNORED -> OPEN; the same status "
            "(assignment only) always. Others are refused with 422 (type `invalid_transition`). CONFIRMED marks the "
            "session as an incident. Every change is recorded in the issue's history.",
        .params = {Param::Path("issue_id", "Issue id")},
        .request =
            RequestBody{Schema::Ref("IssueUpdate"), json::object{{"status", "IN_PROGRESS"}, {"assignedTo", "me"}}},
        .replies = {{200, "The issue", Schema::Ref("AnomalyIssue"), IssueExample()}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/statistics",
        .operation_id = "getStatistics",
        .tag = "Statistics",
        .summary = "Get Statistics",
        .description = "Tenant statistics: sessions, anomalies, stations, revenue, uptime and data quality. Sessions "
                       "count by start time, anomalies by occurrence, within occurrenceFrom/occurrenceTo. See "
                       "docs/statistics.md for each field's definition.",
        .params = {DateParam("occurrenceFrom", "Lower bound"), DateParam("occurrenceTo", "Upper bound")},
        .replies = {{200, "The statistics", Schema::Ref("Statistics"), nullptr}},
    });
}

}  // namespace evni::api::openapi
