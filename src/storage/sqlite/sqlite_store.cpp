#include "storage/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "storage/meter_codec.h"
#include "storage/migrations.h"
#include "storage/sqlite/sqlite_anomalies.h"
#include "storage/sqlite/sqlite_batches.h"
#include "storage/sqlite/sqlite_checkpointer.h"
#include "storage/sqlite/sqlite_connector_limits.h"
#include "storage/sqlite/sqlite_db.h"
#include "storage/sqlite/sqlite_explain.h"
#include "storage/sqlite/sqlite_jobs.h"
#include "storage/sqlite/sqlite_soc_prior.h"
#include "storage/sqlite/sqlite_stations.h"
#include "storage/sqlite/sqlite_table_io.h"
#include "storage/sqlite/sqlite_webhooks.h"
#include "util/time.h"

namespace evni::storage::sqlite {
namespace {

using domain::EpochMs;

std::optional<std::int64_t> OptBool(const std::optional<bool>& b) {
    if (!b) return std::nullopt;
    return *b ? 1 : 0;
}
std::optional<bool> ToOptBool(const std::optional<std::int64_t>& v) {
    if (!v) return std::nullopt;
    return *v != 0;
}

class SqliteTenants final : public TenantRepository {
  public:
    explicit SqliteTenants(Connection& c) : c_(c) {}
    void Insert(const domain::Tenant& t) override {
        c_.Prepare("INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3)")
            .Bind(1, t.id)
            .Bind(2, t.name)
            .Bind(3, t.created_at)
            .Run();
    }
    std::optional<domain::Tenant> Find(const std::string& id) override {
        auto s = c_.Prepare("SELECT id, name, created_at FROM tenants WHERE id = ?1");
        s.Bind(1, id);
        if (!s.Step()) return std::nullopt;
        return domain::Tenant{s.Text(0), s.Text(1), s.Int(2)};
    }
    std::int64_t Count() override {
        auto s = c_.Prepare("SELECT count(*) FROM tenants");
        s.Step();
        return s.Int(0);
    }

  private:
    Connection& c_;
};

constexpr std::string_view kKeyColumns =
    "id, tenant_id, prefix, secret_hash, name, description, role, created_at, expires_at, last_used_at, revoked_at, "
    "member_id";

domain::ApiKey ReadKey(const Statement& s) {
    domain::ApiKey k;
    k.id = s.Text(0);
    k.tenant_id = s.Text(1);
    k.prefix = s.Text(2);
    k.secret_hash = s.Text(3);
    k.name = s.Text(4);
    k.description = s.Text(5);
    k.role = domain::ParseRole(s.Text(6)).value_or(domain::Role::kViewer);
    k.created_at = s.Int(7);
    k.expires_at = s.Int(8);
    k.last_used_at = s.OptInt(9);
    k.revoked_at = s.OptInt(10);
    k.member_id = s.OptText(11);
    return k;
}

class SqliteApiKeys final : public ApiKeyRepository {
  public:
    explicit SqliteApiKeys(Connection& c) : c_(c) {}
    void Insert(const domain::ApiKey& k) override {
        c_.Prepare(
              "INSERT INTO api_keys (id, tenant_id, prefix, secret_hash, name, description, role, created_at, "
              "expires_at, member_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
            .Bind(1, k.id)
            .Bind(2, k.tenant_id)
            .Bind(3, k.prefix)
            .Bind(4, k.secret_hash)
            .Bind(5, k.name)
            .Bind(6, k.description)
            .Bind(7, domain::RoleName(k.role))
            .Bind(8, k.created_at)
            .Bind(9, k.expires_at)
            .Bind(10, k.member_id)
            .Run();
    }
    std::optional<domain::ApiKey> FindByPrefix(const std::string& prefix) override {
        auto s = c_.Prepare(std::string("SELECT ") + std::string(kKeyColumns) + " FROM api_keys WHERE prefix = ?1");
        s.Bind(1, prefix);
        if (!s.Step()) return std::nullopt;
        return ReadKey(s);
    }
    std::vector<domain::ApiKey> List(const std::string& tenant_id) override {
        auto s = c_.Prepare(std::string("SELECT ") + std::string(kKeyColumns) +
                            " FROM api_keys WHERE tenant_id = ?1 ORDER BY created_at, id");
        s.Bind(1, tenant_id);
        std::vector<domain::ApiKey> out;
        while (s.Step()) out.push_back(ReadKey(s));
        return out;
    }
    bool Revoke(const std::string& tenant_id, const std::string& key_id, EpochMs at) override {
        auto s = c_.Prepare("SELECT revoked_at FROM api_keys WHERE tenant_id = ?1 AND id = ?2");
        s.Bind(1, tenant_id).Bind(2, key_id);
        if (!s.Step()) return false;
        c_.Prepare("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?3) WHERE tenant_id = ?1 AND id = ?2")
            .Bind(1, tenant_id)
            .Bind(2, key_id)
            .Bind(3, at)
            .Run();
        return true;
    }
    void TouchLastUsed(const std::string& tenant_id, const std::string& key_id, EpochMs at) override {
        c_.Prepare("UPDATE api_keys SET last_used_at = ?3 WHERE tenant_id = ?1 AND id = ?2")
            .Bind(1, tenant_id)
            .Bind(2, key_id)
            .Bind(3, at)
            .Run();
    }
    std::vector<std::string> RevokeMemberKeys(const std::string& tenant_id, const std::string& member_id,
                                              EpochMs at) override {
        std::vector<std::string> ids;
        auto s = c_.Prepare("SELECT id FROM api_keys WHERE tenant_id = ?1 AND member_id = ?2 AND revoked_at IS NULL");
        s.Bind(1, tenant_id).Bind(2, member_id);
        while (s.Step()) ids.push_back(s.Text(0));
        s.Reset();
        c_.Prepare("UPDATE api_keys SET revoked_at = ?3 WHERE tenant_id = ?1 AND member_id = ?2 AND revoked_at IS NULL")
            .Bind(1, tenant_id)
            .Bind(2, member_id)
            .Bind(3, at)
            .Run();
        return ids;
    }

  private:
    Connection& c_;
};

class SqliteOrganizations final : public OrganizationRepository {
  public:
    explicit SqliteOrganizations(Connection& c) : c_(c) {}
    std::optional<domain::Organization> Find(const std::string& tenant_id) override {
        auto s = c_.Prepare(
            "SELECT id, tenant_id, name, phone, address, tax_id_type, tax_id_value, tariff_per_kwh, currency, "
            "time_zone, created_at, updated_at FROM organizations WHERE tenant_id = ?1");
        s.Bind(1, tenant_id);
        if (!s.Step()) return std::nullopt;
        domain::Organization o;
        o.id = s.Text(0);
        o.tenant_id = s.Text(1);
        o.name = s.Text(2);
        o.phone = s.OptText(3);
        o.address = s.OptText(4);
        o.tax_id_type = s.OptText(5);
        o.tax_id_value = s.OptText(6);
        o.tariff_per_kwh = s.OptDouble(7);
        o.currency = s.OptText(8);
        o.time_zone = s.Text(9);
        o.created_at = s.Int(10);
        o.updated_at = s.OptInt(11);
        return o;
    }
    void Save(const domain::Organization& o) override {
        c_.Prepare(
              "INSERT INTO organizations (tenant_id, id, name, phone, address, tax_id_type, tax_id_value, "
              "tariff_per_kwh, currency, time_zone, created_at, updated_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (tenant_id) DO UPDATE SET "
              "name = excluded.name, phone = excluded.phone, address = excluded.address, "
              "tax_id_type = excluded.tax_id_type, tax_id_value = excluded.tax_id_value, "
              "tariff_per_kwh = excluded.tariff_per_kwh, currency = excluded.currency, "
              "time_zone = excluded.time_zone, updated_at = excluded.updated_at")
            .Bind(1, o.tenant_id)
            .Bind(2, o.id)
            .Bind(3, o.name)
            .Bind(4, o.phone)
            .Bind(5, o.address)
            .Bind(6, o.tax_id_type)
            .Bind(7, o.tax_id_value)
            .Bind(8, o.tariff_per_kwh)
            .Bind(9, o.currency)
            .Bind(10, o.time_zone)
            .Bind(11, o.created_at)
            .Bind(12, o.updated_at)
            .Run();
    }

