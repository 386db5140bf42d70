// Walks the route table: every route with every role. Allowed roles never get 403; lower roles get
// 403 with a detail naming the role required.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "api/anomaly_service.h"
#include "api/api_key_service.h"
#include "api/organization_service.h"
#include "api/routes.h"
#include "api/session_service.h"
#include "api/station_service.h"
#include "api/webhook_service.h"
#include "storage/sqlite/sqlite_store.h"
#include "util/crypto.h"

namespace evni::api {
namespace {

class RoleTableTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(crypto::Init());
        dir_ = std::filesystem::temp_directory_path() / ("evni-roles-" + crypto::RandomHex(6));
        std::filesystem::create_directories(dir_);
        storage::sqlite::SqliteOptions o;
        o.path = (dir_ / "evni.db").string();
        store_ = storage::sqlite::OpenSqliteStore(o);
        store_->Migrate();
        keys_ = std::make_unique<ApiKeyService>(*store_, clock_);
        sessions_ = std::make_unique<SessionService>(*store_, clock_, metrics_);
        orgs_ = std::make_unique<OrganizationService>(*store_, clock_, *keys_);
        anomalies_ = std::make_unique<AnomalyService>(*store_, clock_, outages_);
        server_key_ = std::make_unique<crypto::ServerKey>(dir_ / "evni-secret.key");
        webhooks_ = std::make_unique<WebhookService>(*store_, clock_, *server_key_, WebhookOptions{}, nullptr);
        ApiContext ctx{store_.get(), &clock_, &metrics_, sessions_.get(), keys_.get(), orgs_.get(), webhooks_.get()};
        ctx.webhooks = webhooks_.get();
        ctx.anomalies = anomalies_.get();
        stations_ = std::make_unique<StationService>(*store_, clock_, events_);
        ctx.stations = stations_.get();
        api_ = std::make_unique<Api>(ctx);
        auto t = keys_->CreateTenant("ops", domain::Role::kSuperAdmin);
        ASSERT_TRUE(t);
        tokens_[domain::Role::kSuperAdmin] = t->admin_key.secret;
        auto root = keys_->Authenticate(t->admin_key.secret);
        ASSERT_TRUE(root);
        for (auto role : {domain::Role::kViewer, domain::Role::kMember, domain::Role::kAdmin}) {
            auto k = keys_->Create(*root, std::string(domain::RoleName(role)), "", 30, role);
            ASSERT_TRUE(k);
            tokens_[role] = k->secret;
        }
    }
    void TearDown() override {
        api_.reset();
        anomalies_.reset();
        webhooks_.reset();
        stations_.reset();
        orgs_.reset();
        sessions_.reset();
        keys_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    Response Call(const Route& route, const std::string& token) {
        Request req;
        req.method = route.method;
        req.path = route.pattern;
        // Each {parameter} becomes "x" (built by appending: GCC 12 -O2 warns falsely on std::string::replace here).
        std::string path;
        bool in_parameter = false;
        for (char c : route.pattern) {
            if (c == '{') {
                in_parameter = true;
                path += 'x';
            } else if (c == '}') {
                in_parameter = false;
            } else if (!in_parameter) {
                path += c;
            }
        }
        req.path = path;
        req.body = "{}";
        req.request_id = "test";
        if (!token.empty()) req.authorization = "Bearer " + token;
        return api_->Handle(req, api_->Match(req.method, req.path));
    }

    SystemClock clock_;
    Metrics metrics_;
    std::filesystem::path dir_;
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<ApiKeyService> keys_;
    std::unique_ptr<SessionService> sessions_;
    std::unique_ptr<OrganizationService> orgs_;
    NoOutages outages_;
    std::unique_ptr<AnomalyService> anomalies_;
    std::unique_ptr<crypto::ServerKey> server_key_;
    std::unique_ptr<WebhookService> webhooks_;
    NullEventSink events_;
    std::unique_ptr<StationService> stations_;
    std::unique_ptr<Api> api_;
    std::map<domain::Role, std::string> tokens_;
};

TEST_F(RoleTableTest, EveryRouteWithEveryRole) {
    ASSERT_GE(api_->Routes().size(), 10u);
    for (const auto& route : api_->Routes()) {
        SCOPED_TRACE(route.method + " " + route.pattern);
        ASSERT_EQ(api_->Match(route.method, route.pattern), &route) << "a route must match its own pattern";
        if (!route.min_role) {
            auto r = Call(route, "");
            EXPECT_NE(r.status, 401);
            EXPECT_NE(r.status, 403);
            continue;
        }
        EXPECT_EQ(Call(route, "").status, 401) << "a protected route must require a key";
        for (const auto& [role, token] : tokens_) {
            SCOPED_TRACE(std::string(domain::RoleName(role)));
            auto r = Call(route, token);
            if (static_cast<int>(role) >= static_cast<int>(*route.min_role)) {
                EXPECT_NE(r.status, 403) << r.body;
                EXPECT_NE(r.status, 401) << r.body;
            } else {
                EXPECT_EQ(r.status, 403) << r.body;
                auto body = boost::json::parse(r.body).as_object();
                std::string detail(body.at("detail").as_string());
                EXPECT_NE(detail.find(std::string(domain::RoleName(*route.min_role))), std::string::npos) << detail;
            }
        }
    }
}

TEST_F(RoleTableTest, ValidationHelpers) {
    EXPECT_TRUE(IsValidEmail("ops@example.com"));
    EXPECT_FALSE(IsValidEmail("ops@example"));
    EXPECT_FALSE(IsValidEmail("@example.com"));
    EXPECT_FALSE(IsValidEmail("a@b@c.com"));
    EXPECT_FALSE(IsValidEmail("a b@c.com"));
    EXPECT_TRUE(IsValidCurrency("EUR"));
    EXPECT_FALSE(IsValidCurrency("eur"));
    EXPECT_FALSE(IsValidCurrency("EURO"));
    EXPECT_TRUE(IsValidTimeZone("UTC"));
    EXPECT_FALSE(IsValidTimeZone("../etc/passwd"));
    EXPECT_FALSE(IsValidTimeZone("Mars/Olympus_Mons"));
}

}  // namespace
}  // namespace evni::api
