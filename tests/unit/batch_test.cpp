// Batch uploads: the streaming splitter of request bodies, and BatchService on SQLite and PostgreSQL
// (submission with per-item validation, processing by jobs, exactly-once items under job retries,
// completion with one batch.completed event, tenant isolation, SessionService's in-transaction hook).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "api/batch_scanner.h"
#include "api/batch_service.h"
#include "jobs/job_runner.h"
#include "storage_test_backend.h"

namespace evni::api {
namespace {

using storage::TxMode;
using testing::Backend;

constexpr EpochMs kT0 = 1772186400000LL;  // 2026-02-27T10:00:00Z

// ---------------------------------------------------------------------------------------------
// SessionsArrayScanner

struct Scan {
    std::vector<std::string> elements;
    SessionsArrayScanner::Status status;
};

Scan RunScan(std::string_view body, std::size_t piece, std::size_t max_element = 1 << 20) {
    Scan out;
    SessionsArrayScanner scanner(
        [&](std::string_view e, std::int64_t idx) {
            EXPECT_EQ(idx, static_cast<std::int64_t>(out.elements.size()));
            out.elements.emplace_back(e);
            return true;
        },
        max_element);
    bool ok = true;
    for (std::size_t i = 0; ok && i < body.size(); i += piece) ok = scanner.Feed(body.substr(i, piece));
    if (ok) scanner.Finish();
    out.status = scanner.status();
    return out;
}

TEST(SessionsArrayScannerTest, SplitsElementsWhateverTheChunking) {
    const std::string body =
        R"( { "before": {"sessions": [1, "]"]}, "n": -1.5e3, "sessions" : [ {"sessionId":"a\"}]","x":[1,{"y":2}]},)"
        R"(  {"sessionId":"b"} , 42,"str\\",null,[1,2] ], "after": true } )";
    for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, body.size()}) {
        auto r = RunScan(body, piece);
        ASSERT_EQ(r.status, SessionsArrayScanner::Status::kOk) << "piece " << piece;
        ASSERT_EQ(r.elements.size(), 6u) << "piece " << piece;
        EXPECT_EQ(r.elements[0], R"({"sessionId":"a\"}]","x":[1,{"y":2}]})");
        EXPECT_EQ(r.elements[1], R"({"sessionId":"b"})");
        EXPECT_EQ(r.elements[2], "42");
        EXPECT_EQ(r.elements[3], R"("str\\")");
        EXPECT_EQ(r.elements[4], "null");
        EXPECT_EQ(r.elements[5], "[1,2]");
    }
}

TEST(SessionsArrayScannerTest, EmptyListAndStructuralErrors) {
    using S = SessionsArrayScanner::Status;
    EXPECT_EQ(RunScan(R"({"sessions": []})", 1).status, S::kOk);
    EXPECT_TRUE(RunScan(R"({"sessions": []})", 1).elements.empty());
    EXPECT_EQ(RunScan(R"([{"sessions": []}])", 4).status, S::kNotAnObject);
    EXPECT_EQ(RunScan("", 4).status, S::kNotAnObject);
    EXPECT_EQ(RunScan(R"({"sessions": {"a": 1}})", 4).status, S::kSessionsNotAList);
    EXPECT_EQ(RunScan(R"({"other": []})", 4).status, S::kNoSessions);
    EXPECT_EQ(RunScan(R"({"sessions": [{"a": 1}])", 4).status, S::kSyntax);           // truncated
    EXPECT_EQ(RunScan(R"({"sessions": [{"a": 1},]})", 4).status, S::kSyntax);         // trailing comma
    EXPECT_EQ(RunScan(R"({"sessions": [] } x)", 4).status, S::kSyntax);               // garbage after
    EXPECT_EQ(RunScan(R"({"sessions": [], "sessions": []})", 4).status, S::kSyntax);  // twice
    EXPECT_EQ(RunScan(R"({"sessions": [{"a": "0123456789"}]})", 3, 10).status, S::kElementTooLarge);
}

TEST(SessionsArrayScannerTest, CallbackCanStop) {
    SessionsArrayScanner scanner([](std::string_view, std::int64_t idx) { return idx < 1; }, 1024);
    EXPECT_FALSE(scanner.Feed(R"({"sessions": [1, 2, 3]})"));
    EXPECT_EQ(scanner.status(), SessionsArrayScanner::Status::kStopped);
    EXPECT_EQ(scanner.elements(), 2);
}

// ---------------------------------------------------------------------------------------------
// BatchService

class ManualClock final : public Clock {
  public:
    EpochMs NowMs() const override { return now.load(); }
    std::atomic<EpochMs> now{kT0};
};

class RecordingSink final : public EventSink {
  public:
    void Emit(storage::Transaction& tx, const std::string& tenant_id, const std::string& type,
              boost::json::object data) override {
        tx.AfterCommit([this, tenant_id, type, data] {
            std::lock_guard g(mu);
            events.emplace_back(tenant_id, type, data);
        });
    }
    std::mutex mu;
    std::vector<std::tuple<std::string, std::string, boost::json::object>> events;
};

