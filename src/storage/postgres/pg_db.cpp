#include "storage/postgres/pg_db.h"

#include <endian.h>
#include <libpq-fe.h>

#include <cstring>
#include <limits>

#include "storage/store.h"

namespace evni::storage::postgres {
namespace {

// Milliseconds between the Unix epoch and PostgreSQL's (2000-01-01T00:00:00Z).
constexpr std::int64_t kPgEpochOffsetMs = 946'684'800'000LL;
constexpr unsigned kInt2Oid = 21, kInt4Oid = 23, kFloat4Oid = 700, kVarcharOid = 1043, kJsonbOid = 3802;

// SQLSTATEs after which the whole unit of work may simply run again.
bool IsTransient(std::string_view sqlstate) {
    return sqlstate == "40001"      // serialization_failure
           || sqlstate == "40P01";  // deadlock_detected
}

std::string Field(const PGresult* res, int code) {
    const char* v = res ? PQresultErrorField(res, code) : nullptr;
    return v ? std::string(v) : std::string();
}

std::string Trimmed(const char* message) {
    std::string m = message ? message : "";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return m;
}

void IgnoreNotice(void*, const char*) {}

}  // namespace

// ---------------------------------------------------------------------------------------------- Params

Params& Params::Fixed(PgType type, const void* big_endian, size_t size) {
    Param p;
    p.type = type;
    p.owned.assign(static_cast<const char*>(big_endian), size);
    params_.push_back(std::move(p));
    return *this;
}

Params& Params::Add(std::int64_t v) {
    std::uint64_t be = htobe64(static_cast<std::uint64_t>(v));
    return Fixed(PgType::kInt8, &be, sizeof be);
}

Params& Params::Add(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    bits = htobe64(bits);
    return Fixed(PgType::kFloat8, &bits, sizeof bits);
}

Params& Params::Add(bool v) {
    char b = v ? 1 : 0;
    return Fixed(PgType::kBool, &b, 1);
}

Params& Params::Add(std::string_view v) {
    Param p;
    p.type = PgType::kText;
    p.owned.assign(v);
    params_.push_back(std::move(p));
    return *this;
}

Params& Params::Add(const std::optional<std::string>& v) {
    return v ? Add(std::string_view(*v)) : AddNull(PgType::kText);
}
Params& Params::Add(const std::optional<std::int64_t>& v) { return v ? Add(*v) : AddNull(PgType::kInt8); }
Params& Params::Add(const std::optional<double>& v) { return v ? Add(*v) : AddNull(PgType::kFloat8); }
Params& Params::Add(const std::optional<bool>& v) { return v ? Add(*v) : AddNull(PgType::kBool); }

Params& Params::AddTime(domain::EpochMs ms) {
    constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 1000 - kPgEpochOffsetMs;
    if (ms > kLimit || ms < -kLimit) throw DbError("timestamp out of range: " + std::to_string(ms) + " ms");
    std::uint64_t be = htobe64(static_cast<std::uint64_t>((ms - kPgEpochOffsetMs) * 1000));
    Fixed(PgType::kTimestamptz, &be, sizeof be);
    return *this;
}

Params& Params::AddTime(const std::optional<domain::EpochMs>& ms) {
    return ms ? AddTime(*ms) : AddNull(PgType::kTimestamptz);
}

Params& Params::AddBytes(std::span<const std::uint8_t> bytes) {
    Param p;
    p.type = PgType::kBytea;
    p.external = bytes.data();
    p.external_size = bytes.size();
    params_.push_back(std::move(p));
    return *this;
}

Params& Params::AddNull(PgType type) {
    Param p;
    p.type = type;
    p.null = true;
    params_.push_back(std::move(p));
    return *this;
}

// ---------------------------------------------------------------------------------------------- Result

Result::~Result() {
    if (res_) PQclear(res_);
}

int Result::Rows() const { return PQntuples(res_); }

std::int64_t Result::Affected() const {
    const char* n = PQcmdTuples(res_);
    return (n && *n) ? std::stoll(n) : 0;
}

bool Result::IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }

std::span<const char> Result::Raw(int row, int col, unsigned expected_oid, size_t expected_size) const {
    if (PQftype(res_, col) != expected_oid) {
        throw DbError("result column " + std::to_string(col) + " has type oid " + std::to_string(PQftype(res_, col)) +
                      ", expected " + std::to_string(expected_oid));
    }
    const char* p = PQgetvalue(res_, row, col);
    auto n = static_cast<size_t>(PQgetlength(res_, row, col));
    if (expected_size && n != expected_size)
        throw DbError("unexpected binary length in result column " + std::to_string(col));
    return {p, n};
}

std::int64_t Result::Int(int row, int col) const {
    switch (PQftype(res_, col)) {
        case kInt2Oid: {
            std::uint16_t v;
            std::memcpy(&v, Raw(row, col, kInt2Oid, 2).data(), 2);
            return static_cast<std::int16_t>(be16toh(v));
        }
        case kInt4Oid: {
            std::uint32_t v;
            std::memcpy(&v, Raw(row, col, kInt4Oid, 4).data(), 4);
            return static_cast<std::int32_t>(be32toh(v));
        }
        default: {
            std::uint64_t v;
            std::memcpy(&v, Raw(row, col, static_cast<unsigned>(PgType::kInt8), 8).data(), 8);
            return static_cast<std::int64_t>(be64toh(v));
        }
    }
}

double Result::Double(int row, int col) const {
    if (PQftype(res_, col) == kFloat4Oid) {
        std::uint32_t bits;
        std::memcpy(&bits, Raw(row, col, kFloat4Oid, 4).data(), 4);
        bits = be32toh(bits);
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    }
    std::uint64_t bits;
    std::memcpy(&bits, Raw(row, col, static_cast<unsigned>(PgType::kFloat8), 8).data(), 8);
    bits = be64toh(bits);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
}

bool Result::Bool(int row, int col) const { return Raw(row, col, static_cast<unsigned>(PgType::kBool), 1)[0] != 0; }

std::string Result::Text(int row, int col) const {
    auto oid = PQftype(res_, col);
    if (oid == kJsonbOid) {
        // Binary jsonb: a version byte (1), then the JSON text.
        auto raw = Raw(row, col, kJsonbOid);
        if (raw.empty() || raw[0] != 1) throw DbError("unsupported jsonb binary version");
        return std::string(raw.data() + 1, raw.size() - 1);
    }
    auto raw = Raw(row, col, oid == kVarcharOid ? kVarcharOid : static_cast<unsigned>(PgType::kText));
    return std::string(raw.data(), raw.size());
}

domain::EpochMs Result::Time(int row, int col) const {
    std::uint64_t v;
    std::memcpy(&v, Raw(row, col, static_cast<unsigned>(PgType::kTimestamptz), 8).data(), 8);
    auto us = static_cast<std::int64_t>(be64toh(v));
    // Floor division: values we wrote are whole milliseconds; others (e.g. now()) are truncated.
    std::int64_t ms = us / 1000;
    if (us % 1000 < 0) --ms;
    return ms + kPgEpochOffsetMs;
}

std::span<const std::uint8_t> Result::Bytes(int row, int col) const {
    auto raw = Raw(row, col, static_cast<unsigned>(PgType::kBytea));
    return {reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()};
}

std::optional<std::string> Result::OptText(int row, int col) const {
    if (IsNull(row, col)) return std::nullopt;
    return Text(row, col);
}
std::optional<std::int64_t> Result::OptInt(int row, int col) const {
    if (IsNull(row, col)) return std::nullopt;
    return Int(row, col);
}
std::optional<double> Result::OptDouble(int row, int col) const {
    if (IsNull(row, col)) return std::nullopt;
    return Double(row, col);
}
std::optional<bool> Result::OptBool(int row, int col) const {
    if (IsNull(row, col)) return std::nullopt;
    return Bool(row, col);
}
std::optional<domain::EpochMs> Result::OptTime(int row, int col) const {
    if (IsNull(row, col)) return std::nullopt;
    return Time(row, col);
}

// ---------------------------------------------------------------------------------------------- Connection

