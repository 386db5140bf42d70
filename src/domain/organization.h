#pragma once

#include <optional>
#include <string>

#include "domain/meter_value.h"
#include "domain/session.h"

namespace evni::domain {

// A tenant's organization profile and the settings later features use (tariff for billing impact,
// time zone for the daily station model).
struct Organization {
    std::string id;
    std::string tenant_id;
    std::string name;
    std::optional<std::string> phone;
    std::optional<std::string> address;
    std::optional<std::string> tax_id_type;
    std::optional<std::string> tax_id_value;
    std::optional<double> tariff_per_kwh;
    std::optional<std::string> currency;  // ISO 4217
    std::string time_zone = "UTC";        // IANA name
    EpochMs created_at = 0;
    std::optional<EpochMs> updated_at;
};

struct Member {
    std::string tenant_id;
    std::string user_id;
    std::string email;
    Role role = Role::kViewer;
    EpochMs joined_at = 0;
    std::optional<std::string> invited_by;
};

struct Invitation {
    std::string id;
    std::string tenant_id;
    std::string email;
    Role role = Role::kViewer;
    std::string token_hash;
    std::string invited_by;
    EpochMs invited_at = 0;
    EpochMs expires_at = 0;
    std::optional<EpochMs> accepted_at;
    std::optional<EpochMs> revoked_at;
};

// One security-relevant change: who did what to which object, when.
struct AuditEntry {
    std::int64_t id = 0;
    std::string tenant_id;
    EpochMs at = 0;
    std::string actor;        // member email, or "api-key:<name>"
    std::string action;       // e.g. "api_key.created", "member.removed"
    std::string target_type;  // "api_key", "member", "invitation", "organization", "tenant"
    std::string target_id;
    std::optional<std::string> details_json;
};

}  // namespace evni::domain
