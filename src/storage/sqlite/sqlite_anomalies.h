#pragma once

#include <memory>

#include "storage/anomaly_store.h"
#include "storage/sql_port.h"
#include "storage/sqlite/sqlite_db.h"

namespace evni::storage::sqlite {
// The anomalies workspace repository over one SQLite connection.
std::unique_ptr<AnomalyRepository> MakeSqliteAnomalies(Connection& c);
// The SQL port (storage/sql_port.h) over one SQLite connection, for repositories written once.
std::unique_ptr<SqlPort> MakeSqlitePort(Connection& c);
}  // namespace evni::storage::sqlite
