#pragma once

#include <memory>

#include "storage/jobs.h"

namespace evni::storage::postgres {

class Connection;

// The job queue on one PostgreSQL connection: claims lock the rows they take and skip rows other
// transactions locked (FOR UPDATE SKIP LOCKED), so the workers of several nodes share the queue.
std::unique_ptr<JobRepository> NewPgJobs(Connection& c);

}  // namespace evni::storage::postgres
