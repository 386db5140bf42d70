#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/session.h"
#include "storage/store.h"
#include "util/error.h"
#include "util/time.h"

namespace evni::api {

// A key as returned once at creation: the only moment the full secret exists outside the client.
struct IssuedKey {
    domain::ApiKey key;
    std::string secret;  // the full bearer token
};

struct CreatedTenant {
    domain::Tenant tenant;
    IssuedKey admin_key;
};

inline constexpr int kDefaultKeyLifetimeDays = 365;

// Tenants, API keys and authentication. Keys look like "evni_<12 hex prefix>_<43 char secret>";
// only the SHA-256 of the whole key is stored, looked up by the public prefix.
class ApiKeyService {
  public:
    ApiKeyService(storage::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

    // Creates a tenant, its organization profile and its first key (admin, or super_admin for the
    // operator of the installation). `who` is the caller for the audit log (nullopt: the CLI).
    Result<CreatedTenant> CreateTenant(const std::string& name, domain::Role first_key_role = domain::Role::kAdmin,
                                       const std::optional<domain::Principal>& who = std::nullopt);
    // Issues a member's personal access token inside the caller's transaction.
    IssuedKey IssueMemberToken(storage::Transaction& tx, const domain::Member& member);
    // Forgets cached keys of a member (role change, removal) so this node applies the change at once.
    void ForgetMember(const std::string& member_id);
    Result<IssuedKey> Create(const domain::Principal& who, const std::string& name, const std::string& description,
                             int lifetime_days, std::optional<domain::Role> role);
    Result<std::vector<domain::ApiKey>> List(const domain::Principal& who);
    Result<void> Revoke(const domain::Principal& who, const std::string& key_id);
    // Resolves a bearer token to its tenant and role. 401 for unknown, revoked or expired keys.
    Result<domain::Principal> Authenticate(std::string_view token);

  private:
    // Keys recently read from the store, by prefix. An entry lives kKeyCacheTtlMs; revoking through
    // this process drops it at once, another node's revocation is seen within the TTL.
    struct CachedKey {
        domain::ApiKey key;
        std::optional<domain::Member> member;  // for personal access tokens
        EpochMs fetched_at = 0;
    };
    std::optional<CachedKey> FindKey(const std::string& prefix, EpochMs now);

    IssuedKey NewKey(const std::string& tenant_id, const std::string& name, const std::string& description,
                     int lifetime_days, domain::Role role) const;

    storage::Store& store_;
    const Clock& clock_;
    std::mutex cache_mutex_;
    std::unordered_map<std::string, CachedKey> cache_;
};

inline constexpr EpochMs kKeyCacheTtlMs = 2'000;

}  // namespace evni::api
