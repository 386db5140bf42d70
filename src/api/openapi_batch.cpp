// Documentation of the batch routes (batch.cpp). Descriptions and shapes: the reference.
#include "api/openapi.h"

namespace evni::api::openapi {
namespace json = boost::json;

namespace {

Schema NullableString(std::string_view description) { return Schema::String(description).Nullable(); }

Schema BatchStatus() {
    return Schema::Enum({"pending", "processing", "completed", "completed_with_errors", "failed"},
                        "Processing status of a batch upload: `pending` until a worker starts on it, `processing`, "
                        "then `completed` (every session written), `completed_with_errors` (some failed) or `failed` "
                        "(all failed)");
}

// A batch result: the Session shape; for a session not written (yet) `createdAt` is null and
// `status` is `pending` (queued) or `failed` (with the reason in `message`).
Schema BatchResult() {
    return Schema::Object(
               "One session of the batch, in request order: the session as the Sessions API shows it "
               "once written; before that `status` `pending`, or `failed` with the reason in `message`")
        .Required("sessionId", Schema::String("Session identifier (empty when the item had none)"))
        .Required("chargingStationId", Schema::String("Charging station identifier (empty when the item had none)"))
        .Required("connectorId", NullableString("Connector identifier within the charging station"))
        .Required("evseId", NullableString("EVSE identifier (EU standard)"))
        .Required("status", Schema::Ref("SessionStatus"))
        .Required("isAnomaly", Schema::Boolean("Whether any anomaly was detected (null if pending)").Nullable())
        .Required("anomalyScore", Schema::Number("Overall anomaly score (null if pending)").Min(0).Max(1).Nullable())
        .Required("anomalyConfidence",
                  Schema::Number("Overall model confidence (null if pending)").Min(0).Max(1).Nullable())
        .Required("isIncident", Schema::Boolean("Confirmed incident (null if pending)").Nullable())
        .Required("isRecurring", Schema::Boolean("Recurring pattern (null if pending)").Nullable())
        .Required("anomalies", Schema::Array(Schema::Ref("Anomaly"), "Detected anomalies (empty if pending)"))
        .Required("analyzedAt", Schema::DateTime("Analysis timestamp (null if pending)").Nullable())
        .Required("socReconstructed", Schema::Boolean("Whether SoC was reconstructed by SORC model"))
        .Required("message", NullableString("Informational message about the analysis status; for a failed item, "
                                            "every invalid field with its location"))
        .Required("stopReason", NullableString("OCPP stop reason (e.g. Local, Remote, EVDisconnected)"))
        .Required("createdAt", Schema::DateTime("Session creation timestamp (null if unavailable)").Nullable())
        .Required("metadata", Schema::Object("Client metadata of the session, as last sent").FreeForm().Nullable())
        .Closed();
}

json::value SubmitExample() {
    json::array values;
    for (auto [ts, kwh, soc] :
         {std::tuple{"2026-02-27T10:00:00Z", 0.0, 80.0}, std::tuple{"2026-02-27T10:15:00Z", 5.5, 65.0},
          std::tuple{"2026-02-27T10:30:00Z", 11.1, 50.0}}) {
        values.push_back(json::object{
            {"measurand", "Energy.Active.Import.Register"}, {"timestamp", ts}, {"unit", "kWh"}, {"value", kwh}});
        values.push_back(json::object{{"measurand", "SoC"}, {"timestamp", ts}, {"unit", "Percent"}, {"value", soc}});
    }
    return json::object{{"sessions", json::array{json::object{{"sessionId", "sess-abc-001"},
                                                              {"chargingStationId", "CP-NL-AMS-0042"},
                                                              {"connectorId", "1"},
                                                              {"meterValues", std::move(values)}}}}};
}

}  // namespace

void DocumentBatchRoutes(DocRegistry& r) {
    r.AddSchema("BatchStatus", BatchStatus());
    r.AddSchema("BatchResult", BatchResult());
    r.AddSchema("BatchCreate",
                Schema::Object("Sessions to analyse in the background")
                    .Required("sessions", Schema::Array(Schema::Ref("SessionCreate"),
                                                        "Sessions, each in the shape of POST /v1/sessions")
                                              .MinItems(1)
                                              .MaxItems(10'000)));
    r.AddSchema("BatchAccepted", Schema::Object("A stored batch")
                                     .Required("batchId", Schema::String("Batch id, for GET /v1/sessions/batch/{id}"))
                                     .Required("totalSessions", Schema::Integer("Sessions in the batch"))
                                     .Required("status", Schema::Ref("BatchStatus"))
                                     .Closed());
    r.AddSchema(
        "BatchDetail",
        Schema::Object("A batch's progress and a page of its results")
            .Required("batchId", Schema::String("Batch id"))
            .Required("status", Schema::Ref("BatchStatus"))
            .Required("totalSessions", Schema::Integer("Sessions in the batch"))
            .Required("processedSessions",
                      Schema::Integer("Sessions with an outcome (written, or failed), invalid ones included"))
            .Required("failedSessions", Schema::Integer("Sessions that failed (validation or write)"))
            .Required("results", Schema::Array(Schema::Ref("BatchResult"), "This page of results, in request order"))
            .Required("page", Schema::Integer("Page number (1-based)"))
            .Required("pageSize", Schema::Integer("Items per page"))
            .Required("createdAt", Schema::DateTime("When the batch was submitted"))
            .Required("completedAt", Schema::DateTime("When its last session got its outcome").Nullable())
            .Closed());

    r.Add({
        .method = "POST",
        .pattern = "/v1/sessions/batch",
        .operation_id = "submitBatch",
        .tag = "Sessions",
        .summary = "Submit Batch",
        .description =
            "Submit multiple sessions (at most 10,000; a body of at most 1 GiB) for batch analysis. The body is "
            "streamed to disk and split session by session, so its size does not drive the server's memory. Each "
            "session is validated like POST /v1/sessions: an invalid one is recorded as failed with its errors "
            "(see the results) and the others proceed. When this returns, the batch and its sessions are stored "
            "durably and background jobs write every valid session through the Sessions API (exactly once, with "
            "the same analysis, anomaly records and events as a single POST). Poll "
            "GET /v1/sessions/batch/{batch_id}; a `batch.completed` event is published when it completes. A "
            "body that is not valid JSON, has no `sessions` list, an empty one or more than 10,000 sessions is "
            "refused as a whole with 422; a body or a single session over its size limit with 413.",
        .request = RequestBody{Schema::Ref("BatchCreate"), SubmitExample()},
        .replies = {{200, "The batch is stored", Schema::Ref("BatchAccepted"),
                     json::object{
                         {"batchId", "batch_8f2c1a9e0b7d4c3f5a6e1d2b"}, {"totalSessions", 1}, {"status", "pending"}}}},
        .errors = {{503, "Batch processing is not available on this node"}},
    });

    r.Add({
        .method = "GET",
        .pattern = "/v1/sessions/batch/{batch_id}",
        .operation_id = "getBatch",
        .tag = "Sessions",
        .summary = "Get Batch Status",
        .description = "Get batch processing status and results (paginated, in request order). A session that "
                       "was written is shown as GET /v1/sessions/{session_id} shows it now (without meter values).",
        .params =
            {
                Param::Path("batch_id", "Batch Id"),
                Param::Query("page", Schema::Integer().Min(1).Max(1'000'000).Default(1), "Page number (1-based)"),
                Param::Query("pageSize", Schema::Integer().Min(1).Max(1000).Default(50), "Results per page"),
            },
        .replies = {{200, "The batch and a page of its results", Schema::Ref("BatchDetail"),
                     json::object{{"batchId", "batch_8f2c1a9e0b7d4c3f5a6e1d2b"},
                                  {"status", "processing"},
                                  {"totalSessions", 1},
                                  {"processedSessions", 0},
                                  {"failedSessions", 0},
                                  {"results", json::array()},
                                  {"page", 1},
                                  {"pageSize", 50},
                                  {"createdAt", "2026-02-27T10:31:00Z"},
                                  {"completedAt", nullptr}}}},
        .errors = {{503, "Batch processing is not available on this node"}},
    });
}

}  // namespace evni::api::openapi
