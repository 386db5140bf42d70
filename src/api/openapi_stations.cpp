// Documentation of the stations routes (stations.cpp), with their schemas.
#include "api/openapi.h"

namespace evni::api::openapi {
namespace json = boost::json;

namespace {

Schema NullableNumber(std::string_view d) { return Schema::Number(d).Nullable(); }
Schema NullableDate(std::string_view d) { return Schema::DateTime(d).Nullable(); }
Schema Categories() { return Schema::Object("Anomaly count per category (e.g. KWH_DECREASE: 2)").FreeForm(); }

Param StationPath() { return Param::Path("charging_station_id", "Charging Station Id"); }
std::vector<Param> PagingParams() {
    return {Param::Query("page", Schema::Integer().Min(1).Max(1'000'000).Default(1), "Page number (1-based)"),
            Param::Query("pageSize", Schema::Integer().Min(1).Max(1000).Default(50), "Items per page"),
            Param::Query("limit", Schema::Integer().Min(1).Max(1000), "Caps the page size")};
}

json::object DetailsExample() {
    return json::object{{"anomaly_type", "energy_drop"},
                        {"expected_energy_kwh", 1200.0},
                        {"actual_energy_kwh", 980.2},
                        {"affected_period", "2026-02-27"},
                        {"day_expected_energy_kwh", 1200.0},
                        {"day_actual_energy_kwh", 980.2},
                        {"history_days", 56},
                        {"enough_history", true},
                        {"analyzed_until_minute", 1440},
                        {"findings", json::array{}}};
}

void AddStationSchemas(DocRegistry& r) {
    r.AddSchema("StationSummary",
                Schema::Object("A station with its aggregated anomaly statistics")
                    .Required("id", Schema::String("Station id (the client's station identifier)"))
                    .Required("chargingStationId", Schema::String("Client-provided station identifier"))
                    .Required("ocppChargingStationId", Schema::String("External (OCPP) station id"))
                    .Required("aiScore", NullableNumber("Highest session anomaly score at the station"))
                    .Required("latestScore", NullableNumber("Score of the station's most recent verdict change"))
                    .Required("totalAnomalies", Schema::Integer("Sessions with a detected anomaly"))
                    .Required("totalSessions", Schema::Integer("Sessions at the station"))
                    .Required("lastAnomalyDate", NullableDate("Start of the latest anomalous session"))
                    .Closed());
    r.AddSchema("StationList", Schema::Object("A page of stations")
                                   .Required("content", Schema::Array(Schema::Ref("StationSummary"), "Stations"))
                                   .Required("pagination", Schema::Ref("Pagination"))
                                   .Closed());
    auto connector = [](bool with_categories) {
        auto s =
            Schema::Object("A connector with its statistics")
                .Required("connectorId", Schema::String("Connector identifier within the charging point"))
                .Required("evseId", Schema::String("EVSE id").Nullable())
                .Required("totalSessions", Schema::Integer("Sessions on this connector"))
                .Required("anomalousSessions", Schema::Integer("Sessions with detected anomalies"))
                .Required("maxScore", NullableNumber("Highest session anomaly score"))
                .Required("latestScore", NullableNumber("Score of the most recent verdict change"))
                .Required("lastAnomalyDate", NullableDate("Start of the latest anomalous session"))
                .Required("metadata",
                          Schema::Object("Connector facts: maxPowerKw, currentType, phases").FreeForm().Nullable());
        if (with_categories) s.Required("anomalyCategories", Categories());
        return s.Closed();
    };
    r.AddSchema("StationConnector", connector(false));
    r.AddSchema("StationConnectorCategories", connector(true));
    r.AddSchema("StationDetail",
                Schema::Object("Station details: connectors, anomaly statistics, metadata")
                    .Required("chargingStationId", Schema::String("Client-provided station identifier"))
                    .Required("connectors", Schema::Array(Schema::Ref("StationConnector"), "Connectors"))
                    .Required("totalSessions", Schema::Integer("Sessions at this station"))
                    .Required("anomalousSessions", Schema::Integer("Sessions with at least one detected anomaly"))
                    .Required("anomalyCategories", Categories())
                    .Required("maxScore", NullableNumber("Highest session anomaly score"))
                    .Required("latestScore", NullableNumber("Score of the most recent verdict change"))
                    .Required("lastAnomalyDate", NullableDate("Start of the latest anomalous session"))
                    .Required("lastActivityAt", NullableDate("Latest meter value seen"))
                    .Required("createdAt", Schema::DateTime("When the first session named the station"))
                    .Required("metadata", Schema::Object("Station metadata (address, operator, ...) as provided by "
                                                         "clients in session metadata, merged")
                                              .FreeForm()
                                              .Nullable())
                    .Closed());
    r.AddSchema("StationConnectors",
                Schema::Object("Connectors with anomaly statistics")
                    .Required("chargingStationId", Schema::String("Station identifier"))
                    .Required("connectors", Schema::Array(Schema::Ref("StationConnectorCategories"), "Connectors"))
                    .Closed());
    auto energy_point = Schema::Object("Energy delivered in one hour")
                            .Required("energy", Schema::Number("kWh delivered in the hour"))
                            .Required("timestamp", Schema::DateTime("Start of the hour"))
                            .Closed();
    r.AddSchema("StationEnergy",
                Schema::Object("Hourly energy per connector and for the station over 24 hours")
                    .Required("chargingStationId", Schema::String("Station identifier"))
                    .Required("dateFrom", Schema::DateTime("Start of the window"))
                    .Required("dateTo", Schema::DateTime("End of the window (exclusive)"))
                    .Required("anomalyOccurrences", Schema::Array(Schema::DateTime(),
                                                                  "Starts of session anomalies and station model "
                                                                  "anomalies in the window"))
                    .Required("energyConsumptionConnectors",
                              Schema::Array(Schema::Object("One connector's timeline")
                                                .Required("connectorId", Schema::String("Connector id ('' for "
                                                                                        "sessions without one)"))
                                                .Required("energy", Schema::Array(energy_point, "Hourly energy"))
                                                .Closed(),
                                            "Per connector"))
                    .Required("energyConsumptionStation", Schema::Array(energy_point, "Station total per hour"))
                    .Required("energyDelivered", Schema::Number("kWh delivered in the window"))
                    .Closed());
    r.AddSchema("StationInference",
                Schema::Object("The station model's result for one station and UTC day")
                    .Required("chargingStationId", Schema::String("Analyzed station identifier"))
                    .Required("inferenceId", Schema::String("Result id"))
                    .Required("day", Schema::String("Analysed UTC day (YYYY-MM-DD)").Format("date"))
                    .Required("isAnomaly", Schema::Boolean("Whether a station-level anomaly was detected"))
                    .Required("anomalyScore", Schema::Number("Day score in [0, 1]").Min(0).Max(1))
                    .Required("detectionDetails",
                              Schema::Object("anomaly_type (energy_drop, energy_surge, outage, connector_down or "
                                             "null), expected_energy_kwh, actual_energy_kwh, affected_period, and "
                                             "every finding")
                                  .FreeForm())
                    .Required("analyzedAt", Schema::DateTime("Analysis completion timestamp (UTC)"))
                    .Closed());
    r.AddSchema("StationAnomaly",
                Schema::Object("One station-day result")
                    .Required("inferenceId", Schema::String("Result id"))
                    .Required("day", Schema::String("Analysed UTC day").Format("date"))
                    .Required("isAnomaly", Schema::Boolean("Whether a station-level anomaly was detected"))
                    .Required("anomalyScore", Schema::Number("Day score in [0, 1]").Min(0).Max(1))
                    .Required("detectionDetails", Schema::Object("See StationInference").FreeForm())
                    .Required("analyzedAt", Schema::DateTime("When the model ran"))
                    .Closed());
    r.AddSchema("StationAnomalyList", Schema::Object("Station-day results, newest day first")
                                          .Required("content", Schema::Array(Schema::Ref("StationAnomaly"), "Days"))
                                          .Required("pagination", Schema::Ref("Pagination"))
                                          .Closed());
    r.AddSchema(
        "ShadeOverview",
        Schema::Object("Cumulative energy timeline of one UTC day with the model's anomaly markers")
            .Required("chargingStationId", Schema::String("Station identifier"))
            .Required("day", Schema::String("Analysed UTC day").Format("date"))
            .Required("dayScore", Schema::Number("Overall day anomaly score").Min(0).Max(1))
            .Required("isAnomaly", Schema::Boolean("Whether the day has station-level anomalies"))
            .Required("energyTimeline",
                      Schema::Array(Schema::Object("Cumulative energy at one minute")
                                        .Required("timestamp", Schema::DateTime("Point in time (UTC)"))
                                        .Required("cumulativeKwh", Schema::Number("kWh delivered since midnight"))
                                        .Closed(),
                                    "1440 points, one per minute: the energy delivered up to the end of each minute"))
            .Required("anomalyMarkers",
                      Schema::Array(
                          Schema::Object("A 15-minute bucket where actual and expected part")
                              .Required("startMinute", Schema::Integer("Minute offset from day start").Min(0).Max(1439))
                              .Required("timestamp", Schema::DateTime("Start of the bucket (UTC)"))
                              .Required("score", Schema::Number("Anomaly score of the bucket").Min(0).Max(1))
                              .Closed(),
                          "Markers"))
            .Required("analyzedAt", Schema::DateTime("When the model ran"))
            .Closed());
    r.AddSchema("StationIds", Schema::Object("Distinct station identifiers")
                                  .Required("items", Schema::Array(Schema::String(), "Station ids, sorted"))
                                  .Closed());
}

json::object InferenceExample() {
    return json::object{{"chargingStationId", "ST-NL-AMS-01"},
                        {"inferenceId", "5b0d7c8e-2f4a-4b1c-9d3e-6a7f8b9c0d1e"},
                        {"day", "2026-02-27"},
                        {"isAnomaly", true},
                        {"anomalyScore", 0.72},
                        {"detectionDetails", DetailsExample()},
                        {"analyzedAt", "2026-02-28T00:05:00Z"}};
}

Param DateParam() {
    return Param::Query("date", Schema::String().Format("date"),
                        "UTC day to analyse (YYYY-MM-DD); computed on demand when no result is stored. Default: "
                        "the latest stored result, else the day of the station's latest meter value");
}

}  // namespace

void DocumentStationRoutes(DocRegistry& r) {
    AddStationSchemas(r);
    auto list_params = PagingParams();
    list_params.push_back(Param::Query("ocpp_charging_station_id", Schema::String(), "Filter by external station id"));
    list_params.push_back(
        Param::Query("occurrenceFrom", Schema::String(), "Last anomaly lower bound (date or ISO 8601)"));
    list_params.push_back(
        Param::Query("occurrenceTo", Schema::String(), "Last anomaly upper bound (date or ISO 8601)"));
    list_params.push_back(Param::Query("sortByAnomalies", Schema::Enum({"asc", "desc"}), "Sort by total anomalies"));
    list_params.push_back(Param::Query("sortByScore", Schema::Enum({"asc", "desc"}),
                                       "Sort by max anomaly score (sortByAnomalies wins when both are given)"));
    r.Add({
        .method = "GET",
        .pattern = "/v1/stations",
        .operation_id = "listStations",
        .tag = "Stations",
        .summary = "List Stations",
        .description = "List the tenant's charging stations with aggregated anomaly statistics, kept up to date "
                       "in every session write's transaction (never stale). Default order: station id.",
        .params = list_params,
        .replies = {{200, "A page of stations", Schema::Ref("StationList"),
                     json::object{{"content", json::array{json::object{{"id", "ST-NL-AMS-01"},
                                                                       {"chargingStationId", "ST-NL-AMS-01"},
                                                                       {"ocppChargingStationId", "ST-NL-AMS-01"},
                                                                       {"aiScore", 0.91},
                                                                       {"latestScore", 0.12},
                                                                       {"totalAnomalies", 7},
                                                                       {"totalSessions", 142},
                                                                       {"lastAnomalyDate", "2026-02-27T09:45:00Z"}}}},
                                  {"pagination", json::object{{"totalCount", 1}, {"page", 1}, {"size", 50}}}}}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/stations/lookup",
        .operation_id = "lookupStationIds",
        .tag = "Stations",
        .summary = "Lookup Station Ids",
        .description = "Distinct station ids for filter dropdowns.",
        .replies = {{200, "Station ids", Schema::Ref("StationIds"),
                     json::object{{"items", json::array{"ST-NL-AMS-01"}}}}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/stations/{charging_station_id}",
        .operation_id = "getStation",
        .tag = "Stations",
        .summary = "Get Station Detail",
        .description = "Station details: connectors, anomaly statistics, metadata merged from the sessions' "
                       "metadata (fields a client gave are never lost; later values win).",
        .params = {StationPath()},
        .replies = {{200, "The station", Schema::Ref("StationDetail"),
                     json::object{
                         {"chargingStationId", "ST-NL-AMS-01"},
                         {"connectors", json::array{json::object{{"connectorId", "1"},
                                                                 {"evseId", "NL*EVN*E1"},
                                                                 {"totalSessions", 80},
                                                                 {"anomalousSessions", 3},
                                                                 {"maxScore", 0.91},
                                                                 {"latestScore", 0.1},
                                                                 {"lastAnomalyDate", "2026-02-27T09:45:00Z"},
                                                                 {"metadata", json::object{{"maxPowerKw", 22}}}}}},
                         {"totalSessions", 142},
                         {"anomalousSessions", 7},
                         {"anomalyCategories", json::object{{"KWH_DECREASE", 2}}},
                         {"maxScore", 0.91},
                         {"latestScore", 0.1},
                         {"lastAnomalyDate", "2026-02-27T09:45:00Z"},
                         {"lastActivityAt", "2026-02-28T10:00:00Z"},
                         {"createdAt", "2026-01-01T00:00:00Z"},
                         {"metadata",
                          json::object{{"address", "Keizersgracht 100, Amsterdam"}, {"operator", "FastNed"}}}}}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/stations/{charging_station_id}/connectors",
        .operation_id = "getStationConnectors",
        .tag = "Stations",
        .summary = "Get Station Connectors",
        .description = "Station connectors with per-connector anomaly category breakdown.",
        .params = {StationPath()},
        .replies = {{200, "Connectors", Schema::Ref("StationConnectors"), nullptr}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/stations/{charging_station_id}/energy",
        .operation_id = "getStationEnergy",
        .tag = "Stations",
        .summary = "Get Station Energy",
        .description = "Hourly energy per connector and for the station over 24 hours, from the sessions' meter "
                       "values (each reading interval's energy spread over the time it was delivered), with "
                       "anomaly occurrences. The window ends with the hour holding `dateTo` (default: the "
                       "station's latest meter value), or is the UTC day of station anomaly `anomalyId`.",
        .params = {StationPath(),
                   Param::Query("dateTo", Schema::String(), "End of the window (date = end of that day, or ISO 8601)"),
                   Param::Query("anomalyId", Schema::String(),
                                "Show the UTC day of this station anomaly (an `inferenceId` of /anomalies)")},
        .replies = {{200, "Energy timelines", Schema::Ref("StationEnergy"), nullptr}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/stations/{charging_station_id}/inference",
        .operation_id = "getStationInference",
        .tag = "Stations",
        .summary = "Get Station Inference",
        .description = "The station model's result (energy_drop, energy_surge, outage, connector_down) for a UTC "
                       "day. Runs the model now when no result is stored for the requested day.",
        .params = {StationPath(), DateParam()},
        .replies = {{200, "The result", Schema::Ref("StationInference"), InferenceExample()}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/stations/{charging_station_id}/shade-overview",
        .operation_id = "getShadeOverview",
        .tag = "Stations",
        .summary = "Get Shade Overview",
        .description = "Cumulative energy of the analysed UTC day at 1-minute resolution with the model's anomaly "
                       "markers (15-minute buckets where actual and expected part).",
        .params = {StationPath(), DateParam()},
        .replies = {{200, "The overview", Schema::Ref("ShadeOverview"), nullptr}},
    });
    auto history_params = PagingParams();
    history_params.insert(history_params.begin(), StationPath());
    r.Add({
        .method = "GET",
        .pattern = "/v1/stations/{charging_station_id}/anomalies",
        .operation_id = "listStationAnomalies",
        .tag = "Stations",
        .summary = "List Station Anomalies",
        .description = "Station model results kept as history, one per analysed UTC day, newest first.",
        .params = history_params,
        .replies = {{200, "A page of results", Schema::Ref("StationAnomalyList"), nullptr}},
    });
}

}  // namespace evni::api::openapi
