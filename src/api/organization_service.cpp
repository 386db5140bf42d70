#include "api/organization_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>

#include "api/audit.h"
#include "util/crypto.h"

namespace evni::api {
namespace json = boost::json;
using storage::TxMode;

namespace {

bool AtLeast(domain::Role have, domain::Role need) { return static_cast<int>(have) >= static_cast<int>(need); }
bool IsAdmin(domain::Role r) { return AtLeast(r, domain::Role::kAdmin); }

std::string Lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string RoleChange(domain::Role from, domain::Role to) {
    return json::serialize(json::object{{"from", domain::RoleName(from)}, {"to", domain::RoleName(to)}});
}

}  // namespace

bool IsValidEmail(std::string_view e) {
    if (e.size() < 3 || e.size() > 254) return false;
    auto at = e.find('@');
    if (at == 0 || at == std::string_view::npos || e.find('@', at + 1) != std::string_view::npos) return false;
    auto domain_part = e.substr(at + 1);
    auto dot = domain_part.find('.');
    if (dot == 0 || dot == std::string_view::npos || domain_part.back() == '.') return false;
    return std::none_of(e.begin(), e.end(),
                        [](char c) { return c <= ' ' || c == '<' || c == '>' || c == ',' || c == ';'; });
}

bool IsValidTimeZone(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    if (name == "UTC") return true;
    for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' && c != '+') return false;
    }
    if (name.front() == '/' || name.find("..") != std::string_view::npos) return false;
    // With the system's tz database present, the zone must exist in it.
    const std::filesystem::path zoneinfo = "/usr/share/zoneinfo";
    std::error_code ec;
    if (std::filesystem::is_directory(zoneinfo, ec)) return std::filesystem::is_regular_file(zoneinfo / name, ec);
    return name.find('/') != std::string_view::npos;
}

