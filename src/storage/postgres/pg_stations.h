#pragma once

#include <memory>

#include "storage/station_repository.h"

namespace evni::storage::postgres {

class Connection;

std::unique_ptr<StationRepository> MakePgStations(Connection& connection);

}  // namespace evni::storage::postgres
