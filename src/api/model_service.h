#pragma once

// Models (docs/models.md): the built-in base model (the session engine), the tenant's fine-tuned
// models, fine-tune jobs, and the active model's threshold that decides isAnomaly on session writes.

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/model_calibration.h"
#include "domain/session.h"
#include "jobs/job_runner.h"
#include "storage/store.h"
#include "util/error.h"
#include "util/time.h"

namespace evni::api {

// The built-in base model: the session engine with the default threshold.
inline constexpr const char* kBaseModelId = "evni-session-engine";
inline constexpr const char* kBaseModelName = "evni session engine";
// The analysis engine's version (the analyzer of this build, docs/analysis.md).
inline constexpr const char* kBaseModelVersion = "0.1.0";
inline constexpr const char* kModelType = "session_rules";
inline constexpr double kBaseThreshold = 0.5;

// The base model's metrics: the headline figures of the quality benchmark in docs/benchmarks.md
// (not computed at request time).
boost::json::object BaseModelMetrics();

// A fine-tune request after validation.
struct FineTuneRequest {
    std::string base_model_id;
    std::string name;
    std::int64_t min_labels = 20;
    storage::LabelFilter filter;
    boost::json::object config;  // the job's `config` as shown: trainingConfig and dataSource as accepted
};

// Validates the body of POST /v1/models/fine-tune (errors name the field, under ["body", ...]).
Result<FineTuneRequest> DecodeFineTune(const boost::json::object& body);

// How the labels of a fine-tune were gathered from the anomalies workspace.
struct LabelSet {
    std::vector<LabelledScore> labels;
    std::int64_t positives = 0;
    std::int64_t negatives = 0;
    std::int64_t untriaged = 0;  // sessions with anomaly records not (fully) triaged: not used
};
// Issue statuses that label a session (docs/models.md).
const std::vector<std::string>& PositiveIssueStatuses();  // CONFIRMED, RESOLVED
const std::vector<std::string>& NegativeIssueStatuses();  // FALSE_POSITIVE, IGNORED
// A session with any record in a positive status is an anomaly; one whose records are all in negative
// statuses is not; any other is untriaged.
LabelSet LabelsFrom(const std::vector<storage::SessionLabelCounts>& counts);

struct ModelServiceOptions {
    // How long a node trusts a cached active-model threshold. Zero: until this node changes the
    // tenant's active model (one node, SQLite). With several nodes (PostgreSQL) another node's change
    // is seen after at most this long.
    std::chrono::milliseconds threshold_ttl{0};
    // Most labelled sessions a fine-tune reads.
    std::int64_t max_label_sessions = 200'000;
};

class ModelService {
  public:
    static constexpr const char* kJobKind = "model.fine_tune";
    // Attempts of a fine-tune job whose run throws (register the kind with this max_attempts).
    static constexpr int kMaxAttempts = 5;

    ModelService(storage::Store& store, const Clock& clock, ModelServiceOptions options = {})
        : store_(store), clock_(clock), options_(options) {}

    void SetWaker(std::function<void()> wake) { wake_ = std::move(wake); }

    // GET /v1/models: the base model first, then the tenant's models newest first.
    Result<boost::json::array> List(const domain::Principal& who);
    // GET /v1/models/{model_id}.
    Result<boost::json::object> Get(const domain::Principal& who, const std::string& model_id);
    // POST /v1/models/fine-tune: stores the job (queued) and enqueues its run.
    Result<boost::json::object> StartFineTune(const domain::Principal& who, const FineTuneRequest& request);
    // GET /v1/models/fine-tune/{job_id}.
    Result<boost::json::object> GetFineTune(const domain::Principal& who, const std::string& job_id);

    // The job handler of kJobKind.
    jobs::JobResult RunFineTune(const storage::Job& job);

    // The threshold of the tenant's active model, for a session write in `tx` (cached per tenant).
    double ThresholdFor(storage::Transaction& tx, const std::string& tenant_id);

  private:
    jobs::JobResult RunFineTuneOnce(const storage::Job& job);
    void Invalidate(const std::string& tenant_id);
    Result<void> FailFineTune(const storage::FineTuneRecord& ft, const std::string& message);

    storage::Store& store_;
    const Clock& clock_;
    ModelServiceOptions options_;
    std::function<void()> wake_;

    struct CachedThreshold {
        double threshold = kBaseThreshold;
        std::chrono::steady_clock::time_point at;
    };
    std::mutex mu_;
    std::unordered_map<std::string, CachedThreshold> cache_;
    std::uint64_t generation_ = 0;  // bumped by every invalidation: a lookup that raced one is not cached
};

}  // namespace evni::api
