#include "api/model_service.h"

#include <fmt/format.h>

#include <cmath>

#include "api/anomaly_listener.h"
#include "api/json_util.h"
#include "util/crypto.h"

namespace evni::api {
namespace json = boost::json;

namespace {

constexpr std::int64_t kMinLabelsFloor = 2;
constexpr std::int64_t kMinLabelsMax = 100'000;
constexpr std::size_t kMaxCachedTenants = 10'000;

double Round4(double v) { return std::round(v * 10'000.0) / 10'000.0; }

json::object QualityJson(const ThresholdQuality& q) {
    return json::object{{"threshold", Round4(q.threshold)},    {"precision", Round4(q.precision)},
                        {"recall", Round4(q.recall)},          {"f1", Round4(q.f1)},
                        {"truePositives", q.true_positives},   {"falsePositives", q.false_positives},
                        {"falseNegatives", q.false_negatives}, {"trueNegatives", q.true_negatives}};
}

json::object ParseObject(const std::string& text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) return {};
    return v.get_object();
}

struct ModelView {
    std::string id, name, version, status;
    bool is_base = false;
    std::optional<std::string> base_model;
    json::object metrics;
    std::optional<std::string> description;
    EpochMs created_at = 0;
};

ModelView BaseView(bool active) {
    return {kBaseModelId,
            kBaseModelName,
            kBaseModelVersion,
            active ? storage::kModelActive : storage::kModelInactive,
            true,
            std::nullopt,
            BaseModelMetrics(),
            std::string("The built-in session anomaly engine (14 categories, docs/analysis.md) with the default "
                        "decision threshold 0.5."),
            0};
}

ModelView TenantView(const storage::ModelRecord& m) {
    return {m.id,          m.name,      m.version, m.status, false, m.base_model, ParseObject(m.metrics_json),
            m.description, m.created_at};
}

json::object ModelJson(const ModelView& v, bool detail) {
    json::object o{{"id", v.id},           {"name", v.name},      {"type", kModelType},
                   {"version", v.version}, {"isBase", v.is_base}, {"baseModel", StringOrNull(v.base_model)},
                   {"metrics", v.metrics}, {"status", v.status},  {"createdAt", FormatIsoDateTime(v.created_at)}};
    if (detail) {
        o["s3Path"] = nullptr;  // the vendor's storage location: our models are rows, not files
        o["description"] = StringOrNull(v.description);
    }
    return o;
}

json::object FineTuneJson(const storage::FineTuneRecord& j) {
    return json::object{{"jobId", j.id},
                        {"status", j.status},
                        {"baseModelId", j.base_model_id},
                        {"resultModelId", StringOrNull(j.result_model_id)},
                        {"config", ParseObject(j.config_json)},
                        {"createdAt", FormatIsoDateTime(j.created_at)},
                        {"startedAt", TimeOrNull(j.started_at)},
                        {"completedAt", TimeOrNull(j.completed_at)},
                        {"errorMessage", StringOrNull(j.error_message)}};
}

Loc Body(std::initializer_list<const char*> parts) {
    Loc loc{std::string("body")};
    for (const char* p : parts) loc.push_back(std::string(p));
    return loc;
}

}  // namespace

json::object BaseModelMetrics() {
    // docs/benchmarks.md, "Analysis engine (issue #3)": build/release/bench/evni_bench_quality, default
    // seed, 2,480 generated sessions (1,000 clean, 80 per category, 60 of each of six hard-negative kinds).
    return json::object{
        {"source", "docs/benchmarks.md"},
        {"command", "build/release/bench/evni_bench_quality"},
        {"sessions", 2480},
        {"threshold", kBaseThreshold},
        {"macroF1", 0.973},
        {"sessionF1", 0.991},
        {"worstCategory", "ENERGY_PIT"},
        {"worstCategoryF1", 0.930},
        {"falsePositiveRateClean", 0.002},
        {"falsePositiveRateHardNegatives", 0.0083},
    };
}

const std::vector<std::string>& PositiveIssueStatuses() {
    static const std::vector<std::string> kAll{kIssueConfirmed, kIssueResolved};
    return kAll;
}

const std::vector<std::string>& NegativeIssueStatuses() {
    static const std::vector<std::string> kAll{kIssueFalsePositive, kIssueIgnored};
    return kAll;
}

LabelSet LabelsFrom(const std::vector<storage::SessionLabelCounts>& counts) {
    LabelSet set;
    for (const auto& c : counts) {
        if (c.positive > 0) {
            set.labels.push_back({c.score, true});
            ++set.positives;
        } else if (c.records > 0 && c.negative == c.records) {
            set.labels.push_back({c.score, false});
            ++set.negatives;
        } else {
            ++set.untriaged;
        }
    }
    return set;
}

Result<FineTuneRequest> DecodeFineTune(const json::object& body) {
    FieldErrors errors;
    FineTuneRequest r;
    const Loc base{std::string("body")};
    if (auto s = errors.RequiredString(body, "baseModelId", base)) r.base_model_id = *s;
    if (auto s = errors.RequiredString(body, "name", base)) r.name = *s;

    json::object training;
    if (auto* tc = body.if_contains("trainingConfig"); tc && !tc->is_null()) {
        if (!tc->is_object()) {
            errors.Add(Body({"trainingConfig"}), "Input should be a valid dictionary", "dict_type");
        } else {
            const auto& o = tc->get_object();
            for (const auto& kv : o) {
                if (kv.key() != "minLabels") {
                    errors.Add(Body({"trainingConfig", std::string(kv.key()).c_str()}),
                               "Extra inputs are not permitted (trainingConfig takes minLabels only)",
                               "extra_forbidden");
                }
            }
            auto n = errors.OptionalInt(o, "minLabels", Body({"trainingConfig"}), kMinLabelsFloor, kMinLabelsMax);
            if (n.value) r.min_labels = *n.value;
        }
    }
    training["minLabels"] = r.min_labels;

    json::object source_out;
    auto* ds = body.if_contains("dataSource");
    if (!ds || ds->is_null()) {
        errors.Add(Body({"dataSource"}), "Field required", "missing");
    } else if (!ds->is_object()) {
        errors.Add(Body({"dataSource"}), "Input should be a valid dictionary", "dict_type");
    } else {
        const auto& o = ds->get_object();
        for (const auto& kv : o) {
            if (kv.key() != "type" && kv.key() != "sessionFilter") {
                errors.Add(Body({"dataSource", std::string(kv.key()).c_str()}), "Extra inputs are not permitted",
                           "extra_forbidden");
            }
        }
        if (auto t = errors.RequiredString(o, "type", Body({"dataSource"}))) {
            if (*t == "upload") {
                errors.Add(Body({"dataSource", "type"}),
                           "dataSource type 'upload' is not supported: label sessions in the anomalies workspace "
                           "(confirm or dismiss their issues) and use type 'sessions'",
                           "value_error");
            } else if (*t != "sessions") {
                errors.Add(Body({"dataSource", "type"}), "Input should be 'sessions' or 'upload'", "literal_error");
            }
            source_out["type"] = *t;
        }
        json::object filter_out;
        if (auto* sf = o.if_contains("sessionFilter"); sf && !sf->is_null()) {
            if (!sf->is_object()) {
                errors.Add(Body({"dataSource", "sessionFilter"}), "Input should be a valid dictionary", "dict_type");
            } else {
                const auto& f = sf->get_object();
                const Loc floc = Body({"dataSource", "sessionFilter"});
                for (const auto& kv : f) {
                    if (kv.key() != "dateFrom" && kv.key() != "dateTo" && kv.key() != "chargingStationId") {
                        errors.Add(At(floc, std::string(kv.key())),
                                   "Extra inputs are not permitted (dateFrom, dateTo, chargingStationId)",
                                   "extra_forbidden");
                    }
                }
                auto bound = [&](const char* name, bool end) -> std::optional<EpochMs> {
                    auto s = errors.OptionalString(f, name, floc);
                    if (!s.value) return std::nullopt;
                    auto t = ParseDateBound(*s.value, end);
                    if (!t) {
                        errors.Add(At(floc, std::string(name)),
                                   "Input should be a valid date or datetime (YYYY-MM-DD or ISO 8601)",
                                   "datetime_parsing");
                    } else {
                        filter_out[name] = *s.value;
                    }
                    return t;
                };
                r.filter.date_from = bound("dateFrom", false);
                r.filter.date_to = bound("dateTo", true);
                auto station = errors.OptionalString(f, "chargingStationId", floc);
                if (station.value) {
                    r.filter.station_id = *station.value;
                    filter_out["chargingStationId"] = *station.value;
                }
                if (r.filter.date_from && r.filter.date_to && *r.filter.date_from > *r.filter.date_to) {
                    errors.Add(At(floc, std::string("dateTo")), "dateTo should not be before dateFrom", "value_error");
                }
            }
        }
        source_out["sessionFilter"] = std::move(filter_out);
    }
    if (!errors.Empty()) return Fail(errors.ToError());
    r.config = json::object{{"trainingConfig", std::move(training)}, {"dataSource", std::move(source_out)}};
    return r;
}

Result<json::array> ModelService::List(const domain::Principal& who) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto models = tx->Models().List(who.tenant_id);
    tx->Commit();
    bool any_active = false;
    for (const auto& m : models) any_active = any_active || m.status == storage::kModelActive;
    json::array out;
    out.push_back(ModelJson(BaseView(!any_active), false));
    for (const auto& m : models) out.push_back(ModelJson(TenantView(m), false));
    return out;
}

