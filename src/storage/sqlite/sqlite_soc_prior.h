#pragma once

#include <memory>

#include "storage/sqlite/sqlite_db.h"
#include "storage/store.h"

namespace evni::storage::sqlite {

// The SocPriorRepository over one connection (table connector_soc_priors, migration 0008).
std::unique_ptr<SocPriorRepository> MakeSocPriorRepository(Connection& connection);

}  // namespace evni::storage::sqlite
