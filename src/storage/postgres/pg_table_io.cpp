#include "storage/postgres/pg_table_io.h"

#include <optional>
#include <unordered_map>

#include "storage/postgres/pg_db.h"

namespace evni::storage::postgres {
namespace {

// Rows per INSERT statement (a table of n columns binds 64 * n parameters; the limit is 65535).
constexpr std::size_t kRowsPerInsert = 64;

std::string Quoted(std::string_view identifier) {
    std::string out;
    out.reserve(identifier.size() + 2);
    out.append(1, '"').append(identifier).append(1, '"');
    return out;
}

std::string SelectList(const TableSpec& t) {
    std::string out;
    for (const auto& c : t.columns) {
        if (!out.empty()) out += ", ";
        out += Quoted(c.name);
        if (c.type == ColumnType::kJson) out += "::text";  // jsonb comes back as its text
    }
    return out;
}

// ORDER BY the key, text bytewise (the "C" collation), like SQLite's BINARY and std::string.
std::string KeyOrder(const TableSpec& t) {
    std::string out;
    for (std::size_t i = 0; i < t.key_columns; ++i) {
        const auto& c = t.columns[i];
        if (!out.empty()) out += ", ";
        out += Quoted(c.name);
        if (c.type == ColumnType::kText) out += " COLLATE \"C\"";
    }
    return out;
}

PgType ParamType(ColumnType type) {
    switch (type) {
        case ColumnType::kInt:
            return PgType::kInt8;
        case ColumnType::kBool:
            return PgType::kBool;
        case ColumnType::kTime:
            return PgType::kTimestamptz;
        case ColumnType::kReal:
            return PgType::kFloat8;
        case ColumnType::kText:
        case ColumnType::kJson:
            return PgType::kText;
        case ColumnType::kBlob:
            return PgType::kBytea;
    }
    return PgType::kText;
}

[[noreturn]] void BadValue(const TableSpec& t, const ColumnSpec& c) {
    throw DbError("store copy: unexpected value type for " + std::string(t.name) + "." + std::string(c.name));
}

void AddValue(Params& p, const TableSpec& t, const ColumnSpec& c, const Value& v) {
    if (std::holds_alternative<std::monostate>(v)) {
        p.AddNull(ParamType(c.type));
        return;
    }
    switch (c.type) {
        case ColumnType::kInt:
        case ColumnType::kBool:
        case ColumnType::kTime: {
            const auto* i = std::get_if<std::int64_t>(&v);
            if (!i) BadValue(t, c);
            if (c.type == ColumnType::kInt)
                p.Add(*i);
            else if (c.type == ColumnType::kBool)
                p.Add(*i != 0);
            else
                p.AddTime(*i);
            return;
        }
        case ColumnType::kReal: {
            const auto* d = std::get_if<double>(&v);
            if (!d) BadValue(t, c);
            p.Add(*d);
            return;
        }
        case ColumnType::kText:
        case ColumnType::kJson:
        case ColumnType::kBlob: {
            const auto* s = std::get_if<std::string>(&v);
            if (!s) BadValue(t, c);
            if (c.type == ColumnType::kBlob) {
                p.AddBytes({reinterpret_cast<const std::uint8_t*>(s->data()), s->size()});
            } else {
                p.Add(std::string_view(*s));
            }
            return;
        }
    }
}

Value ReadValue(const Result& r, int col, ColumnType type) {
    if (r.IsNull(0, col)) return std::monostate{};
    switch (type) {
        case ColumnType::kInt:
            return r.Int(0, col);
        case ColumnType::kBool:
            return std::int64_t{r.Bool(0, col) ? 1 : 0};
        case ColumnType::kTime:
            return r.Time(0, col);
        case ColumnType::kReal:
            return r.Double(0, col);
        case ColumnType::kText:
        case ColumnType::kJson:
            return r.Text(0, col);
        case ColumnType::kBlob: {
            auto bytes = r.Bytes(0, col);
            return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        }
    }
    return std::monostate{};
}

class PgRowStream final : public storage::RowStream {
  public:
    PgRowStream(const TableSpec& table, postgres::RowStream rows) : table_(table), rows_(std::move(rows)) {}
    bool Next(Row& row) override {
        auto r = rows_.Next();
        if (!r) return false;
        row.resize(table_.columns.size());
        for (std::size_t i = 0; i < table_.columns.size(); ++i) {
            row[i] = ReadValue(*r, static_cast<int>(i), table_.columns[i].type);
        }
        return true;
    }

  private:
    const TableSpec& table_;
    postgres::RowStream rows_;
};

class PgTableReader final : public TableReader {
  public:
    explicit PgTableReader(const std::string& conninfo) : conn_(conninfo) {
        // One snapshot for every query of the reader, taken at its first statement (as pg_dump does).
        conn_.ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    }
    ~PgTableReader() override {
        try {
            conn_.ExecScript("ROLLBACK");
        } catch (...) {
            // The connection is closed next anyway.
        }
    }

    int SchemaVersion() override {
        auto exists = conn_.Exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
        if (!exists.Bool(0, 0)) return 0;
        auto r = conn_.Exec("SELECT coalesce(max(version), 0)::bigint FROM schema_migrations");
        return static_cast<int>(r.Int(0, 0));
    }