Result<json::object> ModelService::Get(const domain::Principal& who, const std::string& model_id) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    if (model_id == kBaseModelId) {
        const bool tenant_active = tx->Models().ActiveThreshold(who.tenant_id).has_value();
        tx->Commit();
        return ModelJson(BaseView(!tenant_active), true);
    }
    auto m = tx->Models().Find(who.tenant_id, model_id);
    tx->Commit();
    if (!m) return Fail(Error::NotFound("Model not found"));
    return ModelJson(TenantView(*m), true);
}

Result<json::object> ModelService::StartFineTune(const domain::Principal& who, const FineTuneRequest& request) {
    return storage::WithRetry([&]() -> Result<json::object> {
        auto tx = store_.Begin(storage::TxMode::kWrite);
        if (request.base_model_id != kBaseModelId && !tx->Models().Find(who.tenant_id, request.base_model_id)) {
            return Fail(Error::Validation(
                {{Body({"baseModelId"}),
                  fmt::format("Unknown model '{}' (the base model is '{}')", request.base_model_id, kBaseModelId),
                  "value_error"}}));
        }
        storage::FineTuneRecord ft;
        ft.id = "ftjob_" + crypto::RandomHex(12);
        ft.tenant_id = who.tenant_id;
        ft.base_model_id = request.base_model_id;
        ft.name = request.name;
        ft.config_json = Serialize(request.config);
        ft.status = storage::kFineTuneQueued;
        ft.created_at = clock_.NowMs();
        tx->Models().InsertFineTune(ft);
        tx->Jobs().Enqueue({who.tenant_id, kJobKind, Serialize(json::object{{"fineTuneId", ft.id}}), ft.created_at,
                            "fine-tune:" + ft.id},
                           ft.created_at);
        if (wake_) tx->AfterCommit(wake_);
        tx->Commit();
        return json::object{{"jobId", ft.id},
                            {"status", ft.status},
                            {"baseModelId", ft.base_model_id},
                            {"createdAt", FormatIsoDateTime(ft.created_at)}};
    });
}

