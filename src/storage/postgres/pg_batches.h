#pragma once

#include <memory>

#include "storage/batches.h"

namespace evni::storage::postgres {

class Connection;

// Batch uploads on one PostgreSQL connection (docs/batch.md).
std::unique_ptr<BatchRepository> NewPgBatches(Connection& c);

}  // namespace evni::storage::postgres
