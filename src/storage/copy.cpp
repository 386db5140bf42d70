#include "storage/copy.h"

#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

namespace evni::storage {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxBatchBytes = 32u << 20;

// ------------------------------------------------------------------------------------------ canonical form

void AppendU64(std::string& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void CanonicalJson(const json::value& v, std::string& out) {
    switch (v.kind()) {
        case json::kind::null:
            out += "null";
            return;
        case json::kind::bool_:
            out += v.get_bool() ? "true" : "false";
            return;
        case json::kind::int64:
            out += std::to_string(v.get_int64());
            return;
        case json::kind::uint64:
            out += std::to_string(v.get_uint64());
            return;
        case json::kind::double_: {
            // jsonb keeps numbers as decimals ("100"), the API may have written them as doubles
            // ("1E2"): integral values within the exact range of a double are written as integers.
            const double d = v.get_double();
            if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) {
                out += std::to_string(static_cast<std::int64_t>(d));
            } else {
                char buf[40];
                std::snprintf(buf, sizeof buf, "%.17g", d);
                out += buf;
            }
            return;
        }
        case json::kind::string:
            out += json::serialize(v.get_string());
            return;
        case json::kind::array: {
            out += '[';
            bool first = true;
            for (const auto& item : v.get_array()) {
                if (!first) out += ',';
                first = false;
                CanonicalJson(item, out);
            }
            out += ']';
            return;
        }
        case json::kind::object: {
            std::vector<const json::key_value_pair*> members;
            for (const auto& kv : v.get_object()) members.push_back(&kv);
            std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) { return a->key() < b->key(); });
            out += '{';
            bool first = true;
            for (const auto* kv : members) {
                if (!first) out += ',';
                first = false;
                out += json::serialize(kv->key());
                out += ':';
                CanonicalJson(kv->value(), out);
            }
            out += '}';
            return;
        }
    }
}

void AppendBytes(std::string& out, char tag, std::string_view bytes) {
    out.push_back(tag);
    AppendU64(out, bytes.size());
    out.append(bytes);
}

void AppendValue(std::string& out, const TableSpec& t, const ColumnSpec& c, const Value& v) {
    if (std::holds_alternative<std::monostate>(v)) {
        out.push_back('N');
        return;
    }
    const auto fail = [&]() {
        throw std::runtime_error("store copy: unexpected value type for " + std::string(t.name) + "." +
                                 std::string(c.name));
    };
    switch (c.type) {
        case ColumnType::kInt:
        case ColumnType::kBool:
        case ColumnType::kTime: {
            const auto* i = std::get_if<std::int64_t>(&v);
            if (!i) fail();
            out.push_back('I');
            AppendU64(out, static_cast<std::uint64_t>(*i));
            return;
        }
        case ColumnType::kReal: {
            const auto* d = std::get_if<double>(&v);
            if (!d) fail();
            std::uint64_t bits;
            std::memcpy(&bits, d, sizeof bits);
            out.push_back('R');
            AppendU64(out, bits);
            return;
        }
        case ColumnType::kText:
        case ColumnType::kBlob: {
            const auto* s = std::get_if<std::string>(&v);
            if (!s) fail();
            AppendBytes(out, 'S', *s);
            return;
        }
        case ColumnType::kJson: {
            const auto* s = std::get_if<std::string>(&v);
            if (!s) fail();
            boost::system::error_code ec;
            auto parsed = json::parse(*s, ec);
            std::string canonical;
            if (ec) {
                canonical = "!" + *s;  // not JSON: compared verbatim
            } else {
                CanonicalJson(parsed, canonical);
            }
            AppendBytes(out, 'J', canonical);
            return;
        }
    }
}

// ------------------------------------------------------------------------------------------ keys, hashing

int CompareValues(const Value& a, const Value& b) {
    if (const auto* x = std::get_if<std::int64_t>(&a)) {
        if (const auto* y = std::get_if<std::int64_t>(&b)) return *x < *y ? -1 : (*x > *y ? 1 : 0);
    } else if (const auto* x = std::get_if<std::string>(&a)) {
        // std::char_traits<char> compares as unsigned char: bytewise, like SQLite BINARY and "C".
        if (const auto* y = std::get_if<std::string>(&b)) return x->compare(*y) < 0 ? -1 : (x->compare(*y) > 0 ? 1 : 0);
    }
    throw std::runtime_error("store copy: a key column holds NULL, a real, or values of different types");
}

int CompareKeys(const TableSpec& t, const Row& a, const Row& b) {
    for (std::size_t i = 0; i < t.key_columns; ++i) {
        if (int c = CompareValues(a[i], b[i]); c != 0) return c;
    }
    return 0;
}

std::string DescribeKey(const TableSpec& t, const Row& row) {
    std::string out;
    for (std::size_t i = 0; i < t.key_columns && i < row.size(); ++i) {
        if (i > 0) out += ", ";
        out += std::string(t.columns[i].name) + "=";
        if (const auto* n = std::get_if<std::int64_t>(&row[i])) {
            out += std::to_string(*n);
        } else if (const auto* s = std::get_if<std::string>(&row[i])) {
            out += *s;
        }
    }
    return out;
}

