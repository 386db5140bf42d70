// Connector limits learned from history: the session observation and the learned rating rule (pure), the
// analyzer's use of a learned rating, and the listener + OptionsFor on SQLite and PostgreSQL.
#include "analysis/connector_limits.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <any>

#include "analysis/analyzer.h"
#include "api/api_key_service.h"
#include "api/connector_limits.h"
#include "api/session_service.h"
#include "storage_test_backend.h"
#include "util/crypto.h"

namespace evni {
namespace {

using analysis::PowerObservation;
using domain::EpochMs;

constexpr EpochMs kT0 = 1772186400000LL;  // 2026-02-27T10:00:00Z
constexpr EpochMs kMin = 60'000;

domain::MeterValue Energy(EpochMs t, double kwh) {
    return {t, kwh, "Energy.Active.Import.Register", "kWh", std::nullopt, std::nullopt, false};
}
domain::MeterValue Power(EpochMs t, double kw) {
    return {t, kw, "Power.Active.Import", "kW", std::nullopt, std::nullopt, false};
}
domain::MeterValue Current(EpochMs t, double a, const char* phase) {
    return {t, a, "Current.Import", "A", std::string(phase), std::nullopt, false};
}

// A session at `kw` for `minutes` at 1-minute cadence: energy and power (power omitted when !with_power),
// per-phase currents on `phases` phases (0: none).
domain::MeterValues Session(EpochMs start, int minutes, double kw, bool with_power = true, int phases = 0) {
    domain::MeterValues v;
    for (int m = 0; m <= minutes; ++m) {
        const EpochMs t = start + m * kMin;
        v.push_back(Energy(t, kw * m / 60.0));
        if (with_power) v.push_back(Power(t, kw));
        const char* names[] = {"L1", "L2", "L3"};
        for (int p = 0; p < phases; ++p) v.push_back(Current(t, kw * 1000.0 / 230.0 / phases, names[p]));
    }
    return v;
}

PowerObservation Obs(double kw, const std::string& type = "AC") { return {kw, type, 0, kT0}; }

// ------------------------------------------------------------------------------------------ pure

TEST(ConnectorLimitsObserve, SustainedPeakIgnoresASpike) {
    auto v = Session(kT0, 60, 7.0, true, 1);
    v.push_back(Power(kT0 + 30 * kMin + 20'000, 25.0));  // one reading: minute 30 averages (7 + 25) / 2
    const auto o = analysis::ObserveSessionPower(v);
    ASSERT_TRUE(o);
    EXPECT_NEAR(o->sustained_peak_kw, 7.0, 0.01);
    EXPECT_EQ(o->current_type, "AC");
    EXPECT_EQ(o->phases, 1);
    EXPECT_EQ(o->observed_at, kT0 + 60 * kMin);
}

TEST(ConnectorLimitsObserve, ThreePhasesAndEnergySlopeWithoutPower) {
    const auto o = analysis::ObserveSessionPower(Session(kT0, 45, 11.0, /*with_power=*/false, 3));
    ASSERT_TRUE(o);
    EXPECT_NEAR(o->sustained_peak_kw, 11.0, 0.05);
    EXPECT_EQ(o->current_type, "AC");
    EXPECT_EQ(o->phases, 3);
}

TEST(ConnectorLimitsObserve, DcAboveTheAcBoundUnknownBelow) {
    const auto dc = analysis::ObserveSessionPower(Session(kT0, 30, 120.0));
    ASSERT_TRUE(dc);
    EXPECT_EQ(dc->current_type, "DC");
    const auto unknown = analysis::ObserveSessionPower(Session(kT0, 30, 20.0));
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->current_type, "");
    EXPECT_EQ(unknown->phases, 0);
}

TEST(ConnectorLimitsObserve, TooShortOrIdleSaysNothing) {
    EXPECT_FALSE(analysis::ObserveSessionPower(Session(kT0, 1, 7.0)));  // 2 minutes
    EXPECT_FALSE(analysis::ObserveSessionPower(Session(kT0, 60, 0.1)));
    EXPECT_FALSE(analysis::ObserveSessionPower(domain::MeterValues{}));
}

TEST(ConnectorLimitsRating, NextStandardStep) {
    EXPECT_EQ(analysis::NextStandardRatingKw(8.05, "AC"), 11.0);
    EXPECT_EQ(analysis::NextStandardRatingKw(11.0, "AC"), 11.0);
    EXPECT_EQ(analysis::NextStandardRatingKw(12.65, "AC"), 22.0);
    EXPECT_FALSE(analysis::NextStandardRatingKw(44.0, "AC"));
    EXPECT_EQ(analysis::NextStandardRatingKw(8.05, "DC"), 50.0);
    EXPECT_EQ(analysis::NextStandardRatingKw(51.75, "DC"), 100.0);
    EXPECT_FALSE(analysis::NextStandardRatingKw(400.0, "DC"));
    EXPECT_EQ(analysis::NextStandardRatingKw(8.05, ""), 11.0);
    EXPECT_EQ(analysis::NextStandardRatingKw(45.0, ""), 50.0);
}

TEST(ConnectorLimitsRating, NeedsFiveSessionsAndNoMetadataRating) {
    std::vector<PowerObservation> h(4, Obs(7.0));
    EXPECT_FALSE(analysis::LearnConnectorLimit(h, {}));
    h.push_back(Obs(7.2));
    const auto l = analysis::LearnConnectorLimit(h, {});
    ASSERT_TRUE(l);
    EXPECT_EQ(l->max_power_kw, 11.0);  // 7.0 (second highest) x 1.15 = 8.05 -> 11
    EXPECT_EQ(l->current_type, "AC");
    EXPECT_EQ(l->sessions, 5);
    EXPECT_DOUBLE_EQ(l->peak_kw, 7.0);
    domain::ConnectorFacts rated;
    rated.max_power_kw = 7.4;
    EXPECT_FALSE(analysis::LearnConnectorLimit(h, rated));  // metadata wins
    domain::ConnectorFacts dc;
    dc.current_type = "DC";
    // Metadata's current type picks the ladder; DC goes one step further up (7 x 1.15 -> 50 -> 100).
    EXPECT_EQ(analysis::LearnConnectorLimit(h, dc)->max_power_kw, 100.0);
}

TEST(ConnectorLimitsRating, GenerousAndRobustToOneOddSession) {
    // 11 kW cars on a 22 kW connector: the learned rating leaves room for the first 22 kW car.
    std::vector<PowerObservation> h(6, Obs(11.0));
    EXPECT_EQ(analysis::LearnConnectorLimit(h, {})->max_power_kw, 22.0);
    // One session at 30 kW does not widen the rating; a second one does (the connector delivers it).
    h.insert(h.begin(), Obs(30.0));
    EXPECT_EQ(analysis::LearnConnectorLimit(h, {})->max_power_kw, 22.0);
    h.insert(h.begin(), Obs(30.0));
    EXPECT_EQ(analysis::LearnConnectorLimit(h, {})->max_power_kw, 43.0);
    // A clearly DC session makes the connector DC.
    h.insert(h.begin(), Obs(60.0, "DC"));
    const auto l = analysis::LearnConnectorLimit(h, {});
    EXPECT_EQ(l->current_type, "DC");
    EXPECT_EQ(l->max_power_kw, 100.0);  // second highest 30 x 1.15 -> DC 50, one step further: 100
    // DC at the top of the ladder stays there.
    std::vector<PowerObservation> dc_fast(5, Obs(200.0, "DC"));
    EXPECT_EQ(analysis::LearnConnectorLimit(dc_fast, {})->max_power_kw, 350.0);
    // Past the top of the ladder: no learned rating (the physical bound applies).
    std::vector<PowerObservation> fast(5, Obs(330.0, "DC"));
    EXPECT_FALSE(analysis::LearnConnectorLimit(fast, {}));
}

TEST(ConnectorLimitsAnalyzer, LearnedRatingFlagsWithReducedConfidence) {
    const auto values = Session(kT0, 40, 30.0);
    analysis::AnalysisOptions none;
    auto has_over = [](const analysis::Verdict& v) -> const analysis::Anomaly* {
        auto it = std::find_if(v.anomalies.begin(), v.anomalies.end(),
                               [](const analysis::Anomaly& a) { return a.category == "POWER_OVER_LIMIT"; });
        return it == v.anomalies.end() ? nullptr : &*it;
    };
    EXPECT_FALSE(has_over(analysis::Analyze(values, none)));  // physical bound
    analysis::AnalysisOptions learned;
    learned.learned_max_power_kw = 11.0;
    const auto lv = analysis::Analyze(values, learned);
    const auto* l = has_over(lv);
    ASSERT_TRUE(l);
    EXPECT_LE(l->confidence, 0.6);
    for (const auto& a : lv.anomalies) EXPECT_NE(a.category, "ENERGY_SPIKE");  // the hard bound stays physical
    analysis::AnalysisOptions rated;
    rated.connector.max_power_kw = 11.0;
    rated.learned_max_power_kw = 50.0;                 // ignored: metadata wins
    const auto rv = analysis::Analyze(values, rated);  // kept: the finding points into it
    const auto* r = has_over(rv);
    ASSERT_TRUE(r);
    EXPECT_GE(r->confidence, 0.75);
    EXPECT_GT(r->confidence, l->confidence);
}

TEST(ConnectorLimitsAnalyzer, PeakPowerTellsWhenALearnedRatingMatters) {
    analysis::IncrementalAnalyzer analyzer{analysis::AnalysisOptions{}};
    analyzer.Append(Session(kT0, 40, 30.0));
    EXPECT_NEAR(analyzer.PeakPowerKw(), 30.0, 1e-9);
    EXPECT_TRUE(analysis::LearnedLimitMatters(analyzer.PeakPowerKw(), 11.0));
    EXPECT_FALSE(analysis::LearnedLimitMatters(analyzer.PeakPowerKw(), 43.0));
    EXPECT_FALSE(analysis::LearnedLimitMatters(12.2, 11.0));  // 1.1 x 11 + 0.2 = 12.3
}

// ------------------------------------------------------------------------------------------ service

class FixedClock final : public Clock {
  public:
    EpochMs NowMs() const override { return now; }
    EpochMs now = 1773050400000LL;  // 2026-03-09T10:00:00Z, after every session of these tests
};

class ConnectorLimitServiceTest : public ::testing::TestWithParam<testing::Backend> {
  protected:
    void SetUp() override {
        ASSERT_TRUE(crypto::Init());
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open();
        keys_ = std::make_unique<api::ApiKeyService>(*store_, clock_);
        svc_ = std::make_unique<api::SessionService>(*store_, clock_, metrics_);
        // As `evni serve` wires it: the listener keeps the history and tells the cache of every change.
        cache_ = std::make_unique<api::ConnectorHistoryCache>();
        listener_ = std::make_unique<api::ConnectorLimitListener>(clock_, cache_.get());
        svc_->AddListener(listener_.get());
        svc_->SetLearnedLimitSource(
            [this](storage::Transaction& tx, const storage::SessionRecord& r, const domain::ConnectorFacts& facts) {
                return cache_->Learned(tx, r, facts);
            });
        auto a = keys_->CreateTenant("a");
        auto b = keys_->CreateTenant("b");
        alice_ = {a->tenant.id, a->admin_key.key.id, domain::Role::kAdmin};
        bob_ = {b->tenant.id, b->admin_key.key.id, domain::Role::kAdmin};
    }
    api::UpsertSession Cmd(const std::string& id, domain::MeterValues values, const std::string& connector) {
        api::UpsertSession c;
        c.session_id = id;
        c.station_id = "CP-1";
        c.changes.connector_id = {true, connector};
        c.changes.meter_values = std::move(values);
        return c;
    }
    std::vector<PowerObservation> History(const domain::Principal& who, const std::string& connector) {
        auto tx = store_->Begin(storage::TxMode::kRead);
        std::vector<PowerObservation> out;
        for (auto& e : tx->ConnectorLimits().ForConnector(who.tenant_id, "CP-1", connector, 0, 200))
            out.push_back(std::move(e.observation));
        tx->Commit();
        return out;
    }
    void Learn(const domain::Principal& who, const std::string& connector, int sessions, double kw) {
        for (int i = 0; i < sessions; ++i) {
            ASSERT_TRUE(svc_->Upsert(who, Cmd("hist-" + connector + "-" + std::to_string(i),
                                              Session(kT0 + i * 86'400'000LL, 60, kw, true, 1), connector)));
        }
    }
    const analysis::Anomaly* OverLimit(const storage::SessionRecord& r) {
        for (const auto& a : r.anomalies)
            if (a.category == "POWER_OVER_LIMIT") return &a;
        return nullptr;
    }

    std::unique_ptr<testing::TestDatabase> db_;
    FixedClock clock_;
    Metrics metrics_;
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<api::ApiKeyService> keys_;
    std::unique_ptr<api::SessionService> svc_;
    std::unique_ptr<api::ConnectorHistoryCache> cache_;
    std::unique_ptr<api::ConnectorLimitListener> listener_;
    domain::Principal alice_, bob_;
};

// The cached rating is the database's at every step: the listener makes the cache forget a connector whenever
// its history changes (new session, replaced values, a session moved away), and a session's own observation is
// left out of its rating either way.
TEST_P(ConnectorLimitServiceTest, CachedRatingFollowsEveryChangeOfTheHistory) {
    auto same = [&](const storage::SessionRecord& r) {
        auto tx = store_->Begin(storage::TxMode::kRead);
        auto cached = cache_->Learned(*tx, r, {});
        auto direct = api::LoadLearnedLimit(*tx, r, {});
        tx->Commit();
        EXPECT_EQ(cached.has_value(), direct.has_value());
        if (cached && direct) {
            EXPECT_EQ(cached->max_power_kw, direct->max_power_kw);
            EXPECT_EQ(cached->sessions, direct->sessions);
            EXPECT_EQ(cached->peak_kw, direct->peak_kw);
        }
        return cached;
    };
    constexpr EpochMs kDay = 86'400'000LL;
    Learn(alice_, "1", 4, 7.0);
    auto probe = svc_->Upsert(alice_, Cmd("probe", Session(kT0 + 20 * kDay, 60, 7.0, true, 1), "1"));
    ASSERT_TRUE(probe);
    EXPECT_FALSE(same(*probe));  // four other sessions: too thin (its own observation does not count)
    EXPECT_EQ(cache_->Size(), 1u);
    Learn(alice_, "1", 6, 7.0);  // two more
    auto six = same(*probe);
    ASSERT_TRUE(six);
    EXPECT_EQ(six->sessions, 6);
    for (const char* id : {"faster-a", "faster-b"})
        ASSERT_TRUE(svc_->Upsert(alice_, Cmd(id, Session(kT0 + 30 * kDay, 60, 22.0, true, 3), "1")));
    auto faster = same(*probe);
    ASSERT_TRUE(faster);
    EXPECT_EQ(faster->sessions, 8);
    EXPECT_GT(faster->max_power_kw, six->max_power_kw);
    api::SessionChanges slower;
    slower.meter_values = Session(kT0 + 30 * kDay, 60, 7.0, true, 1);
    ASSERT_TRUE(svc_->Replace(alice_, "faster-b", slower));
    EXPECT_EQ(same(*probe)->max_power_kw, six->max_power_kw);
    api::UpsertSession move;
    move.session_id = "faster-a";
    move.station_id = "CP-1";
    move.changes.connector_id = {true, "2"};
    ASSERT_TRUE(svc_->Upsert(alice_, move));
    EXPECT_EQ(same(*probe)->sessions, 7);
    // Another tenant's connector of the same name is another entry.
    auto other = svc_->Upsert(bob_, Cmd("probe", Session(kT0 + 20 * kDay, 60, 7.0, true, 1), "1"));
    ASSERT_TRUE(other);
    EXPECT_FALSE(same(*other));
}

TEST_P(ConnectorLimitServiceTest, CacheHoldsAtMostItsCapacityAndExpires) {
    api::ConnectorHistoryCache small({.capacity = 2, .ttl = std::chrono::hours(1)});
    std::vector<storage::SessionRecord> probes;
    for (const char* connector : {"1", "2", "3"}) {
        Learn(alice_, connector, 5, 7.0);
        auto r =
            svc_->Upsert(alice_, Cmd(std::string("probe-") + connector, Session(kT0, 60, 7.0, true, 1), connector));
        ASSERT_TRUE(r);
        probes.push_back(*r);
    }
    auto tx = store_->Begin(storage::TxMode::kRead);
    for (const auto& r : probes) EXPECT_TRUE(small.Learned(*tx, r, {}));
    EXPECT_EQ(small.Size(), 2u);
    // A history changed behind the cache's back (another node) is seen once the entry expires.
    api::ConnectorHistoryCache expired({.capacity = 8, .ttl = std::chrono::milliseconds(0)});
    EXPECT_EQ(expired.Learned(*tx, probes[0], {})->sessions, 5);
    tx->Commit();
    Learn(alice_, "1", 7, 7.0);
    tx = store_->Begin(storage::TxMode::kRead);
    EXPECT_EQ(expired.Learned(*tx, probes[0], {})->sessions, 7);
    tx->Commit();
}

// Listeners' Prepare runs before the write lock for a new session whose values came with the request, and its
// result reaches that write's OnSessionWritten; other writes get none.
class RecordingListener final : public api::SessionWriteListener {
  public:
    std::any Prepare(std::span<const domain::MeterValue> values) const override {
        ++prepares;
        return values.size();
    }
    void OnSessionWritten(storage::Transaction&, const api::SessionWrite& write) override {
        const auto* p = write.prepared ? std::any_cast<std::size_t>(write.prepared) : nullptr;
        seen.push_back(p ? static_cast<long>(*p) : -1);
    }
    mutable int prepares = 0;
    std::vector<long> seen;  // per write: the prepared value count, -1 when none
};

TEST_P(ConnectorLimitServiceTest, PreparedWorkReachesTheInsertThatPreparedIt) {
    RecordingListener recorder;
    svc_->AddListener(&recorder);
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("prep-1", Session(kT0, 10, 7.0, true, 1), "1")));
    const auto inserted = recorder.seen.back();
    EXPECT_GT(inserted, 0);
    api::SessionChanges more;
    more.meter_values = Session(kT0 + 3'600'000LL, 2, 7.0, true, 1);
    ASSERT_TRUE(svc_->Append(alice_, "prep-1", more));
    EXPECT_EQ(recorder.seen.back(), -1);
    api::UpsertSession empty;
    empty.session_id = "prep-2";
    empty.station_id = "CP-1";
    ASSERT_TRUE(svc_->Upsert(alice_, empty));
    EXPECT_EQ(recorder.seen.back(), -1);
    EXPECT_EQ(recorder.prepares, 1);
    // The listeners of the fixture stored the prepared observation like a computed one.
    auto h = History(alice_, "1");
    ASSERT_EQ(h.size(), 1u);
    EXPECT_NEAR(h[0].sustained_peak_kw, 7.0, 0.01);
}

TEST_P(ConnectorLimitServiceTest, OneRowPerSessionReplacedNotAdded) {
    Learn(alice_, "1", 3, 7.0);
    auto h = History(alice_, "1");
    ASSERT_EQ(h.size(), 3u);
    for (const auto& o : h) {
        EXPECT_NEAR(o.sustained_peak_kw, 7.0, 0.01);
        EXPECT_EQ(o.current_type, "AC");
        EXPECT_EQ(o.phases, 1);
    }
    // Sent again (upsert of the same values) and replaced with other values: still one row, the new peak.
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("hist-1-0", Session(kT0, 60, 7.0, true, 1), "1")));
    api::SessionChanges changes;
    changes.meter_values = Session(kT0, 60, 3.6, true, 1);
    ASSERT_TRUE(svc_->Replace(alice_, "hist-1-0", changes));
    h = History(alice_, "1");
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(std::count_if(h.begin(), h.end(), [](const auto& o) { return o.sustained_peak_kw < 4.0; }), 1);
    // A replace that leaves too little charging removes it; moving a session to another connector moves it.
    changes.meter_values = Session(kT0, 1, 7.0);
    ASSERT_TRUE(svc_->Replace(alice_, "hist-1-0", changes));
    EXPECT_EQ(History(alice_, "1").size(), 2u);
    api::UpsertSession move;
    move.session_id = "hist-1-1";
    move.station_id = "CP-1";
    move.changes.connector_id = {true, "2"};
    ASSERT_TRUE(svc_->Upsert(alice_, move));
    EXPECT_EQ(History(alice_, "1").size(), 1u);
    EXPECT_EQ(History(alice_, "2").size(), 1u);
    EXPECT_TRUE(History(bob_, "1").empty());
}