    std::vector<TableShape> Describe() override {
        auto r = conn_.Exec(
            "SELECT table_name::text, column_name::text FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name <> 'schema_migrations' "
            "ORDER BY table_name, ordinal_position");
        std::vector<TableShape> out;
        for (int i = 0; i < r.Rows(); ++i) {
            auto table = r.Text(i, 0);
            if (out.empty() || out.back().name != table) out.push_back({table, {}});
            out.back().columns.push_back(r.Text(i, 1));
        }
        return out;
    }

    std::unique_ptr<storage::RowStream> Scan(const TableSpec& t) override {
        auto rows = conn_.Stream("SELECT " + SelectList(t) + " FROM " + Quoted(t.name) + " ORDER BY " + KeyOrder(t));
        return std::make_unique<PgRowStream>(t, std::move(rows));
    }

  private:
    Connection conn_;
};

class PgTableWriter final : public TableWriter {
  public:
    explicit PgTableWriter(const std::string& conninfo) : conn_(conninfo) {}
    ~PgTableWriter() override {
        if (!open_) return;
        try {
            conn_.ExecScript("ROLLBACK");
        } catch (...) {
            // The server rolls back when the connection closes.
        }
    }

    void Upsert(const TableSpec& t, std::span<const Row> rows) override {
        Begin();
        while (!rows.empty()) {
            const std::size_t n = rows.size() >= kRowsPerInsert ? kRowsPerInsert : 1;
            Params p;
            for (std::size_t r = 0; r < n; ++r) {
                if (rows[r].size() != t.columns.size()) BadValue(t, t.columns.front());
                for (std::size_t c = 0; c < t.columns.size(); ++c) AddValue(p, t, t.columns[c], rows[r][c]);
            }
            conn_.Exec(UpsertSql(t, n), p);
            rows = rows.subspan(n);
        }
    }

    void Delete(const TableSpec& t, std::span<const Row> keys) override {
        Begin();
        std::string sql = "DELETE FROM " + Quoted(t.name) + " WHERE ";
        for (std::size_t i = 0; i < t.key_columns; ++i) {
            if (i > 0) sql += " AND ";
            sql += Quoted(t.columns[i].name) + " = $" + std::to_string(i + 1);
        }
        for (const auto& key : keys) {
            Params p;
            for (std::size_t i = 0; i < t.key_columns; ++i) AddValue(p, t, t.columns[i], key.at(i));
            conn_.Exec(sql, p);
        }
    }

    void Finish(const TableSpec& t) override {
        if (!t.generated_key) return;
        Begin();
        const std::string table = Quoted(t.name), column = Quoted(t.columns.front().name);
        // The next generated key follows the highest copied one.
        conn_.Exec(
            "SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(" + column + "), 0) + 1, false) FROM " + table,
            Params().Add(std::string(t.name)).Add(std::string(t.columns.front().name)));
    }

    void Commit() override {
        if (!open_) return;
        conn_.ExecScript("COMMIT");
        open_ = false;
    }

  private:
    void Begin() {
        if (open_) return;
        conn_.ExecScript("BEGIN");
        open_ = true;
    }

    const std::string& UpsertSql(const TableSpec& t, std::size_t rows) {
        auto key = std::string(t.name) + "/" + std::to_string(rows);
        auto it = sql_.find(key);
        if (it != sql_.end()) return it->second;
        std::string columns, update;
        for (std::size_t c = 0; c < t.columns.size(); ++c) {
            if (c > 0) columns += ", ";
            columns += Quoted(t.columns[c].name);
            if (c >= t.key_columns) {
                if (!update.empty()) update += ", ";
                update += Quoted(t.columns[c].name) + " = excluded." + Quoted(t.columns[c].name);
            }
        }
        std::string conflict;
        for (std::size_t c = 0; c < t.key_columns; ++c) {
            if (c > 0) conflict += ", ";
            conflict += Quoted(t.columns[c].name);
        }
        std::string sql = "INSERT INTO " + Quoted(t.name) + " (" + columns + ") VALUES ";
        int param = 1;
        for (std::size_t r = 0; r < rows; ++r) {
            sql += r == 0 ? "(" : ", (";
            for (std::size_t c = 0; c < t.columns.size(); ++c) {
                if (c > 0) sql += ", ";
                sql.append(1, '$').append(std::to_string(param++));
                if (t.columns[c].type == ColumnType::kJson) sql += "::jsonb";
            }
            sql += ")";
        }
        sql += " ON CONFLICT (" + conflict + ") DO " + (update.empty() ? "NOTHING" : "UPDATE SET " + update);
        return sql_.emplace(std::move(key), std::move(sql)).first->second;
    }

    Connection conn_;
    bool open_ = false;
    std::unordered_map<std::string, std::string> sql_;
};

}  // namespace

std::unique_ptr<TableReader> OpenTableReader(const std::string& conninfo) {
    return std::make_unique<PgTableReader>(conninfo);
}

std::unique_ptr<TableWriter> OpenTableWriter(const std::string& conninfo) {
    return std::make_unique<PgTableWriter>(conninfo);
}

}  // namespace evni::storage::postgres
