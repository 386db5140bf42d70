#pragma once

#include <memory>

#include "storage/sqlite/sqlite_db.h"
#include "storage/store.h"

namespace evni::storage::sqlite {

// The ConnectorLimitRepository over one connection (table connector_power_observations, migration 0011).
std::unique_ptr<ConnectorLimitRepository> MakeConnectorLimitRepository(Connection& connection);

}  // namespace evni::storage::sqlite
