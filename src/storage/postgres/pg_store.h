#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "storage/store.h"

namespace evni::storage::postgres {

struct PostgresOptions {
    std::string conninfo;  // postgresql://user:pass@host:port/db (or a libpq key=value string)
    int pool_size = 8;
    std::chrono::milliseconds acquire_timeout{10'000};
    TxObserver observer;
};

// A PostgreSQL store: a bounded connection pool, one connection per transaction. Several processes
// may share the database: a write transaction locks the session row it reads (SELECT ... FOR
// UPDATE), and lost races (a concurrent insert of the same session, serialization failures,
// deadlocks) surface as TransientConflict so the unit of work is retried. Reads run in a
// REPEATABLE READ READ ONLY transaction (one snapshot, like SQLite's).
// Connects once to fail fast; throws DbError when the server cannot be reached.
std::unique_ptr<Store> OpenPostgresStore(const PostgresOptions& options);

}  // namespace evni::storage::postgres