class Sha256 {
  public:
    Sha256() { crypto_hash_sha256_init(&state_); }
    void Update(std::string_view bytes) {
        crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    }
    std::string HexDigest() {
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256_final(&state_, digest);
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
        return hex;
    }

  private:
    crypto_hash_sha256_state state_;
};

// A table's rows in key order, checked to be strictly ascending (both sides of a merge must agree
// on the order, or rows would be mistaken for missing ones).
class Cursor {
  public:
    Cursor(const TableSpec& t, std::unique_ptr<RowStream> stream, const char* side)
        : t_(t), stream_(std::move(stream)), side_(side) {
        Advance();
    }
    bool valid() const { return valid_; }
    const Row& row() const { return row_; }
    // Moves the current row out; call Advance() next.
    Row Take() {
        SaveKey();
        taken_ = true;
        return std::move(row_);
    }
    void Advance() {
        if (!taken_) SaveKey();
        taken_ = false;
        valid_ = stream_->Next(row_);
        if (!valid_) return;
        if (row_.size() != t_.columns.size())
            throw std::runtime_error("store copy: short row in " + std::string(t_.name));
        if (!previous_.empty() && CompareKeys(t_, previous_, row_) >= 0) {
            throw std::runtime_error("store copy: the " + std::string(side_) + " rows of " + std::string(t_.name) +
                                     " are not in strictly ascending key order at " + DescribeKey(t_, row_));
        }
    }

  private:
    void SaveKey() {
        if (valid_) previous_.assign(row_.begin(), row_.begin() + static_cast<std::ptrdiff_t>(t_.key_columns));
    }

    const TableSpec& t_;
    std::unique_ptr<RowStream> stream_;
    const char* side_;
    Row row_;
    Row previous_;
    bool valid_ = false;
    bool taken_ = false;
};

// Rows waiting to be written, flushed (and committed) by size.
class Batch {
  public:
    Batch(TableWriter& writer, const TableSpec& t, std::size_t max_rows) : w_(writer), t_(t), max_rows_(max_rows) {}
    void Upsert(Row row, std::size_t bytes) {
        rows_.push_back(std::move(row));
        bytes_ += bytes;
        if (rows_.size() >= max_rows_ || bytes_ >= kMaxBatchBytes) Flush();
    }
    void Delete(Row key) {
        deletes_.push_back(std::move(key));
        if (deletes_.size() >= max_rows_) Flush();
    }
    void Flush() {
        if (!rows_.empty()) w_.Upsert(t_, rows_);
        if (!deletes_.empty()) w_.Delete(t_, deletes_);
        w_.Commit();
        rows_.clear();
        deletes_.clear();
        bytes_ = 0;
    }

  private:
    TableWriter& w_;
    const TableSpec& t_;
    std::size_t max_rows_;
    std::vector<Row> rows_;
    std::vector<Row> deletes_;
    std::size_t bytes_ = 0;
};

}  // namespace

std::string CanonicalRow(const TableSpec& table, const Row& row) {
    std::string out;
    for (std::size_t i = 0; i < table.columns.size(); ++i) AppendValue(out, table, table.columns[i], row.at(i));
    return out;
}

StoreCopier::StoreCopier(Store& source, Store& target, CopyOptions options)
    : source_(source), target_(target), options_(std::move(options)) {
    if (options_.batch_rows == 0) options_.batch_rows = 1;
}

void StoreCopier::CheckSchema(TableReader& reader, const Store& store, const char* which, int* version) {
    const int have = reader.SchemaVersion();
    const int known = store.KnownSchemaVersion();
    *version = have;
    const std::string side(which);
    if (have == 0) throw CopyRefused("the " + side + " database has no evni schema");
    if (have > known) {
        throw CopyRefused("the " + side + " database has schema version " + std::to_string(have) +
                          ", newer than this evni binary's " + std::to_string(known) + ": use a newer evni");
    }
    if (have < known) {
        throw CopyRefused(
            "the " + side + " database has schema version " + std::to_string(have) +
            ", older than this evni binary's " + std::to_string(known) +
            (side == "source" ? ": run `evni migrate --db SOURCE` first (store copy never writes to its source)" : ""));
    }
    // Every table and column must be one the catalogue knows, or the copy would silently drop data.
    std::map<std::string, std::set<std::string>> actual;
    for (auto& shape : reader.Describe()) actual[shape.name].insert(shape.columns.begin(), shape.columns.end());
    for (const auto& t : CopyTables()) {
        auto it = actual.find(std::string(t.name));
        if (it == actual.end()) throw CopyRefused("the " + side + " database has no table " + std::string(t.name));
        std::set<std::string> expected;
        for (const auto& c : t.columns) expected.emplace(c.name);
        for (const auto& c : expected) {
            if (!it->second.count(c)) {
                throw CopyRefused("the " + side + " table " + std::string(t.name) + " has no column " + c);
            }
        }
        for (const auto& c : it->second) {
            if (!expected.count(c)) {
                throw CopyRefused("the " + side + " table " + std::string(t.name) + " has a column " + c +
                                  " that store copy does not know (add it to CopyTables() in storage/table_io.cpp)");
            }
        }
        actual.erase(it);
    }
    if (!actual.empty()) {
        throw CopyRefused("the " + side + " database has a table " + actual.begin()->first +
                          " that store copy does not know (add it to CopyTables() in storage/table_io.cpp)");
    }
}