Connection::Connection(const std::string& conninfo) {
    // Our defaults come first so that the same settings in the URL (processed last) win.
    const char* keywords[] = {"application_name", "connect_timeout", "dbname", nullptr};
    const char* values[] = {"evni", "10", conninfo.c_str(), nullptr};
    conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
        std::string msg = conn_ ? Trimmed(PQerrorMessage(conn_)) : "out of memory";
        PQfinish(conn_);
        conn_ = nullptr;
        throw DbError("cannot connect to PostgreSQL: " + msg, "08001");
    }
    // Notices (e.g. "relation already exists, skipping") would go to stderr, which holds JSON logs.
    PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::Healthy() const {
    return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE && deferred_.empty() &&
           PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
}

bool Connection::InTransaction() const {
    auto s = PQtransactionStatus(conn_);
    return s == PQTRANS_INTRANS || s == PQTRANS_INERROR;
}

void Connection::Fail(PGresult* res, std::string_view what) {
    std::string sqlstate = Field(res, PG_DIAG_SQLSTATE);
    std::string constraint = Field(res, PG_DIAG_CONSTRAINT_NAME);
    std::string msg = Trimmed(res ? PQresultErrorMessage(res) : nullptr);
    if (msg.empty()) msg = Trimmed(PQerrorMessage(conn_));
    if (res) PQclear(res);
    if (IsTransient(sqlstate)) throw TransientConflict("PostgreSQL " + sqlstate + ": " + msg);
    throw DbError(std::string(what) + " failed: " + msg, sqlstate, constraint);
}

// The libpq arrays of one statement's parameters.
struct Connection::Bound {
    explicit Bound(const Params& params) {
        const auto n = params.params_.size();
        types.resize(n);
        values.resize(n);
        lengths.resize(n);
        formats.resize(n);
        for (size_t i = 0; i < n; ++i) {
            const auto& p = params.params_[i];
            types[i] = static_cast<Oid>(p.type);
            formats[i] = p.type == PgType::kText ? 0 : 1;
            if (p.null) {
                values[i] = nullptr;
            } else if (p.type == PgType::kBytea && p.external) {
                values[i] = p.external_size ? reinterpret_cast<const char*>(p.external) : "";
                lengths[i] = static_cast<int>(p.external_size);
            } else {                          // text, fixed-size binary, and bytea copied by Defer
                values[i] = p.owned.c_str();  // text: NUL-terminated; binary: length given
                lengths[i] = static_cast<int>(p.owned.size());
            }
        }
    }
    int Size() const { return static_cast<int>(types.size()); }
    std::vector<Oid> types;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
};

// A prepared statement runs a generic plan after its first five executions, planned with the table
// sizes and statistics of that moment, and PostgreSQL plans it again only after an ANALYZE changes
// them. Planned on a new, almost empty database (a fresh installation under load, where autovacuum
// may take a minute or more to analyze), that plan can pick a small index on tenant_id alone over
// the unique one and filter a whole tenant's rows on every lookup. So a statement is prepared
// again after 100, 1,000, 10,000, ... executions: plans follow the growth at a negligible cost.
constexpr std::int64_t kFirstReplan = 100;
constexpr std::int64_t kReplanFactor = 10;

const std::string& Connection::PrepareCached(std::string_view sql, const Bound& bound) {
    // The key includes the parameter types: one SQL text could be sent with different types.
    std::string key(sql);
    key.append(1, '\0').append(reinterpret_cast<const char*>(bound.types.data()), bound.types.size() * sizeof(Oid));
    auto it = prepared_.find(key);
    if (it != prepared_.end()) {
        auto& p = it->second;
        if (++p.executions < p.replan_at || PQtransactionStatus(conn_) == PQTRANS_INERROR) return p.name;
        ExecScript("DEALLOCATE " + p.name);
        p.name.clear();
        p.replan_at = p.executions * kReplanFactor;
    } else {
        it = prepared_.emplace(std::move(key), Prepared{{}, 1, kFirstReplan}).first;
    }
    std::string name = "evni_" + std::to_string(++statements_);
    std::string text(sql);
    PGresult* res = PQprepare(conn_, name.c_str(), text.c_str(), bound.Size(), bound.types.data());
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        prepared_.erase(it);
        Fail(res, "prepare");
    }
    PQclear(res);
    it->second.name = std::move(name);
    return it->second.name;
}

