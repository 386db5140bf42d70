#pragma once

#include <memory>

#include "storage/station_repository.h"

namespace evni::storage::sqlite {

class Connection;

std::unique_ptr<StationRepository> MakeSqliteStations(Connection& connection);

}  // namespace evni::storage::sqlite
