#pragma once

// The OpenAPI 3.1 document of the API, built from the route table (routes.h) plus the documentation
// registry below. Routing, limits and roles come from the table; descriptions, parameters and schemas
// come from one RouteDoc per route, keyed by method + pattern. A route without a RouteDoc, or a
// RouteDoc without a route, is a failing unit test (tests/unit/openapi_test.cpp).
//
// To document a new route: add a RouteDoc to the resource's Document*Routes function
// (openapi_<resource>.cpp; a new resource gets a new file and one line in DocRegistry::Default()).
// Shared schemas (components) live in openapi_schemas.cpp.

#include <boost/json.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/routes.h"

namespace evni::api::openapi {

// A JSON Schema (2020-12, as OpenAPI 3.1 uses it) built with chained calls:
//   Schema::Object("A session").Required("sessionId", Schema::String("Session identifier")).Closed()
class Schema {
  public:
    static Schema String(std::string_view description = {});
    static Schema Integer(std::string_view description = {});
    static Schema Number(std::string_view description = {});
    static Schema Boolean(std::string_view description = {});
    static Schema Object(std::string_view description = {});
    static Schema Array(const Schema& items, std::string_view description = {});
    static Schema Enum(std::initializer_list<std::string_view> values, std::string_view description = {});
    static Schema Enum(const std::vector<std::string>& values, std::string_view description = {});
    // A reference to components/schemas/<name>.
    static Schema Ref(std::string_view name, std::string_view description = {});
    // Any JSON value that satisfies one of `choices`.
    static Schema OneOf(std::initializer_list<Schema> choices, std::string_view description = {});
    // A string in UTC ISO 8601 as the API writes it: 2026-02-27T10:00:00Z.
    static Schema DateTime(std::string_view description = {});

    // Also allows null (type [T, "null"], or anyOf [..., null] for references).
    Schema& Nullable();
    // Object properties. Optional() fields may be absent; Required() ones are listed in "required".
    Schema& Required(std::string_view name, const Schema& schema);
    Schema& Optional(std::string_view name, const Schema& schema);
    // additionalProperties: false. Response objects are closed so the contract tests catch any field
    // the server sends that the document does not describe.
    Schema& Closed();
    // additionalProperties: true, for free-form objects such as metadata.
    Schema& FreeForm();
    Schema& Describe(std::string_view description);
    Schema& Min(double v);
    Schema& Max(double v);
    Schema& MinLength(std::int64_t n);
    Schema& MaxLength(std::int64_t n);
    Schema& MinItems(std::int64_t n);
    Schema& MaxItems(std::int64_t n);
    Schema& Pattern(std::string_view regex);
    Schema& Format(std::string_view format);
    Schema& Default(boost::json::value v);
    Schema& Example(boost::json::value v);

    const boost::json::object& Json() const { return json_; }

  private:
    boost::json::object json_;
};

// A path or query parameter.
struct Param {
    std::string name;
    std::string in;  // "path" or "query"
    Schema schema;
    std::string description;
    bool required = false;

    static Param Path(std::string name, std::string description);
    static Param Query(std::string name, Schema schema, std::string description);
};

struct RequestBody {
    Schema schema;
    boost::json::value example = nullptr;  // null: none
    bool required = true;
};

// One documented response. A null `schema` means no body is described.
struct Reply {
    int status = 200;
    std::string description{};
    std::optional<Schema> schema{};
    boost::json::value example = nullptr;
    std::string content_type = "application/json";
};

// Documentation of one route. Error responses are derived from the route where possible (401/403
// from min_role, 404 from path parameters, 413/422 from a request body, 422 from query parameters);
// `errors` adds others with the standard Error body, e.g. {409, "sessionId used on another station"}.
struct RouteDoc {
    std::string method{};
    std::string pattern{};
    std::string operation_id{};
    std::string tag{};
    std::string summary{};      // short; falls back to Route::summary
    std::string description{};  // markdown
    std::vector<Param> params{};
    std::optional<RequestBody> request{};
    std::vector<Reply> replies{};
    std::vector<std::pair<int, std::string>> errors{};
};

// All RouteDocs plus the shared component schemas.
class DocRegistry {
  public:
    // The registry of every route evni serves (DocumentHealthRoutes, DocumentSessionRoutes, ...).
    static const DocRegistry& Default();

    void Add(RouteDoc doc) { docs_.push_back(std::move(doc)); }
    void AddSchema(std::string name, const Schema& schema) { schemas_.emplace(name, schema.Json()); }
    const RouteDoc* Find(std::string_view method, std::string_view pattern) const;
    const std::vector<RouteDoc>& Docs() const { return docs_; }
    const boost::json::object& Schemas() const { return schemas_; }

  private:
    std::vector<RouteDoc> docs_;
    boost::json::object schemas_;
};

// Per-resource documentation (openapi_<resource>.cpp).
void AddComponentSchemas(DocRegistry& registry);
void DocumentHealthRoutes(DocRegistry& registry);
void DocumentDocsRoutes(DocRegistry& registry);
void DocumentSessionRoutes(DocRegistry& registry);
void DocumentApiKeyRoutes(DocRegistry& registry);
void DocumentOrganizationRoutes(DocRegistry& registry);
void DocumentExplainRoutes(DocRegistry& registry);
void DocumentAnomalyRoutes(DocRegistry& registry);
void DocumentBatchRoutes(DocRegistry& registry);
void DocumentWebhookRoutes(DocRegistry& registry);
void DocumentStationRoutes(DocRegistry& registry);
void DocumentModelRoutes(DocRegistry& registry);

// Every mismatch between the route table and the registry: routes without docs, docs without a
// route, path parameters not documented, operation ids used twice. Empty when consistent.
std::vector<std::string> CheckDocumented(const std::vector<Route>& routes, const DocRegistry& registry);

// The OpenAPI 3.1 document for `routes`. Routes without docs are still listed (with their summary) so
// the document is never missing a path; CheckDocumented is what fails for them.
boost::json::object BuildDocument(const std::vector<Route>& routes, const DocRegistry& registry);

// The anomaly categories of the API (analysis.md §2): id and meaning. Only a few are detected today;
// all are part of the enum so clients handle them from the start.
struct Category {
    std::string_view id;
    std::string_view meaning;
};
const std::vector<Category>& AnomalyCategories();

}  // namespace evni::api::openapi
