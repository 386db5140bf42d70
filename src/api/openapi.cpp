// Builds the OpenAPI 3.1 document from the route table and the documentation registry.
#include "api/openapi.h"

#include <algorithm>
#include <map>
#include <set>

#include "domain/session.h"

namespace evni::api::openapi {
namespace json = boost::json;

namespace {

// The version of the API contract (the reference's), not of the binary.
constexpr std::string_view kApiVersion = "0.1.0";

void SetDescription(json::object& o, std::string_view description) {
    if (!description.empty()) o["description"] = description;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Schema

Schema Schema::String(std::string_view description) {
    Schema s;
    s.json_["type"] = "string";
    SetDescription(s.json_, description);
    return s;
}

Schema Schema::Integer(std::string_view description) {
    Schema s;
    s.json_["type"] = "integer";
    SetDescription(s.json_, description);
    return s;
}

Schema Schema::Number(std::string_view description) {
    Schema s;
    s.json_["type"] = "number";
    SetDescription(s.json_, description);
    return s;
}

Schema Schema::Boolean(std::string_view description) {
    Schema s;
    s.json_["type"] = "boolean";
    SetDescription(s.json_, description);
    return s;
}

Schema Schema::Object(std::string_view description) {
    Schema s;
    s.json_["type"] = "object";
    SetDescription(s.json_, description);
    return s;
}

Schema Schema::Array(const Schema& items, std::string_view description) {
    Schema s;
    s.json_["type"] = "array";
    SetDescription(s.json_, description);
    s.json_["items"] = items.json_;
    return s;
}

Schema Schema::Enum(std::initializer_list<std::string_view> values, std::string_view description) {
    std::vector<std::string> v(values.begin(), values.end());
    return Enum(v, description);
}

Schema Schema::Enum(const std::vector<std::string>& values, std::string_view description) {
    Schema s;
    s.json_["type"] = "string";
    SetDescription(s.json_, description);
    json::array e;
    for (const auto& v : values) e.push_back(json::value(v));
    s.json_["enum"] = std::move(e);
    return s;
}

Schema Schema::Ref(std::string_view name, std::string_view description) {
    Schema s;
    s.json_["$ref"] = "#/components/schemas/" + std::string(name);
    SetDescription(s.json_, description);
    return s;
}

Schema Schema::OneOf(std::initializer_list<Schema> choices, std::string_view description) {
    Schema s;
    json::array a;
    for (const auto& c : choices) a.push_back(c.json_);
    s.json_["oneOf"] = std::move(a);
    SetDescription(s.json_, description);
    return s;
}

Schema Schema::DateTime(std::string_view description) {
    Schema s = String(description);
    s.json_["format"] = "date-time";
    s.json_["examples"] = json::array{"2026-02-27T10:00:00Z"};
    return s;
}

Schema& Schema::Nullable() {
    if (auto* t = json_.if_contains("type"); t && t->is_string()) {
        *t = json::array{t->get_string(), "null"};
        if (auto* e = json_.if_contains("enum")) e->as_array().push_back(nullptr);
    } else {
        // A reference or a composition: wrap it, keeping the description outside.
        json::object inner = json_;
        json::object outer;
        if (auto* d = inner.if_contains("description")) {
            outer["description"] = *d;
            inner.erase("description");
        }
        outer["anyOf"] = json::array{std::move(inner), json::object{{"type", "null"}}};
        json_ = std::move(outer);
    }
    return *this;
}

Schema& Schema::Required(std::string_view name, const Schema& schema) {
    Optional(name, schema);
    if (!json_.contains("required")) json_["required"] = json::array();
    json_["required"].as_array().push_back(json::value(name));
    return *this;
}

Schema& Schema::Optional(std::string_view name, const Schema& schema) {
    if (!json_.contains("properties")) json_["properties"] = json::object();
    json_["properties"].as_object()[name] = schema.json_;
    return *this;
}

Schema& Schema::Closed() {
    json_["additionalProperties"] = false;
    return *this;
}

Schema& Schema::FreeForm() {
    json_["additionalProperties"] = true;
    return *this;
}

Schema& Schema::Describe(std::string_view description) {
    SetDescription(json_, description);
    return *this;
}

Schema& Schema::Min(double v) {
    json_["minimum"] = v;
    return *this;
}

Schema& Schema::Max(double v) {
    json_["maximum"] = v;
    return *this;
}

Schema& Schema::MinLength(std::int64_t n) {
    json_["minLength"] = n;
    return *this;
}

Schema& Schema::MaxLength(std::int64_t n) {
    json_["maxLength"] = n;
    return *this;
}

Schema& Schema::MinItems(std::int64_t n) {
    json_["minItems"] = n;
    return *this;
}

Schema& Schema::MaxItems(std::int64_t n) {
    json_["maxItems"] = n;
    return *this;
}

Schema& Schema::Pattern(std::string_view regex) {
    json_["pattern"] = regex;
    return *this;
}

Schema& Schema::Format(std::string_view format) {
    json_["format"] = format;
    return *this;
}

Schema& Schema::Default(json::value v) {
    json_["default"] = std::move(v);
    return *this;
}

Schema& Schema::Example(json::value v) {
    json_["examples"] = json::array{std::move(v)};
    return *this;
}

Param Param::Path(std::string name, std::string description) {
    return {std::move(name), "path", Schema::String(), std::move(description), true};
}

Param Param::Query(std::string name, Schema schema, std::string description) {
    return {std::move(name), "query", std::move(schema), std::move(description), false};
}

// ------------------------------------------------------------------------------------------------
// Registry

const DocRegistry& DocRegistry::Default() {
    static const DocRegistry registry = [] {
        DocRegistry r;
        AddComponentSchemas(r);
        DocumentHealthRoutes(r);
        DocumentDocsRoutes(r);
        DocumentSessionRoutes(r);
        DocumentApiKeyRoutes(r);
        DocumentOrganizationRoutes(r);
        DocumentExplainRoutes(r);
        DocumentAnomalyRoutes(r);
        DocumentBatchRoutes(r);
        DocumentWebhookRoutes(r);
        DocumentStationRoutes(r);
        DocumentModelRoutes(r);
        return r;
    }();
    return registry;
}

const RouteDoc* DocRegistry::Find(std::string_view method, std::string_view pattern) const {
    for (const auto& d : docs_) {
        if (d.method == method && d.pattern == pattern) return &d;
    }
    return nullptr;
}

namespace {

std::vector<std::string> PathParamNames(std::string_view pattern) {
    std::vector<std::string> names;
    for (std::size_t i = pattern.find('{'); i != std::string_view::npos; i = pattern.find('{', i + 1)) {
        auto end = pattern.find('}', i);
        if (end == std::string_view::npos) break;
        names.emplace_back(pattern.substr(i + 1, end - i - 1));
    }
    return names;
}

// Every "$ref" under `v` that points at components/schemas.
void CollectRefs(const json::value& v, std::set<std::string>& out) {
    if (v.is_object()) {
        for (const auto& [k, child] : v.get_object()) {
            if (k == "$ref" && child.is_string()) {
                std::string_view ref = child.get_string();
                constexpr std::string_view kPrefix = "#/components/schemas/";
                if (ref.substr(0, kPrefix.size()) == kPrefix) out.emplace(ref.substr(kPrefix.size()));
            } else {
                CollectRefs(child, out);
            }
        }
    } else if (v.is_array()) {
        for (const auto& child : v.get_array()) CollectRefs(child, out);
    }
}

}  // namespace

std::vector<std::string> CheckDocumented(const std::vector<Route>& routes, const DocRegistry& registry) {
    std::vector<std::string> problems;
    std::set<std::string> ids;
    for (const auto& r : routes) {
        const std::string key = r.method + " " + r.pattern;
        const RouteDoc* d = registry.Find(r.method, r.pattern);
        if (!d) {
            problems.push_back(key + ": route has no documentation (add a RouteDoc in src/api/openapi_<resource>.cpp)");
            continue;
        }
        if (d->operation_id.empty()) problems.push_back(key + ": operation_id is empty");
        if (!ids.insert(d->operation_id).second)
            problems.push_back(key + ": operation_id " + d->operation_id + " used twice");
        if (d->tag.empty()) problems.push_back(key + ": tag is empty");
        if (d->description.empty()) problems.push_back(key + ": description is empty");
        if (d->replies.empty() || d->replies.front().status / 100 != 2) {
            problems.push_back(key + ": the first reply must be the success response");
        }
        auto names = PathParamNames(r.pattern);
        for (const auto& n : names) {
            bool found = std::any_of(d->params.begin(), d->params.end(),
                                     [&](const Param& p) { return p.in == "path" && p.name == n; });
            if (!found) problems.push_back(key + ": path parameter {" + n + "} not documented");
        }
        for (const auto& p : d->params) {
            if (p.in == "path" && std::find(names.begin(), names.end(), p.name) == names.end()) {
                problems.push_back(key + ": documents path parameter " + p.name + " that the pattern does not have");
            }
        }
    }
    for (const auto& d : registry.Docs()) {
        bool exists = std::any_of(routes.begin(), routes.end(),
                                  [&](const Route& r) { return r.method == d.method && r.pattern == d.pattern; });
        if (!exists) problems.push_back(d.method + " " + d.pattern + ": documented but no such route is served");
    }
    std::set<std::string> refs;
    for (const auto& d : registry.Docs()) {
        for (const auto& p : d.params) CollectRefs(p.schema.Json(), refs);
        if (d.request) CollectRefs(d.request->schema.Json(), refs);
        for (const auto& rep : d.replies) {
            if (rep.schema) CollectRefs(rep.schema->Json(), refs);
        }
    }
    CollectRefs(registry.Schemas(), refs);
    for (const auto& name : refs) {
        if (!registry.Schemas().contains(name)) problems.push_back("schema " + name + " is referenced but not defined");
    }
    return problems;
}

// ------------------------------------------------------------------------------------------------
// Document

namespace {

std::string StatusDescription(int status) {
    switch (status) {
        case 400:
            return "Malformed request";
        case 401:
            return "Missing, malformed, unknown, revoked or expired API key";
        case 403:
            return "The API key's role is below the one this operation requires";
        case 404:
            return "Not found (another tenant's objects are always a 404)";
        case 409:
            return "Conflict";
        case 413:
            return "Request body over this operation's limit (the connection is closed)";
        case 422:
            return "Validation error: every bad field is listed in `detail`";
        case 429:
            return "Too many requests";
        case 503:
            return "Service unavailable";
        default:
            return "Error";
    }
}

json::object ErrorReply(int status, std::string_view description) {
    const char* schema = status == 422 ? "ValidationError" : "Error";
    json::object content{{"schema", Schema::Ref(schema).Json()}};
    if (status == 422) {
        content["example"] =
            json::object{{"detail", json::array{json::object{{"loc", json::array{"body", "meterValues", 3, "value"}},
                                                             {"msg", "Input should be greater than or equal to 0"},
                                                             {"type", "greater_than_equal"}}}},
                         {"code", "validation_error"},
                         {"requestId", "5f0c6a1e9b2d4c7e"}};
    }
    json::object reply{{"description", description.empty() ? StatusDescription(status) : std::string(description)},
                       {"content", json::object{{"application/json", std::move(content)}}}};
    if (status == 401) {
        reply["headers"] = json::object{{"WWW-Authenticate", json::object{{"description", "Always `Bearer`"},
                                                                          {"schema", Schema::String().Json()}}}};
    }
    return reply;
}

std::string HumanSize(std::size_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

json::object Operation(const Route& route, const RouteDoc* doc) {
    json::object op;
    const bool has_body = doc && doc->request.has_value();
    if (!doc) {
        op["summary"] = route.summary;
        op["responses"] = json::object{{"default", json::object{{"description", "Undocumented"}}}};
        return op;
    }
    op["operationId"] = doc->operation_id;
    op["summary"] = doc->summary.empty() ? route.summary : doc->summary;
    std::string description = doc->description;
    if (route.min_role) {
        description +=
            "\n\nRequires an API key with role `" + std::string(domain::RoleName(*route.min_role)) + "` or higher.";
    }
    if (has_body) description += " Request body limit: " + HumanSize(route.body_limit) + ".";
    op["description"] = description;
    op["tags"] = json::array{json::value(doc->tag)};
    if (route.min_role) {
        op["security"] = json::array{json::object{{"bearerAuth", json::array()}}};
        op["x-min-role"] = domain::RoleName(*route.min_role);
    } else {
        op["security"] = json::array();
    }
    if (has_body) op["x-body-limit"] = route.body_limit;

    bool has_path = false, has_query = false;
    if (!doc->params.empty()) {
        json::array params;
        for (const auto& p : doc->params) {
            has_path |= p.in == "path";
            has_query |= p.in == "query";
            json::object o{{"name", p.name}, {"in", p.in}, {"required", p.required}, {"schema", p.schema.Json()}};
            SetDescription(o, p.description);
            params.push_back(std::move(o));
        }
        op["parameters"] = std::move(params);
    }
    if (has_body) {
        json::object media{{"schema", doc->request->schema.Json()}};
        if (!doc->request->example.is_null()) media["example"] = doc->request->example;
        op["requestBody"] = json::object{{"required", doc->request->required},
                                         {"content", json::object{{"application/json", std::move(media)}}}};
    }

    json::object responses;
    for (const auto& rep : doc->replies) {
        json::object r{{"description", rep.description}};
        if (rep.schema) {
            json::object media{{"schema", rep.schema->Json()}};
            if (!rep.example.is_null()) media["example"] = rep.example;
            r["content"] = json::object{{rep.content_type, std::move(media)}};
        }
        responses[std::to_string(rep.status)] = std::move(r);
    }
    std::map<int, std::string> errors;
    if (route.min_role) {
        errors[401] = "";
        if (*route.min_role != domain::Role::kViewer) errors[403] = "";
    }
    if (has_path) errors[404] = "";
    if (has_body) errors[413] = "";
    if (has_body || has_query) errors[422] = "";
    for (const auto& [status, text] : doc->errors) errors[status] = text;
    const bool any_client_error =
        std::any_of(errors.begin(), errors.end(), [](const auto& e) { return e.first / 100 == 4; }) ||
        std::any_of(doc->replies.begin(), doc->replies.end(), [](const Reply& r) { return r.status / 100 == 4; });
    // Every route can answer 400 to a request target that does not parse (http/server.cpp).
    if (!any_client_error) errors[400] = "Malformed request (e.g. a request target that does not parse)";
    for (const auto& [status, text] : errors) {
        auto key = std::to_string(status);
        if (!responses.contains(key)) responses[key] = ErrorReply(status, text);
    }
    op["responses"] = std::move(responses);
    return op;
}

constexpr std::string_view kDescription =
    "evni ingests the OCPP meter values of EV charging sessions and returns anomaly verdicts: which sessions "
    "are anomalous, where in the session, how badly and how sure.\n\n"
    "* Every `/v1` operation needs `Authorization: Bearer <API key>`. A key belongs to one tenant and has a "
    "role (`viewer` < `member` < `admin` < `super_admin`); another tenant's objects are always a 404.\n"
    "* JSON fields are camelCase; timestamps are returned as UTC `YYYY-MM-DDTHH:MM:SSZ` (with `.mmm` when the "
    "milliseconds are not zero).\n"
    "* Errors have one shape: `{\"detail\", \"code\", \"requestId\"}`; on a 422 `detail` lists every bad field as "
    "`{loc, msg, type}`. Every response carries `X-Request-Id`.\n\n"
    "A plain-text guide is at `/llms.txt`, a readable version of this document at `/docs`.";

}  // namespace

json::object BuildDocument(const std::vector<Route>& routes, const DocRegistry& registry) {
    json::object paths;
    std::set<std::string> tags_used;
    for (const auto& r : routes) {
        const RouteDoc* doc = registry.Find(r.method, r.pattern);
        if (doc) tags_used.insert(doc->tag);
        std::string method = r.method;
        std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::tolower(c); });
        if (!paths.contains(r.pattern)) paths[r.pattern] = json::object();
        paths[r.pattern].as_object()[method] = Operation(r, doc);
    }

    static const std::map<std::string, std::string> kTagDescriptions = {
        {"Sessions", "Charging sessions: push meter values, get verdicts back"},
        {"API keys", "The tenant's API keys (admin)"},
        {"Operations", "Liveness, readiness and metrics for orchestrators and monitoring (no authentication)"},
        {"Documentation", "This document, a readable rendering of it and a plain-text guide"},
    };
    json::array tags;
    for (const auto& [name, description] : kTagDescriptions) {
        if (tags_used.count(name)) tags.push_back(json::object{{"name", name}, {"description", description}});
    }
    for (const auto& name : tags_used) {
        if (!kTagDescriptions.count(name)) tags.push_back(json::object{{"name", name}, {"description", name}});
    }

    return json::object{
        {"openapi", "3.1.0"},
        {"info", json::object{{"title", "evni: EV Network Intelligence API"},
                              {"version", kApiVersion},
                              {"summary", "Push OCPP meter values, get anomaly verdicts back"},
                              {"description", kDescription},
                              {"license", json::object{{"name", "Proprietary"}, {"identifier", "LicenseRef-evni"}}}}},
        {"servers", json::array{json::object{{"url", "http://127.0.0.1:8080"},
                                             {"description", "`evni serve` on its default listen address"}}}},
        {"tags", std::move(tags)},
        {"paths", std::move(paths)},
        {"components",
         json::object{
             {"schemas", registry.Schemas()},
             {"securitySchemes",
              json::object{{"bearerAuth", json::object{{"type", "http"},
                                                       {"scheme", "bearer"},
                                                       {"description",
                                                        "An evni API key (`evni_<12 hex>_<43 chars>`), created by "
                                                        "`evni tenant create` or `POST /v1/api-keys`; it carries the "
                                                        "tenant and the role."}}}}}}},
    };
}

// ------------------------------------------------------------------------------------------------
// Categories (analysis.md §2)

const std::vector<Category>& AnomalyCategories() {
    static const std::vector<Category> kCategories = {
        {"KWH_DECREASE", "the energy register decreases mid-session beyond meter resolution (not to ~0)"},
        {"METER_RESET", "the register restarts near zero, or wraps at a power-of-two/ten boundary, and climbs again"},
        {"ENERGY_SPIKE", "a register step larger than physically possible for its time step"},
        {"ENERGY_PIT",
         "delivery drops to ~0 for a sustained stretch mid-session and later resumes, not explained by load "
         "management nor by a short EV-side pause"},
        {"STUCK_REGISTER", "the register stays flat while power > 1 kW for at least 5 min"},
        {"ENERGY_POWER_MISMATCH", "integrated power and register delta disagree by > 25 % over at least 15 min"},
        {"POWER_OVER_LIMIT",
         "power above the connector's limit (metadata maxPowerKw, or Power.Offered, else the rating learned from the "
         "connector's history) by > 10 %"},
        {"SOC_DECREASE", "SoC falls while energy is being imported"},
        {"SOC_JUMP", "an SoC step implausible for the energy delivered, or a jump to 100 %"},
        {"ZERO_ENERGY", "a session of at least 10 min delivers < 0.1 kWh"},
        {"TIMESTAMP_INVALID",
         "timestamps before 2000-01-01, more than 5 min in the future, or duplicates with different values"},
        {"DATA_GAP", "no readings for max(15 min, 5 x the median cadence) while the session is active"},
        {"IDLE_OCCUPANCY", "at least 30 min at ~0 power at the end while the EV stays connected"},
        {"SESSION_OVERLAP", "two sessions on the same station and connector overlap in time"},
    };
    return kCategories;
}

}  // namespace evni::api::openapi
