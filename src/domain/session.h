#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/meter_value.h"

namespace evni::domain {

// Roles, lowest to highest. A route names the lowest role allowed to call it.
enum class Role { kViewer = 0, kMember = 1, kAdmin = 2, kSuperAdmin = 3 };
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

// Status a client may set; the rest of the lifecycle (pending, active, failed) is derived.
enum class ClientStatus { kNone, kCompleted, kInvalid };
// As stored: "completed", "invalid", or "" for none; anything else reads as none.
std::string_view ClientStatusText(ClientStatus status);
ClientStatus ParseClientStatus(const std::optional<std::string>& text);

// The lifecycle status shown to clients: the client's word when it said completed/invalid,
// otherwise failed when the last analysis failed, active once analysed, pending before.
std::string_view SessionStatusName(ClientStatus client, bool analyzed, bool analysis_failed);

struct Tenant {
    std::string id;
    std::string name;
    EpochMs created_at = 0;
};

struct ApiKey {
    std::string id;
    std::string tenant_id;
    std::string prefix;       // public lookup part of the key
    std::string secret_hash;  // SHA-256 hex of the whole key
    std::string name;
    std::string description;
    Role role = Role::kAdmin;
    EpochMs created_at = 0;
    EpochMs expires_at = 0;
    std::optional<EpochMs> last_used_at;
    std::optional<EpochMs> revoked_at;
    std::optional<std::string> member_id{};  // set for a member's personal access token
};

// What an authenticated caller is.
struct Principal {
    std::string tenant_id;
    std::string key_id;
    Role role = Role::kViewer;
    std::optional<std::string> member_id{};  // the member behind a personal access token
    std::optional<std::string> email{};      // that member's email
    std::string actor{};                     // for the audit log: the email, or "api-key:<name>"
};

}  // namespace evni::domain
