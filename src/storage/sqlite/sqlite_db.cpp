#include "storage/sqlite/sqlite_db.h"

#include <sqlite3.h>

namespace evni::storage::sqlite {
namespace {

void Check(sqlite3* db, int rc, std::string_view what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        throw DbError(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    }
}

}  // namespace

Statement::~Statement() {
    if (stmt_) sqlite3_reset(stmt_);
}

Statement& Statement::Bind(int i, std::int64_t v) {
    Check(sqlite3_db_handle(stmt_), sqlite3_bind_int64(stmt_, i, v), "bind");
    return *this;
}
Statement& Statement::Bind(int i, double v) {
    Check(sqlite3_db_handle(stmt_), sqlite3_bind_double(stmt_, i, v), "bind");
    return *this;
}
Statement& Statement::Bind(int i, std::string_view v) {
    Check(sqlite3_db_handle(stmt_), sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT),
          "bind");
    return *this;
}
Statement& Statement::Bind(int i, const std::optional<std::string>& v) {
    return v ? Bind(i, std::string_view(*v)) : BindNull(i);
}
Statement& Statement::Bind(int i, const std::optional<std::int64_t>& v) { return v ? Bind(i, *v) : BindNull(i); }
Statement& Statement::Bind(int i, const std::optional<double>& v) { return v ? Bind(i, *v) : BindNull(i); }
Statement& Statement::BindBlob(int i, std::span<const std::uint8_t> v) {
    Check(
        sqlite3_db_handle(stmt_),
        sqlite3_bind_blob64(stmt_, i, v.empty() ? "" : static_cast<const void*>(v.data()), v.size(), SQLITE_TRANSIENT),
        "bind");
    return *this;
}
Statement& Statement::BindNull(int i) {
    Check(sqlite3_db_handle(stmt_), sqlite3_bind_null(stmt_, i), "bind");
    return *this;
}

bool Statement::Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Check(sqlite3_db_handle(stmt_), rc, "step");
    return false;
}
void Statement::Run() {
    while (Step()) {
    }
}
bool Statement::IsNull(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
std::int64_t Statement::Int(int c) const { return sqlite3_column_int64(stmt_, c); }
double Statement::Double(int c) const { return sqlite3_column_double(stmt_, c); }
std::string Statement::Text(int c) const {
    auto p = sqlite3_column_text(stmt_, c);
    int n = sqlite3_column_bytes(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}
std::optional<std::string> Statement::OptText(int c) const {
    if (IsNull(c)) return std::nullopt;
    return Text(c);
}
std::optional<std::int64_t> Statement::OptInt(int c) const {
    if (IsNull(c)) return std::nullopt;
    return Int(c);
}
std::optional<double> Statement::OptDouble(int c) const {
    if (IsNull(c)) return std::nullopt;
    return Double(c);
}
std::span<const std::uint8_t> Statement::Blob(int c) const {
    auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, c));
    int n = sqlite3_column_bytes(stmt_, c);
    if (!p || n <= 0) return {};
    return {p, static_cast<size_t>(n)};
}
void Statement::Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

Connection::Connection(const std::string& path, bool read_only) {
    int flags = SQLITE_OPEN_NOMUTEX | (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw DbError("cannot open SQLite database " + path + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 10'000);
    sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
}

Statement Connection::Prepare(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end()) {
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                    nullptr);
        Check(db_, rc, "prepare");
        it = cache_.emplace(std::string(sql), stmt).first;
    }
    Statement s(it->second);
    s.Reset();
    return s;
}

void Connection::Run(std::string_view sql) {
    auto s = Prepare(sql);
    s.Run();
    s.Reset();
}

void Connection::Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw DbError("sqlite exec failed: " + msg);
    }
}

std::int64_t Connection::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
bool Connection::InAutocommit() const { return sqlite3_get_autocommit(db_) != 0; }
int Connection::Changes() const { return sqlite3_changes(db_); }

}  // namespace evni::storage::sqlite