  private:
    Connection& c_;
};

domain::Member ReadMember(const Statement& s) {
    domain::Member m;
    m.tenant_id = s.Text(0);
    m.user_id = s.Text(1);
    m.email = s.Text(2);
    m.role = domain::ParseRole(s.Text(3)).value_or(domain::Role::kViewer);
    m.joined_at = s.Int(4);
    m.invited_by = s.OptText(5);
    return m;
}

domain::Invitation ReadInvitation(const Statement& s) {
    domain::Invitation i;
    i.id = s.Text(0);
    i.tenant_id = s.Text(1);
    i.email = s.Text(2);
    i.role = domain::ParseRole(s.Text(3)).value_or(domain::Role::kViewer);
    i.token_hash = s.Text(4);
    i.invited_by = s.Text(5);
    i.invited_at = s.Int(6);
    i.expires_at = s.Int(7);
    i.accepted_at = s.OptInt(8);
    i.revoked_at = s.OptInt(9);
    return i;
}

constexpr std::string_view kMemberColumns = "tenant_id, user_id, email, role, joined_at, invited_by";
constexpr std::string_view kInvitationColumns =
    "id, tenant_id, email, role, token_hash, invited_by, invited_at, expires_at, accepted_at, revoked_at";

class SqliteMembers final : public MemberRepository {
  public:
    explicit SqliteMembers(Connection& c) : c_(c) {}
    std::vector<domain::Member> List(const std::string& tenant_id) override {
        auto s = c_.Prepare("SELECT " + std::string(kMemberColumns) +
                            " FROM members WHERE tenant_id = ?1 ORDER BY joined_at, user_id");
        s.Bind(1, tenant_id);
        std::vector<domain::Member> out;
        while (s.Step()) out.push_back(ReadMember(s));
        return out;
    }
    std::optional<domain::Member> Find(const std::string& tenant_id, const std::string& user_id) override {
        auto s =
            c_.Prepare("SELECT " + std::string(kMemberColumns) + " FROM members WHERE tenant_id = ?1 AND user_id = ?2");
        s.Bind(1, tenant_id).Bind(2, user_id);
        if (!s.Step()) return std::nullopt;
        return ReadMember(s);
    }
    std::optional<domain::Member> FindByEmail(const std::string& tenant_id, const std::string& email) override {
        auto s =
            c_.Prepare("SELECT " + std::string(kMemberColumns) + " FROM members WHERE tenant_id = ?1 AND email = ?2");
        s.Bind(1, tenant_id).Bind(2, email);
        if (!s.Step()) return std::nullopt;
        return ReadMember(s);
    }
    void Insert(const domain::Member& m) override {
        c_.Prepare("INSERT INTO members (" + std::string(kMemberColumns) + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .Bind(1, m.tenant_id)
            .Bind(2, m.user_id)
            .Bind(3, m.email)
            .Bind(4, domain::RoleName(m.role))
            .Bind(5, m.joined_at)
            .Bind(6, m.invited_by)
            .Run();
    }
    void UpdateRole(const std::string& tenant_id, const std::string& user_id, domain::Role role) override {
        c_.Prepare("UPDATE members SET role = ?3 WHERE tenant_id = ?1 AND user_id = ?2")
            .Bind(1, tenant_id)
            .Bind(2, user_id)
            .Bind(3, domain::RoleName(role))
            .Run();
    }
    void Delete(const std::string& tenant_id, const std::string& user_id) override {
        c_.Prepare("DELETE FROM members WHERE tenant_id = ?1 AND user_id = ?2")
            .Bind(1, tenant_id)
            .Bind(2, user_id)
            .Run();
    }
    std::int64_t CountAdmins(const std::string& tenant_id) override {
        auto s = c_.Prepare("SELECT count(*) FROM members WHERE tenant_id = ?1 AND role IN ('admin', 'super_admin')");
        s.Bind(1, tenant_id);
        s.Step();
        return s.Int(0);
    }
    void InsertInvitation(const domain::Invitation& i) override {
        c_.Prepare("INSERT INTO invitations (" + std::string(kInvitationColumns) +
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL)")
            .Bind(1, i.id)
            .Bind(2, i.tenant_id)
            .Bind(3, i.email)
            .Bind(4, domain::RoleName(i.role))
            .Bind(5, i.token_hash)
            .Bind(6, i.invited_by)
            .Bind(7, i.invited_at)
            .Bind(8, i.expires_at)
            .Run();
    }
    std::vector<domain::Invitation> PendingInvitations(const std::string& tenant_id) override {
        auto s = c_.Prepare("SELECT " + std::string(kInvitationColumns) +
                            " FROM invitations WHERE tenant_id = ?1 AND accepted_at IS NULL AND revoked_at IS NULL "
                            "ORDER BY invited_at, id");
        s.Bind(1, tenant_id);
        std::vector<domain::Invitation> out;
        while (s.Step()) out.push_back(ReadInvitation(s));
        return out;
    }
    std::optional<domain::Invitation> FindInvitationByTokenHash(const std::string& token_hash) override {
        auto s = c_.Prepare("SELECT " + std::string(kInvitationColumns) + " FROM invitations WHERE token_hash = ?1");
        s.Bind(1, token_hash);
        if (!s.Step()) return std::nullopt;
        return ReadInvitation(s);
    }
    void MarkInvitationAccepted(const std::string& invitation_id, EpochMs at) override {
        c_.Prepare("UPDATE invitations SET accepted_at = ?2 WHERE id = ?1").Bind(1, invitation_id).Bind(2, at).Run();
    }
    void RevokePendingInvitations(const std::string& tenant_id, const std::string& email, EpochMs at) override {
        c_.Prepare(
              "UPDATE invitations SET revoked_at = ?3 WHERE tenant_id = ?1 AND email = ?2 AND accepted_at IS NULL "
              "AND revoked_at IS NULL")
            .Bind(1, tenant_id)
            .Bind(2, email)
            .Bind(3, at)
            .Run();
    }

  private:
    Connection& c_;
};

class SqliteAudit final : public AuditRepository {
  public:
    explicit SqliteAudit(Connection& c) : c_(c) {}
    void Append(const domain::AuditEntry& e) override {
        c_.Prepare(
              "INSERT INTO audit_log (tenant_id, at, actor, action, target_type, target_id, details) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .Bind(1, e.tenant_id)
            .Bind(2, e.at)
            .Bind(3, e.actor)
            .Bind(4, e.action)
            .Bind(5, e.target_type)
            .Bind(6, e.target_id)
            .Bind(7, e.details_json)
            .Run();
    }
    AuditPage List(const std::string& tenant_id, std::int64_t page, std::int64_t page_size) override {
        AuditPage out;
        auto c = c_.Prepare("SELECT count(*) FROM audit_log WHERE tenant_id = ?1");
        c.Bind(1, tenant_id);
        c.Step();
        out.total_count = c.Int(0);
        auto s = c_.Prepare(
            "SELECT id, tenant_id, at, actor, action, target_type, target_id, details FROM audit_log "
            "WHERE tenant_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2 OFFSET ?3");
        s.Bind(1, tenant_id).Bind(2, page_size).Bind(3, (page - 1) * page_size);
        while (s.Step()) {
            out.items.push_back(
                {s.Int(0), s.Text(1), s.Int(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6), s.OptText(7)});
        }
        return out;
    }

  private:
    Connection& c_;
};

constexpr std::string_view kSessionColumns =
    "pk, tenant_id, session_id, station_id, connector_id, evse_id, metadata, client_status, stop_reason, "
    "created_at, updated_at, started_at, ended_at, value_count, next_chunk, analyzed_at, analysis_failed, message, "
    "is_anomaly, anomaly_score, anomaly_confidence, is_incident, is_recurring, anomaly_count, analysis_version";

SessionRecord ReadSession(const Statement& s) {
    SessionRecord r;
    r.pk = s.Int(0);
    r.tenant_id = s.Text(1);
    r.session_id = s.Text(2);
    r.station_id = s.Text(3);
    r.connector_id = s.OptText(4);
    r.evse_id = s.OptText(5);
    r.metadata_json = s.OptText(6);
    r.client_status = domain::ParseClientStatus(s.OptText(7));
    r.stop_reason = s.OptText(8);
    r.created_at = s.Int(9);
    r.updated_at = s.Int(10);
    r.started_at = s.OptInt(11);
    r.ended_at = s.OptInt(12);
    r.value_count = s.Int(13);
    r.next_chunk = s.Int(14);
    r.analyzed_at = s.OptInt(15);
    r.analysis_failed = s.Int(16) != 0;
    r.message = s.OptText(17);
    r.is_anomaly = ToOptBool(s.OptInt(18));
    r.anomaly_score = s.OptDouble(19);
    r.anomaly_confidence = s.OptDouble(20);
    r.is_incident = ToOptBool(s.OptInt(21));
    r.is_recurring = ToOptBool(s.OptInt(22));
    r.anomaly_count = s.Int(23);
    r.analysis_version = s.Int(24);
    return r;
}

class SqliteSessions final : public SessionRepository {
  public:
    explicit SqliteSessions(Connection& c) : c_(c) {}

