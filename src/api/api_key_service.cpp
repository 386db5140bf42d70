#include "api/api_key_service.h"

#include <boost/json.hpp>

#include "api/audit.h"
#include "util/crypto.h"

namespace evni::api {
namespace {

constexpr std::string_view kKeyPrefix = "evni_";
constexpr size_t kPrefixHexLen = 12;
// lastUsedAt is written at most once a minute per key so that reads stay reads.
constexpr EpochMs kLastUsedResolutionMs = 60'000;

Error InvalidKey() { return Error::Unauthorized("Invalid or expired API key"); }

}  // namespace

IssuedKey ApiKeyService::NewKey(const std::string& tenant_id, const std::string& name, const std::string& description,
                                int lifetime_days, domain::Role role) const {
    IssuedKey issued;
    auto& k = issued.key;
    k.id = crypto::NewUuid();
    k.tenant_id = tenant_id;
    k.prefix = crypto::RandomHex(kPrefixHexLen / 2);
    issued.secret = std::string(kKeyPrefix) + k.prefix + "_" + crypto::RandomToken(32);
    k.secret_hash = crypto::Sha256Hex(issued.secret);
    k.name = name;
    k.description = description;
    k.role = role;
    k.created_at = clock_.NowMs();
    k.expires_at = k.created_at + static_cast<EpochMs>(lifetime_days) * 86'400'000LL;
    return issued;
}

Result<CreatedTenant> ApiKeyService::CreateTenant(const std::string& name, domain::Role first_key_role,
                                                  const std::optional<domain::Principal>& who) {
    CreatedTenant out;
    out.tenant = {crypto::NewUuid(), name, clock_.NowMs()};
    out.admin_key = NewKey(out.tenant.id, std::string(domain::RoleName(first_key_role)), "Created with the tenant",
                           kDefaultKeyLifetimeDays, first_key_role);
    domain::Organization org;
    org.id = crypto::NewUuid();
    org.tenant_id = out.tenant.id;
    org.name = name;
    org.created_at = out.tenant.created_at;
    auto tx = store_.Begin(storage::TxMode::kWrite);
    tx->Tenants().Insert(out.tenant);
    tx->Organizations().Save(org);
    tx->ApiKeys().Insert(out.admin_key.key);
    domain::Principal cli{out.tenant.id, "", first_key_role, std::nullopt, std::nullopt, "cli"};
    const auto details = boost::json::serialize(boost::json::object{{"name", name}});
    RecordAudit(*tx, cli, out.tenant.created_at, "tenant.created", "tenant", out.tenant.id, details);
    if (who) {
        // Also in the creating operator's own log.
        RecordAudit(*tx, *who, out.tenant.created_at, "tenant.created", "tenant", out.tenant.id, details);
    }
    tx->Commit();
    return out;
}

IssuedKey ApiKeyService::IssueMemberToken(storage::Transaction& tx, const domain::Member& member) {
    auto issued = NewKey(member.tenant_id, "personal access token", member.email, kDefaultKeyLifetimeDays, member.role);
    issued.key.member_id = member.user_id;
    tx.ApiKeys().Insert(issued.key);
    return issued;
}

void ApiKeyService::ForgetMember(const std::string& member_id) {
    std::lock_guard g(cache_mutex_);
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.key.member_id == member_id; });
}

Result<IssuedKey> ApiKeyService::Create(const domain::Principal& who, const std::string& name,
                                        const std::string& description, int lifetime_days,
                                        std::optional<domain::Role> role) {
    domain::Role r = role.value_or(who.role);
    if (static_cast<int>(r) > static_cast<int>(who.role)) {
        return Fail(Error::Forbidden("An API key cannot have a higher role than its creator"));
    }
    auto issued = NewKey(who.tenant_id, name, description, lifetime_days, r);
    auto tx = store_.Begin(storage::TxMode::kWrite);
    tx->ApiKeys().Insert(issued.key);
    RecordAudit(*tx, who, issued.key.created_at, "api_key.created", "api_key", issued.key.id,
                boost::json::serialize(boost::json::object{{"name", name}, {"role", domain::RoleName(r)}}));
    tx->Commit();
    return issued;
}

