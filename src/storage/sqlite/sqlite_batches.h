#pragma once

#include <memory>

#include "storage/batches.h"

namespace evni::storage::sqlite {

class Connection;

// Batch uploads on one SQLite connection (docs/batch.md).
std::unique_ptr<BatchRepository> NewSqliteBatches(Connection& c);

}  // namespace evni::storage::sqlite
