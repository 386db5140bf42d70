#pragma once

#include <memory>

#include "storage/anomaly_store.h"
#include "storage/sqlite/sqlite_db.h"

namespace evni::storage::sqlite {
// The anomalies workspace repository over one SQLite connection.
std::unique_ptr<AnomalyRepository> MakeSqliteAnomalies(Connection& c);
}  // namespace evni::storage::sqlite
