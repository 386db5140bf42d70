// Documentation of the API keys routes (api_keys.cpp).
#include "api/openapi.h"

namespace evni::api::openapi {
namespace json = boost::json;

void DocumentApiKeyRoutes(DocRegistry& r) {
    r.Add({
        .method = "GET",
        .pattern = "/v1/api-keys",
        .operation_id = "listApiKeys",
        .tag = "API keys",
        .summary = "List Api Keys",
        .description = "List all API keys for the current tenant, including revoked and expired ones. The secrets "
                       "are never returned.",
        .replies = {{200, "The tenant's API keys", Schema::Ref("ApiKeyList"),
                     json::object{{"items", json::array{json::object{{"id", "3f1c2b7a9e04"},
                                                                     {"name", "cpms-prod"},
                                                                     {"description", "CPMS production push"},
                                                                     {"tenantId", "t-5d2a9c"},
                                                                     {"role", "member"},
                                                                     {"createdAt", "2026-01-01T00:00:00Z"},
                                                                     {"expiresAt", "2027-01-01T00:00:00Z"},
                                                                     {"lastUsedAt", "2026-02-27T10:31:02Z"},
                                                                     {"revokedAt", nullptr}}}}}}},
    });

    r.Add({
        .method = "POST",
        .pattern = "/v1/api-keys",
        .operation_id = "createApiKey",
        .tag = "API keys",
        .summary = "Create Api Key",
        .description = "Create a new API key for the tenant. Returns the full key only once: only its SHA-256 is "
                       "stored. The role defaults to the caller's and can never be above it (403).",
        .request = RequestBody{Schema::Ref("ApiKeyCreate"), json::object{{"name", "cpms-prod"},
                                                                         {"description", "CPMS production push"},
                                                                         {"expiresInDays", 365},
                                                                         {"role", "member"}}},
        .replies = {{200, "The new key with its secret", Schema::Ref("ApiKeyCreated"),
                     json::object{{"id", "3f1c2b7a9e04"},
                                  {"name", "cpms-prod"},
                                  {"key", "evni_3f1c2b7a9e04_q8Vx1oZ3mT5bN0cR7yW2eK9uJ4hL6gF1dS8aP3iO5tY"},
                                  {"tenantId", "t-5d2a9c"},
                                  {"role", "member"},
                                  {"expiresAt", "2027-01-01T00:00:00Z"},
                                  {"createdAt", "2026-01-01T00:00:00Z"}}}},
    });

    r.Add({
        .method = "DELETE",
        .pattern = "/v1/api-keys/{key_id}",
        .operation_id = "revokeApiKey",
        .tag = "API keys",
        .summary = "Revoke Api Key",
        .description = "Revoke an API key: it is refused at once by this node and within 2 s by the others.",
        .params = {Param::Path("key_id", "Key Id")},
        .replies = {{200, "Revoked", Schema::Ref("Empty"), json::object{}}},
    });
}

}  // namespace evni::api::openapi
