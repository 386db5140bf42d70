#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/station_model.h"
#include "api/events.h"
#include "domain/session.h"
#include "storage/store.h"
#include "util/error.h"
#include "util/time.h"

namespace evni::api {

struct StationDetail {
    storage::StationRecord station;
    std::vector<storage::ConnectorRecord> connectors;
    std::map<std::string, std::int64_t> categories;  // anomalies per category, whole station
};

struct EnergyPoint {
    domain::EpochMs at = 0;  // start of the hour
    double kwh = 0.0;
};

struct EnergyView {
    std::string station_id;
    domain::EpochMs from = 0;
    domain::EpochMs to = 0;
    std::vector<std::pair<std::string, std::vector<EnergyPoint>>> connectors;
    std::vector<EnergyPoint> station;
    std::vector<domain::EpochMs> anomaly_occurrences;
    double delivered_kwh = 0.0;
};

// Stations use cases: the registry and its aggregates (kept by StationAggregatesListener), energy
// timelines from the sessions' meter values, and the station model per station and UTC day, run daily in
// the background (RunDaily) and on demand (Inference). Results are stored per station-day; a detected
// anomaly publishes `station.anomaly` in the transaction that stores it.
class StationService {
  public:
    StationService(storage::Store& store, const Clock& clock, EventSink& events,
                   analysis::station::ModelOptions options = {})
        : store_(store), clock_(clock), events_(events), options_(options) {}

    Result<storage::StationPage> List(const domain::Principal& who, const storage::StationFilter& filter);
    Result<StationDetail> Get(const domain::Principal& who, const std::string& station_id);
    Result<std::vector<std::string>> Lookup(const domain::Principal& who);
    // Hourly energy over the 24 hours before `date_to` (default: the station's latest meter value), or over
    // the UTC day of station model result `anomaly_id` (an inference id) when given.
    Result<EnergyView> Energy(const domain::Principal& who, const std::string& station_id,
                              std::optional<domain::EpochMs> date_to, std::optional<std::string> anomaly_id);
    // The station model's result for `day` (UTC midnight), computed now when none is stored; without a day
    // the latest stored result, else the day of the station's latest meter value.
    Result<storage::StationDayRecord> Inference(const domain::Principal& who, const std::string& station_id,
                                                std::optional<domain::EpochMs> day);
    Result<storage::StationDayPage> History(const domain::Principal& who, const std::string& station_id,
                                            std::int64_t page, std::int64_t page_size);

    // Runs the model for the last complete UTC day of every station with meter values in the 8 days
    // before, unless a result computed after that day ended is stored. Returns the number analysed.
    int RunDaily();
    // Runs the model for one station-day and stores the result (replacing an earlier one).
    storage::StationDayRecord AnalyzeAndStore(const std::string& tenant_id, const std::string& station_id,
                                              domain::EpochMs day);

  private:
    storage::Store& store_;
    const Clock& clock_;
    EventSink& events_;
    analysis::station::ModelOptions options_;
};

}  // namespace evni::api
