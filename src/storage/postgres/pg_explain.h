#pragma once

#include <memory>

#include "storage/explanations.h"
#include "storage/postgres/pg_db.h"

namespace evni::storage::postgres {

// The PostgreSQL ExplanationRepository over one connection (pg_explain.cpp).
std::unique_ptr<ExplanationRepository> MakePgExplanations(Connection& connection);

}  // namespace evni::storage::postgres
