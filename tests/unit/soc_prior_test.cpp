// The per-connector SoC prior: the capacity estimate and its aggregation (pure), the repository on SQLite and
// PostgreSQL, and the session write listener with GET /v1/sessions/{id}'s use of the prior (SessionService).
#include "analysis/soc_prior.h"

#include <gtest/gtest.h>

#include <cmath>

#include "api/api_key_service.h"
#include "api/session_service.h"
#include "api/soc_prior.h"
#include "storage_test_backend.h"
#include "util/crypto.h"

namespace evni {
namespace {

using analysis::PriorObservation;
using domain::EpochMs;

constexpr EpochMs kT0 = 1772186400000LL;  // 2026-02-27T10:00:00Z

domain::MeterValue Energy(EpochMs t, double kwh) {
    return {t, kwh, "Energy.Active.Import.Register", "kWh", std::nullopt, std::nullopt, false};
}
domain::MeterValue Power(EpochMs t, double kw) {
    return {t, kw, "Power.Active.Import", "kW", std::nullopt, std::nullopt, false};
}
domain::MeterValue Soc(EpochMs t, double pct) { return {t, pct, "SoC", "Percent", std::nullopt, std::nullopt, false}; }

// An 11 kW AC session at 1-minute cadence starting at `start` with `soc0` % on a battery of `battery_kwh`
// (effective), flat power (no end-of-charge fall-off), SoC reported every `soc_every` minutes (0: never; the
// first reading only when soc_every < 0).
domain::MeterValues AcSession(EpochMs start, int minutes, double battery_kwh, double soc0, int soc_every) {
    domain::MeterValues v;
    for (int m = 0; m <= minutes; ++m) {
        const EpochMs t = start + m * 60'000LL;
        const double kwh = 11.0 * m / 60.0;
        v.push_back(Energy(t, kwh));
        v.push_back(Power(t, 11.0));
        const bool soc = soc_every > 0 ? m % soc_every == 0 : (soc_every < 0 && m == 0);
        if (soc) v.push_back(Soc(t, std::round(soc0 + kwh * 100.0 / battery_kwh)));
    }
    return v;
}

// ------------------------------------------------------------------------------------------ pure

TEST(SocPriorEstimate, DirectEstimateIsEnergyOverSocRise) {
    // 40 kWh battery, 20 % -> 20 + 11 kWh * 2.5 = 47.5 % after an hour (readings rounded).
    const auto o = analysis::EstimateSessionCapacity(AcSession(kT0, 60, 40.0, 20.0, 10));
    ASSERT_TRUE(o);
    EXPECT_NEAR(o->capacity_kwh, 40.0, 1.0);
    EXPECT_NEAR(o->peak_power_kw, 11.0, 0.3);
    EXPECT_DOUBLE_EQ(o->weight, 1.0);  // a 27-point rise
    EXPECT_EQ(o->observed_at, kT0 + 60 * 60'000LL);
}

TEST(SocPriorEstimate, DirectEstimateCarriesTheSessionFeatures) {
    // SoC 20 % at the first reading (t0), 11 kWh over the hour's span.
    const auto o = analysis::EstimateSessionCapacity(AcSession(kT0, 60, 40.0, 20.0, 10));
    ASSERT_TRUE(o);
    EXPECT_NEAR(o->start_soc, 20.0, 1.0);
    EXPECT_NEAR(o->session_energy_kwh, 11.0, 1e-9);
    EXPECT_NEAR(o->session_minutes, 60.0, 1e-9);
    // A first SoC reading after 30 minutes: the start SoC is extrapolated back with the capacity.
    auto values = AcSession(kT0, 60, 40.0, 20.0, 0);
    values.push_back(Soc(kT0 + 30 * 60'000LL, std::round(20.0 + 5.5 * 100.0 / 40.0)));
    values.push_back(Soc(kT0 + 60 * 60'000LL, std::round(20.0 + 11.0 * 100.0 / 40.0)));
    const auto late = analysis::EstimateSessionCapacity(values);
    ASSERT_TRUE(late);
    EXPECT_NEAR(late->start_soc, 20.0, 3.0);
}

TEST(SocPriorEstimate, NoEstimateWithoutTwoReadingsOrEnoughRise) {
    EXPECT_FALSE(analysis::EstimateSessionCapacity(AcSession(kT0, 60, 40.0, 20.0, 0)));
    EXPECT_FALSE(analysis::EstimateSessionCapacity(AcSession(kT0, 60, 40.0, 20.0, -1)));
    // 11 kWh over 5 minutes on a 250 kWh-like scale: a rise under 5 points gives nothing.
    EXPECT_FALSE(analysis::EstimateSessionCapacity(AcSession(kT0, 10, 100.0, 20.0, 5)));
}

TEST(SocPriorEstimate, WeightGrowsWithTheSocRise) {
    EXPECT_DOUBLE_EQ(analysis::ObservationWeight(5.0), 0.25);
    EXPECT_DOUBLE_EQ(analysis::ObservationWeight(10.0), 0.5);
    EXPECT_DOUBLE_EQ(analysis::ObservationWeight(20.0), 1.0);
    EXPECT_DOUBLE_EQ(analysis::ObservationWeight(80.0), 1.0);
    EXPECT_DOUBLE_EQ(analysis::ObservationWeight(1.0), 0.25);
}

TEST(SocPriorEstimate, BuildSocPriorTakesTheWeightedMedianAndCount) {
    EXPECT_FALSE(analysis::BuildSocPrior({}, {}));
    // Newest first; the 100 kWh outlier weighs little, the 0 kWh one is unusable.
    const std::vector<PriorObservation> connector = {
        {11.0, 40.0, 1.0, 5}, {11.0, 42.0, 1.0, 4}, {11.0, 100.0, 0.25, 3}, {11.0, 0.0, 1.0, 2}, {11.0, 44.0, 1.0, 1}};
    const auto prior = analysis::BuildSocPrior(connector, {});
    ASSERT_TRUE(prior);
    EXPECT_DOUBLE_EQ(*prior->median_capacity_kwh, 42.0);
    EXPECT_EQ(prior->count, 3);  // 3.25 rounded
    ASSERT_EQ(prior->recent.size(), 4u);
    EXPECT_DOUBLE_EQ(prior->recent.front().capacity_kwh, 44.0);  // oldest first for the engine
    EXPECT_DOUBLE_EQ(prior->recent.back().capacity_kwh, 40.0);
}

TEST(SocPriorEstimate, SameEvPowerRequestIsTheSharpestPrior) {
    // A connector used by a 40 kWh car requesting 50 kW and a 90 kWh car requesting 100 kW, both drawing 11 kW
    // (the same delivered peak: the peak-power match cannot tell them apart).
    std::vector<PriorObservation> history;
    for (int i = 0; i < 6; ++i) {
        history.push_back({11.0, 40.0, 1.0, kT0 - (2 * i) * 86'400'000LL, 50.0});
        history.push_back({11.0, 90.0, 1.0, kT0 - (2 * i + 1) * 86'400'000LL, 100.0});
    }
    const auto prior = analysis::BuildSocPrior(history, {});
    ASSERT_TRUE(prior);
    ASSERT_EQ(prior->recent.size(), 12u);
    EXPECT_DOUBLE_EQ(prior->recent.back().ev_max_power_kw, 50.0);  // newest last
    // One SoC reading at the start, 2 h at 11 kW = 22 kWh.
    const auto values = AcSession(kT0, 120, 40.0, 20.0, -1);
    analysis::SocOptions options;
    options.prior = prior;
    options.ev_max_power_kw = 50.5;  // within 1 %
    const auto small = analysis::ReconstructSoc(values, options);
    EXPECT_NEAR(small.battery_kwh, 40.0, 4.0);
    EXPECT_NEAR(small.points.back().value, 20.0 + 22.0 * 100.0 / 40.0, 3.0);
    options.ev_max_power_kw = 100.0;
    EXPECT_NEAR(analysis::ReconstructSoc(values, options).battery_kwh, 90.0, 9.0);
    // An unknown request, or one no past session made, falls back to the peak-power match (both cars).
    options.ev_max_power_kw.reset();
    const auto unkeyed = analysis::ReconstructSoc(values, options);
    options.ev_max_power_kw = 75.0;
    EXPECT_EQ(analysis::ReconstructSoc(values, options), unkeyed);
}

TEST(SocPriorEstimate, MedianFromTheNewest200AllReadGoToTheEngine) {
    // 200 newest sessions of a 40 kWh car, 300 older ones of a 90 kWh car (newest first).
    std::vector<PriorObservation> connector(200, PriorObservation{11.0, 40.0, 1.0, 2});
    connector.insert(connector.end(), 300, PriorObservation{11.0, 90.0, 1.0, 1});
    const auto prior = analysis::BuildSocPrior(connector, {});
    ASSERT_TRUE(prior);
    EXPECT_DOUBLE_EQ(*prior->median_capacity_kwh, 40.0);
    EXPECT_EQ(prior->recent.size(), 500u);  // all of them for the "sessions like this one" match
    EXPECT_DOUBLE_EQ(prior->recent.front().capacity_kwh, 90.0);
    // Beyond kPriorReadLimit nothing is taken.
    connector.insert(connector.end(), 600, PriorObservation{11.0, 90.0, 1.0, 0});
    EXPECT_EQ(analysis::BuildSocPrior(connector, {})->recent.size(),
              static_cast<std::size_t>(analysis::kPriorReadLimit));
}

TEST(SocPriorEstimate, TenantHistoryOnlyFillsAThinConnector) {
    const std::vector<PriorObservation> fleet(10, PriorObservation{50.0, 80.0, 1.0, 1});
    // Enough own history: the fleet is not looked at.
    const std::vector<PriorObservation> own(3, PriorObservation{11.0, 40.0, 1.0, 2});
    auto prior = analysis::BuildSocPrior(own, fleet);
    ASSERT_TRUE(prior);
    EXPECT_DOUBLE_EQ(*prior->median_capacity_kwh, 40.0);
    EXPECT_EQ(prior->count, 3);
    EXPECT_EQ(prior->recent.size(), 3u);
    // One own session: the fleet counts as two sessions in the median (weight budget 3), and all of it feeds the
    // same-peak-power match, behind the connector's own sessions.
    prior = analysis::BuildSocPrior(std::span(own).first(1), fleet);
    ASSERT_TRUE(prior);
    EXPECT_DOUBLE_EQ(*prior->median_capacity_kwh, 80.0);
    EXPECT_EQ(prior->count, 3);
    ASSERT_EQ(prior->recent.size(), 11u);
    EXPECT_DOUBLE_EQ(prior->recent.back().capacity_kwh, 40.0);
    // No own history: the fleet alone, counting as 3 sessions.
    prior = analysis::BuildSocPrior({}, fleet);
    ASSERT_TRUE(prior);
    EXPECT_EQ(prior->count, 3);
}

TEST(SocPriorEstimate, StationSessionsAreTheNeighbourPoolOnly) {
    const std::vector<PriorObservation> own(3, PriorObservation{11.0, 40.0, 1.0, 2});
    std::vector<PriorObservation> station(own);
    station.insert(station.end(), 5, PriorObservation{50.0, 80.0, 1.0, 1});
    station.push_back(PriorObservation{50.0, 300.0, 1.0, 1});  // unusable (> 250 kWh): left out
    const auto prior = analysis::BuildSocPrior(own, {}, station);
    ASSERT_TRUE(prior);
    EXPECT_DOUBLE_EQ(*prior->median_capacity_kwh, 40.0);  // the median stays the connector's
    EXPECT_EQ(prior->recent.size(), 3u);
    EXPECT_EQ(prior->station.size(), 8u);
    EXPECT_FALSE(analysis::BuildSocPrior({}, {}, station));  // the pool alone makes no prior
}

// ------------------------------------------------------------------------------------------ repository

class SocPriorRepositoryTest : public ::testing::TestWithParam<testing::Backend> {
  protected:
    void SetUp() override {
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open();
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->Tenants().Insert({"t1", "one", kT0});
        tx->Tenants().Insert({"t2", "two", kT0});
        tx->Commit();
    }
    std::int64_t NewSession(const std::string& tenant, const std::string& id) {
        storage::SessionRecord r;
        r.tenant_id = tenant;
        r.session_id = id;
        r.station_id = "CP-1";
        r.connector_id = "1";
        r.created_at = r.updated_at = kT0;
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->Sessions().Insert(r);
        tx->Commit();
        return r.pk;
    }
    void Put(const std::string& tenant, std::int64_t pk, const std::string& station, const std::string& connector,
             double capacity, EpochMs at) {
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->SocPriors().Upsert({tenant, pk, station, connector, {11.0, capacity, 0.5, at}, kT0});
        tx->Commit();
    }
    std::vector<PriorObservation> Connector(const std::string& tenant, const std::string& station,
                                            const std::string& connector, std::int64_t exclude = 0,
                                            std::int64_t limit = 200) {
        auto tx = store_->Begin(storage::TxMode::kRead);
        auto out = tx->SocPriors().ForConnector(tenant, station, connector, exclude, limit);
        tx->Commit();
        return out;
    }
    std::vector<PriorObservation> Station(const std::string& tenant, const std::string& station,
                                          std::int64_t exclude = 0, std::int64_t limit = 1000) {
        auto tx = store_->Begin(storage::TxMode::kRead);
        auto out = tx->SocPriors().ForStation(tenant, station, exclude, limit);
        tx->Commit();
        return out;
    }
    std::vector<PriorObservation> Others(const std::string& tenant, const std::string& station,
                                         const std::string& connector, std::int64_t exclude = 0) {
        auto tx = store_->Begin(storage::TxMode::kRead);
        auto out = tx->SocPriors().ForOtherConnectors(tenant, station, connector, exclude, 200);
        tx->Commit();
        return out;
    }

    std::unique_ptr<testing::TestDatabase> db_;
    std::unique_ptr<storage::Store> store_;
};

TEST_P(SocPriorRepositoryTest, UpsertReplacesAndReadsNewestFirst) {
    const auto a = NewSession("t1", "a");
    const auto b = NewSession("t1", "b");
    const auto c = NewSession("t1", "c");
    Put("t1", a, "CP-1", "1", 40.0, kT0 + 1000);
    Put("t1", b, "CP-1", "1", 50.0, kT0 + 3000);
    Put("t1", c, "CP-1", "1", 60.0, kT0 + 2000);
    auto got = Connector("t1", "CP-1", "1");
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], (PriorObservation{11.0, 50.0, 0.5, kT0 + 3000}));
    EXPECT_DOUBLE_EQ(got[1].capacity_kwh, 60.0);
    EXPECT_DOUBLE_EQ(got[2].capacity_kwh, 40.0);
    // A new estimate of a session replaces its row.
    Put("t1", a, "CP-1", "1", 45.0, kT0 + 4000);
    got = Connector("t1", "CP-1", "1");
    ASSERT_EQ(got.size(), 3u);
    EXPECT_DOUBLE_EQ(got[0].capacity_kwh, 45.0);
    // Limit and the excluded session.
    EXPECT_EQ(Connector("t1", "CP-1", "1", 0, 2).size(), 2u);
    got = Connector("t1", "CP-1", "1", a);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_DOUBLE_EQ(got[0].capacity_kwh, 50.0);
    auto tx = store_->Begin(storage::TxMode::kRead);
    EXPECT_TRUE(tx->SocPriors().Exists("t1", a));
    EXPECT_FALSE(tx->SocPriors().Exists("t2", a));
    tx->Commit();
}

TEST_P(SocPriorRepositoryTest, EvPowerRequestRoundTrips) {
    const auto a = NewSession("t1", "a");
    auto tx = store_->Begin(storage::TxMode::kWrite);
    tx->SocPriors().Upsert({"t1", a, "CP-1", "1", {11.0, 40.0, 1.0, kT0, 52.5}, kT0});
    tx->Commit();
    auto got = Connector("t1", "CP-1", "1");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], (PriorObservation{11.0, 40.0, 1.0, kT0, 52.5}));
    got = Others("t1", "CP-2", "1");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_DOUBLE_EQ(got[0].ev_max_power_kw, 52.5);
}

TEST_P(SocPriorRepositoryTest, SessionFeaturesRoundTrip) {
    const auto a = NewSession("t1", "a");
    const auto b = NewSession("t1", "b");
    const PriorObservation full{95.0, 77.5, 1.0, kT0, 0.0, 23.5, 41.25, 32.5};
    auto tx = store_->Begin(storage::TxMode::kWrite);
    tx->SocPriors().Upsert({"t1", a, "CP-1", "1", full, kT0});
    tx->SocPriors().Upsert({"t1", b, "CP-1", "2", {11.0, 40.0, 1.0, kT0 - 1}, kT0});  // features unknown
    tx->Commit();
    auto got = Connector("t1", "CP-1", "1");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], full);
    got = Others("t1", "CP-1", "1");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_DOUBLE_EQ(got[0].start_soc, -1.0);
    EXPECT_DOUBLE_EQ(got[0].session_energy_kwh, 0.0);
    // An upsert replaces the features too.
    PriorObservation again = full;
    again.start_soc = 30.0;
    again.session_minutes = 12.0;
    tx = store_->Begin(storage::TxMode::kWrite);
    tx->SocPriors().Upsert({"t1", a, "CP-1", "1", again, kT0});
    tx->Commit();
    EXPECT_EQ(Connector("t1", "CP-1", "1").at(0), again);
}

TEST_P(SocPriorRepositoryTest, ConnectorsAndTenantsAreSeparate) {
    const auto a = NewSession("t1", "a");
    const auto b = NewSession("t1", "b");
    const auto c = NewSession("t2", "c");
    Put("t1", a, "CP-1", "1", 40.0, kT0 + 1000);
    Put("t1", b, "CP-1", "2", 50.0, kT0 + 2000);
    Put("t2", c, "CP-1", "1", 60.0, kT0 + 3000);
    auto got = Connector("t1", "CP-1", "1");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_DOUBLE_EQ(got[0].capacity_kwh, 40.0);
    got = Others("t1", "CP-1", "1");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_DOUBLE_EQ(got[0].capacity_kwh, 50.0);  // never tenant t2's 60 kWh
    got = Connector("t2", "CP-1", "1");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_DOUBLE_EQ(got[0].capacity_kwh, 60.0);
    EXPECT_TRUE(Others("t2", "CP-1", "1").empty());
    EXPECT_TRUE(Connector("t1", "CP-2", "1").empty());
    // Another tenant cannot move, delete or overwrite the row.
    {
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->SocPriors().Move("t2", a, "CP-9", "9");
        tx->SocPriors().Delete("t2", a);
        tx->SocPriors().Upsert({"t2", a, "CP-9", "9", {11.0, 99.0, 1.0, kT0}, kT0});
        tx->Commit();
    }
    got = Connector("t1", "CP-1", "1");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_DOUBLE_EQ(got[0].capacity_kwh, 40.0);
}

TEST_P(SocPriorRepositoryTest, StationReadsAllItsConnectorsNewestFirst) {
    const auto a = NewSession("t1", "a");
    const auto b = NewSession("t1", "b");
    const auto c = NewSession("t1", "c");
    const auto d = NewSession("t1", "d");
    const auto e = NewSession("t2", "e");
    Put("t1", a, "CP-1", "1", 40.0, kT0 + 1000);
    Put("t1", b, "CP-1", "2", 50.0, kT0 + 3000);
    Put("t1", c, "CP-1", "", 55.0, kT0 + 2000);
    Put("t1", d, "CP-2", "1", 60.0, kT0 + 4000);  // another station
    Put("t2", e, "CP-1", "1", 70.0, kT0 + 5000);  // another tenant's station of the same id
    auto got = Station("t1", "CP-1");
    ASSERT_EQ(got.size(), 3u);
    EXPECT_DOUBLE_EQ(got[0].capacity_kwh, 50.0);
    EXPECT_DOUBLE_EQ(got[1].capacity_kwh, 55.0);
    EXPECT_DOUBLE_EQ(got[2].capacity_kwh, 40.0);
    got = Station("t1", "CP-1", b, 1);  // without the session itself, and the limit
    ASSERT_EQ(got.size(), 1u);
    EXPECT_DOUBLE_EQ(got[0].capacity_kwh, 55.0);
    got = Station("t2", "CP-1");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_DOUBLE_EQ(got[0].capacity_kwh, 70.0);
}

TEST_P(SocPriorRepositoryTest, MoveAndDelete) {
    const auto a = NewSession("t1", "a");
    Put("t1", a, "CP-1", "1", 40.0, kT0 + 1000);
    {
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->SocPriors().Move("t1", a, "CP-2", "");
        tx->Commit();
    }
    EXPECT_TRUE(Connector("t1", "CP-1", "1").empty());
    EXPECT_EQ(Connector("t1", "CP-2", "").size(), 1u);
    {
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->SocPriors().Delete("t1", a);
        tx->SocPriors().Delete("t1", a);             // no-op
        tx->SocPriors().Move("t1", a, "CP-3", "1");  // no-op
        tx->Commit();
    }
    EXPECT_TRUE(Connector("t1", "CP-2", "").empty());
    EXPECT_TRUE(Connector("t1", "CP-3", "1").empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, SocPriorRepositoryTest,
                         ::testing::Values(testing::Backend::kSqlite, testing::Backend::kPostgres),
                         testing::BackendName);

// ------------------------------------------------------------------------------------------ service

class FixedClock final : public Clock {
  public:
    EpochMs NowMs() const override { return now; }
    EpochMs now = 1773050400000LL;  // 2026-03-09T10:00:00Z, after every session of these tests
};

class SocPriorServiceTest : public ::testing::TestWithParam<testing::Backend> {
  protected:
    void SetUp() override {
        ASSERT_TRUE(crypto::Init());
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open();
        keys_ = std::make_unique<api::ApiKeyService>(*store_, clock_);
        svc_ = std::make_unique<api::SessionService>(*store_, clock_, metrics_);
        listener_ = std::make_unique<api::SocPriorListener>(clock_);
        svc_->AddListener(listener_.get());
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
    std::vector<PriorObservation> History(const domain::Principal& who, const std::string& connector) {
        auto tx = store_->Begin(storage::TxMode::kRead);
        auto out = tx->SocPriors().ForConnector(who.tenant_id, "CP-1", connector, 0, 200);
        tx->Commit();
        return out;
    }
    // Sessions of a 40 kWh car on a connector, one a day, SoC reported every 10 minutes.
    void LearnSmallCar(const domain::Principal& who, const std::string& connector, int sessions) {
        for (int i = 0; i < sessions; ++i) {
            const EpochMs start = kT0 + i * 86'400'000LL;
            ASSERT_TRUE(svc_->Upsert(who, Cmd("hist-" + connector + "-" + std::to_string(i),
                                              AcSession(start, 120, 40.0, 15.0 + i, 10), connector)));
        }
    }

    std::unique_ptr<testing::TestDatabase> db_;
    FixedClock clock_;
    Metrics metrics_;
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<api::ApiKeyService> keys_;
    std::unique_ptr<api::SessionService> svc_;
    std::unique_ptr<api::SocPriorListener> listener_;
    domain::Principal alice_, bob_;
};

TEST_P(SocPriorServiceTest, SessionsWithSocFeedTheHistory) {
    LearnSmallCar(alice_, "1", 3);
    const auto history = History(alice_, "1");
    ASSERT_EQ(history.size(), 3u);
    for (const auto& o : history) EXPECT_NEAR(o.capacity_kwh, 40.0, 1.0);
    // A session without SoC adds nothing.
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("plain", AcSession(kT0 + 9 * 86'400'000LL, 60, 40.0, 20.0, 0), "1")));
    EXPECT_EQ(History(alice_, "1").size(), 3u);
    EXPECT_TRUE(History(bob_, "1").empty());
}

TEST_P(SocPriorServiceTest, ReconstructionUsesTheConnectorsLearnedCapacity) {
    // One SoC reading at the start (anchored), 2 h at 11 kW = 22 kWh: on a 40 kWh car 20 % -> 75 %.
    const auto target = AcSession(kT0 + 8 * 86'400'000LL, 120, 40.0, 20.0, -1);
    const double truth_end = 20.0 + 22.0 * 100.0 / 40.0;
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("target", target, "1")));
    ASSERT_TRUE(svc_->Upsert(bob_, Cmd("target", target, "1")));
    auto before = svc_->Get(alice_, "target");
    ASSERT_TRUE(before);
    ASSERT_TRUE(before->soc.reconstructed);
    const double error_before = std::fabs(before->soc.points.back().value - truth_end);

    LearnSmallCar(alice_, "1", 6);
    auto after = svc_->Get(alice_, "target");
    ASSERT_TRUE(after);
    ASSERT_TRUE(after->soc.reconstructed);
    const double error_after = std::fabs(after->soc.points.back().value - truth_end);
    EXPECT_LT(error_after, 3.0);
    EXPECT_LT(error_after, error_before - 5.0);
    EXPECT_NEAR(after->soc.battery_kwh, 40.0, 4.0);

    // Tenant b has no history of its own: alice's sessions on the same station and connector ids are not used.
    auto other = svc_->Get(bob_, "target");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->soc, before->soc);
}

