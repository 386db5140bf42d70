#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace evni::storage::sqlite {

// An unexpected database failure (I/O error, corruption, constraint bug). Expected outcomes such as
// "not found" are never exceptions; this one is caught at the request boundary (500).
class DbError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A prepared statement owned by a Connection's cache; Reset() runs automatically on next use.
class Statement {
  public:
    explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
    // Resets the cached statement so that an unfinished read does not keep its snapshot open.
    ~Statement();
    Statement(Statement&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement& operator=(Statement&&) = delete;
    Statement& Bind(int index, std::int64_t v);
    Statement& Bind(int index, double v);
    Statement& Bind(int index, std::string_view v);
    Statement& Bind(int index, const std::string& v) { return Bind(index, std::string_view(v)); }
    Statement& Bind(int index, const char* v) { return Bind(index, std::string_view(v)); }
    Statement& Bind(int index, const std::optional<std::string>& v);
    Statement& Bind(int index, const std::optional<std::int64_t>& v);
    Statement& Bind(int index, const std::optional<double>& v);
    Statement& BindBlob(int index, std::span<const std::uint8_t> v);
    Statement& BindNull(int index);
    // Advances; true when a row is available.
    bool Step();
    // Runs to completion (for writes).
    void Run();
    bool IsNull(int col) const;
    std::int64_t Int(int col) const;
    double Double(int col) const;
    std::string Text(int col) const;
    std::optional<std::string> OptText(int col) const;
    std::optional<std::int64_t> OptInt(int col) const;
    std::optional<double> OptDouble(int col) const;
    std::span<const std::uint8_t> Blob(int col) const;
    void Reset();

  private:
    sqlite3_stmt* stmt_;
};

// One SQLite connection with a cache of prepared statements keyed by SQL text.
class Connection {
  public:
    Connection(const std::string& path, bool read_only);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Prepared (and cached) statement, reset and with bindings cleared.
    Statement Prepare(std::string_view sql);
    void Exec(const std::string& sql);
    // Exec for one statement run often (BEGIN, SAVEPOINT, COMMIT): prepared once, then reused.
    void Run(std::string_view sql);
    std::int64_t LastInsertRowId() const;
    // True when no transaction is open on the connection.
    bool InAutocommit() const;
    int Changes() const;
    // The underlying handle, for the few calls that have no wrapper (the WAL hook).
    sqlite3* Handle() const { return db_; }

  private:
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace evni::storage::sqlite
