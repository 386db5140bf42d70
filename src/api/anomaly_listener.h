#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analysis/analyzer.h"
#include "api/session_listener.h"
#include "storage/anomaly_store.h"
#include "util/time.h"

namespace evni::api {

// Issue statuses of the anomalies workspace (docs/anomalies.md).
inline constexpr const char* kIssueOpen = "OPEN";
inline constexpr const char* kIssueInProgress = "IN_PROGRESS";
inline constexpr const char* kIssueConfirmed = "CONFIRMED";
inline constexpr const char* kIssueFalsePositive = "FALSE_POSITIVE";
inline constexpr const char* kIssueResolved = "RESOLVED";
inline constexpr const char* kIssueIgnored = "IGNORED";

// One category of a verdict, summarised over its occurrences.
struct CategorySummary {
    std::string category;
    double score = 0.0;       // highest occurrence score
    double confidence = 0.0;  // confidence of that occurrence
    std::int64_t occurrences = 0;
    storage::EpochMs from = 0;   // start of the earliest occurrence
    storage::EpochMs until = 0;  // end of the latest occurrence
    std::string ranges_json;     // [{"start","end","startUnit","endUnit","score","confidence"}], ms timestamps
};

// The verdict's anomalies by category, sorted by category.
std::vector<CategorySummary> SummariseByCategory(const std::vector<analysis::Anomaly>& anomalies);

// What a session write changes in the workspace.
struct ReconcilePlan {
    std::vector<storage::AnomalyRecord> inserts;
    std::vector<storage::AnomalyRecord> updates;
    std::vector<std::pair<std::string, storage::ScorePoint>> points;  // record id, point
    std::vector<storage::IssueHistoryEntry> history;
    bool Empty() const { return inserts.empty() && updates.empty() && points.empty() && history.empty(); }
};

// Diffs the session's existing records against its current anomalies: a new category opens a record
// and its issue (OPEN); a changed one is updated; a category no longer found closes its record (the
// issue stays); a closed one found again reopens (a RESOLVED issue goes back to OPEN). Each opening,
// closing, reopening and score change adds a timeline point. `new_id` makes record and issue ids.
ReconcilePlan Reconcile(const storage::SessionRecord& session, const std::vector<storage::AnomalyRecord>& existing,
                        const std::vector<analysis::Anomaly>& anomalies, storage::EpochMs now,
                        const std::function<std::string(const char* prefix)>& new_id);

// Keeps anomaly records in step with every session write (registered with SessionService).
class AnomalyWorkspaceListener final : public SessionWriteListener {
  public:
    explicit AnomalyWorkspaceListener(const Clock& clock) : clock_(clock) {}
    void OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) override;

  private:
    const Clock& clock_;
};

}  // namespace evni::api
