// A fresh, empty database per test on SQLite (a temporary file) or PostgreSQL (a new database in the
// test cluster whose base URL is in the file named by EVNI_PG_URL_FILE; see scripts/pg-test-cluster.sh).
// PostgreSQL cases are skipped when that variable is unset, e.g. when the binary runs outside CTest.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "storage/postgres/pg_db.h"
#include "storage/postgres/pg_store.h"
#include "storage/sqlite/sqlite_store.h"
#include "util/crypto.h"

namespace evni::testing {

enum class Backend { kSqlite, kPostgres };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::kSqlite ? "sqlite" : "postgres";
}

// postgresql://user:pass@host:port/ of the test cluster, or nullopt.
inline std::optional<std::string> PostgresBaseUrl() {
    const char* file = std::getenv("EVNI_PG_URL_FILE");
    if (!file || !*file) return std::nullopt;
    std::ifstream in(file);
    std::string url;
    if (!(in >> url) || url.empty()) return std::nullopt;
    return url;
}

class TestDatabase {
  public:
    // Creates the database; `skip` is set (and nothing created) when PostgreSQL is not configured.
    explicit TestDatabase(Backend backend) : backend_(backend) {
        crypto::Init();
        if (backend == Backend::kSqlite) {
            dir_ = std::filesystem::temp_directory_path() / ("evni-test-" + crypto::RandomHex(6));
            std::filesystem::create_directories(dir_);
            return;
        }
        auto base = PostgresBaseUrl();
        if (!base) {
            skip = true;
            return;
        }
        base_ = *base;
        name_ = "evni_test_" + crypto::RandomHex(6);
        storage::postgres::Connection admin(base_ + "postgres");
        admin.ExecScript("CREATE DATABASE " + name_ + " STRATEGY FILE_COPY");
    }
    ~TestDatabase() {
        if (backend_ == Backend::kSqlite) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        } else if (!name_.empty()) {
            try {
                storage::postgres::Connection admin(base_ + "postgres");
                admin.ExecScript("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
            } catch (const std::exception&) {
                // The cluster is thrown away after the run anyway.
            }
        }
    }
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    // The database URL as `evni --db` takes it (PostgreSQL) or the SQLite file path.
    std::string Target() const { return backend_ == Backend::kSqlite ? (dir_ / "evni.db").string() : base_ + name_; }

    // A migrated store on the database.
    std::unique_ptr<storage::Store> Open(int pool_size = 4) const {
        std::unique_ptr<storage::Store> store;
        if (backend_ == Backend::kSqlite) {
            storage::sqlite::SqliteOptions o;
            o.path = Target();
            store = storage::sqlite::OpenSqliteStore(o);
        } else {
            storage::postgres::PostgresOptions o;
            o.conninfo = Target();
            o.pool_size = pool_size;
            store = storage::postgres::OpenPostgresStore(o);
        }
        store->Migrate();
        return store;
    }

    bool skip = false;

  private:
    Backend backend_;
    std::filesystem::path dir_;
    std::string base_;
    std::string name_;
};

}  // namespace evni::testing
