// Documentation of the sessions routes (sessions.cpp). Descriptions and examples: the reference.
#include "api/openapi.h"

namespace evni::api::openapi {
namespace json = boost::json;

namespace {

json::object Reading(std::string_view measurand, std::string_view ts, std::string_view unit, double value) {
    return json::object{{"measurand", measurand}, {"timestamp", ts}, {"unit", unit}, {"value", value}};
}

// The reference's POST example: SoC falls 80 -> 65 -> 50 % while 11.1 kWh are imported.
json::value CreateExample() {
    json::array values;
    for (auto [ts, kwh, kw, soc] :
         {std::tuple{"2026-02-27T10:00:00Z", 0.0, 0.0, 80.0}, std::tuple{"2026-02-27T10:15:00Z", 5.5, 22.0, 65.0},
          std::tuple{"2026-02-27T10:30:00Z", 11.1, 22.0, 50.0}}) {
        values.push_back(Reading("Energy.Active.Import.Register", ts, "kWh", kwh));
        values.push_back(Reading("Power.Active.Import", ts, "kW", kw));
        values.push_back(Reading("SoC", ts, "Percent", soc));
    }
    return json::object{{"sessionId", "sess-abc-001"},
                        {"chargingStationId", "CP-NL-AMS-0042"},
                        {"connectorId", "1"},
                        {"meterValues", std::move(values)}};
}

// The reference's response example, with the fields evni always sends filled in.
json::object SessionExample() {
    return json::object{
        {"sessionId", "sess-abc-001"},
        {"chargingStationId", "CP-NL-AMS-0042"},
        {"connectorId", "1"},
        {"evseId", "NL*ABC*E12345"},
        {"status", "active"},
        {"isAnomaly", true},
        {"anomalyScore", 0.87},
        {"anomalyConfidence", 0.92},
        {"isIncident", true},
        {"isRecurring", true},
        {"anomalies", json::array{json::object{{"category", "KWH_DECREASE"},
                                               {"score", 0.87},
                                               {"confidence", 0.92},
                                               {"bucketRange", json::object{{"startUnit", 4}, {"endUnit", 7}}},
                                               {"timeRange", json::object{{"startTimestamp", "2026-02-27T10:01:00Z"},
                                                                          {"endTimestamp", "2026-02-27T10:02:00Z"}}}}}},
        {"analyzedAt", "2026-02-27T10:31:02Z"},
        {"socReconstructed", false},
        {"message", nullptr},
        {"stopReason", nullptr},
        {"createdAt", "2026-02-27T10:00:00Z"},
        {"metadata", nullptr},
    };
}

json::value DetailExample() {
    json::object o = SessionExample();
    json::array values;
    for (auto [ts, kwh] : {std::pair{"2026-02-27T10:00:00Z", 0.0}, std::pair{"2026-02-27T10:15:00Z", 5.5},
                           std::pair{"2026-02-27T10:30:00Z", 11.1}}) {
        values.push_back(json::object{{"timestamp", ts},
                                      {"value", kwh},
                                      {"measurand", "Energy.Active.Import.Register"},
                                      {"unit", "kWh"},
                                      {"phase", nullptr},
                                      {"location", nullptr},
                                      {"reconstructed", false}});
    }
    o["meterValues"] = std::move(values);
    o["reconstructedSoc"] = json::array();
    o["sorcConfidence"] = nullptr;
    return o;
}

json::value ListExample() {
    return json::object{
        {"content", json::array{json::object{{"sessionId", "sess-abc-001"},
                                             {"chargingStationId", "CP-NL-AMS-0042"},
                                             {"connectorId", "1"},
                                             {"evseId", nullptr},
                                             {"isAnomaly", true},
                                             {"anomalyScore", 0.85},
                                             {"anomalyConfidence", 0.92},
                                             {"anomalyCount", 2},
                                             {"status", "active"},
                                             {"createdAt", "2026-02-27T10:00:00Z"},
                                             {"lastAnalyzedAt", "2026-02-27T10:31:02Z"},
                                             {"startedAt", "2026-02-27T10:00:00Z"}}}},
        {"pagination", json::object{{"totalCount", 1}, {"page", 1}, {"size", 50}}},
    };
}

Param SessionIdParam() { return Param::Path("session_id", "Session Id: the client's sessionId"); }

constexpr std::string_view kAnalysisNote =
    "With at least 3 meter values after the write the analysis runs in the request and the response carries the "
    "verdict; until then the verdict fields are `null`, `anomalies` is `[]` and `message` says why.";

}  // namespace

void DocumentSessionRoutes(DocRegistry& r) {
    r.Add({
        .method = "GET",
        .pattern = "/v1/sessions",
        .operation_id = "listSessions",
        .tag = "Sessions",
        .summary = "List Sessions",
        .description = "List analyzed sessions with pagination and filters. Returns all sessions for the "
                       "authenticated tenant, most-recent first. Each item includes the latest inference result when "
                       "available. Date filters apply to the session start (its earliest meter value, or `createdAt` "
                       "when it has none).",
        .params =
            {
                Param::Query("page", Schema::Integer().Min(1).Max(1'000'000).Default(1), "Page number (1-based)"),
                Param::Query("pageSize", Schema::Integer().Min(1).Max(1000).Default(50), "Items per page"),
                Param::Query("chargingStationId", Schema::String(), "Only sessions of this charging station"),
                Param::Query("evseId", Schema::String(), "Only sessions of this EVSE"),
                Param::Query("isAnomaly", Schema::Boolean(), "Only anomalous (`true`) or normal (`false`) sessions"),
                Param::Query("minScore", Schema::Number().Min(0).Max(1), "Only sessions with anomalyScore >= this"),
                Param::Query("minConfidence", Schema::Number().Min(0).Max(1),
                             "Only sessions with anomalyConfidence >= this"),
                Param::Query("dateFrom", Schema::String().Example("2026-02-27T00:00:00Z"),
                             "Sessions starting at or after this ISO 8601 date-time or date"),
                Param::Query("dateTo", Schema::String().Example("2026-02-27"),
                             "Sessions starting at or before this ISO 8601 date-time, or on or before this date "
                             "(`2026-02-27` includes that whole day)"),
            },
        .replies = {{200, "A page of sessions", Schema::Ref("SessionList"), ListExample()}},
    });

    r.Add({
        .method = "POST",
        .pattern = "/v1/sessions",
        .operation_id = "createSession",
        .tag = "Sessions",
        .summary = "Create Session",
        .description = std::string("Create a charging session and optionally run anomaly analysis. Upserts by "
                                   "`sessionId` within the tenant: on an existing session the given fields are "
                                   "updated and the meter values that are not exact duplicates of stored ones are "
                                   "added, so a retried POST does not double readings. Meter values are optional: a "
                                   "session can be created empty and populated later via PUT or PATCH. ") +
                       std::string(kAnalysisNote),
        .request = RequestBody{Schema::Ref("SessionCreate"), CreateExample()},
        .replies = {{200, "The session and its verdict", Schema::Ref("Session"), SessionExample()}},
        .errors = {{409, "The sessionId already exists on another charging station"}},
    });

    r.Add({
        .method = "GET",
        .pattern = "/v1/sessions/{session_id}",
        .operation_id = "getSession",
        .tag = "Sessions",
        .summary = "Get Session Detail",
        .description = "Get full session details including meter values (all of them, sorted by time), analysis "
                       "result, and anomaly categories.",
        .params = {SessionIdParam()},
        .replies = {{200, "The session, its verdict and its meter values", Schema::Ref("SessionDetail"),
                     DetailExample()}},
    });

    r.Add({
        .method = "PUT",
        .pattern = "/v1/sessions/{session_id}",
        .operation_id = "replaceSession",
        .tag = "Sessions",
        .summary = "Replace Session",
        .description = std::string("Replace all meter values for a session. Deletes existing meter values and sets "
                                   "new ones. Requires at least 1 reading. ") +
                       std::string(kAnalysisNote),
        .params = {SessionIdParam()},
        .request =
            RequestBody{
                Schema::Ref("SessionReplace"),
                json::object{
                    {"meterValues",
                     json::array{Reading("Energy.Active.Import.Register", "2026-02-27T10:00:00Z", "kWh", 0),
                                 Reading("Energy.Active.Import.Register", "2026-02-27T10:15:00Z", "kWh", 5.5),
                                 Reading("Energy.Active.Import.Register", "2026-02-27T10:30:00Z", "kWh", 11.1)}}}},
        .replies = {{200, "The session and its verdict", Schema::Ref("Session"), SessionExample()}},
    });

    r.Add({
        .method = "PATCH",
        .pattern = "/v1/sessions/{session_id}",
        .operation_id = "updateSession",
        .tag = "Sessions",
        .summary = "Update Session",
        .description = std::string("Append meter values to an existing session (OCPI-like incremental push). An "
                                   "empty or absent meterValues list changes no values and returns the current "
                                   "state. The analysis is incremental when the new values are not earlier than "
                                   "those already seen, and gives the same verdict as a full re-analysis. ") +
                       std::string(kAnalysisNote),
        .params = {SessionIdParam()},
        .request =
            RequestBody{Schema::Ref("SessionUpdate"),
                        json::object{{"meterValues", json::array{Reading("Energy.Active.Import.Register",
                                                                         "2026-02-27T10:45:00Z", "kWh", 16.5)}}}},
        .replies = {{200, "The session and its verdict", Schema::Ref("Session"), SessionExample()}},
    });
}

}  // namespace evni::api::openapi
