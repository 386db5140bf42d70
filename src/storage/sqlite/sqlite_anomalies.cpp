// The SQLite port of the anomalies workspace repository (storage/anomaly_repository.cpp).
#include "storage/sqlite/sqlite_anomalies.h"

#include <unordered_map>

#include "storage/sql_port.h"

namespace evni::storage::sqlite {
namespace {

class Rows final : public SqlRows {
  public:
    explicit Rows(Statement s) : s_(std::move(s)) {}
    bool Next() override { return s_.Step(); }
    bool Null(int col) const override { return s_.IsNull(col); }
    std::int64_t Int(int col) const override { return s_.Int(col); }
    double Real(int col) const override { return s_.Double(col); }
    std::string Text(int col) const override { return s_.Text(col); }

  private:
    Statement s_;
};

class Port final : public SqlPort {
  public:
    explicit Port(Connection& c) : c_(c) {}
    std::unique_ptr<SqlRows> Query(std::string_view sql, const std::vector<SqlArg>& args) override {
        return std::make_unique<Rows>(Bound(sql, args));
    }
    std::int64_t Exec(std::string_view sql, const std::vector<SqlArg>& args) override {
        Bound(sql, args).Run();
        return c_.Changes();
    }

  private:
    Statement Bound(std::string_view sql, const std::vector<SqlArg>& args) {
        auto it = translated_.find(std::string(sql));
        if (it == translated_.end()) it = translated_.emplace(std::string(sql), ToSqliteSql(sql)).first;
        Statement s = c_.Prepare(it->second);
        for (std::size_t i = 0; i < args.size(); ++i) {
            const int idx = static_cast<int>(i) + 1;
            std::visit(
                [&](const auto& v) {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, NullArg>) {
                        s.BindNull(idx);
                    } else if constexpr (std::is_same_v<T, TimeArg>) {
                        s.Bind(idx, std::int64_t{v.ms});
                    } else {
                        s.Bind(idx, v);
                    }
                },
                args[i]);
        }
        return s;
    }

    Connection& c_;
    std::unordered_map<std::string, std::string> translated_;
};

}  // namespace

std::unique_ptr<AnomalyRepository> MakeSqliteAnomalies(Connection& c) {
    return MakeAnomalyRepository(std::make_unique<Port>(c));
}

std::unique_ptr<SqlPort> MakeSqlitePort(Connection& c) { return std::make_unique<Port>(c); }

}  // namespace evni::storage::sqlite
