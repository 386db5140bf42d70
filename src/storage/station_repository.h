#pragma once

// Stations: the registry built from sessions (stations, connectors), the aggregates the session write
// listener keeps (api/station_aggregates.h), and the station model's results per station and UTC day.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/meter_value.h"

namespace evni::storage {

struct SessionRecord;

struct StationAggregates {
    std::int64_t total_sessions = 0;
    std::int64_t anomalous_sessions = 0;
    std::optional<double> max_score;
    std::optional<double> latest_score;
    std::optional<domain::EpochMs> latest_score_at;
    std::optional<domain::EpochMs> last_anomaly_at;
};

struct StationRecord {
    std::string tenant_id;
    std::string station_id;
    domain::EpochMs created_at = 0;
    std::optional<std::string> metadata_json;  // merged from every session's and the station's metadata
    StationAggregates aggregates;
    std::optional<domain::EpochMs> last_activity_at;
};

struct ConnectorRecord {
    std::string connector_id;
    std::optional<std::string> evse_id;
    std::optional<std::string> metadata_json;  // connector facts: maxPowerKw, currentType, phases
    domain::EpochMs created_at = 0;
    StationAggregates aggregates;
    std::map<std::string, std::int64_t> categories;  // anomalies per category
};

enum class StationSort { kNone, kAnomaliesAsc, kAnomaliesDesc, kScoreAsc, kScoreDesc };

struct StationFilter {
    std::int64_t page = 1;
    std::int64_t page_size = 50;
    std::optional<std::string> station_id;
    std::optional<domain::EpochMs> occurrence_from;  // bounds on last_anomaly_at
    std::optional<domain::EpochMs> occurrence_to;
    StationSort sort = StationSort::kNone;
};

struct StationPage {
    std::vector<StationRecord> items;
    std::int64_t total_count = 0;
};

// A change of a station's (and optionally one connector's) aggregates.
struct AggregateDelta {
    std::int64_t total_sessions = 0;
    std::int64_t anomalous_sessions = 0;
    std::optional<double> score;                     // running max: max_score = max(max_score, score)
    std::optional<double> latest_score;              // set with latest_score_at when present
    std::optional<domain::EpochMs> latest_score_at;  //
    std::optional<domain::EpochMs> anomaly_at;       // running max of last_anomaly_at
    std::optional<domain::EpochMs> activity_at;      // running max of last_activity_at (station only)
    bool Empty() const {
        return total_sessions == 0 && anomalous_sessions == 0 && !score && !latest_score_at && !anomaly_at &&
               !activity_at;
    }
};

// A session as the energy timelines and the station model read it.
struct StationSession {
    std::int64_t pk = 0;
    std::string session_id;
    std::optional<std::string> connector_id;
    std::optional<std::string> evse_id;
    std::optional<domain::EpochMs> started_at;
    std::optional<domain::EpochMs> ended_at;
};

// A session anomaly at the station.
struct StationAnomalyRef {
    std::int64_t id = 0;
    std::string session_id;
    std::optional<std::string> connector_id;
    std::string category;
    domain::EpochMs start_ms = 0;
    domain::EpochMs end_ms = 0;
};

// The station model's result for one station and UTC day.
struct StationDayRecord {
    std::string tenant_id;
    std::string station_id;
    domain::EpochMs day = 0;  // UTC midnight
    std::string inference_id;
    domain::EpochMs analyzed_at = 0;
    bool is_anomaly = false;
    double day_score = 0.0;
    std::optional<std::string> anomaly_type;
    double expected_kwh = 0.0;
    double actual_kwh = 0.0;
    std::string details_json = "{}";   // detectionDetails
    std::string timeline_json = "[]";  // cumulative kWh per minute
    std::string markers_json = "[]";   // [[startMinute, score], ...]
};

struct StationDayPage {
    std::vector<StationDayRecord> items;
    std::int64_t total_count = 0;
};

class StationRepository {
  public:
    virtual ~StationRepository() = default;
    virtual std::optional<StationRecord> Find(const std::string& tenant_id, const std::string& station_id) = 0;
    virtual StationPage List(const std::string& tenant_id, const StationFilter& filter) = 0;
    // Every station id of the tenant, sorted.
    virtual std::vector<std::string> Ids(const std::string& tenant_id) = 0;
    // Connectors with their aggregates and category counts, sorted by id.
    virtual std::vector<ConnectorRecord> Connectors(const std::string& tenant_id, const std::string& station_id) = 0;
    // Anomalies per category over the whole station (connector_id "" collects sessions without one).
    virtual std::map<std::string, std::int64_t> StationCategories(const std::string& tenant_id,
                                                                  const std::string& station_id) = 0;

