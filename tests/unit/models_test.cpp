// Models (docs/models.md): threshold calibration, labels from issue statuses, fine-tune validation and
// the models repository on both backends.
#include <gtest/gtest.h>

#include <thread>

#include "api/model_calibration.h"
#include "api/model_service.h"
#include "storage/store.h"
#include "storage_test_backend.h"

namespace evni {
namespace {

using api::CalibrateThreshold;
using api::Evaluate;
using api::LabelledScore;

std::vector<LabelledScore> Labels(std::initializer_list<double> positives, std::initializer_list<double> negatives) {
    std::vector<LabelledScore> out;
    for (double s : positives) out.push_back({s, true});
    for (double s : negatives) out.push_back({s, false});
    return out;
}

TEST(ModelCalibration, EvaluateCountsTheConfusionMatrix) {
    auto q = Evaluate(Labels({0.9, 0.6, 0.4}, {0.7, 0.2}), 0.5);
    EXPECT_EQ(q.true_positives, 2);
    EXPECT_EQ(q.false_negatives, 1);
    EXPECT_EQ(q.false_positives, 1);
    EXPECT_EQ(q.true_negatives, 1);
    EXPECT_DOUBLE_EQ(q.precision, 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(q.recall, 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(q.f1, 2.0 / 3.0);
}

TEST(ModelCalibration, EvaluateWithNothingFlaggedHasZeroF1) {
    auto q = Evaluate(Labels({0.3}, {0.2}), 0.5);
    EXPECT_EQ(q.precision, 0.0);
    EXPECT_EQ(q.recall, 0.0);
    EXPECT_EQ(q.f1, 0.0);
}

TEST(ModelCalibration, SeparableScoresGetTheMidpointBetweenTheClasses) {
    // Dismissed findings score up to 0.7, confirmed ones from 0.9: any threshold in (0.7, 0.9] is perfect;
    // the cut is represented by its midpoint.
    auto q = CalibrateThreshold(Labels({0.9, 0.95, 1.0}, {0.55, 0.6, 0.7}));
    EXPECT_NEAR(q.threshold, 0.8, 1e-12);
    EXPECT_DOUBLE_EQ(q.f1, 1.0);
    EXPECT_EQ(q.false_positives, 0);
}

TEST(ModelCalibration, KeepsHalfWhenHalfIsAlreadyBest) {
    auto q = CalibrateThreshold(Labels({0.6, 0.8}, {0.2, 0.3}));
    EXPECT_DOUBLE_EQ(q.threshold, 0.5);
    EXPECT_DOUBLE_EQ(q.f1, 1.0);
}

TEST(ModelCalibration, LowersTheThresholdWhenConfirmedFindingsScoreLow) {
    auto q = CalibrateThreshold(Labels({0.35, 0.4, 0.45, 0.9}, {0.1, 0.15}));
    EXPECT_NEAR(q.threshold, 0.25, 1e-12);  // midpoint of 0.15 and 0.35
    EXPECT_DOUBLE_EQ(q.f1, 1.0);
}

TEST(ModelCalibration, TiesGoToTheThresholdClosestToHalf) {
    // Flagging everything (>= 0.2: 2 TP, 2 FP) and flagging only 0.9 (1 TP, 1 FN; its cut (0.35, 0.9]
    // contains 0.5) both give F1 2/3, the best there is.
    auto labels = Labels({0.9, 0.2}, {0.3, 0.35});
    auto low = Evaluate(labels, 0.1), mid = Evaluate(labels, 0.5);
    ASSERT_DOUBLE_EQ(low.f1, mid.f1);
    auto q = CalibrateThreshold(labels);
    EXPECT_DOUBLE_EQ(q.f1, mid.f1);
    EXPECT_DOUBLE_EQ(q.threshold, 0.5);
}

TEST(ModelCalibration, NeverBelowTheFloor) {
    // Everything confirmed: flagging all is best; the floor keeps the threshold above 0.
    auto q = CalibrateThreshold(Labels({0.01, 0.02, 0.03}, {}), 0.05);
    EXPECT_GE(q.threshold, 0.05);
}

TEST(ModelCalibration, MixedClassesPickTheBestF1) {
    // Positives 0.6..0.95, negatives 0.5..0.75: flagging >= 0.8 gives 4 TP, 0 FP, 2 FN (F1 0.8); flagging
    // >= 0.6 gives 6 TP, 2 FP (F1 0.857): the best.
    auto labels = Labels({0.6, 0.65, 0.8, 0.85, 0.9, 0.95}, {0.5, 0.55, 0.7, 0.75});
    auto q = CalibrateThreshold(labels);
    EXPECT_NEAR(q.f1, 6.0 / 7.0, 1e-12);
    EXPECT_NEAR(q.threshold, 0.575, 1e-12);
    for (double t : {0.3, 0.5, 0.62, 0.72, 0.78, 0.82, 0.92, 0.97})
        EXPECT_LE(Evaluate(labels, t).f1, q.f1 + 1e-12) << t;
}

TEST(ModelLabels, IssueStatusesLabelSessions) {
    std::vector<storage::SessionLabelCounts> counts{
        {"a", 0.9, 1, 0, 2},  // one confirmed: anomaly
        {"b", 0.6, 0, 2, 2},  // all dismissed: not an anomaly
        {"c", 0.7, 0, 1, 2},  // one dismissed, one open: untriaged
        {"d", 0.4, 0, 0, 1},  // open: untriaged
        {"e", 0.8, 1, 1, 2},  // confirmed wins
    };
    auto set = api::LabelsFrom(counts);
    EXPECT_EQ(set.positives, 2);
    EXPECT_EQ(set.negatives, 1);
    EXPECT_EQ(set.untriaged, 2);
    ASSERT_EQ(set.labels.size(), 3u);
}

boost::json::object Body(std::string_view text) { return boost::json::parse(text).as_object(); }

std::string FirstLoc(const Error& e) {
    std::string s;
    for (const auto& part : e.fields.at(0).loc) {
        s += "/";
        s += std::holds_alternative<std::string>(part) ? std::get<std::string>(part)
                                                       : std::to_string(std::get<std::int64_t>(part));
    }
    return s;
}

TEST(ModelFineTuneRequest, AcceptsAndEchoesTheConfig) {
    auto r = api::DecodeFineTune(Body(R"({"baseModelId":"evni-session-engine","name":"q1",
        "trainingConfig":{"minLabels":30},
        "dataSource":{"type":"sessions","sessionFilter":{"dateFrom":"2026-01-01","chargingStationId":"CP-1"}}})"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->min_labels, 30);
    EXPECT_EQ(r->filter.station_id, "CP-1");
    EXPECT_TRUE(r->filter.date_from.has_value());
    EXPECT_FALSE(r->filter.date_to.has_value());
    EXPECT_EQ(r->config.at("trainingConfig").at("minLabels").as_int64(), 30);
}

TEST(ModelFineTuneRequest, NamesTheBadField) {
    auto upload = api::DecodeFineTune(Body(R"({"baseModelId":"x","name":"n","dataSource":{"type":"upload"}})"));
    ASSERT_FALSE(upload);
    EXPECT_EQ(FirstLoc(upload.error()), "/body/dataSource/type");
    auto min = api::DecodeFineTune(
        Body(R"({"baseModelId":"x","name":"n","trainingConfig":{"minLabels":1},"dataSource":{"type":"sessions"}})"));
    ASSERT_FALSE(min);
    EXPECT_EQ(FirstLoc(min.error()), "/body/trainingConfig/minLabels");
    auto extra = api::DecodeFineTune(
        Body(R"({"baseModelId":"x","name":"n","trainingConfig":{"epochs":3},"dataSource":{"type":"sessions"}})"));
    ASSERT_FALSE(extra);
    EXPECT_EQ(FirstLoc(extra.error()), "/body/trainingConfig/epochs");
    auto date = api::DecodeFineTune(Body(
        R"({"baseModelId":"x","name":"n","dataSource":{"type":"sessions","sessionFilter":{"dateTo":"yesterday"}}})"));
    ASSERT_FALSE(date);
    EXPECT_EQ(FirstLoc(date.error()), "/body/dataSource/sessionFilter/dateTo");
    auto missing = api::DecodeFineTune(Body(R"({"baseModelId":"x","name":"n"})"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(FirstLoc(missing.error()), "/body/dataSource");
}

// The repository on both backends.
using testing::Backend;

class ModelRepositoryTest : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open();
    }
    storage::ModelRecord Model(const std::string& tenant, const std::string& id, double threshold, EpochMs at) {
        storage::ModelRecord m;
        m.id = id;
        m.tenant_id = tenant;
        m.name = "m " + id;
        m.version = "0.1.0+ft";
        m.base_model = api::kBaseModelId;
        m.status = storage::kModelActive;
        m.threshold = threshold;
        m.metrics_json = R"({"threshold":)" + std::to_string(threshold) + "}";
        m.created_at = at;
        return m;
    }
    std::unique_ptr<testing::TestDatabase> db_;
    std::unique_ptr<storage::Store> store_;
};

TEST_P(ModelRepositoryTest, OneActiveModelPerTenant) {
    {
        auto tx = store_->Begin(storage::TxMode::kWrite);
        EXPECT_FALSE(tx->Models().ActiveThreshold("t1").has_value());
        tx->Models().InsertActive(Model("t1", "m1", 0.7, 1'000));
        tx->Models().InsertActive(Model("t2", "m2", 0.3, 2'000));
        tx->Commit();
    }
    {
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->Models().InsertActive(Model("t1", "m3", 0.6, 3'000));
        tx->Commit();
    }
    auto tx = store_->Begin(storage::TxMode::kRead);
    EXPECT_DOUBLE_EQ(*tx->Models().ActiveThreshold("t1"), 0.6);
    EXPECT_DOUBLE_EQ(*tx->Models().ActiveThreshold("t2"), 0.3);
    auto list = tx->Models().List("t1");
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].id, "m3");
    EXPECT_EQ(list[0].status, "active");
    EXPECT_EQ(list[0].created_at, 3'000);
    EXPECT_EQ(list[1].status, "inactive");
    EXPECT_FALSE(tx->Models().Find("t2", "m1").has_value());  // another tenant's model
    EXPECT_EQ(tx->Models().Find("t1", "m1")->metrics_json, Model("t1", "m1", 0.7, 0).metrics_json);
    tx->Commit();
}

TEST_P(ModelRepositoryTest, FineTuneJobLifecycle) {
    storage::FineTuneRecord j;
    j.id = "ft1";
    j.tenant_id = "t1";
    j.base_model_id = api::kBaseModelId;
    j.name = "n";
    j.config_json = "{}";
    j.status = storage::kFineTuneQueued;
    j.created_at = 5'000;
    {
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->Models().InsertFineTune(j);
        EXPECT_FALSE(tx->Models().MarkFineTuneRunning("t2", "ft1", 6'000));
        EXPECT_TRUE(tx->Models().MarkFineTuneRunning("t1", "ft1", 6'000));
        EXPECT_TRUE(tx->Models().FinishFineTune("t1", "ft1", storage::kFineTuneFailed, std::nullopt, "too few", 7'000));
        EXPECT_FALSE(tx->Models().FinishFineTune("t1", "ft1", storage::kFineTuneCompleted, "m", std::nullopt, 8'000));
        EXPECT_FALSE(tx->Models().MarkFineTuneRunning("t1", "ft1", 9'000));
        tx->Commit();
    }
    auto tx = store_->Begin(storage::TxMode::kRead);
    auto got = tx->Models().FindFineTune("t1", "ft1");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->status, "failed");
    EXPECT_EQ(got->error_message, "too few");
    EXPECT_EQ(got->started_at, 6'000);
    EXPECT_EQ(got->completed_at, 7'000);
    EXPECT_FALSE(got->result_model_id.has_value());
    EXPECT_FALSE(tx->Models().FindFineTune("t2", "ft1").has_value());
    tx->Commit();
}

TEST_P(ModelRepositoryTest, ThresholdCacheHonoursItsTtl) {
    SystemClock clock;
    api::ModelService forever(*store_, clock);  // TTL 0: until this node changes the model
    api::ModelServiceOptions o;
    o.threshold_ttl = std::chrono::milliseconds(20);
    api::ModelService briefly(*store_, clock, o);
    auto threshold = [&](api::ModelService& svc) {
        auto tx = store_->Begin(storage::TxMode::kRead);
        const double t = svc.ThresholdFor(*tx, "t1");
        tx->Commit();
        return t;
    };
    EXPECT_DOUBLE_EQ(threshold(forever), 0.5);
    EXPECT_DOUBLE_EQ(threshold(briefly), 0.5);
    {
        // Another node activates a model (written behind both services' backs).
        auto tx = store_->Begin(storage::TxMode::kWrite);
        tx->Models().InsertActive(Model("t1", "m1", 0.8, 1'000));
        tx->Commit();
    }
    EXPECT_DOUBLE_EQ(threshold(forever), 0.5);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_DOUBLE_EQ(threshold(briefly), 0.8);
}

INSTANTIATE_TEST_SUITE_P(Backends, ModelRepositoryTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace evni
