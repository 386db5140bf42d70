#pragma once

#include <memory>
#include <string>

#include "storage/table_io.h"

namespace evni::storage::postgres {

// A REPEATABLE READ READ ONLY snapshot on a dedicated connection; rows stream in single-row mode.
std::unique_ptr<TableReader> OpenTableReader(const std::string& conninfo);
// Upserts in multi-row INSERT ... ON CONFLICT statements on a dedicated connection.
std::unique_ptr<TableWriter> OpenTableWriter(const std::string& conninfo);

}  // namespace evni::storage::postgres
