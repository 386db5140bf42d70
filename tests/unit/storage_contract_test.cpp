// The repository contract, run on SQLite and on PostgreSQL: the same calls give the same results
// (round trips, filters, ordering, return values), plus the concurrency guarantees several nodes need.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "storage/migrations.h"
#include "storage/postgres/pg_db.h"
#include "storage_test_backend.h"

namespace evni::storage {
namespace {

using domain::EpochMs;
using testing::Backend;

constexpr EpochMs kT0 = 1772186400123LL;  // 2026-02-27T10:00:00.123Z

class StorageContractTest : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open();
        auto tx = store_->Begin(TxMode::kWrite);
        tx->Tenants().Insert({"t1", "one", kT0});
        tx->Tenants().Insert({"t2", "two", kT0});
        tx->Commit();
    }
    void TearDown() override {
        store_.reset();
        db_.reset();
    }
    bool Postgres() const { return GetParam() == Backend::kPostgres; }

    SessionRecord NewSession(const std::string& tenant, const std::string& id, const std::string& station,
                             EpochMs created) {
        SessionRecord r;
        r.tenant_id = tenant;
        r.session_id = id;
        r.station_id = station;
        r.connector_id = "1";
        r.created_at = created;
        r.updated_at = created;
        return r;
    }
    SessionRecord Insert(SessionRecord r) {
        auto tx = store_->Begin(TxMode::kWrite);
        tx->Sessions().Insert(r);
        tx->Commit();
        return r;
    }
    std::optional<SessionRecord> Find(const std::string& tenant, const std::string& id) {
        auto tx = store_->Begin(TxMode::kRead);
        auto r = tx->Sessions().Find(tenant, id);
        tx->Commit();
        return r;
    }
    std::vector<std::string> ListIds(const std::string& tenant, const SessionFilter& f, std::int64_t* total = nullptr) {
        auto tx = store_->Begin(TxMode::kRead);
        auto page = tx->Sessions().List(tenant, f);
        tx->Commit();
        if (total) *total = page.total_count;
        std::vector<std::string> ids;
        for (const auto& r : page.items) ids.push_back(r.session_id);
        return ids;
    }

    std::unique_ptr<testing::TestDatabase> db_;
    std::unique_ptr<Store> store_;
};

TEST_P(StorageContractTest, MigrateIsIdempotentAndReady) {
    EXPECT_EQ(store_->Migrate(), 0);
    EXPECT_TRUE(store_->Ready());
}

TEST_P(StorageContractTest, TimestampsRoundTripToTheMillisecond) {
    const EpochMs cases[] = {0,
                             1,
                             -1,
                             999,
                             -1001,
                             kT0,
                             253402300799999LL /* 9999-12-31T23:59:59.999Z */,
                             -62135596800000LL /* 0001-01-01 */};
    {
        auto tx = store_->Begin(TxMode::kWrite);
        int i = 0;
        for (EpochMs t : cases) tx->Tenants().Insert({"ts" + std::to_string(i++), "x", t});
        tx->Commit();
    }
    auto tx = store_->Begin(TxMode::kRead);
    int i = 0;
    for (EpochMs t : cases) {
        auto found = tx->Tenants().Find("ts" + std::to_string(i++));
        ASSERT_TRUE(found);
        EXPECT_EQ(found->created_at, t);
    }
    EXPECT_EQ(tx->Tenants().Count(), 2 + static_cast<std::int64_t>(std::size(cases)));
}