Result<std::vector<domain::ApiKey>> ApiKeyService::List(const domain::Principal& who) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto keys = tx->ApiKeys().List(who.tenant_id);
    tx->Commit();
    return keys;
}

Result<void> ApiKeyService::Revoke(const domain::Principal& who, const std::string& key_id) {
    auto tx = store_.Begin(storage::TxMode::kWrite);
    const EpochMs now = clock_.NowMs();
    if (!tx->ApiKeys().Revoke(who.tenant_id, key_id, now)) return Fail(Error::NotFound("API key not found"));
    RecordAudit(*tx, who, now, "api_key.revoked", "api_key", key_id);
    tx->Commit();
    std::lock_guard g(cache_mutex_);
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.key.id == key_id; });
    return {};
}

std::optional<ApiKeyService::CachedKey> ApiKeyService::FindKey(const std::string& prefix, EpochMs now) {
    {
        std::lock_guard g(cache_mutex_);
        auto it = cache_.find(prefix);
        if (it != cache_.end() && now - it->second.fetched_at < kKeyCacheTtlMs && now >= it->second.fetched_at) {
            return it->second;
        }
    }
    std::optional<CachedKey> found;
    {
        auto tx = store_.Begin(storage::TxMode::kRead);
        if (auto key = tx->ApiKeys().FindByPrefix(prefix)) {
            found = CachedKey{std::move(*key), std::nullopt, now};
            if (found->key.member_id) found->member = tx->Members().Find(found->key.tenant_id, *found->key.member_id);
        }
        tx->Commit();
    }
    std::lock_guard g(cache_mutex_);
    if (found) {
        if (cache_.size() > 10'000) cache_.clear();  // bounded: prefixes of unknown keys are never cached
        cache_[prefix] = *found;
    } else {
        cache_.erase(prefix);
    }
    return found;
}

Result<domain::Principal> ApiKeyService::Authenticate(std::string_view token) {
    if (token.size() < kKeyPrefix.size() + kPrefixHexLen + 2 || token.substr(0, kKeyPrefix.size()) != kKeyPrefix ||
        token[kKeyPrefix.size() + kPrefixHexLen] != '_') {
        return Fail(InvalidKey());
    }
    std::string prefix(token.substr(kKeyPrefix.size(), kPrefixHexLen));
    const EpochMs now = clock_.NowMs();
    auto found = FindKey(prefix, now);
    if (!found || !crypto::ConstantTimeEqual(crypto::Sha256Hex(token), found->key.secret_hash))
        return Fail(InvalidKey());
    // A member's token takes the member's current role; a removed member's token is dead.
    if (found->key.member_id && !found->member) return Fail(InvalidKey());
    const domain::ApiKey* key = &found->key;
    if (key->revoked_at || key->expires_at <= now) return Fail(InvalidKey());
    if (!key->last_used_at || now - *key->last_used_at >= kLastUsedResolutionMs) {
        auto tx = store_.Begin(storage::TxMode::kWrite);
        tx->ApiKeys().TouchLastUsed(key->tenant_id, key->id, now);
        tx->Commit();
        std::lock_guard g(cache_mutex_);
        if (auto it = cache_.find(prefix); it != cache_.end()) it->second.key.last_used_at = now;
    }
    domain::Principal p{key->tenant_id, key->id, key->role, std::nullopt, std::nullopt, "api-key:" + key->name};
    if (found->member) {
        p.role = found->member->role;
        p.member_id = found->member->user_id;
        p.email = found->member->email;
        p.actor = found->member->email;
    }
    return p;
}

}  // namespace evni::api