void Connection::Defer(std::string_view sql, const Params& params) {
    Deferred d{std::string(sql), params};
    for (auto& p : d.params.params_) {
        if (p.type == PgType::kBytea && p.external) {
            p.owned.assign(reinterpret_cast<const char*>(p.external), p.external_size);
            p.external = nullptr;
            p.external_size = 0;
        }
    }
    deferred_.push_back(std::move(d));
}

PGresult* Connection::RunPipeline(const std::string_view* last_sql, const Params* last_params,
                                  const std::string* script) {
    auto queue = std::move(deferred_);
    deferred_.clear();
    // Prepared before the pipeline starts (PrepareCached talks to the server synchronously).
    std::vector<Bound> bounds;
    std::vector<std::string> names;
    bounds.reserve(queue.size());
    for (const auto& d : queue) {
        bounds.emplace_back(d.params);
        names.push_back(PrepareCached(d.sql, bounds.back()));
    }
    std::optional<Bound> last_bound;
    std::string last_name;
    if (last_sql) {
        last_bound.emplace(*last_params);
        last_name = PrepareCached(*last_sql, *last_bound);
    }
    if (!PQenterPipelineMode(conn_)) throw DbError("cannot enter pipeline mode: " + Trimmed(PQerrorMessage(conn_)));
    // A failed send leaves the connection mid-pipeline (Healthy() is false from then on): the pool closes it.
    auto send_failed = [&] { throw DbError("pipeline send failed: " + Trimmed(PQerrorMessage(conn_))); };
    for (std::size_t i = 0; i < queue.size(); ++i) {
        const auto& b = bounds[i];
        if (!PQsendQueryPrepared(conn_, names[i].c_str(), b.Size(), b.values.data(), b.lengths.data(), b.formats.data(),
                                 /*resultFormat=*/1))
            send_failed();
    }
    const bool has_last = last_sql || script;
    if (last_sql) {
        if (!PQsendQueryPrepared(conn_, last_name.c_str(), last_bound->Size(), last_bound->values.data(),
                                 last_bound->lengths.data(), last_bound->formats.data(), /*resultFormat=*/1))
            send_failed();
    } else if (script) {
        if (!PQsendQueryParams(conn_, script->c_str(), 0, nullptr, nullptr, nullptr, nullptr, /*resultFormat=*/1))
            send_failed();
    }
    if (!PQpipelineSync(conn_)) send_failed();
    // One result (then a null) per statement, then the sync. The first failure is kept; the statements after
    // it come back PGRES_PIPELINE_ABORTED.
    PGresult* failure = nullptr;
    PGresult* last = nullptr;
    bool lost = false;
    const std::size_t statements = queue.size() + (has_last ? 1 : 0);
    for (std::size_t i = 0; i < statements; ++i) {
        PGresult* res = PQgetResult(conn_);
        const auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        const bool ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
        if (!ok && !failure && status != PGRES_PIPELINE_ABORTED) {
            failure = res;
        } else if (ok && has_last && i + 1 == statements) {
            last = res;
        } else if (res) {
            PQclear(res);
        }
        if (!res) {
            lost = true;  // the connection broke: the statements left have no result
            break;
        }
        while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
    }
    while (PGresult* res = PQgetResult(conn_)) {
        const auto status = PQresultStatus(res);
        PQclear(res);
        if (status == PGRES_PIPELINE_SYNC) break;
    }
    PQexitPipelineMode(conn_);
    if (failure) {
        if (last) PQclear(last);
        Fail(failure, "query");
    }
    if (lost || (has_last && !last)) {
        if (last) PQclear(last);
        Fail(nullptr, "query");
    }
    return last;
}

Result Connection::Exec(std::string_view sql, const Params& params) {
    if (!deferred_.empty()) return Result(RunPipeline(&sql, &params, nullptr));
    const Bound bound(params);
    const std::string& name = PrepareCached(sql, bound);
    PGresult* res = PQexecPrepared(conn_, name.c_str(), bound.Size(), bound.values.data(), bound.lengths.data(),
                                   bound.formats.data(), /*resultFormat=*/1);
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) Fail(res, "query");
    return Result(res);
}

