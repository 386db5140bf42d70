#pragma once

// Storage of the models resource (docs/models.md): the tenant's fine-tuned models of the session
// engine (the built-in base model is not stored) and the fine-tune jobs that make them, plus the
// labelled scores a fine-tune calibrates on. One implementation over the SQL port
// (storage/sql_port.h, storage/model_repository.cpp) serves both backends.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/meter_value.h"

namespace evni::storage {

inline constexpr const char* kModelActive = "active";
inline constexpr const char* kModelInactive = "inactive";

struct ModelRecord {
    std::string id;
    std::string tenant_id;
    std::string name;
    std::string version;
    std::string base_model;
    std::string status;  // kModelActive, kModelInactive
    double threshold = 0.5;
    std::string metrics_json;  // a JSON object
    std::optional<std::string> description;
    std::optional<std::string> fine_tune_id;
    domain::EpochMs created_at = 0;
};

inline constexpr const char* kFineTuneQueued = "queued";
inline constexpr const char* kFineTuneRunning = "running";
inline constexpr const char* kFineTuneCompleted = "completed";
inline constexpr const char* kFineTuneFailed = "failed";

struct FineTuneRecord {
    std::string id;
    std::string tenant_id;
    std::string base_model_id;
    std::string name;
    std::string config_json;  // {"trainingConfig": {...}, "dataSource": {...}}
    std::string status;       // kFineTune*
    std::optional<std::string> result_model_id;
    std::optional<std::string> error_message;
    domain::EpochMs created_at = 0;
    std::optional<domain::EpochMs> started_at;
    std::optional<domain::EpochMs> completed_at;
};

// Which of the tenant's analysed sessions a fine-tune reads labels from (the sessions list's filters).
struct LabelFilter {
    std::optional<std::string> station_id;
    std::optional<domain::EpochMs> date_from;  // over coalesce(started_at, created_at), inclusive
    std::optional<domain::EpochMs> date_to;
};

// One analysed session with anomaly records and how their issues were triaged.
struct SessionLabelCounts {
    std::string session_id;
    double score = 0.0;         // the session's anomaly score
    std::int64_t positive = 0;  // records whose issue says "a real anomaly"
    std::int64_t negative = 0;  // records whose issue says "not an anomaly"
    std::int64_t records = 0;   // all of the session's anomaly records
};

class ModelRepository {
  public:
    virtual ~ModelRepository() = default;
    // The tenant's models, newest first.
    virtual std::vector<ModelRecord> List(const std::string& tenant_id) = 0;
    virtual std::optional<ModelRecord> Find(const std::string& tenant_id, const std::string& id) = 0;
    // The threshold of the tenant's active model; nullopt when none is active (the base model is).
    virtual std::optional<double> ActiveThreshold(const std::string& tenant_id) = 0;
    // Inserts `model` as the tenant's active model; the previously active one becomes inactive.
    virtual void InsertActive(const ModelRecord& model) = 0;

    virtual void InsertFineTune(const FineTuneRecord& job) = 0;
    virtual std::optional<FineTuneRecord> FindFineTune(const std::string& tenant_id, const std::string& id) = 0;
    // queued -> running (sets started_at); false when the job is not queued or running any more.
    virtual bool MarkFineTuneRunning(const std::string& tenant_id, const std::string& id, domain::EpochMs at) = 0;
    // Finishes a queued or running job (completed or failed); false when it already finished.
    virtual bool FinishFineTune(const std::string& tenant_id, const std::string& id, const std::string& status,
                                const std::optional<std::string>& result_model_id,
                                const std::optional<std::string>& error_message, domain::EpochMs at) = 0;

    // Per analysed session matching `filter` that has anomaly records: its score and how many of the
    // records' issues are in `positive_statuses` / `negative_statuses`. At most `limit` sessions.
    virtual std::vector<SessionLabelCounts> LabelCounts(const std::string& tenant_id, const LabelFilter& filter,
                                                        const std::vector<std::string>& positive_statuses,
                                                        const std::vector<std::string>& negative_statuses,
                                                        std::int64_t limit) = 0;
};

class SqlPort;
// The models repository over a port (storage/model_repository.cpp).
std::unique_ptr<ModelRepository> MakeModelRepository(std::unique_ptr<SqlPort> port);

}  // namespace evni::storage
