#pragma once

#include <memory>
#include <string>

#include "storage/store.h"

namespace evni::storage::sqlite {

struct SqliteOptions {
    std::string path;
    int readers = 4;
    // Take an exclusive lock file so that a second `evni serve` on the same file refuses to start:
    // SQLite is single-node (use PostgreSQL for several nodes).
    bool single_node_lock = false;
    TxObserver observer;
};

// Opens (creating when missing) a SQLite store in WAL mode. Writes are serialised in the process on
// one writer connection; reads use a pool of read-only connections. Throws DbError on failure.
std::unique_ptr<Store> OpenSqliteStore(const SqliteOptions& options);

}  // namespace evni::storage::sqlite
