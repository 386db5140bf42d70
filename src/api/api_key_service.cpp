#include "api/api_key_service.h"

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

Result<CreatedTenant> ApiKeyService::CreateTenant(const std::string& name) {
    CreatedTenant out;
    out.tenant = {crypto::NewUuid(), name, clock_.NowMs()};
    out.admin_key = NewKey(out.tenant.id, "admin", "Created with the tenant", kDefaultKeyLifetimeDays,
                           domain::Role::kAdmin);
    auto tx = store_.Begin(storage::TxMode::kWrite);
    tx->Tenants().Insert(out.tenant);
    tx->ApiKeys().Insert(out.admin_key.key);
    tx->Commit();
    return out;
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
    if (!tx->ApiKeys().Revoke(who.tenant_id, key_id, clock_.NowMs())) return Fail(Error::NotFound("API key not found"));
    tx->Commit();
    std::lock_guard g(cache_mutex_);
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.key.id == key_id; });
    return {};
}

std::optional<domain::ApiKey> ApiKeyService::FindKey(const std::string& prefix, EpochMs now) {
    {
        std::lock_guard g(cache_mutex_);
        auto it = cache_.find(prefix);
        if (it != cache_.end() && now - it->second.fetched_at < kKeyCacheTtlMs && now >= it->second.fetched_at) {
            return it->second.key;
        }
    }
    std::optional<domain::ApiKey> key;
    {
        auto tx = store_.Begin(storage::TxMode::kRead);
        key = tx->ApiKeys().FindByPrefix(prefix);
        tx->Commit();
    }
    std::lock_guard g(cache_mutex_);
    if (key) {
        if (cache_.size() > 10'000) cache_.clear();  // bounded: prefixes of unknown keys are never cached
        cache_[prefix] = {*key, now};
    } else {
        cache_.erase(prefix);
    }
    return key;
}

Result<domain::Principal> ApiKeyService::Authenticate(std::string_view token) {
    if (token.size() < kKeyPrefix.size() + kPrefixHexLen + 2 || token.substr(0, kKeyPrefix.size()) != kKeyPrefix ||
        token[kKeyPrefix.size() + kPrefixHexLen] != '_') {
        return Fail(InvalidKey());
    }
    std::string prefix(token.substr(kKeyPrefix.size(), kPrefixHexLen));
    const EpochMs now = clock_.NowMs();
    auto key = FindKey(prefix, now);
    if (!key || !crypto::ConstantTimeEqual(crypto::Sha256Hex(token), key->secret_hash)) return Fail(InvalidKey());
    if (key->revoked_at || key->expires_at <= now) return Fail(InvalidKey());
    if (!key->last_used_at || now - *key->last_used_at >= kLastUsedResolutionMs) {
        auto tx = store_.Begin(storage::TxMode::kWrite);
        tx->ApiKeys().TouchLastUsed(key->tenant_id, key->id, now);
        tx->Commit();
        std::lock_guard g(cache_mutex_);
        if (auto it = cache_.find(prefix); it != cache_.end()) it->second.key.last_used_at = now;
    }
    return domain::Principal{key->tenant_id, key->id, key->role};
}

}  // namespace evni::api
