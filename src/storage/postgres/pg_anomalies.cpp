// The PostgreSQL port of the anomalies workspace repository (storage/anomaly_repository.cpp).
#include "storage/postgres/pg_anomalies.h"

#include <unordered_map>

#include "storage/sql_port.h"

namespace evni::storage::postgres {
namespace {

class Rows final : public SqlRows {
  public:
    explicit Rows(Result r) : r_(std::move(r)) {}
    bool Next() override { return ++row_ < r_.Rows(); }
    bool Null(int col) const override { return r_.IsNull(row_, col); }
    std::int64_t Int(int col) const override { return r_.Int(row_, col); }
    double Real(int col) const override { return r_.Double(row_, col); }
    std::string Text(int col) const override { return r_.Text(row_, col); }

  private:
    Result r_;
    int row_ = -1;
};

PgType TypeOf(SqlType t) {
    switch (t) {
        case SqlType::kInt:
            return PgType::kInt8;
        case SqlType::kReal:
            return PgType::kFloat8;
        case SqlType::kTime:
            return PgType::kTimestamptz;
        case SqlType::kText:
            break;
    }
    return PgType::kText;
}

class Port final : public SqlPort {
  public:
    explicit Port(Connection& c) : c_(c) {}
    std::unique_ptr<SqlRows> Query(std::string_view sql, const std::vector<SqlArg>& args) override {
        return std::make_unique<Rows>(Run(sql, args));
    }
    std::int64_t Exec(std::string_view sql, const std::vector<SqlArg>& args) override {
        return Run(sql, args).Affected();
    }

  private:
    Result Run(std::string_view sql, const std::vector<SqlArg>& args) {
        auto it = translated_.find(std::string(sql));
        if (it == translated_.end()) it = translated_.emplace(std::string(sql), ToPostgresSql(sql)).first;
        Params p;
        for (const auto& a : args) {
            std::visit(
                [&](const auto& v) {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, NullArg>) {
                        p.AddNull(TypeOf(v.type));
                    } else if constexpr (std::is_same_v<T, TimeArg>) {
                        p.AddTime(v.ms);
                    } else {
                        p.Add(v);
                    }
                },
                a);
        }
        return c_.Exec(it->second, p);
    }

    Connection& c_;
    std::unordered_map<std::string, std::string> translated_;
};

}  // namespace

std::unique_ptr<AnomalyRepository> MakePgAnomalies(Connection& c) {
    return MakeAnomalyRepository(std::make_unique<Port>(c));
}

std::unique_ptr<SqlPort> MakePgPort(Connection& c) { return std::make_unique<Port>(c); }

}  // namespace evni::storage::postgres
