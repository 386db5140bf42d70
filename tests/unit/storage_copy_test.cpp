// `evni store copy` at the storage level (storage/copy.h): the table catalogue matches the migrated
// schema of both backends, and a store copied from SQLite to the parameter's backend and back to a
// fresh SQLite file reads back identical through the repositories; re-runs skip, resume, update and
// (on request) delete. The API-level test is tests/api/test_store_copy.py.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "storage/copy.h"
#include "storage/postgres/pg_db.h"
#include "storage/sqlite/sqlite_db.h"
#include "storage_test_backend.h"

namespace evni::storage {
namespace {

using domain::EpochMs;
using testing::Backend;

constexpr EpochMs kT0 = 1772186400123LL;  // 2026-02-27T10:00:00.123Z

// Fills a store with one of everything, in two tenants.
void Populate(Store& store) {
    auto tx = store.Begin(TxMode::kWrite);
    for (const std::string t : {"t1", "t2"}) {
        tx->Tenants().Insert({t, "tenant " + t, kT0});
        domain::Organization o;
        o.id = "org-" + t;
        o.tenant_id = t;
        o.name = "Org \"" + t + "\" \xC3\xA9";
        o.tariff_per_kwh = 0.1 + 0.2;
        o.currency = "EUR";
        o.time_zone = "Europe/Amsterdam";
        o.created_at = kT0;
        o.updated_at = kT0 + 5;
        tx->Organizations().Save(o);
        domain::ApiKey k;
        k.id = "key-" + t;
        k.tenant_id = t;
        k.prefix = "pre" + t;
        k.secret_hash = "hash" + t;
        k.name = "admin";
        k.role = domain::Role::kAdmin;
        k.created_at = kT0;
        k.expires_at = kT0 + 86'400'000;
        tx->ApiKeys().Insert(k);
        tx->Members().Insert({t, "user-" + t, t + "@example.com", domain::Role::kMember, kT0 + 1, "admin@" + t});
        tx->Jobs().Enqueue({t, "webhook.deliver", R"({"delivery":"d-)" + t + R"("})", kT0 + 9, "dedupe-" + t}, kT0);
        tx->Members().InsertInvitation({"inv-" + t, t, "new@" + t, domain::Role::kViewer, "tok" + t, "admin", kT0,
                                        kT0 + 7 * 86'400'000, std::nullopt, std::nullopt});
        tx->Audit().Append({0, t, kT0 + 2, "admin", "member.invited", "invitation", "inv-" + t,
                            R"({"role":"viewer","email":"new@)" + t + R"(","n":1E2,"x":[0.5,true,null]})"});
        for (int i = 0; i < 3; ++i) {
            SessionRecord r;
            r.tenant_id = t;
            r.session_id = "s" + std::to_string(i);
            r.station_id = "CP-" + std::to_string(i % 2);
            r.connector_id = "1";
            r.metadata_json = R"({"b":1,"a":[1,2.5,"x"],"nested":{"k":null}})";
            r.created_at = r.updated_at = kT0 + i;
            r.started_at = kT0 - 1;
            r.value_count = 2;
            r.next_chunk = 2;
            r.is_anomaly = i == 1;
            r.anomaly_score = 1.0 / 3.0;
            r.analysis_state = {0, 1, 255, static_cast<std::uint8_t>(i)};
            tx->Sessions().Insert(r);
            tx->Sessions().RegisterStation(r, kT0);
            tx->Sessions().AppendChunk(r, 0,
                                       domain::MeterValues{{kT0, 1.5, "Energy.Active.Import.Register", "kWh",
                                                            std::nullopt, std::nullopt, false}});
            tx->Sessions().AppendChunk(r, 1,
                                       domain::MeterValues{{kT0 + 60'000, -0.0, "SoC", "Percent", "L1", "EV", true}});
            std::vector<analysis::Anomaly> anomalies = {
                {"KWH_DECREASE", 0.9, 0.8, {4, 7}, kT0 + 60'000, kT0 + 120'000}};
            tx->Sessions().ReplaceAnomalies(r, anomalies, kT0 + 3);
            if (i != 2) {
                tx->SocPriors().Upsert({r.tenant_id,
                                        r.pk,
                                        r.station_id,
                                        r.connector_id.value_or(""),
                                        {7.4 + i, 100.0 / 3.0, 0.25 * (i + 1), kT0 + i},
                                        kT0 + 4});
            }
            if (i != 2) {
                tx->ConnectorLimits().Upsert({r.tenant_id,
                                              r.pk,
                                              r.station_id,
                                              r.connector_id.value_or(""),
                                              {7.2 + i, i == 1 ? "" : "AC", i, kT0 + 60'000 + i},
                                              kT0 + 4});
            }
            tx->Explanations().Save({t, r.pk, "pl", "short", 1, "0123abcd", "Sesja \xC5\x82", "builtin", kT0 + 4});
            tx->Explanations().LogQuestion(
                {0, t, r.pk, kT0 + 5, "api-key:ops", "Ile energii?", "pl", "energy", "9,74 kWh", "builtin", i != 2});
        }
    }
    tx->Commit();
}

std::int64_t Sum(const CopyReport& r, std::int64_t TableCopyReport::*field) {
    std::int64_t n = 0;
    for (const auto& t : r.tables) n += t.*field;
    return n;
}

const TableCopyReport& Table(const CopyReport& r, const std::string& name) {
    for (const auto& t : r.tables) {
        if (t.table == name) return t;
    }
    throw std::runtime_error("no table " + name);
}

// Runs SQL on a test database behind the store's back (SQLite file path or PostgreSQL URL).
void Execute(Backend backend, const std::string& target, const std::string& sql) {
    if (backend == Backend::kSqlite) {
        sqlite::Connection c(target, false);
        c.Exec(sql);
    } else {
        postgres::Connection c(target);
        c.ExecScript(sql);
    }
}

class StorageCopyTest : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        source_db_ = std::make_unique<testing::TestDatabase>(Backend::kSqlite);
        middle_db_ = std::make_unique<testing::TestDatabase>(GetParam());
        back_db_ = std::make_unique<testing::TestDatabase>(Backend::kSqlite);
        if (middle_db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
    }
    std::unique_ptr<testing::TestDatabase> source_db_, middle_db_, back_db_;
};

TEST_P(StorageCopyTest, CatalogueMatchesTheMigratedSchema) {
    auto store = middle_db_->Open();
    EXPECT_NO_THROW(CheckCopySource(*store));
    // A table the catalogue does not know is refused, so that a new table cannot be left behind.
    Execute(GetParam(), middle_db_->Target(), "CREATE TABLE not_in_catalogue (id text PRIMARY KEY)");
    EXPECT_THROW(CheckCopySource(*store), CopyRefused);
}

TEST_P(StorageCopyTest, RoundTripIsIdenticalAndRerunsSkip) {
    auto source = source_db_->Open();
    Populate(*source);
    auto middle = middle_db_->Open();
    auto report = StoreCopier(*source, *middle).Run();
    ASSERT_TRUE(report.Ok());
    EXPECT_EQ(report.schema_version, source->KnownSchemaVersion());
    EXPECT_EQ(report.tables.size(), CopyTables().size());
    EXPECT_EQ(Table(report, "sessions").copied, 6);
    EXPECT_EQ(Table(report, "meter_chunks").copied, 12);
    EXPECT_EQ(Table(report, "session_anomalies").source_rows, 6);
    EXPECT_EQ(Table(report, "connectors").copied, 4);
    EXPECT_EQ(Table(report, "connector_soc_priors").copied, 4);
    EXPECT_EQ(Table(report, "connector_power_observations").copied, 4);
    EXPECT_EQ(Sum(report, &TableCopyReport::copied), Sum(report, &TableCopyReport::source_rows));

    // Again: nothing to do.
    auto again = StoreCopier(*source, *middle).Run();
    ASSERT_TRUE(again.Ok());
    EXPECT_EQ(Sum(again, &TableCopyReport::copied), 0);
    EXPECT_EQ(Sum(again, &TableCopyReport::updated), 0);
    EXPECT_EQ(Sum(again, &TableCopyReport::skipped), Sum(report, &TableCopyReport::source_rows));

    // Back to a fresh SQLite file: same checksums.
    auto back = back_db_->Open();
    auto returned = StoreCopier(*middle, *back).Run();
    ASSERT_TRUE(returned.Ok());
    for (std::size_t i = 0; i < report.tables.size(); ++i) {
        EXPECT_EQ(returned.tables[i].source_checksum, report.tables[i].source_checksum) << report.tables[i].table;
    }

    // The repositories read the same objects from all three.
    for (Store* store : {middle.get(), back.get()}) {
        auto a = source->Begin(TxMode::kRead);
        auto b = store->Begin(TxMode::kRead);
        for (const std::string t : {"t1", "t2"}) {
            auto sa = a->Sessions().Find(t, "s1"), sb = b->Sessions().Find(t, "s1");
            ASSERT_TRUE(sa && sb);
            EXPECT_EQ(sa->pk, sb->pk);
            EXPECT_EQ(boost::json::parse(*sa->metadata_json), boost::json::parse(*sb->metadata_json));
            EXPECT_EQ(sa->anomaly_score, sb->anomaly_score);
            EXPECT_EQ(sa->analysis_state, sb->analysis_state);
            EXPECT_EQ(sa->anomalies.size(), sb->anomalies.size());
            EXPECT_EQ(a->Sessions().LoadValues(*sa), b->Sessions().LoadValues(*sb));
            EXPECT_EQ(a->ApiKeys().FindByPrefix("pre" + t)->secret_hash,
                      b->ApiKeys().FindByPrefix("pre" + t)->secret_hash);
            EXPECT_EQ(a->Organizations().Find(t)->tariff_per_kwh, b->Organizations().Find(t)->tariff_per_kwh);
            EXPECT_EQ(a->Members().List(t).size(), 1u);
            EXPECT_EQ(b->Members().List(t).size(), 1u);
            EXPECT_EQ(b->Audit().List(t, 1, 10).items.at(0).id, a->Audit().List(t, 1, 10).items.at(0).id);
        }
    }

    // New rows in the copy get keys after the copied ones (PostgreSQL: the sequences were advanced).
    {
        auto tx = middle->Begin(TxMode::kWrite);
        SessionRecord r;
        r.tenant_id = "t1";
        r.session_id = "after-copy";
        r.station_id = "CP-9";
        r.created_at = r.updated_at = kT0;
        tx->Sessions().Insert(r);
        EXPECT_GT(r.pk, 6);
        tx->Audit().Append({0, "t1", kT0, "x", "y", "z", "w", std::nullopt});
        tx->Commit();
    }
}

TEST_P(StorageCopyTest, ResumesUpdatesAndDeletesExtraRowsOnRequest) {
    auto source = source_db_->Open();
    Populate(*source);
    auto middle = middle_db_->Open();
    ASSERT_TRUE(StoreCopier(*source, *middle).Run().Ok());

    // An interrupted copy (rows missing), a changed row, and a row only the target has.
    const bool pg = GetParam() == Backend::kPostgres;
    Execute(GetParam(), middle_db_->Target(),
            "DELETE FROM meter_chunks WHERE seq = 1; DELETE FROM session_anomalies; "
            "UPDATE sessions SET message = 'changed' WHERE session_id = 's2' AND tenant_id = 't1'; " +
                std::string(pg ? "INSERT INTO tenants VALUES ('t3', 'extra', now())"
                               : "INSERT INTO tenants VALUES ('t3', 'extra', 0)"));
    auto resumed = StoreCopier(*source, *middle).Run();
    EXPECT_EQ(Table(resumed, "meter_chunks").copied, 6);
    EXPECT_EQ(Table(resumed, "meter_chunks").skipped, 6);
    EXPECT_EQ(Table(resumed, "session_anomalies").copied, 6);
    EXPECT_EQ(Table(resumed, "sessions").updated, 1);
    EXPECT_EQ(Table(resumed, "tenants").extra, 1);
    EXPECT_FALSE(Table(resumed, "tenants").Match());
    EXPECT_TRUE(Table(resumed, "sessions").Match());
    EXPECT_FALSE(resumed.Ok());

    CopyOptions exact;
    exact.delete_extra = true;
    exact.batch_rows = 1;
    auto pruned = StoreCopier(*source, *middle, exact).Run();
    EXPECT_TRUE(pruned.Ok());
    EXPECT_EQ(Table(pruned, "tenants").deleted, 1);
    EXPECT_EQ(Sum(pruned, &TableCopyReport::copied), 0);
}

TEST_P(StorageCopyTest, RefusesASourceWithANewerSchema) {
    auto source = source_db_->Open();
    auto middle = middle_db_->Open();
    Execute(Backend::kSqlite, source_db_->Target(),
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)");
    try {
        StoreCopier(*source, *middle).Run();
        FAIL() << "expected CopyRefused";
    } catch (const CopyRefused& e) {
        EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
    }
}

TEST(StorageCopyCanonical, JsonIsComparedByContent) {
    const TableSpec t{"t", {{"k", ColumnType::kInt}, {"j", ColumnType::kJson}}};
    auto canonical = [&](std::string json) { return CanonicalRow(t, Row{std::int64_t{1}, std::move(json)}); };
    EXPECT_EQ(canonical(R"({"b":1E2,"a":[1,2.5,"\u00e9"]})"), canonical("{\"a\": [1, 2.5, \"\xC3\xA9\"], \"b\": 100}"));
    EXPECT_NE(canonical(R"({"a":1})"), canonical(R"({"a":2})"));
    EXPECT_NE(canonical(R"({"a":"1"})"), canonical(R"({"a":1})"));
    // Reals by their bits, NULL distinct from every value.
    const TableSpec r{"r", {{"k", ColumnType::kInt}, {"x", ColumnType::kReal}}};
    EXPECT_NE(CanonicalRow(r, Row{std::int64_t{1}, 0.0}), CanonicalRow(r, Row{std::int64_t{1}, -0.0}));
    EXPECT_NE(CanonicalRow(r, Row{std::int64_t{1}, 0.0}), CanonicalRow(r, Row{std::int64_t{1}, std::monostate{}}));
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageCopyTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace evni::storage
