// Sessions use cases against a real database, on SQLite and on PostgreSQL: upsert, replace, append,
// isolation, atomicity and incremental analysis equal to a full re-analysis.
#include "api/session_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "api/api_key_service.h"
#include "storage_test_backend.h"
#include "util/crypto.h"

namespace evni::api {
namespace {

class FixedClock final : public Clock {
  public:
    EpochMs NowMs() const override { return now; }
    EpochMs now = 1773050400000LL;  // 2026-03-09T10:00:00Z, after every session of these tests (no future values)
};

constexpr EpochMs kT0 = 1772186400000LL;  // 2026-02-27T10:00:00Z

domain::MeterValue Energy(EpochMs t, double kwh) {
    return {t, kwh, "Energy.Active.Import.Register", "kWh", std::nullopt, std::nullopt, false};
}
domain::MeterValue Power(EpochMs t, double kw) {
    return {t, kw, "Power.Active.Import", "kW", std::nullopt, std::nullopt, false};
}
domain::MeterValue Soc(EpochMs t, double pct) { return {t, pct, "SoC", "Percent", std::nullopt, std::nullopt, false}; }

// A 7.4 kW AC session at 1-minute cadence: energy, power, SoC.
domain::MeterValues AcSession(int minutes) {
    domain::MeterValues v;
    for (int m = 0; m < minutes; ++m) {
        EpochMs t = kT0 + m * 60'000LL;
        v.push_back(Energy(t, 7.4 * m / 60.0));
        v.push_back(Power(t, 7.4));
        v.push_back(Soc(t, 20.0 + 7.4 * m / 60.0 / 60.0 * 100.0));
    }
    return v;
}

class SessionServiceTest : public ::testing::TestWithParam<testing::Backend> {
  protected:
    void SetUp() override {
        ASSERT_TRUE(crypto::Init());
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open();
        keys_ = std::make_unique<ApiKeyService>(*store_, clock_);
        svc_ = std::make_unique<SessionService>(*store_, clock_, metrics_);
        auto a = keys_->CreateTenant("a");
        auto b = keys_->CreateTenant("b");
        alice_ = {a->tenant.id, a->admin_key.key.id, domain::Role::kAdmin};
        bob_ = {b->tenant.id, b->admin_key.key.id, domain::Role::kAdmin};
        alice_key_ = a->admin_key.secret;
    }
    void TearDown() override {
        svc_.reset();
        keys_.reset();
        store_.reset();
        db_.reset();
    }
    // Each session on its own connector unless one is named: sessions of a test overlap in time, and
    // overlapping sessions on one connector are a SESSION_OVERLAP.
    UpsertSession Cmd(const std::string& id, std::optional<domain::MeterValues> values,
                      const std::string& connector = "") {
        UpsertSession c;
        c.session_id = id;
        c.station_id = "CP-1";
        c.changes.connector_id = {true, connector.empty() ? "c-" + id : connector};
        c.changes.meter_values = std::move(values);
        return c;
    }

    std::unique_ptr<testing::TestDatabase> db_;
    FixedClock clock_;
    Metrics metrics_;
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<ApiKeyService> keys_;
    std::unique_ptr<SessionService> svc_;
    domain::Principal alice_, bob_;
    std::string alice_key_;
};

TEST_P(SessionServiceTest, EmptySessionIsPendingWithAMessage) {
    auto r = svc_->Upsert(alice_, Cmd("s1", std::nullopt));
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->analyzed_at);
    EXPECT_TRUE(r->message);
    EXPECT_EQ(domain::SessionStatusName(r->client_status, false, false), "pending");
}

TEST_P(SessionServiceTest, ReferenceExampleIsFlaggedAsSocDecrease) {
    domain::MeterValues v;
    double kwh[] = {0, 5.5, 11.1}, kw[] = {0, 22, 22}, soc[] = {80, 65, 50};
    for (int i = 0; i < 3; ++i) {
        EpochMs t = kT0 + i * 15 * 60'000LL;
        v.push_back(Energy(t, kwh[i]));
        v.push_back(Power(t, kw[i]));
        v.push_back(Soc(t, soc[i]));
    }
    auto r = svc_->Upsert(alice_, Cmd("ref", v));
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->analyzed_at);
    EXPECT_TRUE(r->is_anomaly.value_or(false));
    bool found = false;
    for (const auto& a : r->anomalies) found |= a.category == "SOC_DECREASE";
    EXPECT_TRUE(found);
}

