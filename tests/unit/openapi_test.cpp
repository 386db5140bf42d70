// The OpenAPI document against the route table: every route documented, nothing documented that is
// not served, and the document's shape (paths, security, derived error responses, enums).
#include "api/openapi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "api/routes.h"

namespace evni::api {
namespace {

namespace json = boost::json;
using openapi::DocRegistry;

std::string Lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

class OpenApiTest : public ::testing::Test {
  protected:
    // The real route table; handlers are never called, so the context can stay empty.
    Api api_{ApiContext{}};
    const DocRegistry& registry_ = DocRegistry::Default();
};

TEST_F(OpenApiTest, EveryRouteIsDocumentedAndEveryDocHasARoute) {
    auto problems = openapi::CheckDocumented(api_.Routes(), registry_);
    std::string all;
    for (const auto& p : problems) all += "\n  " + p;
    EXPECT_TRUE(problems.empty()) << "route table and documentation disagree:" << all;
}

TEST_F(OpenApiTest, CheckCatchesAnUndocumentedRouteAndAStaleDoc) {
    const auto baseline = openapi::CheckDocumented(api_.Routes(), registry_).size();
    std::vector<Route> routes = api_.Routes();
    routes.push_back({"GET", "/v1/undocumented/{thing_id}", domain::Role::kViewer, 0, "x", nullptr});
    auto problems = openapi::CheckDocumented(routes, registry_);
    ASSERT_EQ(problems.size(), baseline + 1);
    EXPECT_TRUE(std::any_of(problems.begin(), problems.end(), [](const std::string& p) {
        return p.find("GET /v1/undocumented/{thing_id}: route has no documentation") != std::string::npos;
    }));

    routes = api_.Routes();
    routes.erase(std::find_if(routes.begin(), routes.end(), [](const Route& r) { return r.pattern == "/healthz"; }));
    problems = openapi::CheckDocumented(routes, registry_);
    ASSERT_EQ(problems.size(), baseline + 1);
    EXPECT_TRUE(std::any_of(problems.begin(), problems.end(), [](const std::string& p) {
        return p == "GET /healthz: documented but no such route is served";
    }));
}

TEST_F(OpenApiTest, CheckCatchesAnUndocumentedPathParameter) {
    DocRegistry r;
    r.Add({.method = "GET",
           .pattern = "/v1/things/{thing_id}",
           .operation_id = "getThing",
           .tag = "Things",
           .description = "A thing",
           .replies = {{200, "The thing", openapi::Schema::Ref("Thing")}}});
    std::vector<Route> routes{{"GET", "/v1/things/{thing_id}", domain::Role::kViewer, 0, "x", nullptr}};
    auto problems = openapi::CheckDocumented(routes, r);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_NE(problems[0].find("path parameter {thing_id} not documented"), std::string::npos);
    EXPECT_NE(problems[1].find("schema Thing is referenced but not defined"), std::string::npos);
}

TEST_F(OpenApiTest, DocumentListsEveryRouteWithItsMethod) {
    auto doc = openapi::BuildDocument(api_.Routes(), registry_);
    EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
    const auto& paths = doc.at("paths").as_object();
    std::set<std::string> ids;
    for (const auto& r : api_.Routes()) {
        ASSERT_TRUE(paths.contains(r.pattern)) << r.pattern;
        if (!registry_.Find(r.method, r.pattern)) continue;  // EveryRouteIsDocumented... reports it
        const auto* op = paths.at(r.pattern).as_object().if_contains(Lower(r.method));
        ASSERT_NE(op, nullptr) << r.method << " " << r.pattern;
        const auto& o = op->as_object();
        EXPECT_TRUE(ids.insert(std::string(o.at("operationId").as_string())).second);
        const auto& responses = o.at("responses").as_object();
        EXPECT_TRUE(responses.contains("200")) << r.pattern;
        if (r.min_role) {
            EXPECT_EQ(o.at("security").as_array().size(), 1u) << r.pattern;
            EXPECT_TRUE(responses.contains("401")) << r.pattern;
            EXPECT_EQ(responses.contains("403"), *r.min_role != domain::Role::kViewer) << r.pattern;
        } else {
            EXPECT_TRUE(o.at("security").as_array().empty()) << r.pattern;
        }
        if (r.pattern.find('{') != std::string::npos) {
            EXPECT_TRUE(responses.contains("404")) << r.pattern;
        }
        if (o.contains("requestBody")) {
            EXPECT_TRUE(responses.contains("413")) << r.pattern;
            EXPECT_TRUE(responses.contains("422")) << r.pattern;
        }
    }
    EXPECT_TRUE(doc.at("components").at("securitySchemes").as_object().contains("bearerAuth"));
}

TEST_F(OpenApiTest, EnumsAreThoseOfTheApi) {
    auto doc = openapi::BuildDocument(api_.Routes(), registry_);
    const auto& schemas = doc.at("components").at("schemas").as_object();
    auto values = [&](const char* name) {
        std::vector<std::string> v;
        for (const auto& e : schemas.at(name).at("enum").as_array()) v.emplace_back(e.as_string());
        return v;
    };
    EXPECT_EQ(values("Role"), (std::vector<std::string>{"viewer", "member", "admin", "super_admin"}));
    EXPECT_EQ(values("SessionStatus"),
              (std::vector<std::string>{"pending", "active", "completed", "invalid", "failed"}));
    auto categories = values("AnomalyCategory");
    EXPECT_EQ(categories.size(), 14u);
    EXPECT_EQ(categories.front(), "KWH_DECREASE");
    auto codes = values("ErrorCode");
    EXPECT_NE(std::find(codes.begin(), codes.end(), "validation_error"), codes.end());
    EXPECT_NE(std::find(codes.begin(), codes.end(), "not_found"), codes.end());
}

TEST_F(OpenApiTest, SchemaBuilderNullableAndRequired) {
    using openapi::Schema;
    auto s = Schema::Object().Required("a", Schema::String()).Required("b", Schema::Integer().Nullable()).Closed();
    EXPECT_EQ(json::serialize(s.Json()),
              R"({"type":"object","properties":{"a":{"type":"string"},"b":{"type":["integer","null"]}},)"
              R"("required":["a","b"],"additionalProperties":false})");
    auto ref = Schema::Ref("Thing", "A thing").Nullable();
    EXPECT_EQ(json::serialize(ref.Json()),
              R"({"description":"A thing","anyOf":[{"$ref":"#/components/schemas/Thing"},{"type":"null"}]})");
    auto e = Schema::Enum({"x", "y"}).Nullable();
    EXPECT_EQ(json::serialize(e.Json()), R"({"type":["string","null"],"enum":["x","y",null]})");
}

}  // namespace
}  // namespace evni::api
