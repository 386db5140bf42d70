#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/json_util.h"
#include "domain/meter_value.h"
#include "domain/session.h"
#include "storage/store.h"
#include "util/error.h"
#include "util/time.h"

namespace evni::api {

// The category catalogue (GET /v1/anomalies/categories): analysis.md §2.
struct CategoryInfo {
    std::string id;
    std::string name;
    std::string description;
    double max_score = 1.0;  // the highest score the detector gives this category
};
const std::vector<CategoryInfo>& CategoryCatalogue();
const CategoryInfo* FindCategory(std::string_view id);

// Issue workflow: true when an issue may move from `from` to `to` (the same status is always allowed:
// an assignment without a status change).
bool IsIssueStatus(std::string_view status);
bool TransitionAllowed(std::string_view from, std::string_view to);
// The statuses `from` may move to, for error messages and docs.
std::vector<std::string> AllowedTransitions(std::string_view from);

// Meter values merged per timestamp in canonical units (detail view).
struct MergedPoint {
    domain::EpochMs timestamp = 0;
    std::optional<double> energy_kwh;  // Energy.Active.Import.Register: unphased, else the sum of L1..L3
    std::optional<double> soc;         // SoC, %
    std::optional<double> power_kw;    // Power.Active.Import: unphased, else the sum of L1..L3
};
std::vector<MergedPoint> MergeMeterValues(const domain::MeterValues& values);

// What the statistics job measures in one session (docs/statistics.md).
storage::SessionMeasurement MeasureSession(const domain::MeterValues& values,
                                           const std::optional<std::string>& metadata_json);

// Outage minutes of a tenant's ports in a period. The station model (outage markers per station and
// day) provides them once it lands; until then NoOutages reports none.
class OutageSource {
  public:
    virtual ~OutageSource() = default;
    // Sum over the tenant's ports of the minutes each was out in [from, to]; nullopt when unknown.
    virtual std::optional<double> OutagePortMinutes(const std::string& tenant_id, domain::EpochMs from,
                                                    domain::EpochMs to) = 0;
    virtual std::string Name() const = 0;
};
class NoOutages final : public OutageSource {
  public:
    std::optional<double> OutagePortMinutes(const std::string&, domain::EpochMs, domain::EpochMs) override {
        return std::nullopt;
    }
    std::string Name() const override { return "none"; }
};

// NEVI-style uptime: 100 * (period * ports - outage) / (period * ports), 100 without ports.
double UptimePercent(double period_minutes, std::int64_t ports, double outage_port_minutes);

struct AnomalyDetail {
    storage::AnomalyRecord record;
    storage::SessionRecord session;
    std::vector<MergedPoint> values;
    std::vector<storage::ScorePoint> timeline;
    std::vector<storage::IssueHistoryEntry> history;
};

struct IssueUpdate {
    std::string status;
    Field<std::string> assigned_to;  // absent: keep; null: unassign; "me": the caller
};

// Anomalies workspace and statistics use cases.
class AnomalyService {
  public:
    AnomalyService(storage::Store& store, const Clock& clock, OutageSource& outages)
        : store_(store), clock_(clock), outages_(outages) {}

    Result<storage::AnomalyPage> List(const domain::Principal& who, const storage::AnomalyFilter& filter);
    Result<storage::GroupPage> ByConnector(const domain::Principal& who, const storage::GroupFilter& filter);
    Result<storage::GroupPage> BySession(const domain::Principal& who, const storage::GroupFilter& filter);
    Result<AnomalyDetail> Detail(const domain::Principal& who, const std::string& session_id,
                                 const std::string& category);
    Result<storage::AnomalyRecord> UpdateIssue(const domain::Principal& who, const std::string& issue_id,
                                               const IssueUpdate& update);
    Result<boost::json::object> Statistics(const domain::Principal& who, std::optional<domain::EpochMs> from,
                                           std::optional<domain::EpochMs> to);

    // The "statistics.data_quality" task: measures sessions written since their last measurement and
    // stores every tenant's data-quality summary. Returns the number of sessions measured.
    std::int64_t RunDataQuality();

  private:
    boost::json::object WindowFigures(storage::Transaction& tx, const std::string& tenant_id,
                                      const storage::StatsWindow& w, std::optional<double> tariff);
    storage::Store& store_;
    const Clock& clock_;
    OutageSource& outages_;
};

// Resolves `me` in assignee lists; error 422 at ["query", "assignedTo"] when the caller has no email.
Result<std::vector<std::string>> ResolveAssignees(const domain::Principal& who, std::vector<std::string> values,
                                                  const Loc& loc);

}  // namespace evni::api