TEST_P(SocPriorServiceTest, EvPowerRequestFromMetadataIsStoredAndMatched) {
    EXPECT_EQ(api::EvMaxPowerFromMetadata(R"({"evMaxPowerKw": "50"})"), 50.0);
    EXPECT_FALSE(api::EvMaxPowerFromMetadata(R"({"evMaxPowerKw": -1})"));
    EXPECT_FALSE(api::EvMaxPowerFromMetadata(R"({"maxPowerKw": 50})"));
    EXPECT_FALSE(api::EvMaxPowerFromMetadata(std::nullopt));
    // History: the 40 kWh car requesting 50 kW, a 90 kWh one requesting 100 kW, alternating on one connector.
    for (int i = 0; i < 8; ++i) {
        const bool small = i % 2 == 0;
        auto cmd = Cmd("hist-" + std::to_string(i),
                       AcSession(kT0 + i * 86'400'000LL, 120, small ? 40.0 : 90.0, 15.0 + i, 10), "1");
        cmd.changes.metadata_json = {true, small ? R"({"evMaxPowerKw": 50})" : R"({"evMaxPowerKw": 100})"};
        ASSERT_TRUE(svc_->Upsert(alice_, cmd));
    }
    const auto history = History(alice_, "1");
    ASSERT_EQ(history.size(), 8u);
    for (const auto& o : history) EXPECT_TRUE(o.ev_max_power_kw == 50.0 || o.ev_max_power_kw == 100.0);
    // The target: one SoC reading, the small car's request.
    auto target = Cmd("target", AcSession(kT0 + 8 * 86'400'000LL + 3'600'000LL, 120, 40.0, 20.0, -1), "1");
    target.changes.metadata_json = {true, R"({"evMaxPowerKw": 50})"};
    ASSERT_TRUE(svc_->Upsert(alice_, target));
    const auto got = svc_->Get(alice_, "target");
    ASSERT_TRUE(got && got->soc.reconstructed);
    EXPECT_NEAR(got->soc.battery_kwh, 40.0, 4.0);
    EXPECT_NEAR(got->soc.points.back().value, 20.0 + 22.0 * 100.0 / 40.0, 3.0);
}

