#pragma once

#include <optional>
#include <string>

#include "api/anomaly_service.h"
#include "storage/store.h"

namespace evni::api {

// Outages for the uptime statistic, from the station model's stored station-day results: an
// `outage` finding takes every port (connector) of its station out for its affected period, a
// `connector_down` finding one port. Unknown (nullopt) when the model analysed no station-day of the
// tenant that meets the period.
class StationModelOutages final : public OutageSource {
  public:
    explicit StationModelOutages(storage::Store& store) : store_(store) {}
    std::optional<double> OutagePortMinutes(const std::string& tenant_id, domain::EpochMs from,
                                            domain::EpochMs to) override;
    std::string Name() const override { return "station_model"; }

  private:
    storage::Store& store_;
};

// Port-minutes out of service in [from, to] by one station-day's detectionDetails (the JSON the
// station model stores), for a station with `ports` connectors.
double OutagePortMinutesOfDay(const std::string& details_json, domain::EpochMs day, int ports, domain::EpochMs from,
                              domain::EpochMs to);

}  // namespace evni::api

namespace evni::api::explain {
struct StationContext;
}

namespace evni::api {

// The station model's verdict on the UTC day a session started (explain's station context), when the
// model has analysed that station-day; read in the caller's transaction.
std::optional<explain::StationContext> StationDayContext(storage::Transaction& tx,
                                                         const storage::SessionRecord& record);

}  // namespace evni::api
