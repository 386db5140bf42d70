#pragma once

// Storage of the anomalies workspace (docs/anomalies.md): one anomaly record per (session, category)
// with its issue, the risk-score timeline, the issue history, per-session measurements and the
// data-quality snapshots of the statistics job. One implementation over a small SQL port
// (storage/sql_port.h) serves both backends.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/meter_value.h"

namespace evni::storage {

using domain::EpochMs;

// One anomaly of one category in one session, with its issue (one issue per record).
struct AnomalyRecord {
    std::string id;
    std::string tenant_id;
    std::int64_t session_pk = 0;
    std::string session_id;
    std::string station_id;
    std::optional<std::string> connector_id;
    std::optional<std::string> evse_id;
    std::string category;
    double score = 0.0;       // highest score of the category's occurrences in the current verdict
    double confidence = 0.0;  // confidence of that occurrence
    std::int64_t occurrences = 0;
    EpochMs occurred_at = 0;     // start of the earliest occurrence
    EpochMs occurred_until = 0;  // end of the latest occurrence
    std::string ranges_json;     // JSON array of the occurrences (time and bucket ranges, score)
    EpochMs first_detected_at = 0;
    EpochMs updated_at = 0;  // last change of score, confidence, ranges or open/closed state
    std::optional<EpochMs> closed_at;
    std::string issue_id;
    std::string issue_status;
    std::optional<std::string> assigned_to;
    EpochMs issue_updated_at = 0;
};

struct ScorePoint {
    std::int64_t analysis_version = 0;
    EpochMs at = 0;
    double score = 0.0;
    double confidence = 0.0;
};

struct IssueHistoryEntry {
    std::string tenant_id;
    std::string issue_id;
    EpochMs at = 0;
    std::string actor;
    std::optional<std::string> from_status;
    std::string to_status;
    std::optional<std::string> from_assignee;
    std::optional<std::string> to_assignee;
};

enum class ScoreSort { kNone, kAsc, kDesc };

struct AnomalyFilter {
    std::int64_t page = 1;
    std::int64_t page_size = 50;
    std::vector<std::string> categories;
    std::optional<std::string> connector_id;
    std::optional<std::string> session_id;
    std::vector<std::string> station_ids;  // chargingPointId / ocpp_charging_station_id
    std::vector<std::string> evse_ids;
    std::optional<EpochMs> occurred_from, occurred_to;
    std::optional<EpochMs> updated_from, updated_to;
    ScoreSort score_sort = ScoreSort::kNone;
    std::vector<std::string> statuses;
    std::vector<std::string> assignees;
    bool include_closed = false;
};

struct AnomalyPage {
    std::vector<AnomalyRecord> items;
    std::int64_t total_count = 0;
};

// Aggregates by connector or by session.
enum class GroupSort { kNone, kCountAsc, kCountDesc, kScoreAsc, kScoreDesc };

struct GroupFilter {
    std::int64_t page = 1;
    std::int64_t page_size = 50;
    std::vector<std::string> categories;
    std::optional<std::string> connector_id;
    std::optional<std::string> session_id;
    std::optional<EpochMs> occurred_from, occurred_to;
    GroupSort sort = GroupSort::kNone;
};

struct AnomalyGroup {
    std::string station_id;
    std::optional<std::string> connector_id;
    std::optional<std::string> evse_id;
    std::string session_id;  // by-session groups
    std::int64_t count = 0;  // anomaly records (session x category)
    double max_score = 0.0;
    EpochMs first_detected_at = 0;
    EpochMs last_update = 0;
    std::vector<std::string> categories;  // distinct, sorted
};

struct GroupPage {
    std::vector<AnomalyGroup> items;
    std::int64_t total_count = 0;
};

// What the statistics job measured in one session's stored meter values.
struct SessionMeasurement {
    std::int64_t session_pk = 0;
    std::string tenant_id;
    EpochMs source_updated_at = 0;
    EpochMs measured_at = 0;
    std::optional<double> energy_kwh;      // register delta (last - first), what billing by register charges
    std::optional<double> delivered_kwh;   // best estimate of the energy actually delivered
    std::optional<double> total_cost;      // metadata.totalCost
    std::optional<double> tariff_per_kwh;  // metadata.tariffPerKwh
    bool has_duplicates = false;
    bool missing_measurands = false;
    bool reconstructed_soc = false;
    bool invalid_timestamps = false;
};

// A session whose measurement is missing or older than its last write.
struct StaleSession {
    std::int64_t pk = 0;
    std::string tenant_id;
    std::string session_id;
    EpochMs updated_at = 0;
    std::int64_t value_count = 0;
    std::int64_t next_chunk = 0;
    std::optional<std::string> metadata_json;
    std::optional<std::string> stop_reason;
};

struct StatsWindow {
    std::optional<EpochMs> from, to;
};

// Session-level figures for a window (sessions by coalesce(started_at, created_at)).
struct SessionStats {
    std::int64_t total_sessions = 0;
    std::int64_t measured_sessions = 0;  // with a measurement by the statistics job
    std::int64_t unpriced_sessions = 0;  // measured, with energy, but neither cost nor any tariff
    double total_revenue = 0.0;
    double revenue_at_risk = 0.0;
    double revenue_leak = 0.0;
};

// Record-level figures for a window (records by occurred_at; open records only).
struct AnomalyStats {
    std::int64_t total = 0;
    std::int64_t active = 0;
    std::int64_t sessions = 0;
    std::int64_t connectors = 0;
    std::int64_t stations = 0;
};

struct DataQualityCounts {
    std::int64_t sessions = 0;
    std::int64_t gaps = 0;
    std::int64_t invalid_timestamps = 0;
    std::int64_t duplicates = 0;
    std::int64_t missing_measurands = 0;
    std::int64_t reconstructed_soc = 0;
    std::int64_t not_measured = 0;
};

class AnomalyRepository {
  public:
    virtual ~AnomalyRepository() = default;