std::string Session(const std::string& id, const std::string& station, int values, int offset_min = 0) {
    std::string mv;
    for (int i = 0; i < values; ++i) {
        if (!mv.empty()) mv += ",";
        const EpochMs ts = kT0 + (offset_min + i) * 60'000LL;
        mv += R"({"timestamp":")" + FormatIsoDateTime(ts) +
              R"(","measurand":"Energy.Active.Import.Register","unit":"kWh","value":)" + std::to_string(i * 0.2) + "}";
    }
    return R"({"sessionId":")" + id + R"(","chargingStationId":")" + station +
           R"(","connectorId":"1","meterValues":[)" + mv + "]}";
}

class BatchServiceTest : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open(8);
        auto tx = store_->Begin(TxMode::kWrite);
        tx->Tenants().Insert({"t1", "one", kT0});
        tx->Tenants().Insert({"t2", "two", kT0});
        tx->Commit();
        sessions_ = std::make_unique<SessionService>(*store_, clock_, metrics_);
        BatchOptions o;
        o.items_per_job = 2;
        o.max_sessions = 20;
        batches_ = std::make_unique<BatchService>(*store_, clock_, *sessions_, sink_, o);
        runner_ = std::make_unique<jobs::JobRunner>(*store_, clock_);
        runner_->Register(BatchService::kJobKind, [this](const storage::Job& j) { return batches_->Process(j); });
    }
    void TearDown() override {
        runner_.reset();
        batches_.reset();
        sessions_.reset();
        store_.reset();
        db_.reset();
    }
    domain::Principal Who(const std::string& tenant) { return {tenant, "k1", domain::Role::kMember}; }
    Result<storage::BatchRecord> Submit(const std::string& tenant, const std::string& body) {
        return batches_->Submit(Who(tenant), StringSource(body));
    }

    ManualClock clock_;
    Metrics metrics_;
    RecordingSink sink_;
    std::unique_ptr<testing::TestDatabase> db_;
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<SessionService> sessions_;
    std::unique_ptr<BatchService> batches_;
    std::unique_ptr<jobs::JobRunner> runner_;
};

TEST_P(BatchServiceTest, ValidSessionsAreWrittenInvalidOnesFailWithTheirErrors) {
    const std::string body = R"({"sessions":[)" + Session("s1", "CP1", 5) + "," +
                             R"({"sessionId":"bad","chargingStationId":"CP1","meterValues":[{"value":"x"}]})" + "," +
                             Session("s2", "CP1", 5, 10) + "," + Session("s3", "CP2", 2) + "]}";
    auto b = Submit("t1", body);
    ASSERT_TRUE(b) << b.error().detail;
    EXPECT_EQ(b->total, 4);
    auto v = batches_->Get(Who("t1"), b->id, 1, 50);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, "pending");
    EXPECT_EQ(v->counts.failed, 1);
    EXPECT_EQ(v->counts.pending, 3);
    EXPECT_EQ(v->results.size(), 4u);
    const auto msg = std::string(v->results[1].as_object().at("message").as_string());
    EXPECT_NE(msg.find("body.sessions.1.meterValues.0.timestamp: Field required"), std::string::npos) << msg;
    EXPECT_NE(msg.find("body.sessions.1.meterValues.0.value"), std::string::npos) << msg;

    EXPECT_EQ(runner_->RunDue(), 2);  // slices [0,2) and [2,4)
    v = batches_->Get(Who("t1"), b->id, 1, 50);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, "completed_with_errors");
    EXPECT_EQ(v->counts.done, 3);
    EXPECT_EQ(v->counts.pending, 0);
    ASSERT_TRUE(v->batch.completed_at);
    EXPECT_EQ(v->results[0].as_object().at("status").as_string(), "active");
    EXPECT_EQ(v->results[3].as_object().at("status").as_string(), "pending");  // 2 values: not analysed
    auto s1 = sessions_->Get(Who("t1"), "s1");
    ASSERT_TRUE(s1);
    EXPECT_EQ(s1->values.size(), 5u);
    EXPECT_EQ(s1->record.analysis_version, 1);
    // Page 2 of size 3 holds the last result.
    v = batches_->Get(Who("t1"), b->id, 2, 3);
    ASSERT_TRUE(v);
    ASSERT_EQ(v->results.size(), 1u);
    EXPECT_EQ(v->results[0].as_object().at("sessionId").as_string(), "s3");

    std::lock_guard g(sink_.mu);
    ASSERT_EQ(sink_.events.size(), 1u);
    EXPECT_EQ(std::get<1>(sink_.events[0]), "batch.completed");
    EXPECT_EQ(std::get<2>(sink_.events[0]).at("failedSessions").as_int64(), 1);
}

