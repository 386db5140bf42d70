// Shared OpenAPI component schemas: the request and response bodies, enums and the error shape.
// Descriptions are the reference's (../shared/reference/api-reference.txt) where it has one.
// Response objects are Closed(): the API tests validate every response against them, so a field the
// server sends and the document does not describe fails a test.
#include "api/openapi.h"
#include "util/error.h"

namespace evni::api::openapi {
namespace json = boost::json;

namespace {

Schema NullableString(std::string_view description) { return Schema::String(description).Nullable(); }

// Fields of the session response shared by POST/PUT/PATCH and GET detail.
Schema SessionFields(std::string_view description) {
    return Schema::Object(description)
        .Required("sessionId", Schema::String("Session identifier"))
        .Required("chargingStationId", Schema::String("Charging station identifier"))
        .Required("connectorId", NullableString("Connector identifier within the charging station"))
        .Required("evseId", NullableString("EVSE identifier (EU standard)"))
        .Required("status", Schema::Ref("SessionStatus"))
        .Required("isAnomaly", Schema::Boolean("Whether any anomaly was detected (null if pending)").Nullable())
        .Required("anomalyScore", Schema::Number("Overall anomaly score (null if pending): the highest category score")
                                      .Min(0)
                                      .Max(1)
                                      .Nullable())
        .Required("anomalyConfidence",
                  Schema::Number("Overall model confidence (null if pending)").Min(0).Max(1).Nullable())
        .Required("isIncident",
                  Schema::Boolean("Confirmed incident (null if pending): score >= 0.8 with confidence >= 0.8, or "
                                  "recurring with score >= 0.6")
                      .Nullable())
        .Required("isRecurring",
                  Schema::Boolean("Recurring pattern (null if pending): the same category on the same station and "
                                  "connector in at least 2 other sessions within the previous 30 days")
                      .Nullable())
        .Required("anomalies", Schema::Array(Schema::Ref("Anomaly"), "Detected anomalies (empty if pending)"))
        .Required("analyzedAt", Schema::DateTime("Analysis timestamp (null if pending)").Nullable())
        .Required("socReconstructed", Schema::Boolean("Whether SoC was reconstructed by SORC model"))
        .Required("message", NullableString("Informational message about the analysis status (e.g. why inference "
                                            "was not performed)"))
        .Required("stopReason", NullableString("OCPP stop reason (e.g. Local, Remote, EVDisconnected)"))
        .Required("createdAt", Schema::DateTime("Session creation timestamp (UTC)"))
        .Required("metadata", Schema::Object("Client metadata of the session, as last sent").FreeForm().Nullable())
        .Closed();
}

Schema MeterValueInput() {
    return Schema::Object("One OCPP meter reading")
        .Required("timestamp",
                  Schema::String("UTC timestamp of the meter reading (OCPP MeterValues timestamp): ISO 8601 with `Z` "
                                 "or an offset; without one it is taken as UTC, as OCPP requires")
                      .Example("2026-02-27T10:00:00Z"))
        .Required("value", Schema::OneOf({Schema::Number().Min(0).Max(10'000'000'000.0),
                                          Schema::String("A decimal number as a string (OCPP 1.6 sends strings)")
                                              .Pattern(R"(^\s*[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?\s*$)")},
                                         "Measured value in the specified unit (0 to 10,000,000,000)"))
        .Optional("measurand",
                  NullableString("OCPP measurand type (e.g. Energy.Active.Import.Register, Power.Active.Import, SoC)")
                      .MaxLength(64))
        .Optional("unit", NullableString("OCPP unit of measure (e.g. kWh, kW, Percent, A, V)").MaxLength(64))
        .Optional("phase", NullableString("OCPP phase (e.g. L1, L2, L3, L1-N)").MaxLength(64))
        .Optional("location", NullableString("OCPP meter value location (e.g. Outlet, EV, Cable)").MaxLength(64))
        .Optional("reconstructed", Schema::Boolean("True if value was reconstructed by SORC model").Nullable());
}

Schema SessionChangeFields(Schema s, std::initializer_list<std::string_view> statuses, std::string_view status_text) {
    return s
        .Optional("metadata", Schema::Object("Optional client metadata to set (replaces the stored one, at most "
                                             "64 KiB). Connector facts for the detectors: `maxPowerKw`, "
                                             "`currentType` (`AC`/`DC`), `phases`; `evMaxPowerKw`: the EV's "
                                             "maximum power request (SoC reconstruction)")
                                  .FreeForm()
                                  .Nullable())
        .Optional("status", Schema::Enum(statuses, status_text).Nullable())
        .Optional("stopReason", NullableString("OCPP stop reason (e.g. Local, Remote, EVDisconnected)").MaxLength(64));
}

Schema ErrorSchema(const Schema& detail, std::string_view description) {
    return Schema::Object(description)
        .Required("detail", detail)
        .Required("code", Schema::Ref("ErrorCode"))
        .Required("requestId", Schema::String("The request id, also in the X-Request-Id header"))
        .Closed();
}

}  // namespace

void AddComponentSchemas(DocRegistry& r) {
    // Enums.
    r.AddSchema("Role", Schema::Enum({"viewer", "member", "admin", "super_admin"},
                                     "Role of an API key, lowest to highest; each operation names the lowest role "
                                     "allowed to call it"));
    r.AddSchema("SessionStatus",
                Schema::Enum({"pending", "active", "completed", "invalid", "failed"},
                             "Session lifecycle status: `pending` before the first analysis, `active` once analysed, "
                             "`failed` when the last analysis failed; `completed` and `invalid` once the client says "
                             "so (sticky)"));
    std::vector<std::string> ids;
    std::string meanings = "Anomaly classification category:";
    for (const auto& c : AnomalyCategories()) {
        ids.emplace_back(c.id);
        meanings += "\n* `" + std::string(c.id) + "`: " + std::string(c.meaning);
    }
    r.AddSchema("AnomalyCategory", Schema::Enum(ids, meanings));

    // Sessions.
    r.AddSchema(
        "BucketRange",
        Schema::Object("Affected meter value range (bucket indexes)")
            .Required("startUnit",
                      Schema::Integer("Start bucket index (0-based, 15-second slot offset from session start)").Min(0))
            .Required("endUnit",
                      Schema::Integer("End bucket index (inclusive, 15-second slot offset from session start)").Min(0))
            .Closed());
    r.AddSchema("TimeRange",
                Schema::Object("Affected time range")
                    .Required("startTimestamp", Schema::DateTime("Start of the anomaly time range").Nullable())
                    .Required("endTimestamp", Schema::DateTime("End of the anomaly time range").Nullable())
                    .Closed());
    r.AddSchema(
        "Anomaly",
        Schema::Object("One detected anomaly")
            .Required("category", Schema::Ref("AnomalyCategory"))
            .Required("score", Schema::Number("Anomaly severity score (0.0 = normal, 1.0 = extreme)").Min(0).Max(1))
            .Required("confidence", Schema::Number("Model confidence in this detection (0.0-1.0)").Min(0).Max(1))
            .Required("bucketRange", Schema::Ref("BucketRange",
                                                 "Affected meter value range (bucket indexes, "
                                                 "null when not available)")
                                         .Nullable())
            .Required("timeRange",
                      Schema::Ref("TimeRange", "Affected time range (start/end timestamps, null if not available)")
                          .Nullable())
            .Closed());
    r.AddSchema("MeterValueInput", MeterValueInput());
    r.AddSchema(
        "MeterValue",
        Schema::Object("A stored meter reading, as received (strings kept as sent)")
            .Required("timestamp", Schema::DateTime("UTC timestamp of the meter reading"))
            .Required("value", Schema::Number("Measured value in the specified unit").Min(0).Max(10'000'000'000.0))
            .Required("measurand", NullableString("OCPP measurand type"))
            .Required("unit", NullableString("OCPP unit of measure"))
            .Required("phase", NullableString("OCPP phase"))
            .Required("location", NullableString("OCPP meter value location"))
            .Required("reconstructed", Schema::Boolean("True if value was reconstructed by SORC model"))
            .Closed());
    r.AddSchema("ReconstructedSocPoint",
                Schema::Object("A SoC point predicted by the SORC model")
                    .Required("timestamp", Schema::DateTime("UTC timestamp matching the OCPP bucket"))
                    .Required("value", Schema::Number("Predicted SoC in percent (0-100)").Min(0).Max(100))
                    .Closed());
    r.AddSchema("Session", SessionFields("A session and its latest verdict"));
    r.AddSchema("SessionDetail",
                SessionFields("A session, its latest verdict and all its meter values")
                    .Required("meterValues", Schema::Array(Schema::Ref("MeterValue"),
                                                           "All meter readings received for this session, sorted by "
                                                           "time (stable)"))
                    .Required("reconstructedSoc",
                              Schema::Array(Schema::Ref("ReconstructedSocPoint"),
                                            "SoC points predicted by the SORC model when raw OCPP SoC was "
                                            "insufficient. Provided as a separate overlay; not part of the meter "
                                            "values used for inference."))
                    .Required("sorcConfidence", Schema::Number("Confidence of the SORC prediction (only set when "
                                                               "reconstructedSoc is non-empty)")
                                                    .Nullable()));
    r.AddSchema(
        "SessionListItem",
        Schema::Object("A session in a list, with its latest verdict")
            .Required("sessionId", Schema::String("Client-provided session identifier"))
            .Required("chargingStationId", Schema::String("Charging station identifier"))
            .Required("connectorId", NullableString("Connector identifier within the charging station"))
            .Required("evseId", NullableString("EVSE identifier (EU standard)"))
            .Required("isAnomaly",
                      Schema::Boolean("Anomaly flag from latest inference (null if not yet analyzed)").Nullable())
            .Required("anomalyScore",
                      Schema::Number("Latest anomaly score (null if not yet analyzed)").Min(0).Max(1).Nullable())
            .Required("anomalyConfidence",
                      Schema::Number("Latest overall confidence (null if not yet analyzed)").Min(0).Max(1).Nullable())
            .Required("anomalyCount",
                      Schema::Integer("Number of anomaly categories detected in latest inference").Min(0))
            .Required("status", Schema::Ref("SessionStatus"))
            .Required("createdAt", Schema::DateTime("Session creation timestamp (UTC)"))
            .Required("lastAnalyzedAt", Schema::DateTime("Last successful analysis timestamp (UTC)").Nullable())
            .Required("startedAt",
                      Schema::DateTime("Session start: its earliest meter value (null when it has none)").Nullable())
            .Closed());
    r.AddSchema("Pagination",
                Schema::Object("Pagination metadata")
                    .Required("totalCount", Schema::Integer("Total number of items matching the query").Min(0))
                    .Required("page", Schema::Integer("Current page number (1-based)").Min(1))
                    .Required("size", Schema::Integer("Number of items per page").Min(1))
                    .Closed());
    r.AddSchema("SessionList",
                Schema::Object("A page of sessions")
                    .Required("content", Schema::Array(Schema::Ref("SessionListItem"), "Sessions on the current page"))
                    .Required("pagination", Schema::Ref("Pagination"))
                    .Closed());
    r.AddSchema(
        "SessionCreate",
        SessionChangeFields(
            Schema::Object("A session to create, or to update when its sessionId exists (upsert)")
                .Required("sessionId",
                          Schema::String("Client's unique session identifier. Used for upsert (find-or-create)")
                              .MinLength(1)
                              .MaxLength(255))
                .Required("chargingStationId",
                          Schema::String("Charging station identifier (EVSE location)").MinLength(1).MaxLength(255))
                .Optional("connectorId",
                          NullableString("Connector identifier within the charging station").MaxLength(255))
                .Optional("evseId", NullableString("EVSE identifier (EU standard)").MaxLength(255))
                .Optional("meterValues",
                          Schema::Array(Schema::Ref("MeterValueInput"),
                                        "Initial meter readings. Optional: a session can be created empty and "
                                        "populated later via PATCH or PUT. Exact duplicates of stored values are "
                                        "ignored.")
                              .MaxItems(200'000)
                              .Nullable()),
            {"active", "pending", "completed", "invalid"},
            "Optional initial session status (active, pending, completed, or invalid); only completed and invalid "
            "have an effect"));
    r.AddSchema("SessionReplace",
                SessionChangeFields(
                    Schema::Object("The complete set of meter values of a session")
                        .Required("meterValues", Schema::Array(Schema::Ref("MeterValueInput"),
                                                               "Complete set of meter readings (replaces all previous)")
                                                     .MinItems(1)
                                                     .MaxItems(200'000)),
                    {"completed", "invalid"}, "Optional session status update (completed or invalid)"));
    r.AddSchema("SessionUpdate",
                SessionChangeFields(
                    Schema::Object("Meter values to append to a session")
                        .Optional("meterValues", Schema::Array(Schema::Ref("MeterValueInput"),
                                                               "Meter readings to append to the session (empty or "
                                                               "absent: no change)")
                                                     .MaxItems(200'000)
                                                     .Nullable()),
                    {"completed", "invalid"}, "Optional session status update (completed or invalid)"));

    // API keys.
    r.AddSchema("ApiKey", Schema::Object("An API key (never the secret)")
                              .Required("id", Schema::String("Key id"))
                              .Required("name", Schema::String("Name"))
                              .Required("description", Schema::String("Description"))
                              .Required("tenantId", Schema::String("Tenant id"))
                              .Required("role", Schema::Ref("Role"))
                              .Required("createdAt", Schema::DateTime("Creation time"))
                              .Required("expiresAt", Schema::DateTime("Expiry time"))
                              .Required("lastUsedAt",
                                        Schema::DateTime("Last use (written at most once a minute per key)").Nullable())
                              .Required("revokedAt", Schema::DateTime("Revocation time").Nullable())
                              .Closed());
    r.AddSchema("ApiKeyList", Schema::Object("The tenant's API keys")
                                  .Required("items", Schema::Array(Schema::Ref("ApiKey"), "Items"))
                                  .Closed());
    r.AddSchema(
        "ApiKeyCreate",
        Schema::Object("A new API key")
            .Required("name", Schema::String("Name").MinLength(1).MaxLength(100))
            .Optional("description", NullableString("Description").MaxLength(1000))
            .Optional("expiresInDays", Schema::Integer("Lifetime in days").Min(1).Max(3650).Default(365).Nullable())
            .Optional("role", Schema::Ref("Role",
                                          "Role of the new key: defaults to the caller's and can never be "
                                          "above it")
                                  .Nullable()));
    r.AddSchema("ApiKeyCreated", Schema::Object("A new API key with its secret, shown only once")
                                     .Required("id", Schema::String("Key id"))
                                     .Required("name", Schema::String("Name"))
                                     .Required("key", Schema::String("The API key: send it as `Authorization: Bearer "
                                                                     "<key>`. Only its hash is stored."))
                                     .Required("tenantId", Schema::String("Tenant id"))
                                     .Required("role", Schema::Ref("Role"))
                                     .Required("expiresAt", Schema::DateTime("Expiry time"))
                                     .Required("createdAt", Schema::DateTime("Creation time"))
                                     .Closed());

    // Errors and small bodies.
    std::vector<std::string> codes;
    // kValidation is the first code and kInternal the last (util/error.h).
    for (int c = static_cast<int>(ErrorCode::kValidation); c <= static_cast<int>(ErrorCode::kInternal); ++c) {
        codes.emplace_back(CodeName(static_cast<ErrorCode>(c)));
    }
    r.AddSchema("ErrorCode", Schema::Enum(codes, "Machine-readable error code"));
    r.AddSchema("Error", ErrorSchema(Schema::String("What went wrong"), "An error"));
    r.AddSchema("ValidationIssue",
                Schema::Object("One invalid field")
                    .Required("loc", Schema::Array(Schema::OneOf({Schema::String(), Schema::Integer()}),
                                                   "Where: `body` or `query`, then field names and list indexes"))
                    .Required("msg", Schema::String("What is wrong, for humans"))
                    .Required("type", Schema::String("What is wrong, for programs: `json_invalid`, "
                                                     "`model_attributes_type`, `missing`, `string_type`, `float_type`, "
                                                     "`bool_type`, `int_type`, `int_parsing`, `float_parsing`, "
                                                     "`bool_parsing`, `greater_than_equal`, `less_than_equal`, "
                                                     "`datetime_type`, `datetime_parsing`, `enum`, `list_type`, "
                                                     "`dict_type`, `string_too_short`, `string_too_long`, `too_short`, "
                                                     "`too_long`"))
                    .Closed());
    r.AddSchema("ValidationError",
                ErrorSchema(Schema::Array(Schema::Ref("ValidationIssue"), "Every invalid field").MinItems(1),
                            "A validation error (422)"));
    r.AddSchema("Empty", Schema::Object("An empty object").Closed());
}

}  // namespace evni::api::openapi
