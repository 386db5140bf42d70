#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain/meter_value.h"

struct pg_conn;
struct pg_result;

namespace evni::storage::postgres {

// An unexpected database failure (connection lost, constraint bug, bad SQL). Serialization failures
// and deadlocks are thrown as storage::TransientConflict instead. Carries the SQLSTATE and, for
// constraint violations, the constraint name, so callers can recognise an expected race.
class DbError : public std::runtime_error {
  public:
    DbError(const std::string& message, std::string sqlstate = {}, std::string constraint = {})
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)), constraint_(std::move(constraint)) {}
    const std::string& sqlstate() const { return sqlstate_; }
    const std::string& constraint() const { return constraint_; }

  private:
    std::string sqlstate_;
    std::string constraint_;
};

// PostgreSQL type OIDs of the parameters we send (pg_type.h is a server header).
enum class PgType : unsigned { kBool = 16, kBytea = 17, kInt8 = 20, kText = 25, kFloat8 = 701, kTimestamptz = 1184 };

// The parameters of one statement. Fixed-size types travel in binary; timestamps are sent as
// binary timestamptz (microseconds since 2000-01-01), so epoch milliseconds round-trip exactly.
class Params {
  public:
    Params& Add(std::int64_t v);
    Params& Add(double v);
    Params& Add(bool v);
    Params& Add(std::string_view v);
    Params& Add(const std::string& v) { return Add(std::string_view(v)); }
    Params& Add(const char* v) { return Add(std::string_view(v)); }
    Params& Add(const std::optional<std::string>& v);
    Params& Add(const std::optional<std::int64_t>& v);
    Params& Add(const std::optional<double>& v);
    Params& Add(const std::optional<bool>& v);
    Params& AddTime(domain::EpochMs ms);
    Params& AddTime(const std::optional<domain::EpochMs>& ms);
    // Binary bytea; `bytes` is referenced, not copied: it must outlive the statement's execution.
    Params& AddBytes(std::span<const std::uint8_t> bytes);
    Params& AddNull(PgType type);

    int Size() const { return static_cast<int>(params_.size()); }

  private:
    friend class Connection;
    struct Param {
        PgType type = PgType::kText;
        bool null = false;
        std::string owned;                       // text and fixed-size binary values
        const std::uint8_t* external = nullptr;  // AddBytes
        size_t external_size = 0;
    };
    Params& Fixed(PgType type, const void* big_endian, size_t size);
    std::vector<Param> params_;
};

// A query result in binary format; columns are read by position with the accessor of their type.
class Result {
  public:
    explicit Result(pg_result* res) : res_(res) {}
    ~Result();
    Result(Result&& o) noexcept : res_(o.res_) { o.res_ = nullptr; }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    Result& operator=(Result&&) = delete;

    int Rows() const;
    // Rows changed by an INSERT/UPDATE/DELETE.
    std::int64_t Affected() const;
    bool IsNull(int row, int col) const;
    std::int64_t Int(int row, int col) const;  // int2, int4, int8
    double Double(int row, int col) const;     // float4, float8
    bool Bool(int row, int col) const;
    std::string Text(int row, int col) const;                     // text, varchar, jsonb
    domain::EpochMs Time(int row, int col) const;                 // timestamptz
    std::span<const std::uint8_t> Bytes(int row, int col) const;  // bytea
    std::optional<std::string> OptText(int row, int col) const;
    std::optional<std::int64_t> OptInt(int row, int col) const;
    std::optional<double> OptDouble(int row, int col) const;
    std::optional<bool> OptBool(int row, int col) const;
    std::optional<domain::EpochMs> OptTime(int row, int col) const;

  private:
    std::span<const char> Raw(int row, int col, unsigned expected_oid, size_t expected_size = 0) const;
    pg_result* res_;
};

class Connection;

// The rows of one query, fetched one at a time (libpq single-row mode) instead of all at once: for
// result sets too big to hold in memory. While it is open the connection runs nothing else;
// destroying it early cancels the query.
class RowStream {
  public:
    RowStream(RowStream&& o) noexcept : conn_(std::exchange(o.conn_, nullptr)) {}
    RowStream(const RowStream&) = delete;
    RowStream& operator=(const RowStream&) = delete;
    RowStream& operator=(RowStream&&) = delete;
    ~RowStream();
    // The next row as a one-row Result, or nullopt after the last.
    std::optional<Result> Next();

