// Documentation of the models routes (models.cpp, docs/models.md). Shapes: the reference.
#include "api/model_service.h"
#include "api/openapi.h"

namespace evni::api::openapi {
namespace json = boost::json;

namespace {

Schema ModelStatus() {
    return Schema::Enum(
        {"active", "inactive"},
        "Lifecycle status of a model: exactly one model per tenant is `active` (the base model "
        "while the tenant has no fine-tuned model); its threshold decides `isAnomaly` on session writes");
}

Schema FineTuneStatus() {
    return Schema::Enum({"queued", "running", "completed", "failed"},
                        "Processing status of a fine-tuning job: `queued`, `running`, then `completed` (a new model "
                        "was stored and made active) or `failed` (see `errorMessage`)");
}

Schema ModelFields(std::string_view description, bool detail) {
    Schema s = Schema::Object(description);
    s.Required("id", Schema::String("Model id (the base model: `evni-session-engine`)"))
        .Required("name", Schema::String("Name"))
        .Required("type", Schema::Enum({kModelType}, "Type of model: the session rule engine (docs/analysis.md)"))
        .Required("version", Schema::String("Version: the engine version, `+ft.<job>` for a fine-tuned model"))
        .Required("isBase", Schema::Boolean("True for the built-in base model"))
        .Required("baseModel",
                  Schema::String("The model this one was calibrated from (null for the base model)").Nullable())
        .Required("metrics",
                  Schema::Object("Quality figures. Base model: the quality benchmark's headline figures "
                                 "(docs/benchmarks.md). Fine-tuned model: `threshold`, `labelsUsed`, "
                                 "`positiveLabels`, `negativeLabels`, `untriagedSessions`, and precision, recall "
                                 "and F1 on the labels at the chosen threshold (`atThreshold`) and at 0.5 "
                                 "(`atDefaultThreshold`)")
                      .FreeForm()
                      .Nullable())
        .Required("status", Schema::Ref("ModelStatus"))
        .Required("createdAt", Schema::DateTime("When the model was stored (the base model: 1970-01-01T00:00:00Z)"));
    if (detail) {
        s.Required("s3Path", Schema::String("Always null: models are database rows, not files").Nullable())
            .Required("description", Schema::String("What the model is").Nullable());
    }
    return s.Closed();
}

json::object ExampleModel(bool detail) {
    json::object o{{"id", "model_3f2a9c0d1e7b4a6c8d5e2f10"},
                   {"name", "Calibrated on Q1 triage"},
                   {"type", kModelType},
                   {"version", "0.1.0+ft.8d5e2f10"},
                   {"isBase", false},
                   {"baseModel", kBaseModelId},
                   {"metrics", json::object{{"threshold", 0.72},
                                            {"labelsUsed", 48},
                                            {"positiveLabels", 20},
                                            {"negativeLabels", 28},
                                            {"untriagedSessions", 5},
                                            {"atThreshold", json::object{{"threshold", 0.72},
                                                                         {"precision", 0.95},
                                                                         {"recall", 0.95},
                                                                         {"f1", 0.95},
                                                                         {"truePositives", 19},
                                                                         {"falsePositives", 1},
                                                                         {"falseNegatives", 1},
                                                                         {"trueNegatives", 27}}}}},
                   {"status", "active"},
                   {"createdAt", "2026-03-01T09:00:00Z"}};
    if (detail) {
        o["s3Path"] = nullptr;
        o["description"] = "Session engine with the decision threshold calibrated to 0.7200 on 48 labelled sessions.";
    }
    return o;
}

json::object ExampleJob(const char* status) {
    return json::object{{"jobId", "ftjob_1a2b3c4d5e6f708192a3b4c5"},
                        {"status", status},
                        {"baseModelId", kBaseModelId},
                        {"createdAt", "2026-03-01T08:59:58Z"}};
}

}  // namespace

void DocumentModelRoutes(DocRegistry& r) {
    r.AddSchema("ModelStatus", ModelStatus());
    r.AddSchema("FineTuneStatus", FineTuneStatus());
    r.AddSchema("Model", ModelFields("A model", false));
    r.AddSchema("ModelDetail", ModelFields("A model with its description", true));
    r.AddSchema("ModelList", Schema::Object("Available models")
                                 .Required("models", Schema::Array(Schema::Ref("Model"),
                                                                   "The base model first, then the tenant's "
                                                                   "fine-tuned models, newest first"))
                                 .Closed());
    r.AddSchema(
        "FineTuneCreate",
        Schema::Object("A fine-tune: calibrate the decision threshold on the tenant's labelled sessions")
            .Required("baseModelId", Schema::String("The model to start from: `evni-session-engine` or one of the "
                                                    "tenant's models (scores always come from the engine)"))
            .Required("name", Schema::String("Name of the resulting model").MinLength(1).MaxLength(255))
            .Optional("trainingConfig",
                      Schema::Object("Training options")
                          .Optional("minLabels", Schema::Integer("Fewest labelled sessions (both classes needed) "
                                                                 "for the job to succeed")
                                                     .Min(2)
                                                     .Max(100'000)
                                                     .Default(20))
                          .Closed())
            .Required("dataSource",
                      Schema::Object("FineTuneDataSource")
                          .Required("type", Schema::Enum({"sessions", "upload"},
                                                         "'sessions' (labels from the anomalies workspace) or "
                                                         "'upload' (not supported: refused with 422)"))
                          .Optional("sessionFilter",
                                    Schema::Object("Which sessions' labels to use, as the sessions list filters")
                                        .Optional("dateFrom", Schema::String("Start date (inclusive)"))
                                        .Optional("dateTo", Schema::String("End date (inclusive)"))
                                        .Optional("chargingStationId", Schema::String("Charging station"))
                                        .Closed()
                                        .Nullable())
                          .Closed()));
    r.AddSchema("FineTuneAccepted", Schema::Object("A queued fine-tune")
                                        .Required("jobId", Schema::String("Job id"))
                                        .Required("status", Schema::Ref("FineTuneStatus"))
                                        .Required("baseModelId", Schema::String("Base model id"))
                                        .Required("createdAt", Schema::DateTime("When the job was created"))
                                        .Closed());
    r.AddSchema("FineTuneJob",
                Schema::Object("A fine-tune's status")
                    .Required("jobId", Schema::String("Job id"))
                    .Required("status", Schema::Ref("FineTuneStatus"))
                    .Required("baseModelId", Schema::String("Base model id"))
                    .Required("resultModelId", Schema::String("The model it stored (when completed)").Nullable())
                    .Required("config", Schema::Object("The accepted trainingConfig and dataSource").FreeForm())
                    .Required("createdAt", Schema::DateTime("When the job was created"))
                    .Required("startedAt", Schema::DateTime("When a worker started it").Nullable())
                    .Required("completedAt", Schema::DateTime("When it completed or failed").Nullable())
                    .Required("errorMessage", Schema::String("Why it failed").Nullable())
                    .Closed());

    r.Add({
        .method = "GET",
        .pattern = "/v1/models",
        .operation_id = "listModels",
        .tag = "Models",
        .summary = "List Models",
        .description = "List available models: the built-in base model (the session engine) and the tenant's "
                       "fine-tuned models. Exactly one is `active`; its threshold (in `metrics.threshold`) decides "
                       "`isAnomaly` when a session is written.",
        .replies = {{200, "The models", Schema::Ref("ModelList"),
                     json::object{{"models", json::array{ExampleModel(false)}}}}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/models/{model_id}",
        .operation_id = "getModel",
        .tag = "Models",
        .summary = "Get Model Detail",
        .description = "Get a model's details: version, metrics, training date. Another tenant's model is a 404.",
        .params = {Param::Path("model_id", "Model Id")},
        .replies = {{200, "The model", Schema::Ref("ModelDetail"), ExampleModel(true)}},
    });
    r.Add({
        .method = "POST",
        .pattern = "/v1/models/fine-tune",
        .operation_id = "startFineTune",
        .tag = "Models",
        .summary = "Start Fine Tune",
        .description =
            "Calibrate the engine's decision threshold on the tenant's own labelled sessions (docs/models.md): a "
            "session is labelled an anomaly when one of its anomaly issues is CONFIRMED or RESOLVED, and not an "
            "anomaly when all of its issues are FALSE_POSITIVE or IGNORED. The job picks the threshold that "
            "maximises F1 (ties: closest to 0.5), stores a new model and makes it active. It fails with an "
            "`errorMessage` when fewer than `minLabels` sessions are labelled or one class is missing. "
            "`dataSource.type` `upload` is not supported (422). Admin role.",
        .request = RequestBody{Schema::Ref("FineTuneCreate"),
                               json::object{{"baseModelId", kBaseModelId},
                                            {"name", "Calibrated on Q1 triage"},
                                            {"trainingConfig", json::object{{"minLabels", 20}}},
                                            {"dataSource",
                                             json::object{{"type", "sessions"},
                                                          {"sessionFilter", json::object{{"dateFrom", "2026-01-01"},
                                                                                         {"dateTo", "2026-03-31"}}}}}}},
        .replies = {{200, "The job is queued", Schema::Ref("FineTuneAccepted"), ExampleJob("queued")}},
    });
    json::object done = ExampleJob("completed");
    done["resultModelId"] = "model_3f2a9c0d1e7b4a6c8d5e2f10";
    done["config"] =
        json::object{{"trainingConfig", json::object{{"minLabels", 20}}},
                     {"dataSource", json::object{{"type", "sessions"}, {"sessionFilter", json::object{}}}}};
    done["startedAt"] = "2026-03-01T08:59:59Z";
    done["completedAt"] = "2026-03-01T09:00:00Z";
    done["errorMessage"] = nullptr;
    r.Add({
        .method = "GET",
        .pattern = "/v1/models/fine-tune/{job_id}",
        .operation_id = "getFineTune",
        .tag = "Models",
        .summary = "Get Fine Tune Status",
        .description = "Get a fine-tuning job's status and outcome.",
        .params = {Param::Path("job_id", "Job Id")},
        .replies = {{200, "The job", Schema::Ref("FineTuneJob"), done}},
    });
}

}  // namespace evni::api::openapi
