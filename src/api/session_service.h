#pragma once

#include <any>
#include <functional>
#include <optional>
#include <string>

#include "analysis/connector_limits.h"
#include "analysis/sorc.h"
#include "api/json_util.h"
#include "api/session_listener.h"
#include "domain/meter_value.h"
#include "domain/session.h"
#include "storage/store.h"
#include "util/error.h"
#include "util/metrics.h"
#include "util/time.h"

namespace evni::api {

// Fields a client may send with a session write. Absent fields leave stored values unchanged.
struct SessionChanges {
    Field<std::string> connector_id;
    Field<std::string> evse_id;
    Field<std::string> metadata_json;            // serialised JSON object
    std::optional<domain::ClientStatus> status;  // kNone: the client sent active/pending
    Field<std::string> stop_reason;
    std::optional<domain::MeterValues> meter_values;
};

struct UpsertSession {
    std::string session_id;
    std::string station_id;
    SessionChanges changes;
};

struct SessionDetail {
    storage::SessionRecord record;
    domain::MeterValues values;  // sorted by timestamp (stable)
    // SoC overlay predicted when the car reported fewer than 2 usable SoC readings; never mixed
    // into the values the detectors use.
    analysis::SocReconstruction soc;
};

// Most meter values one session may hold; beyond it a write is refused with 422.
inline constexpr std::int64_t kMaxValuesPerSession = 2'000'000;

// Sessions use cases: upsert, replace, append, read, list. Every write is one transaction and runs
// the analysis in it once the session holds at least 3 meter values.
class SessionService {
  public:
    SessionService(storage::Store& store, const Clock& clock, Metrics& metrics, double anomaly_threshold = 0.5)
        : store_(store), clock_(clock), metrics_(metrics), threshold_(anomaly_threshold) {}

    Result<storage::SessionRecord> Upsert(const domain::Principal& who, UpsertSession command);
    // Runs inside an upsert's transaction just before it commits, with the session as written. An
    // error rolls the whole write back and is what Upsert returns (batch items record their outcome
    // this way, atomically with the session write: docs/batch.md).
    using InTransaction = std::function<Result<void>(storage::Transaction& tx, const storage::SessionRecord& after)>;
    Result<storage::SessionRecord> Upsert(const domain::Principal& who, UpsertSession command,
                                          const InTransaction& in_tx);
    Result<storage::SessionRecord> Replace(const domain::Principal& who, const std::string& session_id,
                                           SessionChanges changes);
    Result<storage::SessionRecord> Append(const domain::Principal& who, const std::string& session_id,
                                          SessionChanges changes);
    Result<SessionDetail> Get(const domain::Principal& who, const std::string& session_id);
    Result<storage::SessionPage> List(const domain::Principal& who, const storage::SessionFilter& filter);

    // Registers a listener called in every session write's transaction (before it commits), in the
    // order added. Call before serving; the listener must outlive the service.
    void AddListener(SessionWriteListener* listener) { listeners_.push_back(listener); }

    // The decision threshold of a tenant (isAnomaly = anomalyScore >= threshold), asked in each analysing
    // write's transaction: the tenant's active model (docs/models.md). Unset: the constructor's threshold.
    using ThresholdSource = std::function<double(storage::Transaction& tx, const std::string& tenant_id)>;
    void SetThresholdSource(ThresholdSource source) { threshold_source_ = std::move(source); }

    // The learned connector rating for an analysing write (docs/analysis.md "Learned connector limits"), e.g. a
    // ConnectorHistoryCache. Unset: read from the database on every write (LoadLearnedLimit).
    using LearnedLimitSource = std::function<std::optional<analysis::LearnedLimit>(
        storage::Transaction& tx, const storage::SessionRecord& session, const domain::ConnectorFacts& metadata)>;
    void SetLearnedLimitSource(LearnedLimitSource source) { learned_limit_source_ = std::move(source); }

  private:
    void Notify(storage::Transaction& tx, SessionWriteKind kind, const storage::SessionRecord* before,
                const storage::SessionRecord& after, std::span<const domain::MeterValue> values = {},
                bool values_complete = false, const std::vector<std::any>* prepared = nullptr) const;
    Result<storage::SessionRecord> UpsertOnce(const domain::Principal& who, const UpsertSession& command,
                                              const InTransaction* in_tx);
    Result<storage::SessionRecord> ReplaceOnce(const domain::Principal& who, const std::string& session_id,
                                               const SessionChanges& changes);
    Result<storage::SessionRecord> AppendOnce(const domain::Principal& who, const std::string& session_id,
                                              const SessionChanges& changes);
    void ApplyFields(storage::SessionRecord& r, const SessionChanges& c) const;
    void AnalyzeFull(storage::Transaction& tx, storage::SessionRecord& r, const domain::MeterValues* all_values);
    void AnalyzeAppended(storage::Transaction& tx, storage::SessionRecord& r, const domain::MeterValues& added);
    void StoreVerdict(storage::Transaction& tx, storage::SessionRecord& r, const analysis::Verdict& verdict,
                      std::vector<std::uint8_t> state);
    void MarkFailed(storage::SessionRecord& r, const std::string& why);
    // Analysis inputs for a session; with a transaction also the spans of overlapping sessions.
    analysis::AnalysisOptions OptionsFor(const storage::SessionRecord& r, storage::Transaction* tx) const;

    storage::Store& store_;
    const Clock& clock_;
    Metrics& metrics_;
    double threshold_;
    ThresholdSource threshold_source_;
    LearnedLimitSource learned_limit_source_;
    std::vector<SessionWriteListener*> listeners_;
};

// Decodes a session in the request shape of POST /v1/sessions (also used by batch and `evni
// analyze`); field errors are located under `base` (e.g. ["body"] or ["body", "sessions", 7]).
Result<UpsertSession> DecodeUpsertSession(const boost::json::object& body, const Loc& base);

// The API's JSON form of a session (the response of POST /v1/sessions; sessions.cpp).
boost::json::object SessionJson(const storage::SessionRecord& record);

// The API's JSON form of a verdict's anomalies.
boost::json::array AnomaliesJson(const std::vector<analysis::Anomaly>& anomalies);

// Connector facts (maxPowerKw, currentType, phases) from a session's metadata JSON object.
domain::ConnectorFacts ConnectorFactsFromMetadata(const std::optional<std::string>& metadata_json);

}  // namespace evni::api
