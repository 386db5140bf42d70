#pragma once

#include <memory>

#include "storage/anomaly_store.h"
#include "storage/postgres/pg_db.h"
#include "storage/sql_port.h"

namespace evni::storage::postgres {
// The anomalies workspace repository over one PostgreSQL connection.
std::unique_ptr<AnomalyRepository> MakePgAnomalies(Connection& c);
// The SQL port (storage/sql_port.h) over one PostgreSQL connection, for repositories written once.
std::unique_ptr<SqlPort> MakePgPort(Connection& c);
}  // namespace evni::storage::postgres
