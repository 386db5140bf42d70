#pragma once

#include <memory>

#include "storage/anomaly_store.h"
#include "storage/postgres/pg_db.h"

namespace evni::storage::postgres {
// The anomalies workspace repository over one PostgreSQL connection.
std::unique_ptr<AnomalyRepository> MakePgAnomalies(Connection& c);
}  // namespace evni::storage::postgres