TEST_P(StorageContractTest, SessionRowRoundTrips) {
    auto r = NewSession("t1", "s1", "CP-1", kT0);
    r.evse_id = "EVSE-1";
    r.metadata_json = R"({"b":1,"a":[1,2.5,"x"],"nested":{"k":null}})";
    r.client_status = domain::ClientStatus::kCompleted;
    r.stop_reason = "EVDisconnected";
    r.started_at = kT0 - 5;
    r.ended_at = kT0 + 3'600'000;
    r.value_count = 7;
    r.next_chunk = 2;
    r.analyzed_at = kT0 + 1;
    r.message = "hello \"quoted\" \xC3\xA9";
    r.is_anomaly = true;
    r.anomaly_score = 0.1 + 0.2;  // not exactly representable in decimal
    r.anomaly_confidence = 1.0 / 3.0;
    r.is_incident = false;
    r.is_recurring = true;
    r.anomaly_count = 2;
    r.analysis_version = 3;
    r.analysis_state = {0, 1, 2, 255, 0, 128};
    r = Insert(r);
    EXPECT_GT(r.pk, 0);
    auto f = Find("t1", "s1");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->pk, r.pk);
    EXPECT_EQ(f->station_id, "CP-1");
    EXPECT_EQ(f->connector_id, "1");
    EXPECT_EQ(f->evse_id, "EVSE-1");
    ASSERT_TRUE(f->metadata_json);
    // jsonb may reorder keys and respace: compare as JSON.
    EXPECT_EQ(boost::json::parse(*f->metadata_json), boost::json::parse(*r.metadata_json));
    EXPECT_EQ(f->client_status, domain::ClientStatus::kCompleted);
    EXPECT_EQ(f->stop_reason, r.stop_reason);
    EXPECT_EQ(f->created_at, kT0);
    EXPECT_EQ(f->updated_at, kT0);
    EXPECT_EQ(f->started_at, r.started_at);
    EXPECT_EQ(f->ended_at, r.ended_at);
    EXPECT_EQ(f->value_count, 7);
    EXPECT_EQ(f->next_chunk, 2);
    EXPECT_EQ(f->analyzed_at, r.analyzed_at);
    EXPECT_FALSE(f->analysis_failed);
    EXPECT_EQ(f->message, r.message);
    EXPECT_EQ(f->is_anomaly, true);
    EXPECT_EQ(f->anomaly_score, r.anomaly_score);  // bit-exact
    EXPECT_EQ(f->anomaly_confidence, r.anomaly_confidence);
    EXPECT_EQ(f->is_incident, false);
    EXPECT_EQ(f->is_recurring, true);
    EXPECT_EQ(f->anomaly_count, 2);
    EXPECT_EQ(f->analysis_version, 3);
    EXPECT_EQ(f->analysis_state, r.analysis_state);

    // Update clears optional columns.
    f->metadata_json.reset();
    f->client_status = domain::ClientStatus::kNone;
    f->is_anomaly.reset();
    f->anomaly_score.reset();
    f->analysis_state.clear();
    f->analysis_failed = true;
    f->evse_id.reset();
    {
        auto tx = store_->Begin(TxMode::kWrite);
        tx->Sessions().Update(*f);
        tx->Commit();
    }
    auto g = Find("t1", "s1");
    ASSERT_TRUE(g);
    EXPECT_FALSE(g->metadata_json);
    EXPECT_EQ(g->client_status, domain::ClientStatus::kNone);
    EXPECT_FALSE(g->is_anomaly);
    EXPECT_FALSE(g->anomaly_score);
    EXPECT_TRUE(g->analysis_state.empty());
    EXPECT_TRUE(g->analysis_failed);
    EXPECT_FALSE(g->evse_id);
    // Another tenant never sees it.
    EXPECT_FALSE(Find("t2", "s1"));
}