    std::optional<SessionRecord> Find(const std::string& tenant_id, const std::string& session_id) override {
        auto s = c_.Prepare(std::string("SELECT ") + std::string(kSessionColumns) +
                            ", analysis_state FROM sessions WHERE tenant_id = ?1 AND session_id = ?2");
        s.Bind(1, tenant_id).Bind(2, session_id);
        if (!s.Step()) return std::nullopt;
        SessionRecord r = ReadSession(s);
        auto state = s.Blob(25);
        r.analysis_state.assign(state.begin(), state.end());
        auto a = c_.Prepare(
            "SELECT category, score, confidence, start_unit, end_unit, start_ts, end_ts FROM session_anomalies "
            "WHERE session_pk = ?1 ORDER BY occurrence");
        a.Bind(1, r.pk);
        while (a.Step()) {
            analysis::Anomaly an;
            an.category = a.Text(0);
            an.score = a.Double(1);
            an.confidence = a.Double(2);
            an.buckets = {a.Int(3), a.Int(4)};
            an.start_ms = a.Int(5);
            an.end_ms = a.Int(6);
            r.anomalies.push_back(std::move(an));
        }
        return r;
    }

    void Insert(SessionRecord& r) override {
        c_.Prepare(
              "INSERT INTO sessions (tenant_id, session_id, station_id, created_at, updated_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5)")
            .Bind(1, r.tenant_id)
            .Bind(2, r.session_id)
            .Bind(3, r.station_id)
            .Bind(4, r.created_at)
            .Bind(5, r.updated_at)
            .Run();
        r.pk = c_.LastInsertRowId();
        Update(r);
    }