TEST_P(BatchServiceTest, ARetriedJobProcessesEachItemOnce) {
    auto b = Submit("t1", R"({"sessions":[)" + Session("r1", "CP1", 4) + "," + Session("r2", "CP1", 4, 10) + "]}");
    ASSERT_TRUE(b);
    std::vector<storage::Job> claimed;
    {
        auto tx = store_->Begin(TxMode::kWrite);
        std::vector<std::string> kinds{BatchService::kJobKind};
        claimed = tx->Jobs().Claim(kinds, 10, kT0, std::chrono::seconds(60));
        tx->Commit();
    }
    ASSERT_EQ(claimed.size(), 1u);
    batches_->Process(claimed[0]);
    // The same job again (its outcome was lost, e.g. a crash before the runner recorded it).
    batches_->Process(claimed[0]);
    auto r1 = sessions_->Get(Who("t1"), "r1");
    ASSERT_TRUE(r1);
    EXPECT_EQ(r1->record.analysis_version, 1);
    EXPECT_EQ(r1->values.size(), 4u);
    auto v = batches_->Get(Who("t1"), b->id, 1, 10);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->counts.done, 2);
    EXPECT_EQ(v->status, "completed");
    std::lock_guard g(sink_.mu);
    EXPECT_EQ(sink_.events.size(), 1u);
}

TEST_P(BatchServiceTest, ItemOutcomeRollsBackWithTheSessionWrite) {
    // The in-transaction hook: an error from it leaves neither the session nor the item's outcome.
    UpsertSession cmd;
    cmd.session_id = "hook";
    cmd.station_id = "CP9";
    auto r = sessions_->Upsert(Who("t1"), cmd, [](storage::Transaction&, const storage::SessionRecord& after) {
        EXPECT_EQ(after.session_id, "hook");
        return Result<void>(Fail(Error::Conflict("no")));
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kConflict);
    EXPECT_FALSE(sessions_->Get(Who("t1"), "hook"));
    r = sessions_->Upsert(Who("t1"), cmd,
                          [](storage::Transaction&, const storage::SessionRecord&) { return Result<void>(); });
    ASSERT_TRUE(r);
    EXPECT_TRUE(sessions_->Get(Who("t1"), "hook"));
}

TEST_P(BatchServiceTest, WriteErrorsFailTheItemAndAllFailedMeansFailed) {
    // s1 exists on another station: the batch's write of it is refused (409) and recorded.
    UpsertSession cmd;
    cmd.session_id = "s1";
    cmd.station_id = "OTHER";
    ASSERT_TRUE(sessions_->Upsert(Who("t1"), cmd));
    auto b = Submit("t1", R"({"sessions":[)" + Session("s1", "CP1", 4) + R"(, {"chargingStationId": 5}]})");
    ASSERT_TRUE(b);
    runner_->RunDue();
    auto v = batches_->Get(Who("t1"), b->id, 1, 10);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, "failed");
    EXPECT_EQ(v->counts.failed, 2);
    EXPECT_NE(std::string(v->results[0].as_object().at("message").as_string()).find("OTHER"), std::string::npos);
}

TEST_P(BatchServiceTest, AllInvalidCompletesAtSubmission) {
    auto b = Submit("t1", R"({"sessions":[7, {"sessionId": "x"}]})");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, "failed");
    EXPECT_TRUE(b->completed_at);
    EXPECT_EQ(runner_->RunDue(), 0);
    std::lock_guard g(sink_.mu);
    EXPECT_EQ(sink_.events.size(), 1u);
}

TEST_P(BatchServiceTest, BadRequestsStoreNothing) {
    auto expect_422 = [&](const std::string& body, const std::string& type) {
        auto b = Submit("t1", body);
        ASSERT_FALSE(b) << body;
        EXPECT_EQ(b.error().code, ErrorCode::kValidation) << body;
        ASSERT_FALSE(b.error().fields.empty());
        EXPECT_EQ(b.error().fields[0].type, type) << body;
    };
    expect_422(R"({"sessions": []})", "too_short");
    expect_422(R"({"nope": []})", "missing");
    expect_422(R"({"sessions": 3})", "list_type");
    expect_422(R"({"sessions": [{"sessionId": }]})", "json_invalid");
    expect_422(R"({"sessions": [{}])", "json_invalid");
    std::string many = R"({"sessions": [)";
    for (int i = 0; i < 21; ++i) {
        if (i) many += ',';
        many += Session(fmt::format("m{}", i), "CP", 1);
    }
    expect_422(many + "]}", "too_long");
    EXPECT_EQ(runner_->RunDue(), 0);
    auto tx = store_->Begin(TxMode::kRead);
    EXPECT_EQ(tx->Jobs().CountPending("", ""), 0);
    EXPECT_FALSE(sessions_->Get(Who("t1"), "m0"));
}

TEST_P(BatchServiceTest, AnotherTenantsBatchIsNotFound) {
    auto b = Submit("t1", R"({"sessions":[)" + Session("iso", "CP1", 3) + "]}");
    ASSERT_TRUE(b);
    auto v = batches_->Get(Who("t2"), b->id, 1, 10);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, ErrorCode::kNotFound);
    runner_->RunDue();
    EXPECT_TRUE(sessions_->Get(Who("t1"), "iso"));
    EXPECT_FALSE(sessions_->Get(Who("t2"), "iso"));
}

INSTANTIATE_TEST_SUITE_P(Backends, BatchServiceTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace evni::api