TEST_P(SessionServiceTest, CleanSessionIsNormalAndStoredLosslessly) {
    auto values = AcSession(120);
    auto r = svc_->Upsert(alice_, Cmd("clean", values));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->is_anomaly, false);
    EXPECT_TRUE(r->anomalies.empty());
    auto d = svc_->Get(alice_, "clean");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->values, values);  // already time-ordered, so identical after the stable sort
    EXPECT_EQ(d->record.value_count, 360);
}

TEST_P(SessionServiceTest, RetriedPostDoesNotDoubleValues) {
    auto values = AcSession(10);
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("retry", values)));
    auto again = svc_->Upsert(alice_, Cmd("retry", values));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->value_count, 30);
}

TEST_P(SessionServiceTest, UpsertOnAnotherStationConflicts) {
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("s", std::nullopt)));
    auto c = Cmd("s", std::nullopt);
    c.station_id = "CP-2";
    auto r = svc_->Upsert(alice_, c);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kConflict);
}

TEST_P(SessionServiceTest, TenantsAreIsolated) {
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("shared-id", AcSession(5))));
    EXPECT_EQ(svc_->Get(bob_, "shared-id").error().code, ErrorCode::kNotFound);
    SessionChanges c;
    c.meter_values = AcSession(1);
    EXPECT_EQ(svc_->Append(bob_, "shared-id", c).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(svc_->Replace(bob_, "shared-id", c).error().code, ErrorCode::kNotFound);
    ASSERT_TRUE(svc_->Upsert(bob_, Cmd("shared-id", std::nullopt)));
    EXPECT_EQ(svc_->Get(alice_, "shared-id")->record.value_count, 15);
    EXPECT_EQ(svc_->Get(bob_, "shared-id")->record.value_count, 0);
    EXPECT_EQ(svc_->List(bob_, {})->total_count, 1);
}

TEST_P(SessionServiceTest, IncrementalAppendEqualsFullReanalysis) {
    // Append a session with a register decrease 3 values at a time; compare with one full PUT.
    auto values = AcSession(90);
    for (size_t i = 0; i < values.size(); ++i) {
        if (values[i].measurand == std::optional<std::string>("Energy.Active.Import.Register") &&
            values[i].timestamp >= kT0 + 40 * 60'000LL && values[i].timestamp < kT0 + 50 * 60'000LL) {
            values[i].value -= 3.0;
        }
    }
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("inc", std::nullopt)));
    for (size_t i = 0; i < values.size(); i += 3) {
        SessionChanges c;
        c.meter_values = domain::MeterValues(values.begin() + static_cast<long>(i),
                                             values.begin() + static_cast<long>(std::min(values.size(), i + 3)));
        ASSERT_TRUE(svc_->Append(alice_, "inc", c));
    }
    auto incremental = svc_->Get(alice_, "inc")->record;
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("full", std::nullopt)));
    SessionChanges all;
    all.meter_values = values;
    auto full = svc_->Replace(alice_, "full", all);
    ASSERT_TRUE(full);
    EXPECT_EQ(incremental.anomalies, full->anomalies);
    EXPECT_EQ(incremental.anomaly_score, full->anomaly_score);
    EXPECT_EQ(incremental.anomaly_confidence, full->anomaly_confidence);
    EXPECT_EQ(incremental.is_anomaly, full->is_anomaly);
    EXPECT_TRUE(full->is_anomaly.value_or(false));
}

TEST_P(SessionServiceTest, OutOfOrderAppendFallsBackToFullAnalysis) {
    auto values = AcSession(30);
    domain::MeterValues late(values.begin() + 60, values.end());
    domain::MeterValues early(values.begin(), values.begin() + 60);
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("ooo", late)));
    SessionChanges c;
    c.meter_values = early;
    auto r = svc_->Append(alice_, "ooo", c);
    ASSERT_TRUE(r);
    auto full = svc_->Upsert(alice_, Cmd("ooo-full", values));
    EXPECT_EQ(r->anomalies, full->anomalies);
    EXPECT_EQ(r->anomaly_score, full->anomaly_score);
    EXPECT_EQ(r->started_at, kT0);
}

TEST_P(SessionServiceTest, ClientStatusIsSticky) {
    auto c = Cmd("st", AcSession(5));
    c.changes.status = domain::ClientStatus::kCompleted;
    auto r = svc_->Upsert(alice_, c);
    ASSERT_TRUE(r);
    EXPECT_EQ(domain::SessionStatusName(r->client_status, r->analyzed_at.has_value(), r->analysis_failed), "completed");
}

