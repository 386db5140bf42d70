// Organization, members, invitations, tenants and audit log resources.
#include "api/handlers.h"
#include "api/json_util.h"
#include "api/organization_service.h"

namespace evni::api {
namespace json = boost::json;
namespace {

json::value OptString(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

json::object OrganizationObject(const domain::Organization& o) {
    return json::object{
        {"id", o.id},
        {"tenantId", o.tenant_id},
        {"name", o.name},
        {"phone", OptString(o.phone)},
        {"address", OptString(o.address)},
        {"taxIdType", OptString(o.tax_id_type)},
        {"taxIdValue", OptString(o.tax_id_value)},
        {"tariffPerKwh", o.tariff_per_kwh ? json::value(*o.tariff_per_kwh) : json::value(nullptr)},
        {"currency", OptString(o.currency)},
        {"timeZone", o.time_zone},
        {"createdAt", FormatIsoDateTime(o.created_at)},
        {"updatedAt", TimeOrNull(o.updated_at)},
    };
}

json::object MemberObject(const domain::Member& m) {
    return json::object{
        {"userId", m.user_id},
        {"email", m.email},
        {"role", domain::RoleName(m.role)},
        {"status", "active"},
        {"joinedAt", FormatIsoDateTime(m.joined_at)},
        {"invitedAt", nullptr},
        {"expiresAt", nullptr},
        {"invitedBy", OptString(m.invited_by)},
        {"invitationId", nullptr},
    };
}

std::optional<domain::Role> DecodeRole(const json::object& body, FieldErrors& errors, bool required) {
    const Loc base{std::string("body")};
    auto f = errors.OptionalString(body, "role", base, 32);
    if (!f.present || !f.value) {
        if (required && (!f.present || body.at("role").is_null()))
            errors.Add(At(base, std::string("role")), "Field required", "missing");
        return std::nullopt;
    }
    auto role = domain::ParseRole(*f.value);
    if (!role) {
        errors.Add(At(base, std::string("role")), "Input should be 'viewer', 'member', 'admin' or 'super_admin'",
                   "enum");
    }
    return role;
}

// Rejects control characters in free-text profile fields.
void CheckPrintable(const Field<std::string>& f, std::string_view name, FieldErrors& errors) {
    if (!f.value) return;
    for (char c : *f.value) {
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n') {
            errors.Add({std::string("body"), std::string(name)}, "String should not contain control characters",
                       "string_pattern_mismatch");
            return;
        }
    }
}

}  // namespace

void AddOrganizationRoutes(std::vector<Route>& routes, const ApiContext& ctx) {
    OrganizationService* svc = ctx.organizations;
    ApiKeyService* keys = ctx.api_keys;
    using domain::Role;

    routes.push_back({"GET", "/v1/organization", Role::kViewer, 0, "Get the organization profile and settings",
                      [svc](Request& req) -> Result<Response> {
                          auto org = svc->Get(*req.principal);
                          if (!org) return Fail(std::move(org.error()));
                          return JsonResponse(OrganizationObject(*org));
                      }});

    routes.push_back(
        {"PUT", "/v1/organization", Role::kAdmin, 64 * 1024, "Create or update the organization",
         [svc](Request& req) -> Result<Response> {
             auto arena = BodyArena(req.body);
             auto body = ParseObjectBody(req.body, arena);
             if (!body) return Fail(std::move(body.error()));
             FieldErrors errors;
             const Loc base{std::string("body")};
             OrganizationChanges c;
             auto name = errors.RequiredString(*body, "name", base, 200);
             c.phone = errors.OptionalString(*body, "phone", base, 50);
             c.address = errors.OptionalString(*body, "address", base, 500);
             c.tax_id_type = errors.OptionalString(*body, "taxIdType", base, 32);
             c.tax_id_value = errors.OptionalString(*body, "taxIdValue", base, 64);
             c.currency = errors.OptionalString(*body, "currency", base, 3);
             auto tz = errors.OptionalString(*body, "timeZone", base, 64);
             CheckPrintable(c.phone, "phone", errors);
             CheckPrintable(c.address, "address", errors);
             CheckPrintable(c.tax_id_value, "taxIdValue", errors);
             if (c.phone.value) {
                 for (char ch : *c.phone.value) {
                     if (!std::isdigit(static_cast<unsigned char>(ch)) && !std::strchr("+ ()-./", ch)) {
                         errors.Add(At(base, std::string("phone")), "Phone may contain digits, spaces and + ( ) - . /",
                                    "string_pattern_mismatch");
                         break;
                     }
                 }
             }
             if (c.tax_id_type.value) {
                 const auto& t = *c.tax_id_type.value;
                 bool ok = !t.empty() && std::all_of(t.begin(), t.end(), [](char ch) {
                     return std::islower(static_cast<unsigned char>(ch)) || ch == '_';
                 });
                 if (!ok)
                     errors.Add(At(base, std::string("taxIdType")),
                                "Tax id type looks like 'eu_vat' (lowercase letters and _)", "string_pattern_mismatch");
             }
             if (c.currency.value && !IsValidCurrency(*c.currency.value)) {
                 errors.Add(At(base, std::string("currency")), "Currency should be an ISO 4217 code such as 'EUR'",
                            "string_pattern_mismatch");
             }
             if (tz.present) {
                 if (!tz.value) {
                     errors.Add(At(base, std::string("timeZone")), "Input should be a valid string", "string_type");
                 } else if (!IsValidTimeZone(*tz.value)) {
                     errors.Add(At(base, std::string("timeZone")),
                                "Unknown time zone: use an IANA name such as 'Europe/Amsterdam'",
                                "string_pattern_mismatch");
                 } else {
                     c.time_zone = *tz.value;
                 }
             }
             if (auto* t = body->if_contains("tariffPerKwh")) {
                 c.tariff_per_kwh.present = true;
                 if (!t->is_null()) {
                     auto d = NumberOrNumericString(*t);
                     if (!d || t->is_string()) {
                         errors.Add(At(base, std::string("tariffPerKwh")), "Input should be a valid number",
                                    "float_type");
                     } else if (*d < 0) {
                         errors.Add(At(base, std::string("tariffPerKwh")), "Input should be greater than or equal to 0",
                                    "greater_than_equal");
                     } else if (*d > 100) {
                         errors.Add(At(base, std::string("tariffPerKwh")), "Input should be less than or equal to 100",
                                    "less_than_equal");
                     } else {
                         c.tariff_per_kwh.value = *d;
                     }
                 }
             }
             if (!errors.Empty()) return Fail(errors.ToError());
             c.name = *name;
             auto org = svc->Update(*req.principal, c);
             if (!org) return Fail(std::move(org.error()));
             return JsonResponse(OrganizationObject(*org));
         }});

    routes.push_back({"GET", "/v1/members", Role::kViewer, 0, "List members (and, for admins, pending invitations)",
                      [svc](Request& req) -> Result<Response> {
                          auto view = svc->ListMembers(*req.principal);
                          if (!view) return Fail(std::move(view.error()));
                          json::array members;
                          for (const auto& m : view->members) members.push_back(MemberObject(m));
                          for (const auto& i : view->invitations) {
                              members.push_back(json::object{
                                  {"userId", i.id},
                                  {"email", i.email},
                                  {"role", domain::RoleName(i.role)},
                                  {"status", i.expires_at <= req.now_ms ? "expired" : "pending"},
                                  {"joinedAt", nullptr},
                                  {"invitedAt", FormatIsoDateTime(i.invited_at)},
                                  {"expiresAt", FormatIsoDateTime(i.expires_at)},
                                  {"invitedBy", i.invited_by},
                                  {"invitationId", i.id},
                              });
                          }
                          return JsonResponse(json::object{{"members", std::move(members)}});
                      }});

    routes.push_back(
        {"POST", "/v1/members/invitations", Role::kAdmin, 64 * 1024,
         "Invite someone by email (the one-time token is shown once)", [svc](Request& req) -> Result<Response> {
             auto arena = BodyArena(req.body);
             auto body = ParseObjectBody(req.body, arena);
             if (!body) return Fail(std::move(body.error()));
             FieldErrors errors;
             const Loc base{std::string("body")};
             auto email = errors.RequiredString(*body, "email", base, 254);
             if (email && !IsValidEmail(*email)) {
                 errors.Add(At(base, std::string("email")), "Input should be a valid email address", "value_error");
             }
             auto role = DecodeRole(*body, errors, true);
             if (!errors.Empty()) return Fail(errors.ToError());
             auto inv = svc->Invite(*req.principal, *email, *role);
             if (!inv) return Fail(std::move(inv.error()));
             const auto& i = inv->invitation;
             return JsonResponse(json::object{
                 {"invitationId", i.id},
                 {"email", i.email},
                 {"role", domain::RoleName(i.role)},
                 {"token", inv->token},
                 {"acceptUrl", "/v1/invitations/" + inv->token + "/accept"},
                 {"invitedBy", i.invited_by},
                 {"invitedAt", FormatIsoDateTime(i.invited_at)},
                 {"expiresAt", FormatIsoDateTime(i.expires_at)},
             });
         }});

    routes.push_back({"POST", "/v1/invitations/{token}/accept", std::nullopt, 64 * 1024,
                      "Accept an invitation: creates the member and returns a personal access token (shown once)",
                      [svc](Request& req) -> Result<Response> {
                          auto accepted = svc->Accept(req.path_params["token"]);
                          if (!accepted) return Fail(std::move(accepted.error()));
                          const auto& m = accepted->member;
                          const auto& k = accepted->token.key;
                          return JsonResponse(json::object{
                              {"userId", m.user_id},
                              {"email", m.email},
                              {"role", domain::RoleName(m.role)},
                              {"tenantId", m.tenant_id},
                              {"tokenId", k.id},
                              {"token", accepted->token.secret},
                              {"expiresAt", FormatIsoDateTime(k.expires_at)},
                          });
                      }});

    routes.push_back({"PATCH", "/v1/members/{user_id}", Role::kAdmin, 64 * 1024, "Change a member's role",
                      [svc](Request& req) -> Result<Response> {
                          auto arena = BodyArena(req.body);
                          auto body = ParseObjectBody(req.body, arena);
                          if (!body) return Fail(std::move(body.error()));
                          FieldErrors errors;
                          auto role = DecodeRole(*body, errors, true);
                          if (!errors.Empty()) return Fail(errors.ToError());
                          auto m = svc->ChangeRole(*req.principal, req.path_params["user_id"], *role);
                          if (!m) return Fail(std::move(m.error()));
                          return JsonResponse(MemberObject(*m));
                      }});

    routes.push_back({"DELETE", "/v1/members/{user_id}", Role::kAdmin, 0, "Remove a member and revoke their tokens",
                      [svc](Request& req) -> Result<Response> {
                          auto done = svc->Remove(*req.principal, req.path_params["user_id"]);
                          if (!done) return Fail(std::move(done.error()));
                          return JsonResponse(json::object{});
                      }});

    routes.push_back(
        {"GET", "/v1/audit-log", Role::kAdmin, 0, "Security-relevant changes, newest first",
         [svc](Request& req) -> Result<Response> {
             FieldErrors errors;
             auto page = QueryInt(req.Query("page"), "page", 1, 1, 1'000'000, errors);
             auto size = QueryInt(req.Query("pageSize"), "pageSize", 50, 1, 1000, errors);
             if (!errors.Empty()) return Fail(errors.ToError());
             auto log = svc->AuditLog(*req.principal, *page, *size);
             if (!log) return Fail(std::move(log.error()));
             json::array items;
             for (const auto& e : log->items) {
                 json::value details = nullptr;
                 if (e.details_json) {
                     boost::system::error_code ec;
                     details = json::parse(*e.details_json, ec);
                     if (ec) details = nullptr;
                 }
                 items.push_back(json::object{{"id", e.id},
                                              {"at", FormatIsoDateTime(e.at)},
                                              {"actor", e.actor},
                                              {"action", e.action},
                                              {"targetType", e.target_type},
                                              {"targetId", e.target_id},
                                              {"details", std::move(details)}});
             }
             return JsonResponse(json::object{
                 {"items", std::move(items)},
                 {"pagination", json::object{{"totalCount", log->total_count}, {"page", *page}, {"size", *size}}},
             });
         }});

    routes.push_back({"POST", "/v1/tenants", Role::kSuperAdmin, 64 * 1024,
                      "Create a tenant with its first admin key (operators of the installation)",
                      [keys](Request& req) -> Result<Response> {
                          auto arena = BodyArena(req.body);
                          auto body = ParseObjectBody(req.body, arena);
                          if (!body) return Fail(std::move(body.error()));
                          FieldErrors errors;
                          auto name = errors.RequiredString(*body, "name", {std::string("body")}, 200);
                          if (!errors.Empty()) return Fail(errors.ToError());
                          auto created = keys->CreateTenant(*name, Role::kAdmin, *req.principal);
                          if (!created) return Fail(std::move(created.error()));
                          return JsonResponse(json::object{
                              {"tenantId", created->tenant.id},
                              {"name", created->tenant.name},
                              {"apiKey", created->admin_key.secret},
                              {"createdAt", FormatIsoDateTime(created->tenant.created_at)},
                          });
                      }});
}

}  // namespace evni::api
