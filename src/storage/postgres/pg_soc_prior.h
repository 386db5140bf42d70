#pragma once

#include <memory>

#include "storage/postgres/pg_db.h"
#include "storage/store.h"

namespace evni::storage::postgres {

// The SocPriorRepository over one connection (table connector_soc_priors, migration 0008).
std::unique_ptr<SocPriorRepository> MakeSocPriorRepository(Connection& connection);

}  // namespace evni::storage::postgres