TEST_P(StorageContractTest, ChunksAndAnomalies) {
    auto r = Insert(NewSession("t1", "c1", "CP-1", kT0));
    domain::MeterValues a = {{kT0, 1.5, "Energy.Active.Import.Register", "kWh", std::nullopt, std::nullopt, false},
                             {kT0 + 1, -0.0, "SoC", "Percent", "L1", "EV", true}};
    domain::MeterValues b = {{kT0 - 60'000, 1e300, std::nullopt, std::nullopt, std::nullopt, std::nullopt, false}};
    auto tx = store_->Begin(TxMode::kWrite);
    auto& s = tx->Sessions();
    EXPECT_TRUE(s.LoadLastChunk(r).empty());
    s.AppendChunk(r, 0, a);
    s.AppendChunk(r, 1, b);
    r.next_chunk = 2;
    domain::MeterValues all = a;
    all.insert(all.end(), b.begin(), b.end());
    EXPECT_EQ(s.LoadValues(r), all);
    EXPECT_EQ(s.LoadLastChunk(r), b);

    std::vector<analysis::Anomaly> anomalies = {{"KWH_DECREASE", 0.9, 0.8, {4, 7}, kT0 + 60'000, kT0 + 120'000},
                                                {"SOC_DECREASE", 0.5, 0.25, {0, 1}, kT0, kT0 + 30'000}};
    s.ReplaceAnomalies(r, anomalies, kT0);
    s.Update(r);
    tx->Commit();
    tx.reset();  // SQLite: the writer lock is held until the transaction object is gone

    auto f = Find("t1", "c1");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->anomalies, anomalies);  // in occurrence order

    auto tx2 = store_->Begin(TxMode::kWrite);
    tx2->Sessions().DeleteChunks(*f);
    tx2->Sessions().ReplaceAnomalies(*f, {}, kT0);
    EXPECT_TRUE(tx2->Sessions().LoadValues(*f).empty());
    tx2->Commit();
    EXPECT_TRUE(Find("t1", "c1")->anomalies.empty());
}

TEST_P(StorageContractTest, RecurrenceCountsOtherSessionsOnTheSameConnector) {
    auto with_anomaly = [&](const std::string& id, std::optional<std::string> connector, EpochMs at) {
        auto r = NewSession("t1", id, "CP-R", kT0);
        r.connector_id = std::move(connector);
        r = Insert(r);
        auto tx = store_->Begin(TxMode::kWrite);
        std::vector<analysis::Anomaly> a = {{"KWH_DECREASE", 0.9, 0.9, {0, 1}, at, at + 30'000},
                                            {"KWH_DECREASE", 0.7, 0.9, {5, 6}, at + 75'000, at + 105'000}};
        tx->Sessions().ReplaceAnomalies(r, a, at);
        tx->Commit();
        return r;
    };
    auto r1 = with_anomaly("r1", "1", kT0);
    with_anomaly("r2", "1", kT0 + 1000);
    with_anomaly("r3", "2", kT0 + 2000);
    auto n1 = with_anomaly("n1", std::nullopt, kT0);
    with_anomaly("n2", std::nullopt, kT0 + 5000);
    auto tx = store_->Begin(TxMode::kRead);
    auto& s = tx->Sessions();
    EXPECT_EQ(s.CountOtherSessionsWithCategory(r1, "KWH_DECREASE", kT0 - 10, kT0 + 10'000), 1);  // r2, not r3
    EXPECT_EQ(s.CountOtherSessionsWithCategory(r1, "KWH_DECREASE", kT0 + 1000, kT0 + 1000), 1);  // inclusive
    EXPECT_EQ(s.CountOtherSessionsWithCategory(r1, "KWH_DECREASE", kT0 + 1001, kT0 + 9000), 0);
    EXPECT_EQ(s.CountOtherSessionsWithCategory(r1, "SOC_DECREASE", kT0 - 10, kT0 + 10'000), 0);
    EXPECT_EQ(s.CountOtherSessionsWithCategory(n1, "KWH_DECREASE", kT0 - 10, kT0 + 10'000), 1);  // n2 only
}

TEST_P(StorageContractTest, ListFiltersSortsAndPages) {
    struct Row {
        const char* id;
        const char* station;
        const char* evse;
        std::optional<bool> anomaly;
        std::optional<double> score, confidence;
        EpochMs created;
        std::optional<EpochMs> started;
    };
    const Row rows[] = {
        {"a", "CP-1", "E1", true, 0.9, 0.8, kT0, kT0 - 1000},
        {"b", "CP-1", "E2", false, 0.1, 0.9, kT0 + 1, std::nullopt},
        {"c", "CP-2", "E1", std::nullopt, std::nullopt, std::nullopt, kT0 + 2, std::nullopt},
        {"d", "CP-2", "E3", true, 0.6, 0.5, kT0 + 2, kT0 + 10},  // same created_at as c: pk breaks the tie
        {"e", "CP-1", "E1", true, 0.7, 0.7, kT0 + 3, kT0 - 5000},
    };
    for (const auto& row : rows) {
        auto r = NewSession("t1", row.id, row.station, row.created);
        r.evse_id = row.evse;
        r.is_anomaly = row.anomaly;
        r.anomaly_score = row.score;
        r.anomaly_confidence = row.confidence;
        r.started_at = row.started;
        Insert(r);
    }
    Insert(NewSession("t2", "other", "CP-1", kT0 + 100));

    using Ids = std::vector<std::string>;
    std::int64_t total = 0;
    EXPECT_EQ(ListIds("t1", {}, &total), (Ids{"e", "d", "c", "b", "a"}));
    EXPECT_EQ(total, 5);
    SessionFilter f;
    f.station_id = "CP-1";
    EXPECT_EQ(ListIds("t1", f), (Ids{"e", "b", "a"}));
    f = {};
    f.evse_id = "E1";
    EXPECT_EQ(ListIds("t1", f), (Ids{"e", "c", "a"}));
    f = {};
    f.is_anomaly = true;
    EXPECT_EQ(ListIds("t1", f), (Ids{"e", "d", "a"}));
    f.is_anomaly = false;
    EXPECT_EQ(ListIds("t1", f), (Ids{"b"}));
    f = {};
    f.min_score = 0.7;
    EXPECT_EQ(ListIds("t1", f), (Ids{"e", "a"}));
    f = {};
    f.min_confidence = 0.8;
    EXPECT_EQ(ListIds("t1", f), (Ids{"b", "a"}));
    f = {};
    f.date_from = kT0 - 1000;  // started_at, else created_at
    f.date_to = kT0 + 2;
    EXPECT_EQ(ListIds("t1", f), (Ids{"c", "b", "a"}));
    f = {};
    f.station_id = "CP-1";
    f.is_anomaly = true;
    f.min_score = 0.5;
    f.min_confidence = 0.75;
    f.date_to = kT0;
    EXPECT_EQ(ListIds("t1", f), (Ids{"a"}));
    f = {};
    f.page_size = 2;
    f.page = 2;
    EXPECT_EQ(ListIds("t1", f, &total), (Ids{"c", "b"}));
    EXPECT_EQ(total, 5);
    f.page = 4;
    EXPECT_EQ(ListIds("t1", f, &total), Ids{});
    EXPECT_EQ(total, 5);
}

TEST_P(StorageContractTest, ApiKeys) {
    auto key = [](const std::string& id, const std::string& tenant, EpochMs created) {
        domain::ApiKey k;
        k.id = id;
        k.tenant_id = tenant;
        k.prefix = "p" + id;
        k.secret_hash = "h" + id;
        k.name = "n" + id;
        k.role = domain::Role::kMember;
        k.created_at = created;
        k.expires_at = created + 86'400'000;
        return k;
    };
    {
        auto tx = store_->Begin(TxMode::kWrite);
        tx->ApiKeys().Insert(key("k2", "t1", kT0));
        tx->ApiKeys().Insert(key("k1", "t1", kT0));
        tx->ApiKeys().Insert(key("k0", "t1", kT0 + 1));
        tx->ApiKeys().Insert(key("x", "t2", kT0));
        tx->Commit();
    }
    {
        auto tx = store_->Begin(TxMode::kWrite);
        auto& keys = tx->ApiKeys();
        auto list = keys.List("t1");
        ASSERT_EQ(list.size(), 3u);
        EXPECT_EQ(list[0].id, "k1");
        EXPECT_EQ(list[1].id, "k2");
        EXPECT_EQ(list[2].id, "k0");
        EXPECT_EQ(list[0].role, domain::Role::kMember);
        EXPECT_EQ(list[0].expires_at, kT0 + 86'400'000);
        EXPECT_FALSE(list[0].last_used_at);
        EXPECT_FALSE(keys.Revoke("t2", "k1", kT0));  // another tenant's key
        EXPECT_FALSE(keys.Revoke("t1", "nope", kT0));
        EXPECT_TRUE(keys.Revoke("t1", "k1", kT0 + 5));
        EXPECT_TRUE(keys.Revoke("t1", "k1", kT0 + 9));  // already revoked: still true, time kept
        keys.TouchLastUsed("t1", "k2", kT0 + 7);
        tx->Commit();
    }
    auto tx = store_->Begin(TxMode::kRead);
    auto k1 = tx->ApiKeys().FindByPrefix("pk1");
    ASSERT_TRUE(k1);
    EXPECT_EQ(k1->revoked_at, kT0 + 5);
    EXPECT_EQ(tx->ApiKeys().FindByPrefix("pk2")->last_used_at, kT0 + 7);
    EXPECT_FALSE(tx->ApiKeys().FindByPrefix("nope"));
}

TEST_P(StorageContractTest, UncommittedWorkRollsBack) {
    {
        auto tx = store_->Begin(TxMode::kWrite);
        tx->Tenants().Insert({"t3", "three", kT0});
        auto r = NewSession("t3", "s", "CP", kT0);
        tx->Sessions().Insert(r);
    }
    auto tx = store_->Begin(TxMode::kRead);
    EXPECT_FALSE(tx->Tenants().Find("t3"));
    EXPECT_FALSE(tx->Sessions().Find("t3", "s"));
}

// A write transaction that found a session holds it until it ends: a second writer of the same
// session (another thread, another connection, another node) waits.
TEST_P(StorageContractTest, WritersOfOneSessionSerialise) {
    Insert(NewSession("t1", "locked", "CP-1", kT0));
    auto first = store_->Begin(TxMode::kWrite);
    auto mine = first->Sessions().Find("t1", "locked");
    ASSERT_TRUE(mine);
    std::atomic<bool> second_found{false};
    std::int64_t seen_count = -1;
    std::thread second([&] {
        auto tx = store_->Begin(TxMode::kWrite);
        auto r = tx->Sessions().Find("t1", "locked");
        second_found = true;
        seen_count = r ? r->value_count : -2;
        tx->Commit();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(second_found.load());
    mine->value_count = 42;
    first->Sessions().Update(*mine);
    first->Commit();
    first.reset();
    second.join();
    EXPECT_TRUE(second_found.load());
    EXPECT_EQ(seen_count, 42);  // the second writer sees the first one's commit
}

// Two transactions insert the same new session: the loser gets TransientConflict (the services
// retry and then find the row). On SQLite writers are serialised before they can race.
TEST_P(StorageContractTest, ConcurrentInsertOfOneSessionIsATransientConflict) {
    if (!Postgres()) GTEST_SKIP() << "SQLite serialises writers";
    auto first = store_->Begin(TxMode::kWrite);
    auto r = NewSession("t1", "dup", "CP-1", kT0);
    first->Sessions().Insert(r);
    std::atomic<int> outcome{0};  // 1: conflict, 2: inserted, 3: other error
    std::thread second([&] {
        try {
            auto tx = store_->Begin(TxMode::kWrite);
            auto r2 = NewSession("t1", "dup", "CP-1", kT0);
            tx->Sessions().Insert(r2);  // waits for `first`, then fails
            tx->Commit();
            outcome = 2;
        } catch (const TransientConflict&) {
            outcome = 1;
        } catch (const std::exception&) {
            outcome = 3;
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(outcome.load(), 0);
    first->Commit();
    second.join();
    EXPECT_EQ(outcome.load(), 1);
    // A read-only transaction never blocks on the lock and sees the committed row.
    EXPECT_TRUE(Find("t1", "dup"));
}

TEST_P(StorageContractTest, ConnectionsBrokenByTheServerAreReplaced) {
    if (!Postgres()) GTEST_SKIP() << "PostgreSQL pool only";
    for (int i = 0; i < 3; ++i) {  // fill the pool with idle connections
        auto tx = store_->Begin(TxMode::kRead);
        tx->Commit();
    }
    {
        postgres::Connection admin(db_->Target());
        admin.Exec(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (int i = 0; i < 5; ++i) {
        auto tx = store_->Begin(TxMode::kRead);
        EXPECT_EQ(tx->Tenants().Count(), 2);
        tx->Commit();
    }
    EXPECT_TRUE(store_->Ready());
}

TEST_P(StorageContractTest, PoolAcquireTimesOut) {
    if (!Postgres()) GTEST_SKIP() << "PostgreSQL pool only";
    postgres::PostgresOptions o;
    o.conninfo = db_->Target();
    o.pool_size = 1;
    o.acquire_timeout = std::chrono::milliseconds(200);
    auto store = postgres::OpenPostgresStore(o);
    auto held = store->Begin(TxMode::kRead);
    auto t = std::chrono::steady_clock::now();
    EXPECT_THROW(store->Begin(TxMode::kRead), postgres::DbError);
    EXPECT_GE(std::chrono::steady_clock::now() - t, std::chrono::milliseconds(150));
    held.reset();
    EXPECT_NO_THROW(store->Begin(TxMode::kRead));
}

TEST_P(StorageContractTest, DeferredStatementsRunInOrderWithTheNextRoundTrip) {
    if (!Postgres()) GTEST_SKIP() << "PostgreSQL driver only";
    postgres::Connection c(db_->Target());
    c.ExecScript("CREATE TEMP TABLE deferred_t (k bigint PRIMARY KEY, b bytea)");
    c.ExecScript("BEGIN");
    {
        std::vector<std::uint8_t> bytes{1, 2, 3};
        c.Defer("INSERT INTO deferred_t (k, b) VALUES ($1, $2)",
                postgres::Params().Add(std::int64_t{1}).AddBytes(bytes));
        bytes.assign({9, 9, 9});  // copied when deferred
    }
    c.Defer("UPDATE deferred_t SET k = k + 1 WHERE k = $1", postgres::Params().Add(std::int64_t{1}));
    EXPECT_FALSE(c.Healthy());  // statements waiting: not for the pool
    // The next statement that needs an answer sends the queue first, in order, and sees its writes.
    auto r = c.Exec("SELECT k, b FROM deferred_t");
    ASSERT_EQ(r.Rows(), 1);
    EXPECT_EQ(r.Int(0, 0), 2);
    EXPECT_EQ(std::vector<std::uint8_t>(r.Bytes(0, 1).begin(), r.Bytes(0, 1).end()),
              (std::vector<std::uint8_t>{1, 2, 3}));
    // A deferred statement that fails: the error comes from the next round trip (here COMMIT, sent with it), the
    // statements after it do not run, and the transaction is rolled back.
    c.Defer("INSERT INTO deferred_t (k) VALUES ($1)", postgres::Params().Add(std::int64_t{2}));  // duplicate key
    c.Defer("INSERT INTO deferred_t (k) VALUES ($1)", postgres::Params().Add(std::int64_t{3}));
    try {
        c.ExecScript("COMMIT");
        ADD_FAILURE() << "the duplicate key went unnoticed";
    } catch (const postgres::DbError& e) {
        EXPECT_EQ(e.sqlstate(), "23505");
    }
    if (c.InTransaction()) c.ExecScript("ROLLBACK");
    EXPECT_EQ(c.Exec("SELECT count(*) FROM deferred_t").Int(0, 0), 0);
    // Discarded statements are never sent.
    c.ExecScript("BEGIN");
    c.Defer("INSERT INTO deferred_t (k) VALUES ($1)", postgres::Params().Add(std::int64_t{7}));
    c.DiscardDeferred();
    c.ExecScript("COMMIT");
    EXPECT_EQ(c.Exec("SELECT count(*) FROM deferred_t").Int(0, 0), 0);
    EXPECT_TRUE(c.Healthy());

    // The server ends the session while statements wait: the next round trip fails (it does not hang), and the
    // connection is not one the pool would hand out again.
    const auto pid = c.Exec("SELECT pg_backend_pid()::bigint").Int(0, 0);
    c.ExecScript("BEGIN");
    c.Defer("INSERT INTO deferred_t (k) VALUES ($1)", postgres::Params().Add(std::int64_t{8}));
    {
        postgres::Connection admin(db_->Target());
        admin.Exec("SELECT pg_terminate_backend($1::integer)", postgres::Params().Add(pid));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_THROW(c.ExecScript("COMMIT"), postgres::DbError);
    EXPECT_FALSE(c.Healthy());
}

TEST_P(StorageContractTest, ConcurrentMigrationsOfSeveralNodes) {
    if (!Postgres()) GTEST_SKIP() << "several nodes need PostgreSQL";
    testing::TestDatabase fresh(Backend::kPostgres);
    std::atomic<int> applied{0}, failures{0};
    std::vector<std::thread> nodes;
    for (int i = 0; i < 3; ++i) {
        nodes.emplace_back([&] {
            try {
                postgres::PostgresOptions o;
                o.conninfo = fresh.Target();
                o.pool_size = 1;
                auto store = postgres::OpenPostgresStore(o);
                applied += store->Migrate();
                if (!store->Ready()) failures++;
            } catch (const std::exception&) {
                failures++;
            }
        });
    }
    for (auto& n : nodes) n.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(applied.load(), static_cast<int>(postgres_migrations().size()));
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageContractTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace evni::storage