// Appends of one minute's readings at a time (as OCPP MeterValues arrive).
void AppendByMinute(api::SessionService& svc, const domain::Principal& who, const std::string& id,
                    const domain::MeterValues& values, std::size_t from) {
    std::size_t i = from;
    while (i < values.size()) {
        api::SessionChanges changes;
        domain::MeterValues group;
        const EpochMs t = values[i].timestamp;
        while (i < values.size() && values[i].timestamp == t) group.push_back(values[i++]);
        changes.meter_values = std::move(group);
        ASSERT_TRUE(svc.Append(who, id, changes));
    }
}

TEST_P(SocPriorServiceTest, AppendedSessionIsEstimatedAtPowersOfTwoAndCompletion) {
    // SoC every minute: writes with SoC readings take the count past 8, 16, ..., 256 (interim estimates).
    const auto values = AcSession(kT0, 90, 40.0, 10.0, 1);
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("live", {values.begin(), values.begin() + 3}, "1")));
    EXPECT_TRUE(History(alice_, "1").empty());
    AppendByMinute(*svc_, alice_, "live", values, 3);
    auto history = History(alice_, "1");
    ASSERT_EQ(history.size(), 1u);
    EXPECT_NEAR(history[0].capacity_kwh, 40.0, 1.5);
    EXPECT_LT(history[0].observed_at, kT0 + 90 * 60'000LL);  // 273 values: the last estimate at 256
    // Completion (no new values) makes the estimate final.
    api::SessionChanges done;
    done.status = domain::ClientStatus::kCompleted;
    ASSERT_TRUE(svc_->Append(alice_, "live", done));
    history = History(alice_, "1");
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(history[0].observed_at, kT0 + 90 * 60'000LL);
}

TEST_P(SocPriorServiceTest, SparseSocIsEstimatedAtCompletion) {
    // SoC every 10 minutes, never in a write that passes a power of two: estimated when the stop reason comes.
    const auto values = AcSession(kT0, 90, 40.0, 10.0, 10);
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("sparse", {values.begin(), values.begin() + 2}, "1")));
    AppendByMinute(*svc_, alice_, "sparse", values, 2);
    api::SessionChanges stop;
    stop.stop_reason = {true, std::string("EVDisconnected")};
    ASSERT_TRUE(svc_->Append(alice_, "sparse", stop));
    const auto history = History(alice_, "1");
    ASSERT_EQ(history.size(), 1u);
    EXPECT_NEAR(history[0].capacity_kwh, 40.0, 1.5);
    EXPECT_EQ(history[0].observed_at, kT0 + 90 * 60'000LL);
}

TEST_P(SocPriorServiceTest, ReplaceAndMoveKeepTheHistoryInStep) {
    ASSERT_TRUE(svc_->Upsert(alice_, Cmd("s", AcSession(kT0, 120, 40.0, 15.0, 10), "1")));
    ASSERT_EQ(History(alice_, "1").size(), 1u);
    // Moved to connector 2 (no new values).
    api::SessionChanges move;
    move.connector_id = {true, std::string("2")};
    ASSERT_TRUE(svc_->Append(alice_, "s", move));
    EXPECT_TRUE(History(alice_, "1").empty());
    ASSERT_EQ(History(alice_, "2").size(), 1u);
    // Replaced by values without SoC: the estimate goes.
    api::SessionChanges replace;
    replace.meter_values = AcSession(kT0, 120, 40.0, 15.0, 0);
    ASSERT_TRUE(svc_->Replace(alice_, "s", replace));
    EXPECT_TRUE(History(alice_, "2").empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, SocPriorServiceTest,
                         ::testing::Values(testing::Backend::kSqlite, testing::Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace evni
