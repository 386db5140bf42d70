#pragma once

// A minimal, dialect-neutral way to run SQL, so that a repository is written once for SQLite and
// PostgreSQL. SQL is written in SQLite's form with numbered parameters (?1, ?2, ...) and MS(expr)
// around every timestamp column that is read; the PostgreSQL port rewrites ?N to $N and MS(x) to
// epoch milliseconds. Timestamps are bound as TimeArg (INTEGER ms in SQLite, timestamptz in
// PostgreSQL); NULLs carry the type of the column they stand for.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/meter_value.h"

namespace evni::storage {

struct TimeArg {
    domain::EpochMs ms = 0;
};
enum class SqlType { kInt, kReal, kText, kTime };
struct NullArg {
    SqlType type = SqlType::kText;
};
using SqlArg = std::variant<NullArg, std::int64_t, double, std::string, TimeArg>;

inline SqlArg OptArg(const std::optional<std::string>& v) { return v ? SqlArg(*v) : SqlArg(NullArg{SqlType::kText}); }
inline SqlArg OptArg(const std::optional<double>& v) { return v ? SqlArg(*v) : SqlArg(NullArg{SqlType::kReal}); }
inline SqlArg OptTimeArg(const std::optional<domain::EpochMs>& v) {
    return v ? SqlArg(TimeArg{*v}) : SqlArg(NullArg{SqlType::kTime});
}

// The rows of one query.
class SqlRows {
  public:
    virtual ~SqlRows() = default;
    virtual bool Next() = 0;
    virtual bool Null(int col) const = 0;
    virtual std::int64_t Int(int col) const = 0;  // integers and MS(...) timestamps
    virtual double Real(int col) const = 0;
    virtual std::string Text(int col) const = 0;
    std::optional<std::int64_t> OptInt(int col) const {
        return Null(col) ? std::nullopt : std::optional<std::int64_t>(Int(col));
    }
    std::optional<double> OptReal(int col) const { return Null(col) ? std::nullopt : std::optional<double>(Real(col)); }
    std::optional<std::string> OptText(int col) const {
        return Null(col) ? std::nullopt : std::optional<std::string>(Text(col));
    }
};

class SqlPort {
  public:
    virtual ~SqlPort() = default;
    virtual std::unique_ptr<SqlRows> Query(std::string_view sql, const std::vector<SqlArg>& args) = 0;
    // Runs a write; returns the number of rows changed.
    virtual std::int64_t Exec(std::string_view sql, const std::vector<SqlArg>& args) = 0;
};

// Appends `v` to `args` and returns its placeholder ("?N"), for queries built from optional parts.
inline std::string Param(std::vector<SqlArg>& args, SqlArg v) {
    args.push_back(std::move(v));
    std::string placeholder(1, '?');  // not "?" + to_string(...): GCC 12 -O2 warns falsely (-Wrestrict)
    placeholder += std::to_string(args.size());
    return placeholder;
}

// ?N -> $N and MS(x) -> epoch milliseconds of x, for PostgreSQL.
std::string ToPostgresSql(std::string_view sql);
// MS(x) -> (x), for SQLite.
std::string ToSqliteSql(std::string_view sql);

}  // namespace evni::storage

#include "storage/anomaly_store.h"

namespace evni::storage {
// The anomalies workspace repository over a port (storage/anomaly_repository.cpp).
std::unique_ptr<AnomalyRepository> MakeAnomalyRepository(std::unique_ptr<SqlPort> port);
}  // namespace evni::storage