RowStream Connection::Stream(std::string_view sql, const Params& params) {
    if (!deferred_.empty()) PQclear(RunPipeline(nullptr, nullptr, nullptr));
    const Bound bound(params);
    const std::string& name = PrepareCached(sql, bound);
    if (!PQsendQueryPrepared(conn_, name.c_str(), bound.Size(), bound.values.data(), bound.lengths.data(),
                             bound.formats.data(), /*resultFormat=*/1)) {
        Fail(nullptr, "query");
    }
    if (!PQsetSingleRowMode(conn_)) {
        RowStream discard(this);  // drains the query
        throw DbError("cannot switch to single-row mode");
    }
    return RowStream(this);
}

// ---------------------------------------------------------------------------------------------- RowStream

std::optional<Result> RowStream::Next() {
    if (!conn_) return std::nullopt;
    PGresult* res = PQgetResult(conn_->conn_);
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_SINGLE_TUPLE) return Result(res);
    // The end (an empty PGRES_TUPLES_OK) or an error: either way the query is over.
    Connection* conn = std::exchange(conn_, nullptr);
    if (status == PGRES_TUPLES_OK) {
        PQclear(res);
        while (PGresult* rest = PQgetResult(conn->conn_)) PQclear(rest);
        return std::nullopt;
    }
    std::string sqlstate = Field(res, PG_DIAG_SQLSTATE);
    std::string msg = Trimmed(res ? PQresultErrorMessage(res) : PQerrorMessage(conn->conn_));
    if (res) PQclear(res);
    while (PGresult* rest = PQgetResult(conn->conn_)) PQclear(rest);
    if (IsTransient(sqlstate)) throw TransientConflict("PostgreSQL " + sqlstate + ": " + msg);
    throw DbError("query failed: " + msg, sqlstate);
}

RowStream::~RowStream() {
    if (!conn_) return;
    // Stopped early: cancel the query rather than fetch the remaining rows, then drain.
    if (PGcancel* cancel = PQgetCancel(conn_->conn_)) {
        char err[256];
        PQcancel(cancel, err, sizeof err);
        PQfreeCancel(cancel);
    }
    while (PGresult* rest = PQgetResult(conn_->conn_)) PQclear(rest);
}

void Connection::ExecScript(const std::string& sql) {
    if (!deferred_.empty()) {
        // One command (COMMIT, ...) goes in the same pipeline; a script of several is run after it.
        if (sql.find(';') == std::string::npos) {
            PQclear(RunPipeline(nullptr, nullptr, &sql));
            return;
        }
        PQclear(RunPipeline(nullptr, nullptr, nullptr));
    }
    PGresult* res = PQexec(conn_, sql.c_str());
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) Fail(res, "statement");
    PQclear(res);
}

// ---------------------------------------------------------------------------------------------- ConnectionPool

ConnectionPool::ConnectionPool(std::string conninfo, int max_size, std::chrono::milliseconds acquire_timeout)
    : conninfo_(std::move(conninfo)), max_size_(max_size < 1 ? 1 : max_size), acquire_timeout_(acquire_timeout) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::~Lease() {
    if (pool_) pool_->Release(std::move(conn_));
}

void ConnectionPool::Lease::Discard() {
    conn_.reset();
    if (pool_) pool_->Release(nullptr);
    pool_ = nullptr;
}

ConnectionPool::Lease ConnectionPool::Acquire() {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, acquire_timeout_, [&] { return !idle_.empty() || open_ < max_size_; })) {
        throw DbError("no database connection free after " + std::to_string(acquire_timeout_.count()) +
                      " ms (pool of " + std::to_string(max_size_) + ")");
    }
    if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        lock.unlock();
        if (conn->Healthy()) return Lease(this, std::move(conn));
        conn.reset();  // broken while idle: open a new one in its slot
    } else {
        ++open_;
        lock.unlock();
    }
    try {
        return Lease(this, std::make_unique<Connection>(conninfo_));
    } catch (...) {
        Release(nullptr);
        throw;
    }
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
    // A broken connection, or one left inside a transaction, is closed rather than handed out again.
    if (conn && !conn->Healthy()) conn.reset();
    std::lock_guard g(mutex_);
    if (conn) {
        idle_.push_back(std::move(conn));
    } else {
        --open_;
    }
    cv_.notify_one();
}

}  // namespace evni::storage::postgres