    void Update(const SessionRecord& r) override {
        // Two statements: SQLite maintains every index that has a column in the SET list, whether
        // or not the value changed, so the per-append update names only columns no index uses.
        auto identity = c_.Prepare("SELECT connector_id, evse_id, started_at FROM sessions WHERE pk = ?1");
        identity.Bind(1, r.pk);
        if (identity.Step() && (identity.OptText(0) != r.connector_id || identity.OptText(1) != r.evse_id ||
                                identity.OptInt(2) != r.started_at)) {
            identity.Reset();
            c_.Prepare(
                  "UPDATE sessions SET connector_id = ?2, evse_id = ?3, started_at = ?4 WHERE pk = ?1 AND tenant_id = "
                  "?5")
                .Bind(1, r.pk)
                .Bind(2, r.connector_id)
                .Bind(3, r.evse_id)
                .Bind(4, r.started_at)
                .Bind(5, r.tenant_id)
                .Run();
        }
        // Queued for the statistics.data_quality job; writes nothing when the session is queued already.
        c_.Prepare("INSERT OR IGNORE INTO sessions_to_measure (session_pk, tenant_id) VALUES (?1, ?2)")
            .Bind(1, r.pk)
            .Bind(2, r.tenant_id)
            .Run();
        auto s = c_.Prepare(
            "UPDATE sessions SET metadata = ?2, client_status = ?3, stop_reason = ?4, updated_at = ?5, ended_at = ?6, "
            "value_count = ?7, next_chunk = ?8, analyzed_at = ?9, analysis_failed = ?10, message = ?11, "
            "is_anomaly = ?12, anomaly_score = ?13, anomaly_confidence = ?14, is_incident = ?15, is_recurring = ?16, "
            "anomaly_count = ?17, analysis_version = ?18, analysis_state = ?19 WHERE pk = ?1 AND tenant_id = ?20");
        s.Bind(1, r.pk).Bind(2, r.metadata_json);
        if (r.client_status == domain::ClientStatus::kNone) {
            s.BindNull(3);
        } else {
            s.Bind(3, domain::ClientStatusText(r.client_status));
        }
        s.Bind(4, r.stop_reason)
            .Bind(5, r.updated_at)
            .Bind(6, r.ended_at)
            .Bind(7, r.value_count)
            .Bind(8, r.next_chunk)
            .Bind(9, r.analyzed_at)
            .Bind(10, std::int64_t{r.analysis_failed ? 1 : 0})
            .Bind(11, r.message)
            .Bind(12, OptBool(r.is_anomaly))
            .Bind(13, r.anomaly_score)
            .Bind(14, r.anomaly_confidence)
            .Bind(15, OptBool(r.is_incident))
            .Bind(16, OptBool(r.is_recurring))
            .Bind(17, r.anomaly_count)
            .Bind(18, r.analysis_version);
        if (r.analysis_state.empty()) {
            s.BindNull(19);
        } else {
            s.BindBlob(19, r.analysis_state);
        }
        s.Bind(20, r.tenant_id);
        s.Run();
    }

    void AppendChunk(const SessionRecord& r, std::int64_t seq, std::span<const domain::MeterValue> values) override {
        auto bytes = EncodeMeterChunk(values);
        c_.Prepare(
              "INSERT INTO meter_chunks (session_pk, seq, tenant_id, value_count, data) VALUES (?1, ?2, ?3, ?4, ?5)")
            .Bind(1, r.pk)
            .Bind(2, seq)
            .Bind(3, r.tenant_id)
            .Bind(4, static_cast<std::int64_t>(values.size()))
            .BindBlob(5, bytes)
            .Run();
    }

    void DeleteChunks(const SessionRecord& r) override {
        c_.Prepare("DELETE FROM meter_chunks WHERE session_pk = ?1 AND tenant_id = ?2")
            .Bind(1, r.pk)
            .Bind(2, r.tenant_id)
            .Run();
    }