  private:
    friend class Connection;
    explicit RowStream(Connection* conn) : conn_(conn) {}
    Connection* conn_;  // null once finished
};

// One libpq connection with a cache of prepared statements keyed by SQL text.
class Connection {
  public:
    // `conninfo`: a libpq URI or key=value string. Throws DbError when the server cannot be reached.
    explicit Connection(const std::string& conninfo);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs `sql` (with $1.. placeholders) as a prepared statement, preparing it on first use.
    Result Exec(std::string_view sql, const Params& params = {});
    // Queues `sql` (a write whose result nobody reads) to be sent with the next statement that needs a round
    // trip anyway: the next Exec, Stream or ExecScript (e.g. COMMIT) sends the queue and itself as one pipeline
    // (libpq pipeline mode), in order, so later statements see these writes. An error of a queued statement is
    // thrown by that next call, as Exec would have thrown it; the transaction is then failed as a whole.
    // Parameters are copied (AddBytes included).
    void Defer(std::string_view sql, const Params& params = {});
    // Drops the queued statements unsent (before a ROLLBACK).
    void DiscardDeferred() { deferred_.clear(); }
    // Runs `sql` like Exec, streaming its rows (see RowStream).
    RowStream Stream(std::string_view sql, const Params& params = {});
    // Runs one or more statements without parameters (BEGIN, COMMIT, migration scripts).
    void ExecScript(const std::string& sql);
    // True while the connection is usable: open, and not inside a (possibly failed) transaction
    // block unless one was begun on purpose.
    bool Healthy() const;
    bool InTransaction() const;

  private:
    friend class RowStream;
    struct Bound;
    // Prepares `sql` for the parameters' types (once per connection) and returns the statement name.
    const std::string& PrepareCached(std::string_view sql, const Bound& bound);
    [[noreturn]] void Fail(pg_result* res, std::string_view what);
    // Sends the deferred statements and then `last` (a prepared statement, or with `script` a parameterless
    // command) as one pipeline; returns the result of `last`, throws the first error.
    pg_result* RunPipeline(const std::string_view* last_sql, const Params* last_params, const std::string* script);
    struct Deferred {
        std::string sql;
        Params params;
    };
    std::vector<Deferred> deferred_;
    pg_conn* conn_ = nullptr;
    struct Prepared {
        std::string name;
        std::int64_t executions = 0;
        std::int64_t replan_at = 0;  // prepared again at this many executions
    };
    std::unordered_map<std::string, Prepared> prepared_;  // SQL text and parameter types -> statement
    std::int64_t statements_ = 0;                         // names handed out
};

// A bounded, thread-safe pool of connections. Acquire blocks while all are in use (up to a timeout);
// a connection that broke or was left inside a transaction is closed on release instead of reused.
class ConnectionPool {
  public:
    ConnectionPool(std::string conninfo, int max_size, std::chrono::milliseconds acquire_timeout);
    ~ConnectionPool();
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    // A connection on loan; returned to the pool when destroyed.
    class Lease {
      public:
        Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
        ~Lease();
        Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Lease& operator=(Lease&&) = delete;
        Connection& operator*() const { return *conn_; }
        Connection* operator->() const { return conn_.get(); }
        // Closes the connection instead of returning it (e.g. after it failed).
        void Discard();

      private:
        ConnectionPool* pool_;
        std::unique_ptr<Connection> conn_;
    };

    // Throws DbError when no connection frees up within the timeout or a new one cannot be opened.
    Lease Acquire();
    const std::string& conninfo() const { return conninfo_; }
    int max_size() const { return max_size_; }

  private:
    void Release(std::unique_ptr<Connection> conn);
    std::string conninfo_;
    int max_size_;
    std::chrono::milliseconds acquire_timeout_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Connection>> idle_;
    int open_ = 0;  // idle + on loan + being opened
};

}  // namespace evni::storage::postgres
