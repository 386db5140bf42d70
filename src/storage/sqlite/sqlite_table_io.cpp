#include "storage/sqlite/sqlite_table_io.h"

#include <unordered_map>

#include "storage/sqlite/sqlite_db.h"

namespace evni::storage::sqlite {
namespace {

std::string Quoted(std::string_view identifier) {
    std::string out;
    out.reserve(identifier.size() + 2);
    out.append(1, '"').append(identifier).append(1, '"');
    return out;
}

[[noreturn]] void BadValue(const TableSpec& t, const ColumnSpec& c) {
    throw DbError("store copy: unexpected value type for " + std::string(t.name) + "." + std::string(c.name));
}

void BindValue(Statement& s, int index, const TableSpec& t, const ColumnSpec& c, const Value& v) {
    if (std::holds_alternative<std::monostate>(v)) {
        s.BindNull(index);
    } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
        if (c.type != ColumnType::kInt && c.type != ColumnType::kBool && c.type != ColumnType::kTime) BadValue(t, c);
        s.Bind(index, c.type == ColumnType::kBool ? std::int64_t{*i != 0} : *i);
    } else if (const auto* d = std::get_if<double>(&v)) {
        if (c.type != ColumnType::kReal) BadValue(t, c);
        s.Bind(index, *d);
    } else {
        const auto& str = std::get<std::string>(v);
        if (c.type == ColumnType::kBlob) {
            s.BindBlob(index, {reinterpret_cast<const std::uint8_t*>(str.data()), str.size()});
        } else if (c.type == ColumnType::kText || c.type == ColumnType::kJson) {
            s.Bind(index, std::string_view(str));
        } else {
            BadValue(t, c);
        }
    }
}

Value ReadValue(const Statement& s, int col, ColumnType type) {
    if (s.IsNull(col)) return std::monostate{};
    switch (type) {
        case ColumnType::kInt:
        case ColumnType::kTime:
            return s.Int(col);
        case ColumnType::kBool:
            return std::int64_t{s.Int(col) != 0};
        case ColumnType::kReal:
            return s.Double(col);
        case ColumnType::kText:
        case ColumnType::kJson:
            return s.Text(col);
        case ColumnType::kBlob: {
            auto bytes = s.Blob(col);
            return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        }
    }
    return std::monostate{};
}

class SqliteRowStream final : public RowStream {
  public:
    SqliteRowStream(const TableSpec& table, Statement statement) : table_(table), s_(std::move(statement)) {}
    bool Next(Row& row) override {
        if (!s_.Step()) return false;
        row.resize(table_.columns.size());
        for (std::size_t i = 0; i < table_.columns.size(); ++i) {
            row[i] = ReadValue(s_, static_cast<int>(i), table_.columns[i].type);
        }
        return true;
    }

  private:
    const TableSpec& table_;
    Statement s_;
};

class SqliteTableReader final : public TableReader {
  public:
    explicit SqliteTableReader(const std::string& path) : conn_(path, /*read_only=*/true) {
        // The snapshot is taken at the first read and kept until ROLLBACK.
        conn_.Exec("BEGIN");
    }
    ~SqliteTableReader() override {
        try {
            conn_.Exec("ROLLBACK");
        } catch (...) {
            // Closing the connection ends the transaction anyway.
        }
    }

    int SchemaVersion() override {
        auto exists =
            conn_.Prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
        exists.Step();
        if (exists.Int(0) == 0) return 0;
        exists.Reset();
        auto s = conn_.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
        s.Step();
        return static_cast<int>(s.Int(0));
    }

    std::vector<TableShape> Describe() override {
        auto s = conn_.Prepare(
            "SELECT m.name, p.name FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS p "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name <> 'schema_migrations' "
            "ORDER BY m.name, p.cid");
        std::vector<TableShape> out;
        while (s.Step()) {
            auto table = s.Text(0);
            if (out.empty() || out.back().name != table) out.push_back({table, {}});
            out.back().columns.push_back(s.Text(1));
        }
        return out;
    }

