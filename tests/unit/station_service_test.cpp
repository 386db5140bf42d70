// Station service against a real database, on SQLite and PostgreSQL: aggregates kept by the listener, the
// station model run daily and on demand, and `station.anomaly` published once per station-day.
#include "api/station_service.h"

#include <gtest/gtest.h>

#include "analysis/station_model.h"
#include "api/api_key_service.h"
#include "api/session_service.h"
#include "api/station_aggregates.h"
#include "storage_test_backend.h"
#include "util/crypto.h"

namespace evni::api {
namespace {

namespace st = analysis::station;

class FixedClock final : public Clock {
  public:
    EpochMs NowMs() const override { return now; }
    EpochMs now = 0;
};

class RecordingSink final : public EventSink {
  public:
    void Emit(storage::Transaction&, const std::string& tenant_id, const std::string& type,
              boost::json::object data) override {
        events.push_back({tenant_id, type, std::move(data)});
    }
    struct Event {
        std::string tenant_id;
        std::string type;
        boost::json::object data;
    };
    std::vector<Event> events;
};

constexpr EpochMs kDay0 = 20'458LL * st::kDayMs;  // 2026-01-05, a Monday

domain::MeterValues Charge(EpochMs start, int minutes, double kw = 7.4) {
    domain::MeterValues v;
    for (int m = 0; m <= minutes; m += 15) {
        v.push_back({start + m * st::kMinuteMs, kw * m / 60.0, "Energy.Active.Import.Register", "kWh", std::nullopt,
                     std::nullopt, false});
    }
    return v;
}

class StationServiceTest : public ::testing::TestWithParam<testing::Backend> {
  protected:
    void SetUp() override {
        ASSERT_TRUE(crypto::Init());
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open();
        clock_.now = kDay0 + 30 * st::kDayMs;
        keys_ = std::make_unique<ApiKeyService>(*store_, clock_);
        sessions_ = std::make_unique<SessionService>(*store_, clock_, metrics_);
        sessions_->AddListener(&listener_);
        stations_ = std::make_unique<StationService>(*store_, clock_, sink_);
        auto a = keys_->CreateTenant("a");
        who_ = {a->tenant.id, a->admin_key.key.id, domain::Role::kAdmin};
    }
    void TearDown() override {
        stations_.reset();
        sessions_.reset();
        keys_.reset();
        store_.reset();
        db_.reset();
    }
    void Post(const std::string& id, const std::string& connector, domain::MeterValues values) {
        UpsertSession c;
        c.session_id = id;
        c.station_id = "ST-1";
        c.changes.connector_id = {true, connector};
        c.changes.meter_values = std::move(values);
        ASSERT_TRUE(sessions_->Upsert(who_, std::move(c)));
    }

