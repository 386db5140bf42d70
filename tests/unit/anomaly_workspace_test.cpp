// Anomalies workspace: the listener's diff (Reconcile), the issue workflow, meter value merging and
// measurement, SQL translation, and the listener + repositories + statistics against a real database
// on SQLite and PostgreSQL.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/anomaly_listener.h"
#include "api/anomaly_service.h"
#include "api/api_key_service.h"
#include "api/session_service.h"
#include "storage/sql_port.h"
#include "storage_test_backend.h"
#include "util/crypto.h"

namespace evni::api {
namespace {

constexpr EpochMs kT0 = 1772186400000LL;  // 2026-02-27T10:00:00Z

class FixedClock final : public Clock {
  public:
    EpochMs NowMs() const override { return now; }
    EpochMs now = 1773050400000LL;  // 2026-03-09T10:00:00Z
};

domain::MeterValue Energy(EpochMs t, double kwh) {
    return {t, kwh, "Energy.Active.Import.Register", "kWh", std::nullopt, std::nullopt, false};
}
domain::MeterValue Power(EpochMs t, double kw) {
    return {t, kw, "Power.Active.Import", "kW", std::nullopt, std::nullopt, false};
}

// 7.4 kW for 80 minutes; the register reaches 10.0 kWh at minute 40, reads 7.0 at minute 41, then rises.
domain::MeterValues KwhDecrease() {
    domain::MeterValues v;
    const double slope = 7.4 / 60;
    for (int m = 0; m <= 80; ++m) {
        const EpochMs t = kT0 + m * 60'000LL;
        const double kwh = m <= 40 ? 10.0 - slope * (40 - m) : 7.0 + slope * (m - 41);
        v.push_back(Energy(t, kwh));
        v.push_back(Power(t, 7.4));
    }
    return v;
}

domain::MeterValues Clean(int minutes = 60) {
    domain::MeterValues v;
    for (int m = 0; m <= minutes; ++m) {
        const EpochMs t = kT0 + m * 60'000LL;
        v.push_back(Energy(t, 7.4 * m / 60.0));
        v.push_back(Power(t, 7.4));
    }
    return v;
}

analysis::Anomaly Anom(const std::string& category, double score, EpochMs start, EpochMs end) {
    analysis::Anomaly a;
    a.category = category;
    a.score = score;
    a.confidence = 0.8;
    a.start_ms = start;
    a.end_ms = end;
    a.buckets = {(start - kT0) / 15'000, (end - kT0) / 15'000 - 1};
    return a;
}

storage::SessionRecord Session() {
    storage::SessionRecord s;
    s.pk = 7;
    s.tenant_id = "t";
    s.session_id = "s1";
    s.station_id = "CS1";
    s.connector_id = "1";
    s.analysis_version = 1;
    return s;
}

std::function<std::string(const char*)> Ids() {
    auto n = std::make_shared<int>(0);
    return [n](const char* prefix) { return std::string(prefix) + std::to_string(++*n); };
}

TEST(AnomalyReconcile, SummarisesOccurrencesByCategory) {
    auto s =
        SummariseByCategory({Anom("KWH_DECREASE", 0.5, kT0, kT0 + 60'000), Anom("DATA_GAP", 0.7, kT0, kT0 + 15'000),
                             Anom("KWH_DECREASE", 0.9, kT0 + 120'000, kT0 + 180'000)});
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].category, "DATA_GAP");
    EXPECT_EQ(s[1].category, "KWH_DECREASE");
    EXPECT_EQ(s[1].occurrences, 2);
    EXPECT_DOUBLE_EQ(s[1].score, 0.9);
    EXPECT_EQ(s[1].from, kT0);
    EXPECT_EQ(s[1].until, kT0 + 180'000);
    EXPECT_EQ(boost::json::parse(s[1].ranges_json).as_array().size(), 2u);
}

TEST(AnomalyReconcile, OpensUpdatesClosesAndReopens) {
    auto session = Session();
    auto ids = Ids();
    // First detection: a record with an OPEN issue and a timeline point.
    auto plan = Reconcile(session, {}, {Anom("KWH_DECREASE", 0.8, kT0, kT0 + 60'000)}, 1000, ids);
    ASSERT_EQ(plan.inserts.size(), 1u);
    auto rec = plan.inserts[0];
    EXPECT_EQ(rec.issue_status, "OPEN");
    EXPECT_EQ(rec.first_detected_at, 1000);
    EXPECT_EQ(rec.occurred_at, kT0);
    EXPECT_EQ(plan.points.size(), 1u);
    EXPECT_NE(rec.id, rec.issue_id);

    // The same anomalies again: nothing to do.
    EXPECT_TRUE(Reconcile(session, {rec}, {Anom("KWH_DECREASE", 0.8, kT0, kT0 + 60'000)}, 2000, ids).Empty());

    // A changed score: updated, with a point.
    session.analysis_version = 2;
    plan = Reconcile(session, {rec}, {Anom("KWH_DECREASE", 0.9, kT0, kT0 + 60'000)}, 3000, ids);
    ASSERT_EQ(plan.updates.size(), 1u);
    EXPECT_DOUBLE_EQ(plan.updates[0].score, 0.9);
    EXPECT_EQ(plan.updates[0].updated_at, 3000);
    EXPECT_EQ(plan.updates[0].first_detected_at, 1000);
    ASSERT_EQ(plan.points.size(), 1u);
    EXPECT_EQ(plan.points[0].second.analysis_version, 2);
    rec = plan.updates[0];

    // Only the range moved: updated, no point.
    plan = Reconcile(session, {rec}, {Anom("KWH_DECREASE", 0.9, kT0, kT0 + 120'000)}, 3500, ids);
    ASSERT_EQ(plan.updates.size(), 1u);
    EXPECT_TRUE(plan.points.empty());
    rec = plan.updates[0];

    // Gone: closed with a zero point; the issue stays as it is.
    rec.issue_status = "RESOLVED";
    plan = Reconcile(session, {rec}, {}, 4000, ids);
    ASSERT_EQ(plan.updates.size(), 1u);
    EXPECT_EQ(plan.updates[0].closed_at, 4000);
    EXPECT_EQ(plan.updates[0].issue_status, "RESOLVED");
    ASSERT_EQ(plan.points.size(), 1u);
    EXPECT_DOUBLE_EQ(plan.points[0].second.score, 0.0);
    rec = plan.updates[0];

    // Closed stays closed without more work.
    EXPECT_TRUE(Reconcile(session, {rec}, {}, 4500, ids).Empty());

    // Back: reopened, the resolved issue goes back to OPEN with a history entry by "system".
    plan = Reconcile(session, {rec}, {Anom("KWH_DECREASE", 0.7, kT0, kT0 + 60'000)}, 5000, ids);
    ASSERT_EQ(plan.updates.size(), 1u);
    EXPECT_FALSE(plan.updates[0].closed_at);
    EXPECT_EQ(plan.updates[0].issue_status, "OPEN");
    ASSERT_EQ(plan.history.size(), 1u);
    EXPECT_EQ(plan.history[0].actor, "system");
    EXPECT_EQ(plan.history[0].from_status, "RESOLVED");
    EXPECT_TRUE(plan.inserts.empty());
}

TEST(AnomalyWorkflow, Transitions) {
    EXPECT_TRUE(TransitionAllowed("OPEN", "IN_PROGRESS"));
    EXPECT_TRUE(TransitionAllowed("OPEN", "CONFIRMED"));
    EXPECT_TRUE(TransitionAllowed("OPEN", "OPEN"));
    EXPECT_FALSE(TransitionAllowed("OPEN", "RESOLVED"));
    EXPECT_TRUE(TransitionAllowed("IN_PROGRESS", "RESOLVED"));
    EXPECT_FALSE(TransitionAllowed("CONFIRMED", "FALSE_POSITIVE"));
    EXPECT_TRUE(TransitionAllowed("RESOLVED", "OPEN"));
    EXPECT_FALSE(TransitionAllowed("RESOLVED", "IN_PROGRESS"));
    EXPECT_FALSE(TransitionAllowed("OPEN", "DONE"));
    EXPECT_EQ(AllowedTransitions("FALSE_POSITIVE"), std::vector<std::string>{"OPEN"});
}

TEST(AnomalyCatalogue, HasTheFourteenCategories) {
    EXPECT_EQ(CategoryCatalogue().size(), 14u);
    ASSERT_NE(FindCategory("ENERGY_PIT"), nullptr);
    EXPECT_DOUBLE_EQ(FindCategory("METER_RESET")->max_score, 0.95);
    EXPECT_EQ(FindCategory("NOPE"), nullptr);
}

TEST(AnomalyMeterValues, MergesPerTimestampInCanonicalUnits) {
    domain::MeterValues v;
    // Energy in Wh per phase, power unphased in W, SoC.
    for (const char* phase : {"L1", "L2", "L3"}) {
        v.push_back({kT0, 1000.0, "Energy.Active.Import.Register", "Wh", std::string(phase), std::nullopt, false});
    }
    v.push_back({kT0, 11000.0, "Power.Active.Import", "W", std::nullopt, std::nullopt, false});
    v.push_back({kT0 + 60'000, 55.0, "SoC", "Percent", std::nullopt, std::string("EV"), false});
    v.push_back({kT0 + 60'000, 3.2, "Energy.Active.Import.Register", "kWh", std::nullopt, std::nullopt, false});
    auto merged = MergeMeterValues(v);
    ASSERT_EQ(merged.size(), 2u);
    EXPECT_DOUBLE_EQ(*merged[0].energy_kwh, 3.0);
    EXPECT_DOUBLE_EQ(*merged[0].power_kw, 11.0);
    EXPECT_FALSE(merged[0].soc);
    EXPECT_DOUBLE_EQ(*merged[1].soc, 55.0);
    EXPECT_DOUBLE_EQ(*merged[1].energy_kwh, 3.2);
}

TEST(AnomalyMeasure, RegisterDeltaDeliveredAndFlags) {
    auto m = MeasureSession(KwhDecrease(), std::string(R"({"tariffPerKwh": 0.5, "totalCost": "3.25"})"));
    const double slope = 7.4 / 60;
    ASSERT_TRUE(m.energy_kwh);
    EXPECT_NEAR(*m.energy_kwh, (7.0 + slope * 39) - (10.0 - slope * 40), 1e-9);
    // Power integral (7.4 kW for 80 min) exceeds the positive register steps.
    EXPECT_NEAR(*m.delivered_kwh, 7.4 * 80 / 60, 1e-9);
    EXPECT_DOUBLE_EQ(*m.tariff_per_kwh, 0.5);
    EXPECT_DOUBLE_EQ(*m.total_cost, 3.25);
    EXPECT_FALSE(m.has_duplicates);
    EXPECT_FALSE(m.missing_measurands);
    EXPECT_TRUE(m.reconstructed_soc);
    EXPECT_FALSE(m.invalid_timestamps);

    domain::MeterValues only_energy = {Energy(kT0, 1), Energy(kT0, 1.5), Energy(kT0 + 60'000, 2), Energy(100, 3)};
    auto n = MeasureSession(only_energy, std::nullopt);
    EXPECT_TRUE(n.has_duplicates);
    EXPECT_TRUE(n.missing_measurands);
    EXPECT_TRUE(n.invalid_timestamps);
    EXPECT_FALSE(n.total_cost);
}

TEST(AnomalyUptime, NeviFormula) {
    EXPECT_DOUBLE_EQ(UptimePercent(1000, 2, 0), 100.0);
    EXPECT_DOUBLE_EQ(UptimePercent(1000, 2, 100), 95.0);
    EXPECT_DOUBLE_EQ(UptimePercent(1000, 0, 100), 100.0);
    EXPECT_DOUBLE_EQ(UptimePercent(10, 1, 100), 0.0);
}

TEST(AnomalySql, Translation) {
    EXPECT_EQ(storage::ToPostgresSql("SELECT MS(max(at)), x FROM t WHERE a = ?1 AND b = ?12"),
              "SELECT (extract(epoch from max(at)) * 1000)::int8, x FROM t WHERE a = $1 AND b = $12");
    EXPECT_EQ(storage::ToSqliteSql("SELECT MS(at), AGG(category) FROM t WHERE a = ?1"),
              "SELECT (at), group_concat(DISTINCT category) FROM t WHERE a = ?1");
    EXPECT_EQ(storage::ToPostgresSql("SELECT AGG(category) FROM t"),
              "SELECT string_agg(DISTINCT category, ',') FROM t");
}

class AnomalyWorkspaceTest : public ::testing::TestWithParam<testing::Backend> {
  protected:
    void SetUp() override {
        ASSERT_TRUE(crypto::Init());
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open();
        keys_ = std::make_unique<ApiKeyService>(*store_, clock_);
        sessions_ = std::make_unique<SessionService>(*store_, clock_, metrics_);
        listener_ = std::make_unique<AnomalyWorkspaceListener>(clock_);
        sessions_->AddListener(listener_.get());
        svc_ = std::make_unique<AnomalyService>(*store_, clock_, outages_);
        auto a = keys_->CreateTenant("a");
        auto b = keys_->CreateTenant("b");
        alice_ = {a->tenant.id, a->admin_key.key.id, domain::Role::kAdmin};
        alice_.actor = "api-key:admin";
        bob_ = {b->tenant.id, b->admin_key.key.id, domain::Role::kAdmin};
    }

    storage::SessionRecord Put(const domain::Principal& who, const std::string& id, domain::MeterValues values,
                               std::optional<std::string> metadata = std::nullopt, const std::string& connector = "1") {
        UpsertSession cmd{id, "CS1", {}};
        cmd.changes.connector_id = {true, connector};
        if (metadata) cmd.changes.metadata_json = {true, metadata};
        cmd.changes.meter_values = std::move(values);
        auto r = sessions_->Upsert(who, std::move(cmd));
        EXPECT_TRUE(r.has_value());
        return *r;
    }
    storage::SessionRecord Replace(const domain::Principal& who, const std::string& id, domain::MeterValues values) {
        SessionChanges c;
        c.meter_values = std::move(values);
        auto r = sessions_->Replace(who, id, std::move(c));
        EXPECT_TRUE(r.has_value());
        return *r;
    }
    storage::AnomalyPage All(const domain::Principal& who, bool closed = false) {
        storage::AnomalyFilter f;
        f.include_closed = closed;
        return *svc_->List(who, f);
    }

    FixedClock clock_;
    Metrics metrics_;
    NoOutages outages_;
    std::unique_ptr<testing::TestDatabase> db_;
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<ApiKeyService> keys_;
    std::unique_ptr<SessionService> sessions_;
    std::unique_ptr<AnomalyWorkspaceListener> listener_;
    std::unique_ptr<AnomalyService> svc_;
    domain::Principal alice_, bob_;
};

TEST_P(AnomalyWorkspaceTest, RecordsFollowReanalysis) {
    auto s = Put(alice_, "s1", KwhDecrease());
    ASSERT_FALSE(s.anomalies.empty());
    auto page = All(alice_);
    ASSERT_GE(page.total_count, 1);
    const auto rec = page.items[0];
    bool has_decrease = false;
    for (const auto& r : page.items) has_decrease |= r.category == "KWH_DECREASE";
    EXPECT_TRUE(has_decrease);
    EXPECT_EQ(rec.issue_status, "OPEN");
    EXPECT_EQ(rec.first_detected_at, clock_.now);
    EXPECT_EQ(All(bob_).total_count, 0);  // tenant isolation

    // Clean values: every record closes, nothing is left dangling.
    clock_.now += 60'000;
    Replace(alice_, "s1", Clean());
    EXPECT_EQ(All(alice_).total_count, 0);
    auto closed = All(alice_, true);
    ASSERT_EQ(closed.total_count, page.total_count);
    EXPECT_EQ(closed.items[0].closed_at, clock_.now);

    // The decrease again: the same record reopens with the same issue.
    clock_.now += 60'000;
    Replace(alice_, "s1", KwhDecrease());
    auto again = All(alice_);
    ASSERT_EQ(again.total_count, page.total_count);
    auto d = svc_->Detail(alice_, "s1", "KWH_DECREASE");
    ASSERT_TRUE(d.has_value());
    EXPECT_FALSE(d->record.closed_at);
    EXPECT_EQ(d->record.first_detected_at, clock_.now - 120'000);
    EXPECT_EQ(d->record.updated_at, clock_.now);
    ASSERT_EQ(d->timeline.size(), 3u);  // opened, closed (0), reopened
    EXPECT_DOUBLE_EQ(d->timeline[1].score, 0.0);
    EXPECT_FALSE(d->values.empty());
    EXPECT_FALSE(svc_->Detail(bob_, "s1", "KWH_DECREASE").has_value());
    EXPECT_FALSE(svc_->Detail(alice_, "s1", "ENERGY_PIT").has_value());
}

TEST_P(AnomalyWorkspaceTest, IssueWorkflowAndIncident) {
    Put(alice_, "s1", KwhDecrease());
    auto d = svc_->Detail(alice_, "s1", "KWH_DECREASE");
    ASSERT_TRUE(d.has_value());
    const auto issue = d->record.issue_id;
    // Refused transition.
    auto bad = svc_->UpdateIssue(alice_, issue, {"RESOLVED", {}});
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, ErrorCode::kValidation);
    // Another tenant's issue is not found.
    EXPECT_EQ(svc_->UpdateIssue(bob_, issue, {"IN_PROGRESS", {}}).error().code, ErrorCode::kNotFound);
    // 'me' without a member email.
    EXPECT_EQ(svc_->UpdateIssue(alice_, issue, {"IN_PROGRESS", {true, std::string("me")}}).error().code,
              ErrorCode::kValidation);
    auto ok = svc_->UpdateIssue(alice_, issue, {"IN_PROGRESS", {true, std::string("Ops@Example.com")}});
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->assigned_to, "ops@example.com");
    ok = svc_->UpdateIssue(alice_, issue, {"CONFIRMED", {}});
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->assigned_to, "ops@example.com");
    auto session = sessions_->Get(alice_, "s1");
    EXPECT_EQ(session->record.is_incident, true);
    // A re-analysis keeps the operator's confirmation.
    Put(alice_, "s1", {Energy(kT0 + 81 * 60'000LL, 12.0), Power(kT0 + 81 * 60'000LL, 7.4)});
    EXPECT_EQ(sessions_->Get(alice_, "s1")->record.is_incident, true);
    d = svc_->Detail(alice_, "s1", "KWH_DECREASE");
    ASSERT_EQ(d->history.size(), 2u);
    EXPECT_EQ(d->history[0].actor, "api-key:admin");
    EXPECT_EQ(d->history[0].from_status, "OPEN");
    EXPECT_EQ(d->history[0].to_assignee, "ops@example.com");
    EXPECT_EQ(d->history[1].to_status, "CONFIRMED");

    storage::AnomalyFilter f;
    f.statuses = {"CONFIRMED"};
    f.assignees = {"ops@example.com"};
    EXPECT_EQ(svc_->List(alice_, f)->total_count, 1);
    f.statuses = {"OPEN"};
    EXPECT_EQ(svc_->List(alice_, f)->total_count, 0);
}

TEST_P(AnomalyWorkspaceTest, GroupsAndStatistics) {
    Put(alice_, "s1", KwhDecrease(), std::string(R"({"tariffPerKwh": 0.5})"));
    Put(alice_, "s2", Clean(), std::string(R"({"totalCost": 4})"), "2");
    storage::GroupFilter g;
    auto by_session = svc_->BySession(alice_, g);
    ASSERT_EQ(by_session->total_count, 1);
    EXPECT_EQ(by_session->items[0].session_id, "s1");
    EXPECT_FALSE(by_session->items[0].categories.empty());
    auto by_connector = svc_->ByConnector(alice_, g);
    ASSERT_EQ(by_connector->total_count, 1);
    EXPECT_EQ(by_connector->items[0].connector_id, "1");

    // Before the job: no measurements, dataQuality null.
    auto stats = svc_->Statistics(alice_, std::nullopt, std::nullopt);
    ASSERT_TRUE(stats.has_value());
    EXPECT_TRUE(stats->at("dataQuality").is_null());
    EXPECT_EQ(stats->at("totalSessions").as_int64(), 2);
    EXPECT_DOUBLE_EQ(stats->at("totalRevenue").as_double(), 0.0);

    EXPECT_EQ(svc_->RunDataQuality(), 2);
    EXPECT_EQ(svc_->RunDataQuality(), 0);  // nothing stale
    stats = svc_->Statistics(alice_, std::nullopt, std::nullopt);
    const double slope = 7.4 / 60;
    const double delta = (7.0 + slope * 39) - (10.0 - slope * 40);
    const double leak = 7.4 * 80 / 60 - delta;
    EXPECT_NEAR(stats->at("totalRevenue").as_double(), delta * 0.5 + 4.0, 1e-9);
    EXPECT_NEAR(stats->at("revenueAtRisk").as_double(), delta * 0.5, 1e-9);
    EXPECT_NEAR(stats->at("revenueLeakEstimate").as_double(), leak * 0.5, 1e-9);
    EXPECT_EQ(stats->at("sessionsWithAnomaliesCount").as_int64(), 1);
    EXPECT_EQ(stats->at("chargingStationsWithAnomaliesCount").as_int64(), 1);
    EXPECT_DOUBLE_EQ(stats->at("uptimePercentage").as_double(), 100.0);
    const auto& dq = stats->at("dataQuality").as_object();
    EXPECT_EQ(dq.at("all").at("sessions").as_int64(), 2);
    EXPECT_EQ(dq.at("all").at("withReconstructedSoc").as_int64(), 2);
    EXPECT_EQ(dq.at("all").at("notMeasured").as_int64(), 0);

    // A write makes the session stale again.
    clock_.now += 1000;
    Put(alice_, "s2", Clean(61), std::nullopt, "2");
    EXPECT_EQ(svc_->RunDataQuality(), 1);

    // Another tenant sees nothing.
    auto other = svc_->Statistics(bob_, std::nullopt, std::nullopt);
    EXPECT_EQ(other->at("totalSessions").as_int64(), 0);
    EXPECT_EQ(other->at("totalAnomaliesCount").as_int64(), 0);
}

TEST_P(AnomalyWorkspaceTest, AMeasurementOfAnOlderVersionLeavesTheSessionToMeasure) {
    const auto first = Put(alice_, "s1", Clean(), std::nullopt);
    Put(alice_, "s2", Clean(), std::nullopt, "2");
    // The job read s1 as first written; a write comes in before it saves what it measured.
    auto m = MeasureSession(Clean(), std::nullopt);
    m.session_pk = first.pk;
    m.tenant_id = first.tenant_id;
    m.source_updated_at = first.updated_at;
    m.measured_at = clock_.now;
    clock_.now += 1000;
    Put(alice_, "s1", Clean(61), std::nullopt);
    {
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->Anomalies().SaveMeasurement(m);
        tx->Commit();
    }
    {
        auto tx = store_->Begin(storage::TxMode::kRead);
        const auto stale = tx->Anomalies().StaleSessions(0, 10);
        ASSERT_EQ(stale.size(), 2u);  // s1 still (a newer version), and s2
        EXPECT_EQ(stale[0].pk, first.pk);
        tx->Commit();
    }
    EXPECT_EQ(svc_->RunDataQuality(), 2);
    EXPECT_EQ(svc_->RunDataQuality(), 0);
    {
        auto tx = store_->Begin(storage::TxMode::kRead);
        EXPECT_TRUE(tx->Anomalies().StaleSessions(0, 10).empty());
        tx->Commit();
    }
}

TEST_P(AnomalyWorkspaceTest, DataQualityRunWalksSeveralBatches) {
    // More than two batches of 200: a run walks the table once in pk order and measures every stale session.
    for (int i = 0; i < 401; ++i) Put(alice_, fmt::format("m{}", i), Clean(), std::nullopt);
    EXPECT_EQ(svc_->RunDataQuality(), 401);
    EXPECT_EQ(svc_->RunDataQuality(), 0);
    clock_.now += 1000;
    Put(alice_, "m7", Clean(61), std::nullopt);
    Put(alice_, "m399", Clean(61), std::nullopt);
    EXPECT_EQ(svc_->RunDataQuality(), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, AnomalyWorkspaceTest,
                         ::testing::Values(testing::Backend::kSqlite, testing::Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace evni::api
