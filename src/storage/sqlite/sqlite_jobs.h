#pragma once

#include <memory>

#include "storage/jobs.h"

namespace evni::storage::sqlite {

class Connection;

// The job queue on one SQLite connection (the writer for changes: SQLite has a single writer, so
// claims never race).
std::unique_ptr<JobRepository> NewSqliteJobs(Connection& c);

}  // namespace evni::storage::sqlite