TEST_P(ConnectorLimitServiceTest, LearnedRatingFlagsAFasterSessionOnlyWithEnoughHistory) {
    Learn(alice_, "1", 6, 7.0);
    Learn(alice_, "2", 2, 7.0);
    Learn(bob_, "1", 1, 7.0);
    const auto fast = Session(kT0 + 10 * 86'400'000LL, 40, 30.0, true, 3);
    auto flagged = svc_->Upsert(alice_, Cmd("fast-1", fast, "1"));
    ASSERT_TRUE(flagged);
    const auto* a = OverLimit(*flagged);
    ASSERT_TRUE(a);
    EXPECT_LE(a->confidence, 0.6);
    // Two sessions of history: the physical bound (44 kW AC) holds, nothing to flag.
    auto thin = svc_->Upsert(alice_, Cmd("fast-2", fast, "2"));
    ASSERT_TRUE(thin);
    EXPECT_FALSE(OverLimit(*thin));
    // Another tenant's history is not used.
    auto other = svc_->Upsert(bob_, Cmd("fast-1", fast, "1"));
    ASSERT_TRUE(other);
    EXPECT_FALSE(OverLimit(*other));
    // Metadata maxPowerKw wins over the learned rating, both ways.
    auto cmd = Cmd("fast-3", fast, "1");
    cmd.changes.metadata_json = {true, R"({"maxPowerKw": 50})"};
    auto rated = svc_->Upsert(alice_, cmd);
    ASSERT_TRUE(rated);
    EXPECT_FALSE(OverLimit(*rated));
    cmd = Cmd("fast-4", fast, "2");
    cmd.changes.metadata_json = {true, R"({"maxPowerKw": 22})"};
    rated = svc_->Upsert(alice_, cmd);
    ASSERT_TRUE(rated);
    ASSERT_TRUE(OverLimit(*rated));
    EXPECT_GE(OverLimit(*rated)->confidence, 0.75);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConnectorLimitServiceTest,
                         ::testing::Values(testing::Backend::kSqlite, testing::Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace evni