TEST_P(SessionServiceTest, RecurringNeedsTwoOtherSessionsOnTheConnector) {
    auto with_decrease = [](EpochMs shift) {
        auto v = AcSession(60);
        for (auto& x : v) {
            x.timestamp += shift;
            if (x.measurand == std::optional<std::string>("Energy.Active.Import.Register") &&
                x.timestamp >= kT0 + shift + 20 * 60'000LL && x.timestamp < kT0 + shift + 25 * 60'000LL) {
                x.value -= 2.0;
            }
        }
        return v;
    };
    auto r1 = svc_->Upsert(alice_, Cmd("r1", with_decrease(0), "1"));
    auto r2 = svc_->Upsert(alice_, Cmd("r2", with_decrease(86'400'000LL), "1"));
    auto r3 = svc_->Upsert(alice_, Cmd("r3", with_decrease(2 * 86'400'000LL), "1"));
    ASSERT_TRUE(r1 && r2 && r3);
    ASSERT_TRUE(r3->is_anomaly.value_or(false));
    EXPECT_EQ(r1->is_recurring, false);
    EXPECT_EQ(r2->is_recurring, false);
    EXPECT_EQ(r3->is_recurring, true);
}

TEST_P(SessionServiceTest, ApiKeysAuthenticateAndRevoke) {
    auto who = keys_->Authenticate(alice_key_);
    ASSERT_TRUE(who);
    EXPECT_EQ(who->tenant_id, alice_.tenant_id);
    EXPECT_FALSE(keys_->Authenticate(alice_key_ + "x"));
    EXPECT_FALSE(keys_->Authenticate("evni_000000000000_nope"));
    auto k = keys_->Create(alice_, "ci", "", 1, std::nullopt);
    ASSERT_TRUE(k);
    EXPECT_TRUE(keys_->Authenticate(k->secret));
    EXPECT_EQ(keys_->Revoke(bob_, k->key.id).error().code, ErrorCode::kNotFound);
    ASSERT_TRUE(keys_->Revoke(alice_, k->key.id));
    EXPECT_FALSE(keys_->Authenticate(k->secret));
    auto k2 = keys_->Create(alice_, "short", "", 1, std::nullopt);
    clock_.now += 2 * 86'400'000LL;
    EXPECT_FALSE(keys_->Authenticate(k2->secret));  // expired
}

// Writers of one session on several threads (with their own connections on PostgreSQL) serialise:
// no appended value is lost and the verdict equals a full analysis of all values.
TEST_P(SessionServiceTest, ConcurrentAppendsLoseNothing) {
    auto values = AcSession(60);
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("conc", std::nullopt)));
    constexpr int kThreads = 4;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            // Thread t appends minutes t, t + 4, ...: the appends arrive out of order across threads.
            for (size_t m = static_cast<size_t>(t); m < 60; m += kThreads) {
                SessionChanges c;
                c.meter_values = domain::MeterValues(values.begin() + static_cast<long>(3 * m),
                                                     values.begin() + static_cast<long>(3 * m + 3));
                if (!svc_->Append(alice_, "conc", c)) failures++;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    auto d = svc_->Get(alice_, "conc");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->record.value_count, 180);
    EXPECT_EQ(d->values, values);  // sorted by time on read
    auto full = svc_->Upsert(alice_, Cmd("conc-full", values));
    ASSERT_TRUE(full);
    EXPECT_EQ(d->record.anomalies, full->anomalies);
    EXPECT_EQ(d->record.anomaly_score, full->anomaly_score);
    EXPECT_EQ(d->record.anomaly_confidence, full->anomaly_confidence);
}

// Concurrent upserts of one new session id create one session holding every distinct value.
TEST_P(SessionServiceTest, ConcurrentUpsertsCreateOneSession) {
    auto values = AcSession(20);
    constexpr int kThreads = 4;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            domain::MeterValues mine(values.begin() + 15 * t, values.begin() + 15 * (t + 1));
            if (!svc_->Upsert(alice_, Cmd("race", mine))) failures++;
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    auto page = svc_->List(alice_, {});
    ASSERT_TRUE(page);
    EXPECT_EQ(page->total_count, 1);
    auto d = svc_->Get(alice_, "race");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->record.value_count, 60);
    EXPECT_EQ(d->values, values);
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionServiceTest,
                         ::testing::Values(testing::Backend::kSqlite, testing::Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace evni::api
