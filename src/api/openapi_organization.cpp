// Documentation of the organization, members, invitations, audit log and tenants routes
// (organization.cpp), with their schemas.
#include "api/openapi.h"

namespace evni::api::openapi {
namespace json = boost::json;

namespace {

Schema NullableString(std::string_view description) { return Schema::String(description).Nullable(); }

json::object OrganizationExample() {
    return json::object{{"id", "9b2e4c1a-8f3d-4e5b-a6c7-d8e9f0a1b2c3"},
                        {"tenantId", "5d2a9c7e-1b3f-4a6d-8e9f-0a1b2c3d4e5f"},
                        {"name", "Amsterdam Charging BV"},
                        {"phone", "+31 20 123 4567"},
                        {"address", "Damrak 1, 1012 LG Amsterdam"},
                        {"taxIdType", "eu_vat"},
                        {"taxIdValue", "NL123456789B01"},
                        {"tariffPerKwh", 0.39},
                        {"currency", "EUR"},
                        {"timeZone", "Europe/Amsterdam"},
                        {"createdAt", "2026-01-01T00:00:00Z"},
                        {"updatedAt", "2026-02-27T10:00:00Z"}};
}

json::object MemberExample() {
    return json::object{{"userId", "0c7d2e91-3a4b-4c5d-9e8f-7a6b5c4d3e2f"},
                        {"email", "ops@example.com"},
                        {"role", "member"},
                        {"status", "active"},
                        {"joinedAt", "2026-01-02T09:00:00Z"},
                        {"invitedAt", nullptr},
                        {"expiresAt", nullptr},
                        {"invitedBy", "admin@example.com"},
                        {"invitationId", nullptr}};
}

void AddOrganizationSchemas(DocRegistry& r) {
    r.AddSchema("Organization",
                Schema::Object("The tenant's organization profile and settings")
                    .Required("id", Schema::String("Organization id"))
                    .Required("tenantId", Schema::String("Tenant id"))
                    .Required("name", Schema::String("Name"))
                    .Required("phone", NullableString("Phone"))
                    .Required("address", NullableString("Address"))
                    .Required("taxIdType", NullableString("Tax id type, e.g. `eu_vat`"))
                    .Required("taxIdValue", NullableString("Tax id value"))
                    .Required("tariffPerKwh", Schema::Number("Default tariff per kWh, used for the billing impact of "
                                                             "anomalies")
                                                  .Min(0)
                                                  .Max(100)
                                                  .Nullable())
                    .Required("currency", NullableString("ISO 4217 currency of the tariff"))
                    .Required("timeZone", Schema::String("IANA time zone of the daily station model"))
                    .Required("createdAt", Schema::DateTime("Creation time"))
                    .Required("updatedAt", Schema::DateTime("Last update").Nullable())
                    .Closed());
    r.AddSchema("OrganizationUpdate",
                Schema::Object("Organization fields; absent fields keep their value, null clears an optional one")
                    .Required("name", Schema::String("Name").MinLength(1).MaxLength(200))
                    .Optional("phone", NullableString("Digits, spaces and + ( ) - . /").MaxLength(50))
                    .Optional("address", NullableString("Address").MaxLength(500))
                    .Optional("taxIdType", NullableString("Lowercase letters and _, e.g. `eu_vat`").MaxLength(32))
                    .Optional("taxIdValue", NullableString("Tax id value").MaxLength(64))
                    .Optional("tariffPerKwh", Schema::Number("Default tariff per kWh").Min(0).Max(100).Nullable())
                    .Optional("currency", NullableString("ISO 4217 code, e.g. `EUR`").Pattern("^[A-Z]{3}$"))
                    .Optional("timeZone", Schema::String("IANA time zone, e.g. `Europe/Amsterdam`").MaxLength(64)));
    r.AddSchema("Member",
                Schema::Object("A member, or (status pending/expired) an invitation not yet accepted")
                    .Required("userId", Schema::String("User id (the invitation id for a pending invitation)"))
                    .Required("email", Schema::String("Email"))
                    .Required("role", Schema::Ref("Role"))
                    .Required("status", Schema::Enum({"active", "pending", "expired"}, "Member status"))
                    .Required("joinedAt", Schema::DateTime("When the member joined").Nullable())
                    .Required("invitedAt", Schema::DateTime("When the invitation was sent").Nullable())
                    .Required("expiresAt", Schema::DateTime("When the invitation expires").Nullable())
                    .Required("invitedBy", NullableString("Who invited"))
                    .Required("invitationId", NullableString("Invitation id"))
                    .Closed());
    r.AddSchema("MemberList", Schema::Object("Members and, for admins, pending invitations")
                                  .Required("members", Schema::Array(Schema::Ref("Member"), "Members"))
                                  .Closed());
    r.AddSchema("RoleChange", Schema::Object("A new role").Required("role", Schema::Ref("Role")));
    r.AddSchema("InvitationCreate",
                Schema::Object("Whom to invite, with which role (not above the inviter's)")
                    .Required("email", Schema::String("Email address").Format("email").MaxLength(254))
                    .Required("role", Schema::Ref("Role")));
    r.AddSchema("Invitation", Schema::Object("An invitation; its one-time token is shown only here")
                                  .Required("invitationId", Schema::String("Invitation id"))
                                  .Required("email", Schema::String("Invited email (lowercase)"))
                                  .Required("role", Schema::Ref("Role"))
                                  .Required("token", Schema::String("One-time token, valid 7 days"))
                                  .Required("acceptUrl", Schema::String("Path to POST to accept the invitation"))
                                  .Required("invitedBy", Schema::String("Who invited"))
                                  .Required("invitedAt", Schema::DateTime("When"))
                                  .Required("expiresAt", Schema::DateTime("Expiry"))
                                  .Closed());
    r.AddSchema("AcceptedInvitation",
                Schema::Object("The new member and its personal access token (shown once)")
                    .Required("userId", Schema::String("User id"))
                    .Required("email", Schema::String("Email"))
                    .Required("role", Schema::Ref("Role"))
                    .Required("tenantId", Schema::String("Tenant id"))
                    .Required("tokenId", Schema::String("Id of the personal access token (an API key)"))
                    .Required("token", Schema::String("Personal access token: send as Authorization: Bearer"))
                    .Required("expiresAt", Schema::DateTime("Token expiry"))
                    .Closed());
    r.AddSchema("AuditEntry",
                Schema::Object("One security-relevant change")
                    .Required("id", Schema::Integer("Entry id"))
                    .Required("at", Schema::DateTime("When"))
                    .Required("actor", Schema::String("Who: a member's email, `api-key:<name>` or `cli`"))
                    .Required("action", Schema::String("What, e.g. `api_key.created`, `member.role_changed`"))
                    .Required("targetType", Schema::String("Kind of object changed"))
                    .Required("targetId", Schema::String("Id of the object changed"))
                    .Required("details", Schema::Object("Action-specific details").FreeForm().Nullable())
                    .Closed());
    r.AddSchema("AuditLog", Schema::Object("A page of the audit log, newest first")
                                .Required("items", Schema::Array(Schema::Ref("AuditEntry"), "Entries"))
                                .Required("pagination", Schema::Ref("Pagination"))
                                .Closed());
    r.AddSchema(
        "TenantCreate",
        Schema::Object("A new tenant").Required("name", Schema::String("Tenant name").MinLength(1).MaxLength(200)));
    r.AddSchema("TenantCreated", Schema::Object("The new tenant and its first admin key (shown once)")
                                     .Required("tenantId", Schema::String("Tenant id"))
                                     .Required("name", Schema::String("Tenant name"))
                                     .Required("apiKey", Schema::String("Admin API key of the new tenant"))
                                     .Required("createdAt", Schema::DateTime("Creation time"))
                                     .Closed());
}

}  // namespace

void DocumentOrganizationRoutes(DocRegistry& r) {
    AddOrganizationSchemas(r);
    r.Add({
        .method = "GET",
        .pattern = "/v1/organization",
        .operation_id = "getOrganization",
        .tag = "Organization",
        .summary = "Get Organization",
        .description = "Get organization details for the current tenant, with the settings other features use "
                       "(tariff and currency for the billing impact, time zone for the daily station model).",
        .replies = {{200, "The organization", Schema::Ref("Organization"), OrganizationExample()}},
    });
    r.Add({
        .method = "PUT",
        .pattern = "/v1/organization",
        .operation_id = "updateOrganization",
        .tag = "Organization",
        .summary = "Update Organization",
        .description = "Create or update organization details. Admin only. Absent fields keep their value; null "
                       "clears an optional one. Recorded in the audit log.",
        .request = RequestBody{Schema::Ref("OrganizationUpdate"), json::object{{"name", "Amsterdam Charging BV"},
                                                                               {"tariffPerKwh", 0.39},
                                                                               {"currency", "EUR"},
                                                                               {"timeZone", "Europe/Amsterdam"}}},
        .replies = {{200, "The updated organization", Schema::Ref("Organization"), OrganizationExample()}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/members",
        .operation_id = "listMembers",
        .tag = "Members",
        .summary = "List Members",
        .description = "List all members and pending invitations for the current tenant. Pending invitations are "
                       "only visible to admin and super_admin callers.",
        .replies = {{200, "Members", Schema::Ref("MemberList"),
                     json::object{{"members", json::array{MemberExample()}}}}},
    });
    r.Add({
        .method = "POST",
        .pattern = "/v1/members/invitations",
        .operation_id = "inviteMember",
        .tag = "Members",
        .summary = "Invite Member",
        .description = "Invite someone by email with a role not above the inviter's. Returns a one-time token valid "
                       "7 days (shown once); a new invitation for the same email replaces a pending one.",
        .request = RequestBody{Schema::Ref("InvitationCreate"),
                               json::object{{"email", "ops@example.com"}, {"role", "member"}}},
        .replies = {{200, "The invitation with its token", Schema::Ref("Invitation"),
                     json::object{
                         {"invitationId", "7e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"},
                         {"email", "ops@example.com"},
                         {"role", "member"},
                         {"token", "evni_inv_Zx8v1oZ3mT5bN0cR7yW2eK9uJ4hL6gF1dS8aP3iO5tY"},
                         {"acceptUrl", "/v1/invitations/evni_inv_Zx8v1oZ3mT5bN0cR7yW2eK9uJ4hL6gF1dS8aP3iO5tY/accept"},
                         {"invitedBy", "admin@example.com"},
                         {"invitedAt", "2026-02-27T10:00:00Z"},
                         {"expiresAt", "2026-03-06T10:00:00Z"}}}},
        .errors = {{409, "A member with this email already exists"}},
    });
    r.Add({
        .method = "POST",
        .pattern = "/v1/invitations/{token}/accept",
        .operation_id = "acceptInvitation",
        .tag = "Members",
        .summary = "Accept Invitation",
        .description = "Accept an invitation (no API key: the token is the credential). Creates the member and "
                       "returns a personal access token, shown once; it takes the member's current role.",
        .params = {Param::Path("token", "The invitation's one-time token")},
        .request = RequestBody{Schema::Object("No fields are needed").FreeForm(), json::object{}, false},
        .replies = {{200, "The new member and its token", Schema::Ref("AcceptedInvitation"),
                     json::object{{"userId", "0c7d2e91-3a4b-4c5d-9e8f-7a6b5c4d3e2f"},
                                  {"email", "ops@example.com"},
                                  {"role", "member"},
                                  {"tenantId", "5d2a9c7e-1b3f-4a6d-8e9f-0a1b2c3d4e5f"},
                                  {"tokenId", "4b3a2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d"},
                                  {"token", "evni_4b3a2c1d0e9f_q8Vx1oZ3mT5bN0cR7yW2eK9uJ4hL6gF1dS8aP3iO5tY"},
                                  {"expiresAt", "2027-02-27T10:00:00Z"}}}},
        .errors = {{409, "A member with this email already exists"},
                   {410, "The invitation expired or was already accepted"}},
    });
    r.Add({
        .method = "PATCH",
        .pattern = "/v1/members/{user_id}",
        .operation_id = "changeMemberRole",
        .tag = "Members",
        .summary = "Change Member Role",
        .description = "Change a member's role (not above the caller's). The last admin cannot be demoted. "
                       "Recorded in the audit log.",
        .params = {Param::Path("user_id", "User Id")},
        .request = RequestBody{Schema::Ref("RoleChange"), json::object{{"role", "admin"}}},
        .replies = {{200, "The member", Schema::Ref("Member"), MemberExample()}},
        .errors = {{409, "The last admin cannot be demoted"}},
    });
    r.Add({
        .method = "DELETE",
        .pattern = "/v1/members/{user_id}",
        .operation_id = "removeMember",
        .tag = "Members",
        .summary = "Remove Member",
        .description = "Remove a member from the tenant and revoke their tokens. Admin only. The last admin cannot "
                       "be removed.",
        .params = {Param::Path("user_id", "User Id")},
        .replies = {{200, "Removed", Schema::Ref("Empty"), json::object{}}},
        .errors = {{409, "The last admin cannot be removed"}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/audit-log",
        .operation_id = "listAuditLog",
        .tag = "Organization",
        .summary = "List Audit Log",
        .description = "Security-relevant changes (keys, members, roles, organization, tenants): who, what, when; "
                       "newest first.",
        .params = {Param::Query("page", Schema::Integer().Min(1).Max(1'000'000).Default(1), "Page number (1-based)"),
                   Param::Query("pageSize", Schema::Integer().Min(1).Max(1000).Default(50), "Items per page")},
        .replies = {{200, "A page of entries", Schema::Ref("AuditLog"),
                     json::object{{"items", json::array{json::object{
                                                {"id", 12},
                                                {"at", "2026-02-27T10:00:00Z"},
                                                {"actor", "admin@example.com"},
                                                {"action", "member.role_changed"},
                                                {"targetType", "member"},
                                                {"targetId", "0c7d2e91-3a4b-4c5d-9e8f-7a6b5c4d3e2f"},
                                                {"details", json::object{{"from", "viewer"}, {"to", "member"}}}}}},
                                  {"pagination", json::object{{"totalCount", 1}, {"page", 1}, {"size", 50}}}}}},
    });
    r.Add({
        .method = "POST",
        .pattern = "/v1/tenants",
        .operation_id = "createTenant",
        .tag = "Tenants",
        .summary = "Create Tenant",
        .description = "Create a tenant with its organization and first admin key (shown once). For the operator "
                       "of the installation (super_admin).",
        .request = RequestBody{Schema::Ref("TenantCreate"), json::object{{"name", "Utrecht Fleet"}}},
        .replies = {{200, "The new tenant", Schema::Ref("TenantCreated"),
                     json::object{{"tenantId", "8f7e6d5c-4b3a-4c2d-9e1f-0a9b8c7d6e5f"},
                                  {"name", "Utrecht Fleet"},
                                  {"apiKey", "evni_8f7e6d5c4b3a_q8Vx1oZ3mT5bN0cR7yW2eK9uJ4hL6gF1dS8aP3iO5tY"},
                                  {"createdAt", "2026-02-27T10:00:00Z"}}}},
    });
}

}  // namespace evni::api::openapi