    domain::MeterValues LoadValues(const SessionRecord& r) override {
        domain::MeterValues out;
        out.reserve(static_cast<size_t>(r.value_count));
        auto s = c_.Prepare("SELECT data FROM meter_chunks WHERE session_pk = ?1 AND tenant_id = ?2 ORDER BY seq");
        s.Bind(1, r.pk).Bind(2, r.tenant_id);
        while (s.Step()) {
            if (!DecodeMeterChunk(s.Blob(0), out)) {
                throw DbError("corrupt meter value chunk in session " + r.session_id);
            }
        }
        return out;
    }

    domain::MeterValues LoadLastChunk(const SessionRecord& r) override {
        domain::MeterValues out;
        if (r.next_chunk == 0) return out;
        auto s = c_.Prepare("SELECT data FROM meter_chunks WHERE session_pk = ?1 AND tenant_id = ?2 AND seq = ?3");
        s.Bind(1, r.pk).Bind(2, r.tenant_id).Bind(3, r.next_chunk - 1);
        if (s.Step() && !DecodeMeterChunk(s.Blob(0), out)) {
            throw DbError("corrupt meter value chunk in session " + r.session_id);
        }
        return out;
    }

    void ReplaceAnomalies(const SessionRecord& r, std::span<const analysis::Anomaly> anomalies,
                          EpochMs detected_at) override {
        c_.Prepare("DELETE FROM session_anomalies WHERE session_pk = ?1").Bind(1, r.pk).Run();
        std::int64_t occurrence = 0;
        for (const auto& a : anomalies) {
            c_.Prepare(
                  "INSERT INTO session_anomalies (tenant_id, session_pk, station_id, connector_id, category, "
                  "occurrence, score, confidence, start_unit, end_unit, start_ts, end_ts, detected_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
                .Bind(1, r.tenant_id)
                .Bind(2, r.pk)
                .Bind(3, r.station_id)
                .Bind(4, r.connector_id)
                .Bind(5, a.category)
                .Bind(6, occurrence++)
                .Bind(7, a.score)
                .Bind(8, a.confidence)
                .Bind(9, a.buckets.start_unit)
                .Bind(10, a.buckets.end_unit)
                .Bind(11, a.start_ms)
                .Bind(12, a.end_ms)
                .Bind(13, detected_at)
                .Run();
        }
    }

    std::int64_t CountOtherSessionsWithCategory(const SessionRecord& r, const std::string& category, EpochMs from,
                                                EpochMs to) override {
        auto s = c_.Prepare(
            "SELECT count(DISTINCT session_pk) FROM session_anomalies WHERE tenant_id = ?1 AND station_id = ?2 "
            "AND connector_id IS ?3 AND category = ?4 AND start_ts BETWEEN ?5 AND ?6 AND session_pk <> ?7");
        s.Bind(1, r.tenant_id)
            .Bind(2, r.station_id)
            .Bind(3, r.connector_id)
            .Bind(4, category)
            .Bind(5, from)
            .Bind(6, to)
            .Bind(7, r.pk);
        s.Step();
        return s.Int(0);
    }

    std::vector<analysis::SessionSpan> OtherSessionSpans(const SessionRecord& r, EpochMs started_from, EpochMs from,
                                                         EpochMs to, std::int64_t limit) override {
        // INDEXED BY: without statistics SQLite may prefer sessions_by_started (tenant_id, started_at) and
        // read every session of the tenant that started before `to`; this one reads the connector's sessions
        // that started in the window, and nothing else.
        auto s = c_.Prepare(
            "SELECT started_at, ended_at FROM sessions INDEXED BY sessions_by_connector_started WHERE tenant_id = ?1 "
            "AND station_id = ?2 AND connector_id IS ?3 AND started_at >= ?8 AND started_at <= ?6 AND pk <> ?4 "
            "AND ended_at >= ?5 ORDER BY started_at LIMIT ?7");
        s.Bind(1, r.tenant_id)
            .Bind(2, r.station_id)
            .Bind(3, r.connector_id)
            .Bind(4, r.pk)
            .Bind(5, from)
            .Bind(6, to)
            .Bind(7, limit)
            .Bind(8, started_from);
        std::vector<analysis::SessionSpan> out;
        while (s.Step()) out.push_back({s.Int(0), s.Int(1)});
        return out;
    }

    SessionPage List(const std::string& tenant_id, const SessionFilter& f) override {
        std::string where = " FROM sessions WHERE tenant_id = ?1";
        if (f.station_id) where += " AND station_id = ?2";
        if (f.evse_id) where += " AND evse_id = ?3";
        if (f.is_anomaly) where += " AND is_anomaly = ?4";
        if (f.min_score) where += " AND anomaly_score >= ?5";
        if (f.min_confidence) where += " AND anomaly_confidence >= ?6";
        if (f.date_from) where += " AND coalesce(started_at, created_at) >= ?7";
        if (f.date_to) where += " AND coalesce(started_at, created_at) <= ?8";
        auto bind = [&](Statement& s) {
            s.Bind(1, tenant_id);
            if (f.station_id) s.Bind(2, *f.station_id);
            if (f.evse_id) s.Bind(3, *f.evse_id);
            if (f.is_anomaly) s.Bind(4, std::int64_t{*f.is_anomaly ? 1 : 0});
            if (f.min_score) s.Bind(5, *f.min_score);
            if (f.min_confidence) s.Bind(6, *f.min_confidence);
            if (f.date_from) s.Bind(7, *f.date_from);
            if (f.date_to) s.Bind(8, *f.date_to);
        };
        SessionPage page;
        auto count = c_.Prepare("SELECT count(*)" + where);
        bind(count);
        count.Step();
        page.total_count = count.Int(0);
        auto s = c_.Prepare("SELECT " + std::string(kSessionColumns) + where +
                            " ORDER BY created_at DESC, pk DESC LIMIT ?9 OFFSET ?10");
        bind(s);
        s.Bind(9, f.page_size).Bind(10, (f.page - 1) * f.page_size);
        while (s.Step()) page.items.push_back(ReadSession(s));
        return page;
    }

    void RegisterStation(const SessionRecord& r, EpochMs at) override {
        c_.Prepare("INSERT OR IGNORE INTO stations (tenant_id, station_id, created_at) VALUES (?1, ?2, ?3)")
            .Bind(1, r.tenant_id)
            .Bind(2, r.station_id)
            .Bind(3, at)
            .Run();
        if (r.connector_id) {
            c_.Prepare(
                  "INSERT INTO connectors (tenant_id, station_id, connector_id, evse_id, created_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant_id, station_id, connector_id) "
                  "DO UPDATE SET evse_id = coalesce(excluded.evse_id, connectors.evse_id)")
                .Bind(1, r.tenant_id)
                .Bind(2, r.station_id)
                .Bind(3, *r.connector_id)
                .Bind(4, r.evse_id)
                .Bind(5, at)
                .Run();
        }
    }

  private:
    Connection& c_;
};

// Repositories over one connection.
struct ConnectionRepos {
    explicit ConnectionRepos(Connection& c)
        : tenants(c),
          keys(c),
          sessions(c),
          organizations(c),
          members(c),
          audit(c),
          explanations(MakeSqliteExplanations(c)),
          anomalies(MakeSqliteAnomalies(c)),
          jobs(NewSqliteJobs(c)),
          batches(NewSqliteBatches(c)),
          webhooks(NewSqliteWebhooks(c)),
          stations(MakeSqliteStations(c)),
          soc_priors(MakeSocPriorRepository(c)),
          models(MakeModelRepository(MakeSqlitePort(c))),
          connector_limits(MakeConnectorLimitRepository(c)) {}
    SqliteTenants tenants;
    SqliteApiKeys keys;
    SqliteSessions sessions;
    SqliteOrganizations organizations;
    SqliteMembers members;
    SqliteAudit audit;
    std::unique_ptr<ExplanationRepository> explanations;
    std::unique_ptr<AnomalyRepository> anomalies;
    std::unique_ptr<JobRepository> jobs;
    std::unique_ptr<BatchRepository> batches;
    std::unique_ptr<WebhookRepository> webhooks;
    std::unique_ptr<StationRepository> stations;
    std::unique_ptr<SocPriorRepository> soc_priors;
    std::unique_ptr<ModelRepository> models;
    std::unique_ptr<ConnectorLimitRepository> connector_limits;
};

struct PooledConnection {
    std::unique_ptr<Connection> conn;
    std::unique_ptr<ConnectionRepos> repos;
};

class SqliteStore;

class SqliteTransaction final : public Transaction {
  public:
    SqliteTransaction(SqliteStore& store, PooledConnection* pc, TxMode mode, std::unique_lock<std::mutex> write_lock,
                      std::uint64_t batch);
    ~SqliteTransaction() override;
    TenantRepository& Tenants() override { return pc_->repos->tenants; }
    ApiKeyRepository& ApiKeys() override { return pc_->repos->keys; }
    SessionRepository& Sessions() override { return pc_->repos->sessions; }
    OrganizationRepository& Organizations() override { return pc_->repos->organizations; }
    MemberRepository& Members() override { return pc_->repos->members; }
    AuditRepository& Audit() override { return pc_->repos->audit; }
    SocPriorRepository& SocPriors() override { return *pc_->repos->soc_priors; }
    ConnectorLimitRepository& ConnectorLimits() override { return *pc_->repos->connector_limits; }
    ExplanationRepository& Explanations() override { return *pc_->repos->explanations; }
    AnomalyRepository& Anomalies() override { return *pc_->repos->anomalies; }
    JobRepository& Jobs() override { return *pc_->repos->jobs; }
    BatchRepository& Batches() override { return *pc_->repos->batches; }
    WebhookRepository& Webhooks() override { return *pc_->repos->webhooks; }
    StationRepository& Stations() override { return *pc_->repos->stations; }
    ModelRepository& Models() override { return *pc_->repos->models; }
    void Commit() override;