    // --- kept in step by the session write listener ---
    // Every record of a session, open and closed.
    virtual std::vector<AnomalyRecord> ForSession(const std::string& tenant_id, std::int64_t session_pk) = 0;
    virtual void Insert(const AnomalyRecord& record) = 0;
    // Writes the current fields (score, confidence, occurrences, ranges, updated_at, closed_at).
    virtual void UpdateCurrent(const AnomalyRecord& record) = 0;
    // Inserts or replaces the timeline point of one analysis.
    virtual void AddPoint(const std::string& tenant_id, const std::string& record_id, const ScorePoint& point) = 0;
    virtual void UpdateSessionIdentity(const std::string& tenant_id, std::int64_t session_pk,
                                       const std::optional<std::string>& connector_id,
                                       const std::optional<std::string>& evse_id) = 0;
    // Sets sessions.is_incident.
    virtual void MarkIncident(const std::string& tenant_id, std::int64_t session_pk) = 0;

    // --- workspace reads and the issue workflow ---
    virtual AnomalyPage List(const std::string& tenant_id, const AnomalyFilter& filter) = 0;
    virtual GroupPage ListByConnector(const std::string& tenant_id, const GroupFilter& filter) = 0;
    virtual GroupPage ListBySession(const std::string& tenant_id, const GroupFilter& filter) = 0;
    virtual std::optional<AnomalyRecord> Find(const std::string& tenant_id, const std::string& session_id,
                                              const std::string& category) = 0;
    virtual std::optional<AnomalyRecord> FindByIssue(const std::string& tenant_id, const std::string& issue_id) = 0;
    virtual std::vector<ScorePoint> Timeline(const std::string& tenant_id, const std::string& record_id) = 0;
    virtual void UpdateIssue(const std::string& tenant_id, const std::string& issue_id, const std::string& status,
                             const std::optional<std::string>& assigned_to, EpochMs at) = 0;
    virtual void AppendHistory(const IssueHistoryEntry& entry) = 0;
    virtual std::vector<IssueHistoryEntry> History(const std::string& tenant_id, const std::string& issue_id) = 0;

    // --- statistics ---
    virtual SessionStats SessionFigures(const std::string& tenant_id, const StatsWindow& window,
                                        std::optional<double> default_tariff,
                                        const std::vector<std::string>& leak_categories) = 0;
    virtual AnomalyStats AnomalyFigures(const std::string& tenant_id, const StatsWindow& window) = 0;
    // Connectors known for the tenant (stations without connectors count as one port each).
    virtual std::int64_t PortCount(const std::string& tenant_id) = 0;
    virtual DataQualityCounts DataQuality(const std::string& tenant_id, const StatsWindow& window) = 0;
    virtual std::optional<std::pair<EpochMs, std::string>> DataQualitySnapshot(const std::string& tenant_id) = 0;
    virtual void SaveDataQualitySnapshot(const std::string& tenant_id, EpochMs at, const std::string& summary) = 0;

    // --- the statistics job (across tenants) ---
    // Sessions after `after_pk` (in pk order) not measured since their last write: a run walks the table once
    // with the last pk it got, instead of scanning the measured ones again for every batch.
    virtual std::vector<StaleSession> StaleSessions(std::int64_t after_pk, std::int64_t limit) = 0;
    virtual void SaveMeasurement(const SessionMeasurement& m) = 0;
    virtual std::vector<std::string> TenantIds() = 0;
};

}  // namespace evni::storage
