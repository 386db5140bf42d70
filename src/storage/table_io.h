#pragma once

// Row-level access to whole tables, for copying a store between backends (`evni store copy`, see
// storage/copy.h). The catalogue (CopyTables) names every table of the schema with its columns in
// portable types; each backend streams rows of a catalogue table in key order out of one snapshot
// (TableReader) and upserts or deletes rows by key (TableWriter). The backends know nothing of the
// copy itself (merging, checksums, reports): that lives in storage/copy.cpp.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace evni::storage {

// Portable column types. Each maps to one Value alternative:
//   kInt, kBool (0/1), kTime (epoch milliseconds) -> std::int64_t
//   kReal                                          -> double
//   kText, kJson (the JSON text), kBlob (bytes)    -> std::string
enum class ColumnType { kInt, kBool, kTime, kReal, kText, kJson, kBlob };

struct ColumnSpec {
    std::string_view name;
    ColumnType type;
};

struct TableSpec {
    std::string_view name;
    std::vector<ColumnSpec> columns;
    // The first `key_columns` columns are the primary key; rows are streamed in key order (integers
    // numerically, text bytewise, i.e. SQLite's BINARY and PostgreSQL's "C" collation).
    std::size_t key_columns = 1;
    // The key is one integer the database generates (SQLite rowid, PostgreSQL bigserial): after
    // writing rows with explicit keys, a PostgreSQL target advances the column's sequence past them.
    bool generated_key = false;
};

// Every table of the schema, parents before children (the order rows can be inserted in with
// foreign keys on). A new table in a migration is one more entry here, in both dialects' migrations
// with the same columns; storage_copy_test checks the catalogue against the migrated schemas.
const std::vector<TableSpec>& CopyTables();

using Value = std::variant<std::monostate, std::int64_t, double, std::string>;
using Row = std::vector<Value>;  // one Value per column of the TableSpec, in its order

// Rows of one table in key order.
class RowStream {
  public:
    virtual ~RowStream() = default;
    // Fills `row` with the next row; false after the last one.
    virtual bool Next(Row& row) = 0;
};

// The actual schema of a database: table name and its column names.
struct TableShape {
    std::string name;
    std::vector<std::string> columns;
};

// One consistent, read-only snapshot of a whole database (writes committed after it was opened are
// not seen). At most one RowStream may be open at a time.
class TableReader {
  public:
    virtual ~TableReader() = default;
    // The highest applied migration (0 when the database has no schema yet).
    virtual int SchemaVersion() = 0;
    // Every table except schema_migrations, with its columns.
    virtual std::vector<TableShape> Describe() = 0;
    virtual std::unique_ptr<RowStream> Scan(const TableSpec& table) = 0;
};

// Writes rows by key. Nothing is visible to others before Commit(); destroying the writer rolls
// back what was not committed.
class TableWriter {
  public:
    virtual ~TableWriter() = default;
    // Inserts each row, or replaces every column of the row with the same key.
    virtual void Upsert(const TableSpec& table, std::span<const Row> rows) = 0;
    // Deletes the rows whose key columns equal the first key_columns values of each row.
    virtual void Delete(const TableSpec& table, std::span<const Row> keys) = 0;
    // Called once after the last write to a table (PostgreSQL: advances a generated key's sequence).
    virtual void Finish(const TableSpec& table) = 0;
    // Commits the writes so far; later writes start a new transaction.
    virtual void Commit() = 0;
};

}  // namespace evni::storage