    // Aggregates (the station row and, when `connector_id` names one, its connector row).
    virtual void Adjust(const std::string& tenant_id, const std::string& station_id,
                        const std::optional<std::string>& connector_id, const AggregateDelta& delta) = 0;
    // Adds `delta` to the count of anomalies of `category` (connector "" for none).
    virtual void AdjustCategory(const std::string& tenant_id, const std::string& station_id,
                                const std::string& connector_id, const std::string& category, std::int64_t delta) = 0;
    // Max score and last anomaly date as stored (station, or connector when given).
    virtual StationAggregates Aggregates(const std::string& tenant_id, const std::string& station_id,
                                         const std::optional<std::string>& connector_id) = 0;
    // Recomputes max score and last anomaly date from the sessions (after one that held them changed).
    virtual void RecomputeExtremes(const std::string& tenant_id, const std::string& station_id,
                                   const std::optional<std::string>& connector_id) = 0;
    virtual void SaveMetadata(const std::string& tenant_id, const std::string& station_id,
                              const std::string& metadata_json) = 0;
    virtual void SaveConnectorMetadata(const std::string& tenant_id, const std::string& station_id,
                                       const std::string& connector_id, const std::string& metadata_json) = 0;
    virtual std::optional<std::string> ConnectorMetadata(const std::string& tenant_id, const std::string& station_id,
                                                         const std::string& connector_id) = 0;

    // Sessions of the station whose meter values meet [from, to).
    virtual std::vector<StationSession> SessionsBetween(const std::string& tenant_id, const std::string& station_id,
                                                        domain::EpochMs from, domain::EpochMs to) = 0;
    // Session anomalies of the station starting in [from, to), oldest first.
    virtual std::vector<StationAnomalyRef> AnomaliesBetween(const std::string& tenant_id, const std::string& station_id,
                                                            domain::EpochMs from, domain::EpochMs to) = 0;
    // A station model result by its inference id.
    virtual std::optional<StationDayRecord> FindDayByInference(const std::string& tenant_id,
                                                               const std::string& station_id,
                                                               const std::string& inference_id) = 0;
    // Earliest and latest meter value timestamps of the station's sessions.
    virtual std::optional<std::pair<domain::EpochMs, domain::EpochMs>> ActivitySpan(const std::string& tenant_id,
                                                                                    const std::string& station_id) = 0;

    // Station model results.
    virtual std::optional<StationDayRecord> FindDay(const std::string& tenant_id, const std::string& station_id,
                                                    domain::EpochMs day) = 0;
    virtual std::optional<StationDayRecord> LatestDay(const std::string& tenant_id, const std::string& station_id) = 0;
    // Inserts or replaces the station's result for record.day.
    virtual void SaveDay(const StationDayRecord& record) = 0;
    // Newest day first.
    virtual StationDayPage ListDays(const std::string& tenant_id, const std::string& station_id, std::int64_t page,
                                    std::int64_t page_size) = 0;
    // (tenant, station) of every station with meter values at or after `since`, across tenants (daily job).
    virtual std::vector<std::pair<std::string, std::string>> ActiveStations(domain::EpochMs since) = 0;
};

}  // namespace evni::storage