Result<json::object> ModelService::GetFineTune(const domain::Principal& who, const std::string& job_id) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto ft = tx->Models().FindFineTune(who.tenant_id, job_id);
    tx->Commit();
    if (!ft) return Fail(Error::NotFound("Fine-tune job not found"));
    return FineTuneJson(*ft);
}

Result<void> ModelService::FailFineTune(const storage::FineTuneRecord& ft, const std::string& message) {
    storage::WithRetry([&] {
        auto tx = store_.Begin(storage::TxMode::kWrite);
        tx->Models().FinishFineTune(ft.tenant_id, ft.id, storage::kFineTuneFailed, std::nullopt, message,
                                    clock_.NowMs());
        tx->Commit();
    });
    return {};
}

jobs::JobResult ModelService::RunFineTune(const storage::Job& job) {
    try {
        return RunFineTuneOnce(job);
    } catch (const std::exception& e) {
        // A transient failure is retried by the queue; on the last attempt the fine-tune is marked failed
        // so that it does not stay `running` for ever.
        if (job.attempts < kMaxAttempts) throw;
        const auto payload = ParseObject(job.payload_json);
        if (const auto* id = payload.if_contains("fineTuneId"); id && id->is_string()) {
            storage::FineTuneRecord ft;
            ft.tenant_id = job.tenant_id;
            ft.id = std::string(id->get_string());
            FailFineTune(ft, std::string("Internal error: ") + e.what());
        }
        return jobs::JobResult::Failed(e.what());
    }
}