  private:
    SqliteStore& store_;
    PooledConnection* pc_;
    TxMode mode_;
    std::unique_lock<std::mutex> write_lock_;
    std::uint64_t batch_ = 0;
    bool done_ = false;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// Group commit: write units run one at a time on the writer connection, each inside a SAVEPOINT of a
// shared transaction. While other writers are queued the transaction stays open for them (up to
// kMaxBatchUnits units or kMaxBatchAge); the last unit commits it for all. A unit's Commit() returns
// only once the shared COMMIT succeeded, so nothing is acknowledged before it is durable, and a
// failed COMMIT fails every unit of the batch. One COMMIT per batch instead of per request saves the
// WAL frame writes of pages several units touch and the lock system calls of each transaction.
constexpr int kMaxBatchUnits = 64;
constexpr auto kMaxBatchAge = std::chrono::milliseconds(4);

// A unit waiting for its batch's COMMIT. Each waits on a futex of its own, so the units of a batch wake without
// queueing on a shared mutex as a condition variable's waiters do (measured: fewer context switches per unit).
struct CommitWaiter {
    std::atomic<std::uint32_t> done{0};
    std::string error;  // set before `done`
    void Wait() {
        while (done.load(std::memory_order_acquire) == 0)
            syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&done), FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
    }
    // The waiter may return and be gone once `done` is set; waking its (still mapped) stack address then is
    // harmless.
    static void Wake(CommitWaiter* w, const std::string& error) {
        w->error = error;
        auto* word = reinterpret_cast<std::uint32_t*>(&w->done);
        w->done.store(1, std::memory_order_release);
        syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    }
};
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

// False for an in-memory database, which has no WAL to checkpoint (and a second connection would not see it).
bool IsFile(const std::string& path) {
    return !path.empty() && path != ":memory:" && path.find("mode=memory") == std::string::npos;
}

class SqliteStore final : public Store {
  public:
    explicit SqliteStore(const SqliteOptions& o) : options_(o) {
        if (o.single_node_lock) AcquireNodeLock();
        writer_.conn = std::make_unique<Connection>(o.path, false);
        writer_.conn->Exec("PRAGMA journal_mode=WAL");
        writer_.conn->Exec("PRAGMA synchronous=NORMAL");
        writer_.conn->Exec("PRAGMA foreign_keys=ON");
        writer_.conn->Exec("PRAGMA temp_store=MEMORY");
        // The WAL file is cut back to 64 MiB when it starts over after a checkpoint.
        writer_.conn->Exec("PRAGMA journal_size_limit=67108864");
        writer_.repos = std::make_unique<ConnectionRepos>(*writer_.conn);
        if (IsFile(o.path)) checkpointer_ = std::make_unique<WalCheckpointer>(o.path, *writer_.conn);
    }
    ~SqliteStore() override {
        checkpointer_.reset();
        if (lock_fd_ >= 0) close(lock_fd_);
    }