void CheckCopySource(Store& source) {
    auto reader = source.ReadTables();
    int version = 0;
    StoreCopier::CheckSchema(*reader, source, "source", &version);
}

CopyReport StoreCopier::Run() {
    const auto started = std::chrono::steady_clock::now();
    const auto& tables = CopyTables();
    CopyReport report;

    // One snapshot of the source for every step.
    auto source = source_.ReadTables();
    CheckSchema(*source, source_, "source", &report.schema_version);
    {
        auto target = target_.ReadTables();
        int target_version = 0;
        CheckSchema(*target, target_, "target", &target_version);
    }
    for (const auto& t : tables) {
        TableCopyReport r;
        r.table = t.name;
        report.tables.push_back(std::move(r));
    }

    if (options_.delete_extra) DeleteExtra(*source, report);

    {
        auto writer = target_.WriteTables();
        auto target = target_.ReadTables();
        for (std::size_t i = 0; i < tables.size(); ++i) {
            try {
                CopyTable(tables[i], *source, *target, *writer, report.tables[i]);
            } catch (const std::exception& e) {
                throw std::runtime_error("copying " + report.tables[i].table + ": " + e.what());
            }
        }
    }

    // Verification on a fresh snapshot of the target.
    auto target = target_.ReadTables();
    for (std::size_t i = 0; i < tables.size(); ++i) {
        auto& out = report.tables[i];
        Sha256 hash;
        std::int64_t rows = 0;
        for (Cursor c(tables[i], target->Scan(tables[i]), "target"); c.valid(); c.Advance()) {
            hash.Update(CanonicalRow(tables[i], c.row()));
            ++rows;
        }
        out.target_rows = rows;
        out.target_checksum = hash.HexDigest();
        if (options_.progress) {
            options_.progress(out.table + ": verified " + std::to_string(rows) + " rows, checksum " +
                              (out.Match() ? "matches" : "DIFFERS"));
        }
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

void StoreCopier::DeleteExtra(TableReader& source, CopyReport& report) {
    const auto& tables = CopyTables();
    auto writer = target_.WriteTables();
    auto target = target_.ReadTables();
    // Children first, so that no foreign key points at a deleted row.
    for (std::size_t i = tables.size(); i-- > 0;) {
        const auto& t = tables[i];
        Batch batch(*writer, t, options_.batch_rows);
        Cursor s(t, source.Scan(t), "source");
        Cursor d(t, target->Scan(t), "target");
        // Both streams are read to their end: stopping a PostgreSQL stream early would cancel its
        // query and with it the snapshot's transaction.
        while (s.valid() || d.valid()) {
            const int c = !d.valid() ? -1 : (!s.valid() ? 1 : CompareKeys(t, s.row(), d.row()));
            if (c < 0) {
                s.Advance();
            } else if (c == 0) {
                s.Advance();
                d.Advance();
            } else {
                Row key = d.Take();
                key.resize(t.key_columns);
                batch.Delete(std::move(key));
                ++report.tables[i].deleted;
                d.Advance();
            }
        }
        batch.Flush();
        if (options_.progress && report.tables[i].deleted > 0) {
            options_.progress(std::string(t.name) + ": deleted " + std::to_string(report.tables[i].deleted) +
                              " rows the source does not have");
        }
    }
}

void StoreCopier::CopyTable(const TableSpec& t, TableReader& source, TableReader& target, TableWriter& writer,
                            TableCopyReport& out) {
    Batch batch(writer, t, options_.batch_rows);
    Sha256 hash;
    Cursor s(t, source.Scan(t), "source");
    Cursor d(t, target.Scan(t), "target");
    while (s.valid() || d.valid()) {
        const int c = !s.valid() ? 1 : (!d.valid() ? -1 : CompareKeys(t, s.row(), d.row()));
        if (c > 0) {  // only in the target
            ++out.extra;
            d.Advance();
            continue;
        }
        std::string canonical = CanonicalRow(t, s.row());
        hash.Update(canonical);
        ++out.source_rows;
        if (c == 0) {
            if (CanonicalRow(t, d.row()) == canonical) {
                ++out.skipped;
            } else {
                ++out.updated;
                batch.Upsert(s.Take(), canonical.size());
            }
            d.Advance();
        } else {
            ++out.copied;
            batch.Upsert(s.Take(), canonical.size());
        }
        s.Advance();
    }
    batch.Flush();
    writer.Finish(t);
    writer.Commit();
    out.source_checksum = hash.HexDigest();
    if (options_.progress) {
        options_.progress(out.table + ": " + std::to_string(out.source_rows) + " rows: " + std::to_string(out.copied) +
                          " copied, " + std::to_string(out.updated) + " updated, " + std::to_string(out.skipped) +
                          " skipped, " + std::to_string(out.extra) + " only in the target");
    }
}

}  // namespace evni::storage