    std::unique_ptr<RowStream> Scan(const TableSpec& t) override {
        std::string columns, order;
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (i > 0) columns += ", ";
            columns += Quoted(t.columns[i].name);
        }
        for (std::size_t i = 0; i < t.key_columns; ++i) {
            if (i > 0) order += ", ";
            order += Quoted(t.columns[i].name);
            if (t.columns[i].type == ColumnType::kText) order += " COLLATE BINARY";
        }
        return std::make_unique<SqliteRowStream>(
            t, conn_.Prepare("SELECT " + columns + " FROM " + Quoted(t.name) + " ORDER BY " + order));
    }

  private:
    Connection conn_;
};

class SqliteTableWriter final : public TableWriter {
  public:
    SqliteTableWriter(Connection& c, std::unique_lock<std::mutex> lock) : c_(c), lock_(std::move(lock)) {}
    ~SqliteTableWriter() override {
        if (!open_) return;
        try {
            c_.Exec("ROLLBACK");
        } catch (...) {
            // SQLite already rolled back (e.g. after an I/O error).
        }
    }

    void Upsert(const TableSpec& t, std::span<const Row> rows) override {
        Begin();
        const std::string& sql = UpsertSql(t);
        for (const auto& row : rows) {
            if (row.size() != t.columns.size()) BadValue(t, t.columns.front());
            auto s = c_.Prepare(sql);
            for (std::size_t c = 0; c < t.columns.size(); ++c) {
                BindValue(s, static_cast<int>(c + 1), t, t.columns[c], row[c]);
            }
            s.Run();
        }
    }

    void Delete(const TableSpec& t, std::span<const Row> keys) override {
        Begin();
        std::string sql = "DELETE FROM " + Quoted(t.name) + " WHERE ";
        for (std::size_t i = 0; i < t.key_columns; ++i) {
            if (i > 0) sql += " AND ";
            sql += Quoted(t.columns[i].name) + " = ?" + std::to_string(i + 1);
        }
        for (const auto& key : keys) {
            auto s = c_.Prepare(sql);
            for (std::size_t i = 0; i < t.key_columns; ++i)
                BindValue(s, static_cast<int>(i + 1), t, t.columns[i], key.at(i));
            s.Run();
        }
    }

    // A rowid key needs nothing: SQLite hands out max(rowid) + 1 next.
    void Finish(const TableSpec&) override {}

    void Commit() override {
        if (!open_) return;
        c_.Exec("COMMIT");
        open_ = false;
    }

  private:
    void Begin() {
        if (open_) return;
        c_.Exec("BEGIN IMMEDIATE");
        open_ = true;
    }

    const std::string& UpsertSql(const TableSpec& t) {
        auto it = sql_.find(std::string(t.name));
        if (it != sql_.end()) return it->second;
        std::string columns, values, conflict, update;
        for (std::size_t c = 0; c < t.columns.size(); ++c) {
            const auto name = Quoted(t.columns[c].name);
            columns += (c > 0 ? ", " : "") + name;
            values += (c > 0 ? ", ?" : "?") + std::to_string(c + 1);
            if (c < t.key_columns) {
                conflict += (c > 0 ? ", " : "") + name;
            } else {
                update += (update.empty() ? "" : ", ") + name + " = excluded." + name;
            }
        }
        std::string sql = "INSERT INTO " + Quoted(t.name) + " (" + columns + ") VALUES (" + values + ") ON CONFLICT (" +
                          conflict + ") DO " + (update.empty() ? "NOTHING" : "UPDATE SET " + update);
        return sql_.emplace(std::string(t.name), std::move(sql)).first->second;
    }

    Connection& c_;
    std::unique_lock<std::mutex> lock_;
    bool open_ = false;
    std::unordered_map<std::string, std::string> sql_;
};

}  // namespace

std::unique_ptr<TableReader> OpenTableReader(const std::string& path) {
    return std::make_unique<SqliteTableReader>(path);
}

std::unique_ptr<TableWriter> OpenTableWriter(Connection& writer, std::unique_lock<std::mutex> lock) {
    return std::make_unique<SqliteTableWriter>(writer, std::move(lock));
}

}  // namespace evni::storage::sqlite