bool IsValidCurrency(std::string_view code) {
    return code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

Result<domain::Organization> OrganizationService::Get(const domain::Principal& who) {
    auto tx = store_.Begin(TxMode::kRead);
    auto org = tx->Organizations().Find(who.tenant_id);
    tx->Commit();
    if (!org) return Fail(Error::NotFound("Organization not found"));
    return *org;
}

Result<domain::Organization> OrganizationService::Update(const domain::Principal& who, const OrganizationChanges& c) {
    return storage::WithRetry([&]() -> Result<domain::Organization> {
        auto tx = store_.Begin(TxMode::kWrite);
        const EpochMs now = clock_.NowMs();
        auto org = tx->Organizations().Find(who.tenant_id).value_or(domain::Organization{});
        if (org.id.empty()) {
            org.id = crypto::NewUuid();
            org.tenant_id = who.tenant_id;
            org.created_at = now;
        }
        org.name = c.name;
        if (c.phone.present) org.phone = c.phone.value;
        if (c.address.present) org.address = c.address.value;
        if (c.tax_id_type.present) org.tax_id_type = c.tax_id_type.value;
        if (c.tax_id_value.present) org.tax_id_value = c.tax_id_value.value;
        if (c.tariff_per_kwh.present) org.tariff_per_kwh = c.tariff_per_kwh.value;
        if (c.currency.present) org.currency = c.currency.value;
        if (c.time_zone) org.time_zone = *c.time_zone;
        org.updated_at = now;
        tx->Organizations().Save(org);
        RecordAudit(*tx, who, now, "organization.updated", "organization", org.id);
        tx->Commit();
        return org;
    });
}

Result<MembersView> OrganizationService::ListMembers(const domain::Principal& who) {
    MembersView view;
    auto tx = store_.Begin(TxMode::kRead);
    view.members = tx->Members().List(who.tenant_id);
    if (IsAdmin(who.role)) view.invitations = tx->Members().PendingInvitations(who.tenant_id);
    tx->Commit();
    return view;
}

Result<IssuedInvitation> OrganizationService::Invite(const domain::Principal& who, const std::string& raw_email,
                                                     domain::Role role) {
    if (!AtLeast(who.role, role))
        return Fail(Error::Forbidden("You cannot invite someone with a higher role than yours"));
    const std::string email = Lower(raw_email);
    return storage::WithRetry([&]() -> Result<IssuedInvitation> {
        auto tx = store_.Begin(TxMode::kWrite);
        if (tx->Members().FindByEmail(who.tenant_id, email)) {
            return Fail(Error::Conflict("A member with this email already exists"));
        }
        const EpochMs now = clock_.NowMs();
        IssuedInvitation out;
        out.token = "evni_inv_" + crypto::RandomToken(32);
        auto& i = out.invitation;
        i.id = crypto::NewUuid();
        i.tenant_id = who.tenant_id;
        i.email = email;
        i.role = role;
        i.token_hash = crypto::Sha256Hex(out.token);
        i.invited_by = who.actor;
        i.invited_at = now;
        i.expires_at = now + kInvitationLifetimeDays * 86'400'000LL;
        // A new invitation replaces any pending one for the same address.
        tx->Members().RevokePendingInvitations(who.tenant_id, email, now);
        tx->Members().InsertInvitation(i);
        RecordAudit(*tx, who, now, "member.invited", "invitation", i.id,
                    json::serialize(json::object{{"email", email}, {"role", domain::RoleName(role)}}));
        tx->Commit();
        return out;
    });
}

Result<AcceptedInvitation> OrganizationService::Accept(const std::string& token) {
    return storage::WithRetry([&]() -> Result<AcceptedInvitation> {
        auto tx = store_.Begin(TxMode::kWrite);
        auto inv = tx->Members().FindInvitationByTokenHash(crypto::Sha256Hex(token));
        if (!inv || inv->revoked_at) return Fail(Error::NotFound("Invitation not found"));
        const EpochMs now = clock_.NowMs();
        if (inv->accepted_at) return Fail(Error{ErrorCode::kGone, "Invitation already accepted", {}});
        if (inv->expires_at <= now) return Fail(Error{ErrorCode::kGone, "Invitation expired", {}});
        if (tx->Members().FindByEmail(inv->tenant_id, inv->email)) {
            return Fail(Error::Conflict("A member with this email already exists"));
        }
        AcceptedInvitation out;
        out.member = {inv->tenant_id, crypto::NewUuid(), inv->email, inv->role, now, inv->invited_by};
        tx->Members().Insert(out.member);
        tx->Members().MarkInvitationAccepted(inv->id, now);
        out.token = keys_.IssueMemberToken(*tx, out.member);
        domain::Principal joined{inv->tenant_id,     out.token.key.id, inv->role,
                                 out.member.user_id, inv->email,       inv->email};
        RecordAudit(*tx, joined, now, "member.joined", "member", out.member.user_id,
                    json::serialize(json::object{{"email", inv->email}, {"role", domain::RoleName(inv->role)}}));
        tx->Commit();
        return out;
    });
}

Result<domain::Member> OrganizationService::ChangeRole(const domain::Principal& who, const std::string& user_id,
                                                       domain::Role role) {
    if (!AtLeast(who.role, role)) return Fail(Error::Forbidden("You cannot grant a higher role than yours"));
    auto result = storage::WithRetry([&]() -> Result<domain::Member> {
        auto tx = store_.Begin(TxMode::kWrite);
        auto m = tx->Members().Find(who.tenant_id, user_id);
        if (!m) return Fail(Error::NotFound("Member not found"));
        if (!AtLeast(who.role, m->role)) return Fail(Error::Forbidden("You cannot change the role of a higher role"));
        if (IsAdmin(m->role) && !IsAdmin(role) && tx->Members().CountAdmins(who.tenant_id) <= 1) {
            return Fail(Error::Conflict("The last admin cannot be demoted"));
        }
        const auto from = m->role;
        if (from != role) {
            tx->Members().UpdateRole(who.tenant_id, user_id, role);
            RecordAudit(*tx, who, clock_.NowMs(), "member.role_changed", "member", user_id, RoleChange(from, role));
        }
        m->role = role;
        tx->Commit();
        return *m;
    });
    if (result) keys_.ForgetMember(user_id);
    return result;
}

Result<void> OrganizationService::Remove(const domain::Principal& who, const std::string& user_id) {
    auto result = storage::WithRetry([&]() -> Result<void> {
        auto tx = store_.Begin(TxMode::kWrite);
        auto m = tx->Members().Find(who.tenant_id, user_id);
        if (!m) return Fail(Error::NotFound("Member not found"));
        if (!AtLeast(who.role, m->role)) return Fail(Error::Forbidden("You cannot remove a member with a higher role"));
        if (IsAdmin(m->role) && tx->Members().CountAdmins(who.tenant_id) <= 1) {
            return Fail(Error::Conflict("The last admin cannot be removed"));
        }
        const EpochMs now = clock_.NowMs();
        auto revoked = tx->ApiKeys().RevokeMemberKeys(who.tenant_id, user_id, now);
        tx->Members().Delete(who.tenant_id, user_id);
        RecordAudit(*tx, who, now, "member.removed", "member", user_id,
                    json::serialize(json::object{{"email", m->email}, {"revokedTokens", revoked.size()}}));
        tx->Commit();
        return {};
    });
    if (result) keys_.ForgetMember(user_id);
    return result;
}

Result<storage::AuditPage> OrganizationService::AuditLog(const domain::Principal& who, std::int64_t page,
                                                         std::int64_t page_size) {
    auto tx = store_.Begin(TxMode::kRead);
    auto out = tx->Audit().List(who.tenant_id, page, page_size);
    tx->Commit();
    return out;
}

}  // namespace evni::api