jobs::JobResult ModelService::RunFineTuneOnce(const storage::Job& job) {
    const auto payload = ParseObject(job.payload_json);
    const auto* id_value = payload.if_contains("fineTuneId");
    if (!id_value || !id_value->is_string()) return jobs::JobResult::Failed("payload without fineTuneId");
    const std::string id(id_value->get_string());
    const std::string& tenant = job.tenant_id;

    const bool running = storage::WithRetry([&] {
        auto tx = store_.Begin(storage::TxMode::kWrite);
        const bool ok = tx->Models().MarkFineTuneRunning(tenant, id, clock_.NowMs());
        tx->Commit();
        return ok;
    });
    if (!running) return jobs::JobResult::Done();  // finished by an earlier run

    // Read the job and its labels; the read transaction ends before anything is written.
    std::optional<storage::FineTuneRecord> ft;
    Result<FineTuneRequest> request = Fail(Error::Internal("not read"));
    std::vector<storage::SessionLabelCounts> counts;
    {
        auto tx = store_.Begin(storage::TxMode::kRead);
        ft = tx->Models().FindFineTune(tenant, id);
        if (ft) {
            // The configuration was validated when the job was created; decode it again from the stored config.
            auto config = ParseObject(ft->config_json);
            json::object body{{"baseModelId", ft->base_model_id}, {"name", ft->name}};
            if (auto* t = config.if_contains("trainingConfig")) body["trainingConfig"] = *t;
            if (auto* d = config.if_contains("dataSource")) body["dataSource"] = *d;
            request = DecodeFineTune(body);
            if (request) {
                counts = tx->Models().LabelCounts(tenant, request->filter, PositiveIssueStatuses(),
                                                  NegativeIssueStatuses(), options_.max_label_sessions);
            }
        }
        tx->Commit();
    }
    if (!ft) return jobs::JobResult::Failed("fine-tune " + id + " not found");
    if (!request) {
        FailFineTune(*ft, "The stored configuration is no longer valid");
        return jobs::JobResult::Done();
    }

    const auto labels = LabelsFrom(counts);
    const std::int64_t used = labels.positives + labels.negatives;
    if (used < request->min_labels || labels.positives == 0 || labels.negatives == 0) {
        FailFineTune(*ft, fmt::format("Too few labelled sessions: {} labelled ({} anomalies, {} not anomalies), at "
                                      "least {} with both classes are needed. Label sessions by moving their "
                                      "anomaly issues to CONFIRMED or RESOLVED (an anomaly) or FALSE_POSITIVE or "
                                      "IGNORED (not an anomaly).",
                                      used, labels.positives, labels.negatives, request->min_labels));
        return jobs::JobResult::Done();
    }

    const auto chosen = CalibrateThreshold(labels.labels);
    const auto at_default = Evaluate(labels.labels, kBaseThreshold);
    storage::ModelRecord m;
    m.id = "model_" + crypto::RandomHex(12);
    m.tenant_id = tenant;
    m.name = ft->name;
    m.version = std::string(kBaseModelVersion) + "+ft." + ft->id.substr(ft->id.size() - 8);
    m.base_model = kBaseModelId;
    m.status = storage::kModelActive;
    m.threshold = Round4(chosen.threshold);
    m.metrics_json = Serialize(json::object{
        {"threshold", m.threshold},
        {"labelsUsed", used},
        {"positiveLabels", labels.positives},
        {"negativeLabels", labels.negatives},
        {"untriagedSessions", labels.untriaged},
        {"atThreshold", QualityJson(chosen)},
        {"atDefaultThreshold", QualityJson(at_default)},
    });
    m.description = fmt::format(
        "Session engine with the decision threshold calibrated to {:.4f} (F1 {:.3f}; {:.3f} at 0.5) on {} labelled "
        "sessions.",
        m.threshold, chosen.f1, at_default.f1, used);
    m.fine_tune_id = ft->id;
    storage::WithRetry([&] {
        auto tx = store_.Begin(storage::TxMode::kWrite);
        m.created_at = clock_.NowMs();
        // Exactly once: the model is stored only by the run that finishes the job.
        if (!tx->Models().FinishFineTune(tenant, id, storage::kFineTuneCompleted, m.id, std::nullopt, m.created_at)) {
            return;  // rolled back
        }
        tx->Models().InsertActive(m);
        // Cleared before the commit too: on SQLite the next analysing write runs after this unit under the
        // same write lock and reads the new model through it, so no write that follows the job's completion
        // uses the old threshold (cleared only after the commit, a write could slip in between). Cleared again
        // after the commit for the backends whose writers run side by side and may have cached the old one.
        Invalidate(tenant);
        tx->AfterCommit([this, tenant] { Invalidate(tenant); });
        tx->Commit();
    });
    return jobs::JobResult::Done();
}

double ModelService::ThresholdFor(storage::Transaction& tx, const std::string& tenant_id) {
    const auto now = std::chrono::steady_clock::now();
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mu_);
        auto it = cache_.find(tenant_id);
        if (it != cache_.end() &&
            (options_.threshold_ttl.count() == 0 || now - it->second.at < options_.threshold_ttl)) {
            return it->second.threshold;
        }
        generation = generation_;
    }
    const double threshold = tx.Models().ActiveThreshold(tenant_id).value_or(kBaseThreshold);
    {
        std::lock_guard lock(mu_);
        if (generation == generation_) {
            if (cache_.size() >= kMaxCachedTenants) cache_.clear();
            cache_[tenant_id] = {threshold, now};
        }
    }
    return threshold;
}

void ModelService::Invalidate(const std::string& tenant_id) {
    std::lock_guard lock(mu_);
    ++generation_;
    cache_.erase(tenant_id);
}

}  // namespace evni::api
