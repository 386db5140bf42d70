// Webhooks: sealed secrets, signatures, target rules, the repository on both backends and the
// outbox (EventSink) writing delivery records and jobs in the caller's transaction.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>

#include "api/webhook_service.h"
#include "jobs/webhook_delivery.h"
#include "storage_test_backend.h"
#include "util/secretbox.h"

namespace evni {
namespace {

using storage::TxMode;
using testing::Backend;

constexpr EpochMs kT0 = 1772186400000LL;

class FixedClock final : public Clock {
  public:
    EpochMs NowMs() const override { return now; }
    EpochMs now = kT0;
};

crypto::SecretBox TestBox() { return *crypto::SecretBox::FromHex(std::string(64, 'a')); }

TEST(WebhookCrypto, SealedSecretsOpenOnlyWithTheirKeyAndUnaltered) {
    ASSERT_TRUE(crypto::Init());
    auto box = TestBox();
    auto sealed = box.Seal("whsec_abc");
    EXPECT_EQ(box.Open(sealed), "whsec_abc");
    EXPECT_NE(box.Seal("whsec_abc"), sealed);  // random nonce
    auto tampered = sealed;
    tampered.back() ^= 1;
    EXPECT_FALSE(box.Open(tampered).has_value());
    EXPECT_FALSE(crypto::SecretBox::FromHex(std::string(64, 'b'))->Open(sealed).has_value());
    EXPECT_FALSE(crypto::SecretBox::FromHex("abc").has_value());
    EXPECT_FALSE(crypto::SecretBox::FromHex(std::string(64, 'z')).has_value());
}

TEST(WebhookCrypto, KeyFileIsCreatedOnceWithOwnerOnlyMode) {
    ASSERT_TRUE(crypto::Init());
    auto dir = std::filesystem::temp_directory_path() / ("evni-key-" + crypto::RandomHex(6));
    auto file = dir / "sub" / "evni-secret.key";
    auto first = crypto::SecretBox::LoadOrCreate(file);
    struct stat st {};
    ASSERT_EQ(stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto second = crypto::SecretBox::LoadOrCreate(file);
    EXPECT_EQ(second.Open(first.Seal("x")), "x");
    std::filesystem::remove_all(dir);
}

TEST(WebhookCrypto, HmacAndSignatureHeader) {
    // RFC 4231 test case 2.
    EXPECT_EQ(crypto::HmacSha256Hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const std::string body = R"({"id":"e1"})";
    auto header = jobs::SignatureHeader(1772186400, body, {"new", "old"});
    EXPECT_EQ(header, "t=1772186400,v1=" + crypto::HmacSha256Hex("new", "1772186400." + body) +
                          ",v1=" + crypto::HmacSha256Hex("old", "1772186400." + body));
}

TEST(WebhookTargets, PrivateAddresses) {
    for (const char* ip : {"127.0.0.1", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.0.1", "169.254.169.254",
                           "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fd00::1", "fe80::1",
                           "::ffff:127.0.0.1", "::ffff:10.1.2.3"}) {
        EXPECT_TRUE(api::IsPrivateAddress(ip)) << ip;
    }
    for (const char* ip :
         {"8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:4860:4860::8888", "::ffff:8.8.8.8", "hooks.example.com"}) {
        EXPECT_FALSE(api::IsPrivateAddress(ip)) << ip;
    }
}

class WebhooksTest : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        db_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (db_->skip) GTEST_SKIP() << "PostgreSQL test cluster not configured (EVNI_PG_URL_FILE)";
        store_ = db_->Open();
        auto tx = store_->Begin(TxMode::kWrite);
        tx->Tenants().Insert({"t1", "one", kT0});
        tx->Tenants().Insert({"t2", "two", kT0});
        tx->Commit();
        service_ =
            std::make_unique<api::WebhookService>(*store_, clock_, key_, api::WebhookOptions{}, [this] { ++wakes_; });
    }
    void TearDown() override {
        service_.reset();
        store_.reset();
        db_.reset();
    }
    domain::Principal Admin(const std::string& tenant) {
        return domain::Principal{tenant, "k", domain::Role::kAdmin, std::nullopt, std::nullopt, "api-key:test"};
    }

    FixedClock clock_;
    crypto::ServerKey key_{TestBox()};
    int wakes_ = 0;
    std::unique_ptr<testing::TestDatabase> db_;
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<api::WebhookService> service_;
};

TEST_P(WebhooksTest, TargetRules) {
    EXPECT_FALSE(service_->CheckUrl("https://hooks.example.com/x?y=1").has_value());
    for (const char* url : {"http://hooks.example.com/", "https://127.0.0.1/", "https://localhost/",
                            "https://svc.internal/", "https://printer.local/", "https://intranet/",
                            "https://[::1]:8443/", "https://u:p@hooks.example.com/", "mailto:x@example.com", "x"}) {
        EXPECT_TRUE(service_->CheckUrl(url).has_value()) << url;
    }
    api::WebhookOptions open;
    open.allow_private = true;
    api::WebhookService lenient(*store_, clock_, key_, open, nullptr);
    EXPECT_FALSE(lenient.CheckUrl("http://127.0.0.1:8080/hook").has_value());
    EXPECT_TRUE(lenient.CheckUrl("ftp://127.0.0.1/").has_value());
}

TEST_P(WebhooksTest, RepositoryRoundTripFailuresAndIsolation) {
    auto created = service_->Create(Admin("t1"), "https://hooks.example.com/a", {"session.analyzed"}, "d");
    ASSERT_TRUE(created) << created.error().detail;
    const auto id = created->webhook.id;
    EXPECT_EQ(service_->SigningSecrets(created->webhook, kT0), std::vector<std::string>{created->secret});
    {
        auto tx = store_->Begin(TxMode::kWrite);
        auto w = tx->Webhooks().Find("t1", id);
        ASSERT_TRUE(w);
        EXPECT_EQ(w->url, "https://hooks.example.com/a");
        EXPECT_EQ(w->description, "d");
        EXPECT_EQ(w->events, std::vector<std::string>{"session.analyzed"});
        EXPECT_EQ(TestBox().Open(w->secret), created->secret);  // sealed, never stored in clear
        EXPECT_FALSE(tx->Webhooks().Find("t2", id).has_value());
        EXPECT_TRUE(tx->Webhooks().List("t2").empty());
        EXPECT_EQ(tx->Webhooks().RecordFailure("t1", id, kT0 + 1, 3), 1);
        EXPECT_EQ(tx->Webhooks().RecordFailure("t1", id, kT0 + 2, 3), 2);
        tx->Webhooks().RecordSuccess("t1", id);
        EXPECT_EQ(tx->Webhooks().RecordFailure("t1", id, kT0 + 3, 3), 1);
        tx->Webhooks().RecordFailure("t1", id, kT0 + 4, 3);
        EXPECT_EQ(tx->Webhooks().RecordFailure("t1", id, kT0 + 5, 3), 3);
        tx->Webhooks().RecordFailure("t1", id, kT0 + 6, 3);
        auto disabled = tx->Webhooks().Find("t1", id);
        EXPECT_FALSE(disabled->enabled);
        EXPECT_EQ(disabled->disabled_at, kT0 + 5);  // the first time the threshold was reached
        tx->Commit();
    }
    auto rotated = service_->RotateSecret(Admin("t1"), id);
    ASSERT_TRUE(rotated);
    EXPECT_EQ(service_->SigningSecrets(rotated->webhook, kT0 + 1000),
              (std::vector<std::string>{rotated->secret, created->secret}));
    EXPECT_EQ(service_->SigningSecrets(rotated->webhook, kT0 + 25 * 3600 * 1000LL),
              std::vector<std::string>{rotated->secret});
    EXPECT_EQ(service_->RotateSecret(Admin("t2"), id).error().code, ErrorCode::kNotFound);
}

TEST_P(WebhooksTest, EmitWritesDeliveriesAndJobsInTheCallersTransaction) {
    auto a = service_->Create(Admin("t1"), "https://hooks.example.com/a", {"session.analyzed", "anomaly.detected"},
                              std::nullopt);
    auto b = service_->Create(Admin("t1"), "https://hooks.example.com/b", {"anomaly.detected"}, std::nullopt);
    auto off = service_->Create(Admin("t1"), "https://hooks.example.com/c", {"anomaly.detected"}, std::nullopt);
    ASSERT_TRUE(a && b && off);
    api::WebhookChanges disable;
    disable.enabled = false;
    ASSERT_TRUE(service_->Update(Admin("t1"), off->webhook.id, disable));
    {
        // Rolled back: no trace.
        auto tx = store_->Begin(TxMode::kWrite);
        service_->Emit(*tx, "t1", "anomaly.detected", boost::json::object{{"category", "X"}});
    }
    EXPECT_EQ(wakes_, 0);
    auto tx = store_->Begin(TxMode::kWrite);
    EXPECT_TRUE(service_->Wants(*tx, "t1", "session.analyzed"));
    EXPECT_FALSE(service_->Wants(*tx, "t1", "batch.completed"));
    EXPECT_FALSE(service_->Wants(*tx, "t2", "anomaly.detected"));
    service_->Emit(*tx, "t1", "anomaly.detected", boost::json::object{{"category", "KWH_DECREASE"}});
    service_->Emit(*tx, "t1", "batch.completed", boost::json::object{});   // nobody subscribed
    service_->Emit(*tx, "t2", "anomaly.detected", boost::json::object{});  // no webhooks
    tx->Commit();
    EXPECT_GE(wakes_, 1);

    auto rtx = store_->Begin(TxMode::kRead);
    EXPECT_EQ(rtx->Jobs().CountPending("t1", api::kWebhookDeliverJob), 2);
    EXPECT_EQ(rtx->Jobs().CountPending("t2", ""), 0);
    auto da = rtx->Webhooks().RecentDeliveries("t1", a->webhook.id, 10);
    auto db = rtx->Webhooks().RecentDeliveries("t1", b->webhook.id, 10);
    ASSERT_EQ(da.size(), 1u);
    ASSERT_EQ(db.size(), 1u);
    EXPECT_TRUE(rtx->Webhooks().RecentDeliveries("t1", off->webhook.id, 10).empty());
    EXPECT_EQ(da[0].event_id, db[0].event_id);  // one event, two deliveries
    EXPECT_NE(da[0].id, db[0].id);
    EXPECT_EQ(da[0].status, "pending");
    auto full = rtx->Webhooks().FindDelivery("t1", da[0].id);
    ASSERT_TRUE(full);
    auto body = boost::json::parse(full->body).as_object();
    EXPECT_EQ(body.at("type").as_string(), "anomaly.detected");
    EXPECT_EQ(body.at("id").as_string(), full->event_id);
    EXPECT_EQ(body.at("data").at("category").as_string(), "KWH_DECREASE");
    rtx->Commit();

    {
        // Finished deliveries are purged after the retention; pending ones never.
        auto ptx = store_->Begin(TxMode::kWrite);
        EXPECT_EQ(ptx->Webhooks().PurgeDeliveries(kT0 + 1'000'000'000, 100), 0);
        auto done = *full;
        done.status = "delivered";
        done.completed_at = kT0 + 10;
        ptx->Webhooks().UpdateDelivery(done);
        EXPECT_EQ(ptx->Webhooks().PurgeDeliveries(kT0 + 10, 100), 0);
        EXPECT_EQ(ptx->Webhooks().PurgeDeliveries(kT0 + 11, 100), 1);
        EXPECT_FALSE(ptx->Webhooks().FindDelivery("t1", da[0].id).has_value());
        ptx->Commit();
    }
    // Deleting a webhook deletes its deliveries.
    ASSERT_TRUE(service_->Delete(Admin("t1"), a->webhook.id));
    auto after = store_->Begin(TxMode::kRead);
    EXPECT_TRUE(after->Webhooks().FindDelivery("t1", db[0].id).has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhooksTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace evni
