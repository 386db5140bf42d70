// API keys resource: GET/POST /v1/api-keys, DELETE /v1/api-keys/{key_id}.
#include "api/api_key_service.h"
#include "api/handlers.h"
#include "api/json_util.h"

namespace evni::api {
namespace json = boost::json;

namespace {}  // namespace

void AddApiKeyRoutes(std::vector<Route>& routes, const ApiContext& ctx) {
    ApiKeyService* svc = ctx.api_keys;
    using domain::Role;

    routes.push_back({"GET", "/v1/api-keys", Role::kAdmin, 0, "List API keys", [svc](Request& req) -> Result<Response> {
                          auto keys = svc->List(*req.principal);
                          if (!keys) return Fail(std::move(keys.error()));
                          json::array items;
                          for (const auto& k : *keys) {
                              items.push_back(json::object{
                                  {"id", k.id},
                                  {"name", k.name},
                                  {"description", k.description},
                                  {"tenantId", k.tenant_id},
                                  {"role", domain::RoleName(k.role)},
                                  {"createdAt", FormatIsoDateTime(k.created_at)},
                                  {"expiresAt", FormatIsoDateTime(k.expires_at)},
                                  {"lastUsedAt", TimeOrNull(k.last_used_at)},
                                  {"revokedAt", TimeOrNull(k.revoked_at)},
                              });
                          }
                          return JsonResponse(json::object{{"items", std::move(items)}});
                      }});

    routes.push_back({"POST", "/v1/api-keys", Role::kAdmin, 64 * 1024, "Create an API key (the key is shown once)",
                      [svc](Request& req) -> Result<Response> {
                          auto arena = BodyArena(req.body);
                          auto body = ParseObjectBody(req.body, arena);
                          if (!body) return Fail(std::move(body.error()));
                          FieldErrors errors;
                          const Loc base{std::string("body")};
                          auto name = errors.RequiredString(*body, "name", base, 100);
                          auto description = errors.OptionalString(*body, "description", base, 1000);
                          auto days = errors.OptionalInt(*body, "expiresInDays", base, 1, 3650);
                          auto role_text = errors.OptionalString(*body, "role", base, 32);
                          std::optional<Role> role;
                          if (role_text.value) {
                              role = domain::ParseRole(*role_text.value);
                              if (!role)
                                  errors.Add(At(base, std::string("role")),
                                             "Input should be 'viewer', 'member', 'admin' or 'super_admin'", "enum");
                          }
                          if (!errors.Empty()) return Fail(errors.ToError());
                          auto issued =
                              svc->Create(*req.principal, *name, description.value.value_or(""),
                                          static_cast<int>(days.value.value_or(kDefaultKeyLifetimeDays)), role);
                          if (!issued) return Fail(std::move(issued.error()));
                          const auto& k = issued->key;
                          return JsonResponse(json::object{
                              {"id", k.id},
                              {"name", k.name},
                              {"key", issued->secret},
                              {"tenantId", k.tenant_id},
                              {"role", domain::RoleName(k.role)},
                              {"expiresAt", FormatIsoDateTime(k.expires_at)},
                              {"createdAt", FormatIsoDateTime(k.created_at)},
                          });
                      }});

    routes.push_back({"DELETE", "/v1/api-keys/{key_id}", Role::kAdmin, 0, "Revoke an API key",
                      [svc](Request& req) -> Result<Response> {
                          auto done = svc->Revoke(*req.principal, req.path_params["key_id"]);
                          if (!done) return Fail(std::move(done.error()));
                          return JsonResponse(json::object{});
                      }});
}

}  // namespace evni::api
