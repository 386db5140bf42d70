#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/api_key_service.h"
#include "api/json_util.h"
#include "domain/organization.h"
#include "storage/store.h"
#include "util/error.h"
#include "util/time.h"

namespace evni::api {

// Fields of PUT /v1/organization; absent fields keep their value, null clears an optional one.
struct OrganizationChanges {
    std::string name;
    Field<std::string> phone;
    Field<std::string> address;
    Field<std::string> tax_id_type;
    Field<std::string> tax_id_value;
    Field<double> tariff_per_kwh;
    Field<std::string> currency;
    std::optional<std::string> time_zone;
};

struct IssuedInvitation {
    domain::Invitation invitation;
    std::string token;  // shown once
};

struct AcceptedInvitation {
    domain::Member member;
    IssuedKey token;
};

struct MembersView {
    std::vector<domain::Member> members;
    std::vector<domain::Invitation> invitations;  // only for admins
};

inline constexpr int kInvitationLifetimeDays = 7;

// Organization profile, members, invitations and the audit log of a tenant.
class OrganizationService {
  public:
    OrganizationService(storage::Store& store, const Clock& clock, ApiKeyService& keys)
        : store_(store), clock_(clock), keys_(keys) {}

    Result<domain::Organization> Get(const domain::Principal& who);
    Result<domain::Organization> Update(const domain::Principal& who, const OrganizationChanges& changes);

    Result<MembersView> ListMembers(const domain::Principal& who);
    Result<IssuedInvitation> Invite(const domain::Principal& who, const std::string& email, domain::Role role);
    // Public: the token is the credential. Creates the member and its personal access token.
    Result<AcceptedInvitation> Accept(const std::string& token);
    Result<domain::Member> ChangeRole(const domain::Principal& who, const std::string& user_id, domain::Role role);
    Result<void> Remove(const domain::Principal& who, const std::string& user_id);

    Result<storage::AuditPage> AuditLog(const domain::Principal& who, std::int64_t page, std::int64_t page_size);

  private:
    storage::Store& store_;
    const Clock& clock_;
    ApiKeyService& keys_;
};

// Validation helpers shared by the handlers (exposed for unit tests).
bool IsValidEmail(std::string_view email);
bool IsValidTimeZone(std::string_view name);
bool IsValidCurrency(std::string_view code);

}  // namespace evni::api
