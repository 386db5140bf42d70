#pragma once

// Copying a whole store from one database to another (`evni store copy`), e.g. SQLite to
// PostgreSQL and back. Works through the row seam of storage/table_io.h, so it is the same code for
// every pair of backends:
//
//   1. Refuses (CopyRefused, before any write) unless the source's schema version is the one this
//      binary knows (a newer source needs a newer binary; an older one `evni migrate` first), the
//      target is migrated to it, and both databases have exactly the tables and columns of
//      CopyTables().
//   2. With delete_extra: deletes the target rows whose key the source does not have, children first.
//   3. For each table, parents first: merges the source rows (one read snapshot for all tables) with
//      the target rows, both in key order. A row the target lacks is inserted ("copied"), one that
//      differs is overwritten ("updated"), an identical one is left alone ("skipped"), one only the
//      target has is counted ("extra"). Writes are committed every batch_rows rows, so an
//      interrupted copy leaves whole batches behind and running it again completes it.
//   4. Verifies: re-reads every target table and compares its row count and checksum (SHA-256 over
//      a canonical serialisation of the rows in key order) with the source's.
//
// Rows are compared and hashed in a backend-neutral form: integers, booleans (0/1) and timestamps
// (epoch ms) as 64-bit integers, reals by their IEEE bits, text and bytes as they are, and JSON
// columns re-serialised canonically (keys sorted, no whitespace, integral numbers as integers), since
// PostgreSQL's jsonb reorders keys and respaces the text SQLite keeps verbatim.

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/store.h"

namespace evni::storage {

// The copy cannot start (schema version, unknown table); nothing was written.
class CopyRefused : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct CopyOptions {
    // Delete the target's rows that the source does not have, making the target an exact copy.
    // Off by default: the target should be empty or an earlier copy of the same source, and a
    // target with rows of its own is reported (extra rows, checksum mismatch) rather than changed.
    bool delete_extra = false;
    // Rows (and at most 32 MiB of them) per target transaction.
    std::size_t batch_rows = 2000;
    // Receives one line per finished step (e.g. for stderr); may be empty.
    std::function<void(const std::string&)> progress;
};

struct TableCopyReport {
    std::string table;
    std::int64_t source_rows = 0;
    std::int64_t copied = 0;   // not in the target before: inserted
    std::int64_t updated = 0;  // in the target with other content: overwritten
    std::int64_t skipped = 0;  // already in the target, identical
    std::int64_t extra = 0;    // only in the target (left alone unless delete_extra)
    std::int64_t deleted = 0;  // extra rows deleted (delete_extra)
    std::int64_t target_rows = 0;
    std::string source_checksum;  // lowercase hex SHA-256
    std::string target_checksum;
    bool Match() const { return source_rows == target_rows && source_checksum == target_checksum; }
};

struct CopyReport {
    int schema_version = 0;
    std::vector<TableCopyReport> tables;
    double seconds = 0;
    bool Ok() const {
        for (const auto& t : tables) {
            if (!t.Match()) return false;
        }
        return true;
    }
};

class StoreCopier {
  public:
    // `target` must be migrated already (the caller opens it and runs Migrate()). `source` is only
    // read, through one snapshot: writes to it during the copy are not included.
    StoreCopier(Store& source, Store& target, CopyOptions options = {});
    // Throws CopyRefused before writing anything when the stores cannot be copied; other errors
    // (a database failure) leave the committed batches in place.
    CopyReport Run();

  private:
    friend void CheckCopySource(Store& source);
    static void CheckSchema(TableReader& reader, const Store& store, const char* which, int* version);
    void DeleteExtra(TableReader& source, CopyReport& report);
    void CopyTable(const TableSpec& table, TableReader& source, TableReader& target, TableWriter& writer,
                   TableCopyReport& out);

    Store& source_;
    Store& target_;
    CopyOptions options_;
};

// The checks Run() makes on the source (schema version, catalogue), for callers that want to refuse
// before they open or migrate the target. Throws CopyRefused.
void CheckCopySource(Store& source);

// The canonical bytes of a row (what copies compare and checksums hash); exposed for tests.
std::string CanonicalRow(const TableSpec& table, const Row& row);

}  // namespace evni::storage
