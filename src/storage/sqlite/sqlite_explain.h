#pragma once

#include <memory>

#include "storage/explanations.h"
#include "storage/sqlite/sqlite_db.h"

namespace evni::storage::sqlite {

// The SQLite ExplanationRepository over one connection (sqlite_explain.cpp).
std::unique_ptr<ExplanationRepository> MakeSqliteExplanations(Connection& connection);

}  // namespace evni::storage::sqlite