    std::unique_ptr<Transaction> Begin(TxMode mode) override {
        if (mode == TxMode::kWrite) {
            auto lock = LockWriter();
            try {
                if (!batch_open_) {
                    writer_.conn->Run("BEGIN IMMEDIATE");
                    batch_open_ = true;
                    ++batch_id_;
                    batch_units_ = 0;
                    batch_started_ = std::chrono::steady_clock::now();
                }
                writer_.conn->Run("SAVEPOINT unit");
                ++batch_units_;
            } catch (...) {
                MaybeEndBatch();
                throw;
            }
            return std::make_unique<SqliteTransaction>(*this, &writer_, mode, std::move(lock), batch_id_);
        }
        PooledConnection* pc = AcquireReader();
        try {
            pc->conn->Run("BEGIN");
        } catch (...) {
            ReleaseReader(pc);
            throw;
        }
        return std::make_unique<SqliteTransaction>(*this, pc, mode, std::unique_lock<std::mutex>(), 0);
    }

    std::unique_lock<std::mutex> LockWriter() {
        ++write_waiters_;
        std::unique_lock lock(write_mutex_);
        --write_waiters_;
        return lock;
    }

    // Called with the write lock held after a unit released its savepoint. Returns once the unit's
    // batch is committed; throws when that commit failed.
    void CommitUnit(std::unique_lock<std::mutex>& lock, std::uint64_t batch) {
        const bool keep_open = write_waiters_.load() > 0 && batch_units_ < kMaxBatchUnits &&
                               std::chrono::steady_clock::now() - batch_started_ < kMaxBatchAge;
        if (!keep_open) {
            EndBatch();
            lock.unlock();
            std::lock_guard g(batch_mutex_);
            if (auto it = batch_errors_.find(batch); it != batch_errors_.end()) throw DbError(it->second);
            return;
        }
        CommitWaiter waiter;
        commit_waiters_.push_back(&waiter);
        lock.unlock();
        waiter.Wait();
        if (!waiter.error.empty()) throw DbError(waiter.error);
    }

    // Called with the write lock held after a unit was rolled back to its savepoint.
    void AbandonUnit() {
        if (sqlite3_autocommit_active()) {
            // SQLite rolled back the whole shared transaction (I/O error, disk full): every unit
            // of the batch is lost and must fail.
            FinishBatch("the database rolled back the transaction after an error");
            return;
        }
        MaybeEndBatch();
    }

    void MaybeEndBatch() {
        if (batch_open_ && write_waiters_.load() == 0) EndBatch();
    }

    void EndBatch() {
        if (!batch_open_) return;
        std::string error;
        try {
            writer_.conn->Run("COMMIT");
        } catch (const std::exception& e) {
            error = e.what();
            try {
                if (!sqlite3_autocommit_active()) writer_.conn->Exec("ROLLBACK");
            } catch (...) {
                // Already rolled back by SQLite.
            }
        }
        FinishBatch(error);
    }

    void FinishBatch(const std::string& error) {
        batch_open_ = false;
        const std::string failure = error.empty() ? std::string() : "commit failed: " + error;
        {
            std::lock_guard g(batch_mutex_);
            if (!failure.empty()) batch_errors_[batch_id_] = failure;
            while (batch_errors_.size() > 64) batch_errors_.erase(batch_errors_.begin());
        }
        for (CommitWaiter* w : commit_waiters_) CommitWaiter::Wake(w, failure);
        commit_waiters_.clear();
    }

    bool sqlite3_autocommit_active() { return writer_.conn->InAutocommit(); }

    int Migrate() override {
        auto lock = LockWriter();
        EndBatch();
        auto& c = *writer_.conn;
        c.Exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at INTEGER NOT NULL)");
        int applied = 0;
        for (const auto& m : sqlite_migrations()) {
            c.Exec("BEGIN IMMEDIATE");
            try {
                auto s = c.Prepare("SELECT 1 FROM schema_migrations WHERE version = ?1");
                s.Bind(1, std::int64_t{m.version});
                bool done = s.Step();
                s.Reset();
                if (!done) {
                    c.Exec(std::string(m.sql));
                    c.Prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)")
                        .Bind(1, std::int64_t{m.version})
                        .Bind(2, m.name)
                        .Bind(3, SystemClock().NowMs())
                        .Run();
                    ++applied;
                }
                c.Exec("COMMIT");
            } catch (...) {
                c.Exec("ROLLBACK");
                throw;
            }
        }
        return applied;
    }