    std::unique_ptr<testing::TestDatabase> db_;
    FixedClock clock_;
    Metrics metrics_;
    RecordingSink sink_;
    StationAggregatesListener listener_;
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<ApiKeyService> keys_;
    std::unique_ptr<SessionService> sessions_;
    std::unique_ptr<StationService> stations_;
    domain::Principal who_;
};

TEST_P(StationServiceTest, DailyModelFindsAnOutageAndPublishesItOnce) {
    // Three weeks of two connectors charging three times a day, then a day with nothing, then one more day.
    for (int d = 0; d < 21; ++d) {
        for (const char* c : {"1", "2"}) {
            for (int h : {8, 12, 16}) {
                Post("s-" + std::to_string(d) + "-" + c + "-" + std::to_string(h), c,
                     Charge(kDay0 + d * st::kDayMs + h * st::kHourMs, 120));
            }
        }
    }
    Post("after", "1", Charge(kDay0 + 22 * st::kDayMs + 9 * st::kHourMs, 60));
    auto detail = stations_->Get(who_, "ST-1");
    ASSERT_TRUE(detail);
    EXPECT_EQ(detail->station.aggregates.total_sessions, 127);
    ASSERT_EQ(detail->connectors.size(), 2u);
    EXPECT_EQ(detail->connectors[0].aggregates.total_sessions, 64);

    // The daily job on the day after the silent day analyses it, once.
    clock_.now = kDay0 + 22 * st::kDayMs + 10 * st::kHourMs;
    EXPECT_EQ(stations_->RunDaily(), 1);
    EXPECT_EQ(stations_->RunDaily(), 0);
    auto result = stations_->Inference(who_, "ST-1", kDay0 + 21 * st::kDayMs);
    ASSERT_TRUE(result);
    EXPECT_TRUE(result->is_anomaly);
    EXPECT_EQ(result->anomaly_type, std::optional<std::string>("outage"));
    EXPECT_GE(result->day_score, 0.5);
    ASSERT_EQ(sink_.events.size(), 1u);
    EXPECT_EQ(sink_.events[0].type, "station.anomaly");
    EXPECT_EQ(sink_.events[0].tenant_id, who_.tenant_id);
    EXPECT_EQ(sink_.events[0].data.at("chargingStationId").as_string(), "ST-1");
    // Analysing the same day again replaces the result without a second event.
    stations_->AnalyzeAndStore(who_.tenant_id, "ST-1", kDay0 + 21 * st::kDayMs);
    EXPECT_EQ(sink_.events.size(), 1u);
    auto history = stations_->History(who_, "ST-1", 1, 10);
    ASSERT_TRUE(history);
    EXPECT_EQ(history->total_count, 1);

    // A normal day: no anomaly, no event.
    auto normal = stations_->Inference(who_, "ST-1", kDay0 + 20 * st::kDayMs);
    ASSERT_TRUE(normal);
    EXPECT_FALSE(normal->is_anomaly);
    EXPECT_EQ(sink_.events.size(), 1u);
}

TEST_P(StationServiceTest, AggregatesFollowReplacesAndConnectorMoves) {
    // A register decrease makes the session anomalous.
    domain::MeterValues bad = Charge(kDay0 + 8 * st::kHourMs, 60);
    bad.push_back({kDay0 + 8 * st::kHourMs + 61 * st::kMinuteMs, 1.0, "Energy.Active.Import.Register", "kWh",
                   std::nullopt, std::nullopt, false});
    bad.push_back({kDay0 + 8 * st::kHourMs + 62 * st::kMinuteMs, 1.1, "Energy.Active.Import.Register", "kWh",
                   std::nullopt, std::nullopt, false});
    Post("bad", "1", bad);
    Post("good", "1", Charge(kDay0 + 12 * st::kHourMs, 60));
    auto d = stations_->Get(who_, "ST-1");
    ASSERT_TRUE(d);
    ASSERT_EQ(d->station.aggregates.anomalous_sessions, 1);
    ASSERT_TRUE(d->station.aggregates.max_score);
    EXPECT_GE(*d->station.aggregates.max_score, 0.5);
    EXPECT_FALSE(d->categories.empty());

    SessionChanges replace;
    replace.meter_values = Charge(kDay0 + 8 * st::kHourMs, 60);
    ASSERT_TRUE(sessions_->Replace(who_, "bad", replace));
    d = stations_->Get(who_, "ST-1");
    EXPECT_EQ(d->station.aggregates.total_sessions, 2);
    EXPECT_EQ(d->station.aggregates.anomalous_sessions, 0);
    EXPECT_LT(*d->station.aggregates.max_score, 0.5);  // recomputed, not the old running maximum
    EXPECT_FALSE(d->station.aggregates.last_anomaly_at);
    EXPECT_TRUE(d->categories.empty());

    // Moving a session to another connector moves its counts.
    UpsertSession move;
    move.session_id = "good";
    move.station_id = "ST-1";
    move.changes.connector_id = {true, "2"};
    ASSERT_TRUE(sessions_->Upsert(who_, move));
    d = stations_->Get(who_, "ST-1");
    ASSERT_EQ(d->connectors.size(), 2u);
    EXPECT_EQ(d->connectors[0].aggregates.total_sessions, 1);
    EXPECT_EQ(d->connectors[1].aggregates.total_sessions, 1);
    EXPECT_EQ(d->station.aggregates.total_sessions, 2);
}

TEST(StationMetadataTest, MergeKeepsEveryField) {
    EXPECT_EQ(MergeMetadata(std::nullopt, R"({"a":1})"), R"({"a":1})");
    EXPECT_EQ(MergeMetadata(std::string(R"({"a":1,"n":{"x":1}})"), R"({"b":2,"n":{"y":2}})"),
              R"({"a":1,"n":{"x":1,"y":2},"b":2})");
    EXPECT_EQ(MergeMetadata(std::string(R"({"a":1})"), R"({"a":3})"), R"({"a":3})");
    EXPECT_EQ(MergeMetadata(std::string(R"({"a":1})"), "[1]"), R"({"a":1})");
}

INSTANTIATE_TEST_SUITE_P(Backends, StationServiceTest,
                         ::testing::Values(testing::Backend::kSqlite, testing::Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace evni::api
