#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "storage/table_io.h"

namespace evni::storage::sqlite {

class Connection;

// A read transaction on a new read-only connection to `path` (WAL: one snapshot, writers go on).
std::unique_ptr<TableReader> OpenTableReader(const std::string& path);
// Writes through the store's writer connection, holding its write lock (`lock`) until destroyed; no
// transaction may be open on `writer`.
std::unique_ptr<TableWriter> OpenTableWriter(Connection& writer, std::unique_lock<std::mutex> lock);

}  // namespace evni::storage::sqlite