    bool Ready() override {
        try {
            PooledConnection* pc = AcquireReader();
            struct Release {
                SqliteStore* s;
                PooledConnection* pc;
                ~Release() { s->ReleaseReader(pc); }
            } release{this, pc};
            auto s = pc->conn->Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
            if (!s.Step()) return false;
            std::int64_t have = s.Int(0);
            s.Reset();
            return have >= (sqlite_migrations().empty() ? 0 : sqlite_migrations().back().version);
        } catch (const std::exception&) {
            return false;
        }
    }

    int KnownSchemaVersion() const override {
        const auto& all = sqlite_migrations();
        return all.empty() ? 0 : all.back().version;
    }

    // A reader of its own (not from the pool): a copy keeps its snapshot for its whole duration.
    std::unique_ptr<TableReader> ReadTables() override { return OpenTableReader(options_.path); }

    // Takes the write lock for the writer's lifetime, after committing any open group-commit batch.
    std::unique_ptr<TableWriter> WriteTables() override {
        auto lock = LockWriter();
        EndBatch();
        return OpenTableWriter(*writer_.conn, std::move(lock));
    }

    PooledConnection* AcquireReader() {
        std::unique_lock lock(pool_mutex_);
        pool_cv_.wait(lock, [&] { return !idle_.empty() || created_ < options_.readers; });
        if (!idle_.empty()) {
            auto* pc = idle_.back();
            idle_.pop_back();
            return pc;
        }
        ++created_;
        lock.unlock();
        auto pc = std::make_unique<PooledConnection>();
        try {
            pc->conn = std::make_unique<Connection>(options_.path, true);
            pc->repos = std::make_unique<ConnectionRepos>(*pc->conn);
        } catch (...) {
            std::lock_guard g(pool_mutex_);
            --created_;
            pool_cv_.notify_one();
            throw;
        }
        std::lock_guard g(pool_mutex_);
        readers_.push_back(std::move(pc));
        return readers_.back().get();
    }

    void ReleaseReader(PooledConnection* pc) {
        std::lock_guard g(pool_mutex_);
        idle_.push_back(pc);
        pool_cv_.notify_one();
    }

    void Observe(TxMode mode, double seconds) {
        if (options_.observer) options_.observer(mode, seconds);
    }

  private:
    void AcquireNodeLock() {
        std::string lock_path = options_.path + ".lock";
        lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock_fd_ < 0) throw DbError("cannot open lock file " + lock_path);
        if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
            close(lock_fd_);
            lock_fd_ = -1;
            throw DbError("the SQLite database " + options_.path +
                          " is in use by another evni serve process; SQLite is single-node, use PostgreSQL "
                          "(--db postgresql://...) to run several nodes");
        }
    }

    SqliteOptions options_;
    int lock_fd_ = -1;
    std::mutex write_mutex_;
    std::atomic<int> write_waiters_{0};
    // Group commit state: the batch_* fields, batch_open_ and commit_waiters_ are guarded by write_mutex_;
    // batch_errors_ (the failed batches, for the unit that ended its batch itself) by batch_mutex_.
    bool batch_open_ = false;
    std::uint64_t batch_id_ = 0;
    int batch_units_ = 0;
    std::chrono::steady_clock::time_point batch_started_;
    std::mutex batch_mutex_;
    std::map<std::uint64_t, std::string> batch_errors_;
    std::vector<CommitWaiter*> commit_waiters_;  // the units of the open batch that wait for its COMMIT
    PooledConnection writer_;
    std::unique_ptr<WalCheckpointer> checkpointer_;
    std::mutex pool_mutex_;
    std::condition_variable pool_cv_;
    std::vector<std::unique_ptr<PooledConnection>> readers_;
    std::vector<PooledConnection*> idle_;
    int created_ = 0;
};

SqliteTransaction::SqliteTransaction(SqliteStore& store, PooledConnection* pc, TxMode mode,
                                     std::unique_lock<std::mutex> write_lock, std::uint64_t batch)
    : store_(store), pc_(pc), mode_(mode), write_lock_(std::move(write_lock)), batch_(batch) {}

SqliteTransaction::~SqliteTransaction() {
    if (!done_) {
        if (mode_ == TxMode::kWrite) {
            try {
                pc_->conn->Exec("ROLLBACK TO unit");
                pc_->conn->Run("RELEASE unit");
            } catch (...) {
                // SQLite already rolled the transaction back; AbandonUnit() notices.
            }
            try {
                store_.AbandonUnit();
            } catch (...) {
                // Never throw from a destructor; the batch's units learn of a failed commit.
            }
        } else {
            try {
                pc_->conn->Exec("ROLLBACK");
            } catch (...) {
                // The connection already rolled back (e.g. after an I/O error); nothing more to undo.
            }
        }
    }
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    if (write_lock_.owns_lock()) write_lock_.unlock();
    if (mode_ == TxMode::kRead) store_.ReleaseReader(pc_);
    store_.Observe(mode_, seconds);
}

void SqliteTransaction::Commit() {
    if (mode_ == TxMode::kRead) {
        pc_->conn->Run("COMMIT");
        done_ = true;
        RunAfterCommit();
        return;
    }
    pc_->conn->Run("RELEASE unit");
    done_ = true;
    store_.CommitUnit(write_lock_, batch_);
    RunAfterCommit();
}

}  // namespace

std::unique_ptr<Store> OpenSqliteStore(const SqliteOptions& options) { return std::make_unique<SqliteStore>(options); }

}  // namespace evni::storage::sqlite
