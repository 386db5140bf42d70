#include "storage/postgres/pg_store.h"

#include <chrono>

#include "storage/meter_codec.h"
#include "storage/migrations.h"
#include "storage/postgres/pg_anomalies.h"
#include "storage/postgres/pg_batches.h"
#include "storage/postgres/pg_connector_limits.h"
#include "storage/postgres/pg_db.h"
#include "storage/postgres/pg_explain.h"
#include "storage/postgres/pg_jobs.h"
#include "storage/postgres/pg_soc_prior.h"
#include "storage/postgres/pg_stations.h"
#include "storage/postgres/pg_table_io.h"
#include "storage/postgres/pg_webhooks.h"
#include "util/time.h"

namespace evni::storage::postgres {
namespace {

using domain::EpochMs;

// Serialises migrations of every node starting at once ("evni" in ASCII).
constexpr std::int64_t kMigrationLockKey = 0x65766e69;

class PgTenants final : public TenantRepository {
  public:
    explicit PgTenants(Connection& c) : c_(c) {}
    void Insert(const domain::Tenant& t) override {
        c_.Exec("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)",
                Params().Add(t.id).Add(t.name).AddTime(t.created_at));
    }
    std::optional<domain::Tenant> Find(const std::string& id) override {
        auto r = c_.Exec("SELECT id, name, created_at FROM tenants WHERE id = $1", Params().Add(id));
        if (r.Rows() == 0) return std::nullopt;
        return domain::Tenant{r.Text(0, 0), r.Text(0, 1), r.Time(0, 2)};
    }
    std::int64_t Count() override { return c_.Exec("SELECT count(*) FROM tenants").Int(0, 0); }

  private:
    Connection& c_;
};

constexpr std::string_view kKeyColumns =
    "id, tenant_id, prefix, secret_hash, name, description, role, created_at, expires_at, last_used_at, revoked_at, "
    "member_id";

domain::ApiKey ReadKey(const Result& r, int row) {
    domain::ApiKey k;
    k.id = r.Text(row, 0);
    k.tenant_id = r.Text(row, 1);
    k.prefix = r.Text(row, 2);
    k.secret_hash = r.Text(row, 3);
    k.name = r.Text(row, 4);
    k.description = r.Text(row, 5);
    k.role = domain::ParseRole(r.Text(row, 6)).value_or(domain::Role::kViewer);
    k.created_at = r.Time(row, 7);
    k.expires_at = r.Time(row, 8);
    k.last_used_at = r.OptTime(row, 9);
    k.revoked_at = r.OptTime(row, 10);
    k.member_id = r.OptText(row, 11);
    return k;
}

class PgApiKeys final : public ApiKeyRepository {
  public:
    explicit PgApiKeys(Connection& c) : c_(c) {}
    void Insert(const domain::ApiKey& k) override {
        c_.Exec(
            "INSERT INTO api_keys (id, tenant_id, prefix, secret_hash, name, description, role, created_at, "
            "expires_at, member_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            Params()
                .Add(k.id)
                .Add(k.tenant_id)
                .Add(k.prefix)
                .Add(k.secret_hash)
                .Add(k.name)
                .Add(k.description)
                .Add(domain::RoleName(k.role))
                .AddTime(k.created_at)
                .AddTime(k.expires_at)
                .Add(k.member_id));
    }
    std::optional<domain::ApiKey> FindByPrefix(const std::string& prefix) override {
        auto r =
            c_.Exec("SELECT " + std::string(kKeyColumns) + " FROM api_keys WHERE prefix = $1", Params().Add(prefix));
        if (r.Rows() == 0) return std::nullopt;
        return ReadKey(r, 0);
    }
    std::vector<domain::ApiKey> List(const std::string& tenant_id) override {
        auto r = c_.Exec(
            "SELECT " + std::string(kKeyColumns) + " FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id",
            Params().Add(tenant_id));
        std::vector<domain::ApiKey> out;
        for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadKey(r, i));
        return out;
    }
    bool Revoke(const std::string& tenant_id, const std::string& key_id, EpochMs at) override {
        auto r = c_.Exec("UPDATE api_keys SET revoked_at = coalesce(revoked_at, $3) WHERE tenant_id = $1 AND id = $2",
                         Params().Add(tenant_id).Add(key_id).AddTime(at));
        return r.Affected() > 0;
    }
    void TouchLastUsed(const std::string& tenant_id, const std::string& key_id, EpochMs at) override {
        c_.Exec("UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2",
                Params().Add(tenant_id).Add(key_id).AddTime(at));
    }
    std::vector<std::string> RevokeMemberKeys(const std::string& tenant_id, const std::string& member_id,
                                              EpochMs at) override {
        auto r = c_.Exec(
            "WITH revoked AS (UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND member_id = $2 "
            "AND revoked_at IS NULL RETURNING id, created_at) SELECT id FROM revoked ORDER BY created_at, id",
            Params().Add(tenant_id).Add(member_id).AddTime(at));
        std::vector<std::string> ids;
        for (int i = 0; i < r.Rows(); ++i) ids.push_back(r.Text(i, 0));
        return ids;
    }

  private:
    Connection& c_;
};

constexpr std::string_view kSessionColumns =
    "pk, tenant_id, session_id, station_id, connector_id, evse_id, metadata::text, client_status, stop_reason, "
    "created_at, updated_at, started_at, ended_at, value_count, next_chunk, analyzed_at, analysis_failed, message, "
    "is_anomaly, anomaly_score, anomaly_confidence, is_incident, is_recurring, anomaly_count, analysis_version";

SessionRecord ReadSession(const Result& r, int row) {
    SessionRecord s;
    s.pk = r.Int(row, 0);
    s.tenant_id = r.Text(row, 1);
    s.session_id = r.Text(row, 2);
    s.station_id = r.Text(row, 3);
    s.connector_id = r.OptText(row, 4);
    s.evse_id = r.OptText(row, 5);
    s.metadata_json = r.OptText(row, 6);
    s.client_status = domain::ParseClientStatus(r.OptText(row, 7));
    s.stop_reason = r.OptText(row, 8);
    s.created_at = r.Time(row, 9);
    s.updated_at = r.Time(row, 10);
    s.started_at = r.OptTime(row, 11);
    s.ended_at = r.OptTime(row, 12);
    s.value_count = r.Int(row, 13);
    s.next_chunk = r.Int(row, 14);
    s.analyzed_at = r.OptTime(row, 15);
    s.analysis_failed = r.Bool(row, 16);
    s.message = r.OptText(row, 17);
    s.is_anomaly = r.OptBool(row, 18);
    s.anomaly_score = r.OptDouble(row, 19);
    s.anomaly_confidence = r.OptDouble(row, 20);
    s.is_incident = r.OptBool(row, 21);
    s.is_recurring = r.OptBool(row, 22);
    s.anomaly_count = r.Int(row, 23);
    s.analysis_version = r.Int(row, 24);
    return s;
}

// The mutable columns, in the order AddMutable() binds them from $3 on.
constexpr std::string_view kMutableColumns =
    "connector_id, evse_id, metadata, client_status, stop_reason, updated_at, started_at, ended_at, value_count, "
    "next_chunk, analyzed_at, analysis_failed, message, is_anomaly, anomaly_score, anomaly_confidence, is_incident, "
    "is_recurring, anomaly_count, analysis_version, analysis_state";

Params& AddMutable(Params& p, const SessionRecord& r) {
    p.Add(r.connector_id).Add(r.evse_id).Add(r.metadata_json);
    if (r.client_status == domain::ClientStatus::kNone) {
        p.AddNull(PgType::kText);
    } else {
        p.Add(domain::ClientStatusText(r.client_status));
    }
    p.Add(r.stop_reason)
        .AddTime(r.updated_at)
        .AddTime(r.started_at)
        .AddTime(r.ended_at)
        .Add(r.value_count)
        .Add(r.next_chunk)
        .AddTime(r.analyzed_at)
        .Add(r.analysis_failed)
        .Add(r.message)
        .Add(r.is_anomaly)
        .Add(r.anomaly_score)
        .Add(r.anomaly_confidence)
        .Add(r.is_incident)
        .Add(r.is_recurring)
        .Add(r.anomaly_count)
        .Add(r.analysis_version);
    if (r.analysis_state.empty()) {
        p.AddNull(PgType::kBytea);
    } else {
        p.AddBytes(r.analysis_state);
    }
    return p;
}

class PgSessions final : public SessionRepository {
  public:
    PgSessions(Connection& c, TxMode mode) : c_(c), mode_(mode) {}

    std::optional<SessionRecord> Find(const std::string& tenant_id, const std::string& session_id) override {
        // In a write transaction the row is locked until commit, so concurrent writers of one session
        // (on any node) run one after the other and each sees the other's chunks and counters.
        std::string sql = "SELECT " + std::string(kSessionColumns) +
                          ", analysis_state FROM sessions WHERE tenant_id = $1 AND session_id = $2";
        if (mode_ == TxMode::kWrite) sql += " FOR UPDATE";
        auto res = c_.Exec(sql, Params().Add(tenant_id).Add(session_id));
        if (res.Rows() == 0) return std::nullopt;
        SessionRecord r = ReadSession(res, 0);
        if (!res.IsNull(0, 25)) {
            auto state = res.Bytes(0, 25);
            r.analysis_state.assign(state.begin(), state.end());
        }
        auto a = c_.Exec(
            "SELECT category, score, confidence, start_unit, end_unit, start_ts, end_ts FROM session_anomalies "
            "WHERE session_pk = $1 ORDER BY occurrence",
            Params().Add(r.pk));
        for (int i = 0; i < a.Rows(); ++i) {
            analysis::Anomaly an;
            an.category = a.Text(i, 0);
            an.score = a.Double(i, 1);
            an.confidence = a.Double(i, 2);
            an.buckets = {a.Int(i, 3), a.Int(i, 4)};
            an.start_ms = a.Time(i, 5);
            an.end_ms = a.Time(i, 6);
            r.anomalies.push_back(std::move(an));
        }
        return r;
    }

    void Insert(SessionRecord& r) override {
        Params p;
        p.Add(r.tenant_id).Add(r.session_id);
        AddMutable(p, r).Add(r.station_id).AddTime(r.created_at);
        try {
            auto res = c_.Exec(
                "INSERT INTO sessions (tenant_id, session_id, " + std::string(kMutableColumns) +
                    ", station_id, created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, "
                    "$14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) RETURNING pk",
                p);
            r.pk = res.Int(0, 0);
        } catch (const DbError& e) {
            // Another transaction inserted the same session first (it waited for that one to commit):
            // running the unit of work again finds the row and takes the update path.
            if (e.sqlstate() == "23505" && e.constraint() == "sessions_tenant_session_key") {
                throw TransientConflict("session " + r.session_id + " was created concurrently");
            }
            throw;
        }
    }

    void Update(const SessionRecord& r) override {
        Params p;
        p.Add(r.pk).Add(r.tenant_id);
        AddMutable(p, r);
        c_.Defer(
            "UPDATE sessions SET (" + std::string(kMutableColumns) +
                ") = ($3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, "
                "$22, $23) WHERE pk = $1 AND tenant_id = $2",
            p);
        QueueForMeasurement(r);
    }

    // Queued for the statistics.data_quality job (a no-op when the session is queued already).
    void QueueForMeasurement(const SessionRecord& r) {
        c_.Defer(
            "INSERT INTO sessions_to_measure (session_pk, tenant_id) VALUES ($1, $2) ON CONFLICT (session_pk) DO "
            "NOTHING",
            Params().Add(r.pk).Add(r.tenant_id));
    }

    void AppendChunk(const SessionRecord& r, std::int64_t seq, std::span<const domain::MeterValue> values) override {
        auto bytes = EncodeMeterChunk(values);
        c_.Defer(
            "INSERT INTO meter_chunks (session_pk, seq, tenant_id, value_count, data) VALUES ($1, $2, $3, $4, $5)",
            Params().Add(r.pk).Add(seq).Add(r.tenant_id).Add(static_cast<std::int64_t>(values.size())).AddBytes(bytes));
    }

    void DeleteChunks(const SessionRecord& r) override {
        c_.Exec("DELETE FROM meter_chunks WHERE session_pk = $1 AND tenant_id = $2",
                Params().Add(r.pk).Add(r.tenant_id));
    }

    domain::MeterValues LoadValues(const SessionRecord& r) override {
        domain::MeterValues out;
        out.reserve(static_cast<size_t>(r.value_count));
        auto res = c_.Exec("SELECT data FROM meter_chunks WHERE session_pk = $1 AND tenant_id = $2 ORDER BY seq",
                           Params().Add(r.pk).Add(r.tenant_id));
        for (int i = 0; i < res.Rows(); ++i) {
            if (!DecodeMeterChunk(res.Bytes(i, 0), out))
                throw DbError("corrupt meter value chunk in session " + r.session_id);
        }
        return out;
    }

    domain::MeterValues LoadLastChunk(const SessionRecord& r) override {
        domain::MeterValues out;
        if (r.next_chunk == 0) return out;
        auto res = c_.Exec("SELECT data FROM meter_chunks WHERE session_pk = $1 AND tenant_id = $2 AND seq = $3",
                           Params().Add(r.pk).Add(r.tenant_id).Add(r.next_chunk - 1));
        if (res.Rows() > 0 && !DecodeMeterChunk(res.Bytes(0, 0), out)) {
            throw DbError("corrupt meter value chunk in session " + r.session_id);
        }
        return out;
    }

    void ReplaceAnomalies(const SessionRecord& r, std::span<const analysis::Anomaly> anomalies,
                          EpochMs detected_at) override {
        c_.Exec("DELETE FROM session_anomalies WHERE session_pk = $1", Params().Add(r.pk));
        std::int64_t occurrence = 0;
        for (const auto& a : anomalies) {
            c_.Exec(
                "INSERT INTO session_anomalies (tenant_id, session_pk, station_id, connector_id, category, "
                "occurrence, score, confidence, start_unit, end_unit, start_ts, end_ts, detected_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                Params()
                    .Add(r.tenant_id)
                    .Add(r.pk)
                    .Add(r.station_id)
                    .Add(r.connector_id)
                    .Add(a.category)
                    .Add(occurrence++)
                    .Add(a.score)
                    .Add(a.confidence)
                    .Add(std::int64_t{a.buckets.start_unit})
                    .Add(std::int64_t{a.buckets.end_unit})
                    .AddTime(a.start_ms)
                    .AddTime(a.end_ms)
                    .AddTime(detected_at));
        }
    }

    std::int64_t CountOtherSessionsWithCategory(const SessionRecord& r, const std::string& category, EpochMs from,
                                                EpochMs to) override {
        // Two texts instead of IS NOT DISTINCT FROM, which the connector index cannot serve.
        Params p;
        p.Add(r.tenant_id).Add(r.station_id).Add(category).AddTime(from).AddTime(to).Add(r.pk);
        std::string sql =
            "SELECT count(DISTINCT session_pk) FROM session_anomalies WHERE tenant_id = $1 AND station_id = $2 "
            "AND category = $3 AND start_ts BETWEEN $4 AND $5 AND session_pk <> $6 AND connector_id ";
        if (r.connector_id) {
            sql += "= $7";
            p.Add(*r.connector_id);
        } else {
            sql += "IS NULL";
        }
        return c_.Exec(sql, p).Int(0, 0);
    }

    std::vector<analysis::SessionSpan> OtherSessionSpans(const SessionRecord& r, EpochMs started_from, EpochMs from,
                                                         EpochMs to, std::int64_t limit) override {
        Params p;
        p.Add(r.tenant_id).Add(r.station_id).Add(r.pk).AddTime(from).AddTime(to).Add(limit).AddTime(started_from);
        std::string sql =
            "SELECT started_at, ended_at FROM sessions WHERE tenant_id = $1 AND station_id = $2 AND pk <> $3 "
            "AND started_at >= $7 AND started_at <= $5 AND ended_at >= $4 AND connector_id ";
        if (r.connector_id) {
            sql += "= $8";
            p.Add(*r.connector_id);
        } else {
            sql += "IS NULL";
        }
        sql += " ORDER BY started_at LIMIT $6";
        auto res = c_.Exec(sql, p);
        std::vector<analysis::SessionSpan> out;
        for (int i = 0; i < res.Rows(); ++i) out.push_back({res.Time(i, 0), res.Time(i, 1)});
        return out;
    }

    SessionPage List(const std::string& tenant_id, const SessionFilter& f) override {
        Params p;
        p.Add(tenant_id);
        std::string where = " FROM sessions WHERE tenant_id = $1";
        auto next = [&p] { return std::string(1, '$').append(std::to_string(p.Size() + 1)); };
        if (f.station_id) {
            where += " AND station_id = " + next();
            p.Add(*f.station_id);
        }
        if (f.evse_id) {
            where += " AND evse_id = " + next();
            p.Add(*f.evse_id);
        }
        if (f.is_anomaly) {
            where += " AND is_anomaly = " + next();
            p.Add(*f.is_anomaly);
        }
        if (f.min_score) {
            where += " AND anomaly_score >= " + next();
            p.Add(*f.min_score);
        }
        if (f.min_confidence) {
            where += " AND anomaly_confidence >= " + next();
            p.Add(*f.min_confidence);
        }
        if (f.date_from) {
            where += " AND coalesce(started_at, created_at) >= " + next();
            p.AddTime(*f.date_from);
        }
        if (f.date_to) {
            where += " AND coalesce(started_at, created_at) <= " + next();
            p.AddTime(*f.date_to);
        }
        SessionPage page;
        page.total_count = c_.Exec("SELECT count(*)" + where, p).Int(0, 0);
        std::string sql =
            "SELECT " + std::string(kSessionColumns) + where + " ORDER BY created_at DESC, pk DESC LIMIT ";
        sql += next();
        p.Add(f.page_size);
        sql += " OFFSET " + next();
        p.Add((f.page - 1) * f.page_size);
        auto res = c_.Exec(sql, p);
        for (int i = 0; i < res.Rows(); ++i) page.items.push_back(ReadSession(res, i));
        return page;
    }

    void RegisterStation(const SessionRecord& r, EpochMs at) override {
        c_.Defer("INSERT INTO stations (tenant_id, station_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                 Params().Add(r.tenant_id).Add(r.station_id).AddTime(at));
        if (r.connector_id) {
            c_.Defer(
                "INSERT INTO connectors (tenant_id, station_id, connector_id, evse_id, created_at) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, station_id, connector_id) "
                "DO UPDATE SET evse_id = coalesce(excluded.evse_id, connectors.evse_id)",
                Params().Add(r.tenant_id).Add(r.station_id).Add(*r.connector_id).Add(r.evse_id).AddTime(at));
        }
    }

  private:
    Connection& c_;
    TxMode mode_;
};

class PgOrganizations final : public OrganizationRepository {
  public:
    explicit PgOrganizations(Connection& c) : c_(c) {}
    std::optional<domain::Organization> Find(const std::string& tenant_id) override {
        auto r = c_.Exec(
            "SELECT id, tenant_id, name, phone, address, tax_id_type, tax_id_value, tariff_per_kwh, currency, "
            "time_zone, created_at, updated_at FROM organizations WHERE tenant_id = $1",
            Params().Add(tenant_id));
        if (r.Rows() == 0) return std::nullopt;
        domain::Organization o;
        o.id = r.Text(0, 0);
        o.tenant_id = r.Text(0, 1);
        o.name = r.Text(0, 2);
        o.phone = r.OptText(0, 3);
        o.address = r.OptText(0, 4);
        o.tax_id_type = r.OptText(0, 5);
        o.tax_id_value = r.OptText(0, 6);
        o.tariff_per_kwh = r.OptDouble(0, 7);
        o.currency = r.OptText(0, 8);
        o.time_zone = r.Text(0, 9);
        o.created_at = r.Time(0, 10);
        o.updated_at = r.OptTime(0, 11);
        return o;
    }
    void Save(const domain::Organization& o) override {
        c_.Exec(
            "INSERT INTO organizations (tenant_id, id, name, phone, address, tax_id_type, tax_id_value, "
            "tariff_per_kwh, currency, time_zone, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (tenant_id) DO UPDATE SET "
            "name = excluded.name, phone = excluded.phone, address = excluded.address, "
            "tax_id_type = excluded.tax_id_type, tax_id_value = excluded.tax_id_value, "
            "tariff_per_kwh = excluded.tariff_per_kwh, currency = excluded.currency, "
            "time_zone = excluded.time_zone, updated_at = excluded.updated_at",
            Params()
                .Add(o.tenant_id)
                .Add(o.id)
                .Add(o.name)
                .Add(o.phone)
                .Add(o.address)
                .Add(o.tax_id_type)
                .Add(o.tax_id_value)
                .Add(o.tariff_per_kwh)
                .Add(o.currency)
                .Add(o.time_zone)
                .AddTime(o.created_at)
                .AddTime(o.updated_at));
    }

  private:
    Connection& c_;
};

constexpr std::string_view kMemberColumns = "tenant_id, user_id, email, role, joined_at, invited_by";
constexpr std::string_view kInvitationColumns =
    "id, tenant_id, email, role, token_hash, invited_by, invited_at, expires_at, accepted_at, revoked_at";

domain::Member ReadMember(const Result& r, int row) {
    domain::Member m;
    m.tenant_id = r.Text(row, 0);
    m.user_id = r.Text(row, 1);
    m.email = r.Text(row, 2);
    m.role = domain::ParseRole(r.Text(row, 3)).value_or(domain::Role::kViewer);
    m.joined_at = r.Time(row, 4);
    m.invited_by = r.OptText(row, 5);
    return m;
}

domain::Invitation ReadInvitation(const Result& r, int row) {
    domain::Invitation i;
    i.id = r.Text(row, 0);
    i.tenant_id = r.Text(row, 1);
    i.email = r.Text(row, 2);
    i.role = domain::ParseRole(r.Text(row, 3)).value_or(domain::Role::kViewer);
    i.token_hash = r.Text(row, 4);
    i.invited_by = r.Text(row, 5);
    i.invited_at = r.Time(row, 6);
    i.expires_at = r.Time(row, 7);
    i.accepted_at = r.OptTime(row, 8);
    i.revoked_at = r.OptTime(row, 9);
    return i;
}

class PgMembers final : public MemberRepository {
  public:
    explicit PgMembers(Connection& c) : c_(c) {}
    std::vector<domain::Member> List(const std::string& tenant_id) override {
        auto r = c_.Exec(
            "SELECT " + std::string(kMemberColumns) + " FROM members WHERE tenant_id = $1 ORDER BY joined_at, user_id",
            Params().Add(tenant_id));
        std::vector<domain::Member> out;
        for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadMember(r, i));
        return out;
    }
    std::optional<domain::Member> Find(const std::string& tenant_id, const std::string& user_id) override {
        auto r =
            c_.Exec("SELECT " + std::string(kMemberColumns) + " FROM members WHERE tenant_id = $1 AND user_id = $2",
                    Params().Add(tenant_id).Add(user_id));
        if (r.Rows() == 0) return std::nullopt;
        return ReadMember(r, 0);
    }
    std::optional<domain::Member> FindByEmail(const std::string& tenant_id, const std::string& email) override {
        auto r = c_.Exec("SELECT " + std::string(kMemberColumns) + " FROM members WHERE tenant_id = $1 AND email = $2",
                         Params().Add(tenant_id).Add(email));
        if (r.Rows() == 0) return std::nullopt;
        return ReadMember(r, 0);
    }
    void Insert(const domain::Member& m) override {
        c_.Exec("INSERT INTO members (" + std::string(kMemberColumns) + ") VALUES ($1, $2, $3, $4, $5, $6)",
                Params()
                    .Add(m.tenant_id)
                    .Add(m.user_id)
                    .Add(m.email)
                    .Add(domain::RoleName(m.role))
                    .AddTime(m.joined_at)
                    .Add(m.invited_by));
    }
    void UpdateRole(const std::string& tenant_id, const std::string& user_id, domain::Role role) override {
        c_.Exec("UPDATE members SET role = $3 WHERE tenant_id = $1 AND user_id = $2",
                Params().Add(tenant_id).Add(user_id).Add(domain::RoleName(role)));
    }
    void Delete(const std::string& tenant_id, const std::string& user_id) override {
        c_.Exec("DELETE FROM members WHERE tenant_id = $1 AND user_id = $2", Params().Add(tenant_id).Add(user_id));
    }
    std::int64_t CountAdmins(const std::string& tenant_id) override {
        return c_
            .Exec("SELECT count(*) FROM members WHERE tenant_id = $1 AND role IN ('admin', 'super_admin')",
                  Params().Add(tenant_id))
            .Int(0, 0);
    }
    void InsertInvitation(const domain::Invitation& i) override {
        c_.Exec("INSERT INTO invitations (" + std::string(kInvitationColumns) +
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)",
                Params()
                    .Add(i.id)
                    .Add(i.tenant_id)
                    .Add(i.email)
                    .Add(domain::RoleName(i.role))
                    .Add(i.token_hash)
                    .Add(i.invited_by)
                    .AddTime(i.invited_at)
                    .AddTime(i.expires_at));
    }
    std::vector<domain::Invitation> PendingInvitations(const std::string& tenant_id) override {
        auto r = c_.Exec("SELECT " + std::string(kInvitationColumns) +
                             " FROM invitations WHERE tenant_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL "
                             "ORDER BY invited_at, id",
                         Params().Add(tenant_id));
        std::vector<domain::Invitation> out;
        for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadInvitation(r, i));
        return out;
    }
    std::optional<domain::Invitation> FindInvitationByTokenHash(const std::string& token_hash) override {
        auto r = c_.Exec("SELECT " + std::string(kInvitationColumns) + " FROM invitations WHERE token_hash = $1",
                         Params().Add(token_hash));
        if (r.Rows() == 0) return std::nullopt;
        return ReadInvitation(r, 0);
    }
    void MarkInvitationAccepted(const std::string& invitation_id, EpochMs at) override {
        c_.Exec("UPDATE invitations SET accepted_at = $2 WHERE id = $1", Params().Add(invitation_id).AddTime(at));
    }
    void RevokePendingInvitations(const std::string& tenant_id, const std::string& email, EpochMs at) override {
        c_.Exec(
            "UPDATE invitations SET revoked_at = $3 WHERE tenant_id = $1 AND email = $2 AND accepted_at IS NULL "
            "AND revoked_at IS NULL",
            Params().Add(tenant_id).Add(email).AddTime(at));
    }

  private:
    Connection& c_;
};

class PgAudit final : public AuditRepository {
  public:
    explicit PgAudit(Connection& c) : c_(c) {}
    void Append(const domain::AuditEntry& e) override {
        c_.Exec(
            "INSERT INTO audit_log (tenant_id, at, actor, action, target_type, target_id, details) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
            Params()
                .Add(e.tenant_id)
                .AddTime(e.at)
                .Add(e.actor)
                .Add(e.action)
                .Add(e.target_type)
                .Add(e.target_id)
                .Add(e.details_json));
    }
    AuditPage List(const std::string& tenant_id, std::int64_t page, std::int64_t page_size) override {
        AuditPage out;
        out.total_count =
            c_.Exec("SELECT count(*) FROM audit_log WHERE tenant_id = $1", Params().Add(tenant_id)).Int(0, 0);
        auto r = c_.Exec(
            "SELECT id, tenant_id, at, actor, action, target_type, target_id, details::text FROM audit_log "
            "WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
            Params().Add(tenant_id).Add(page_size).Add((page - 1) * page_size));
        for (int i = 0; i < r.Rows(); ++i) {
            out.items.push_back({r.Int(i, 0), r.Text(i, 1), r.Time(i, 2), r.Text(i, 3), r.Text(i, 4), r.Text(i, 5),
                                 r.Text(i, 6), r.OptText(i, 7)});
        }
        return out;
    }

  private:
    Connection& c_;
};

class PgStore;

class PgTransaction final : public Transaction {
  public:
    PgTransaction(PgStore& store, ConnectionPool::Lease lease, TxMode mode)
        : store_(store),
          lease_(std::move(lease)),
          mode_(mode),
          tenants_(*lease_),
          keys_(*lease_),
          sessions_(*lease_, mode),
          organizations_(*lease_),
          members_(*lease_),
          audit_(*lease_),
          explanations_(MakePgExplanations(*lease_)),
          anomalies_(MakePgAnomalies(*lease_)),
          jobs_(NewPgJobs(*lease_)),
          batches_(NewPgBatches(*lease_)),
          webhooks_(NewPgWebhooks(*lease_)),
          stations_(MakePgStations(*lease_)),
          soc_priors_(MakeSocPriorRepository(*lease_)),
          models_(MakeModelRepository(MakePgPort(*lease_))),
          connector_limits_(MakeConnectorLimitRepository(*lease_)) {}
    ~PgTransaction() override;
    TenantRepository& Tenants() override { return tenants_; }
    ApiKeyRepository& ApiKeys() override { return keys_; }
    SessionRepository& Sessions() override { return sessions_; }
    OrganizationRepository& Organizations() override { return organizations_; }
    MemberRepository& Members() override { return members_; }
    AuditRepository& Audit() override { return audit_; }
    SocPriorRepository& SocPriors() override { return *soc_priors_; }
    ConnectorLimitRepository& ConnectorLimits() override { return *connector_limits_; }
    ExplanationRepository& Explanations() override { return *explanations_; }
    AnomalyRepository& Anomalies() override { return *anomalies_; }
    JobRepository& Jobs() override { return *jobs_; }
    BatchRepository& Batches() override { return *batches_; }
    WebhookRepository& Webhooks() override { return *webhooks_; }
    StationRepository& Stations() override { return *stations_; }
    ModelRepository& Models() override { return *models_; }
    void Commit() override;

  private:
    PgStore& store_;
    ConnectionPool::Lease lease_;
    TxMode mode_;
    PgTenants tenants_;
    PgApiKeys keys_;
    PgSessions sessions_;
    PgOrganizations organizations_;
    PgMembers members_;
    PgAudit audit_;
    std::unique_ptr<ExplanationRepository> explanations_;
    std::unique_ptr<AnomalyRepository> anomalies_;
    std::unique_ptr<JobRepository> jobs_;
    std::unique_ptr<BatchRepository> batches_;
    std::unique_ptr<WebhookRepository> webhooks_;
    std::unique_ptr<StationRepository> stations_;
    std::unique_ptr<SocPriorRepository> soc_priors_;
    std::unique_ptr<ModelRepository> models_;
    std::unique_ptr<ConnectorLimitRepository> connector_limits_;
    bool done_ = false;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

class PgStore final : public Store {
  public:
    explicit PgStore(const PostgresOptions& o) : options_(o), pool_(o.conninfo, o.pool_size, o.acquire_timeout) {
        pool_.Acquire();  // fail fast when the server is unreachable or the credentials are wrong
    }

    std::unique_ptr<Transaction> Begin(TxMode mode) override {
        // READ COMMITTED for writes: every statement sees the latest commits, and the row locks taken
        // by Find serialise writers of one session. Reads see one snapshot.
        const std::string begin = mode == TxMode::kWrite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
        // An idle pooled connection may have been closed by the server (restart, idle timeout): it
        // fails at BEGIN, before any work, so a fresh connection can safely take over.
        for (int attempt = 0;; ++attempt) {
            auto lease = pool_.Acquire();
            try {
                lease->ExecScript(begin);
            } catch (const DbError&) {
                bool broken = !lease->Healthy() && !lease->InTransaction();
                lease.Discard();
                if (broken && attempt < pool_.max_size()) continue;
                throw;
            }
            return std::make_unique<PgTransaction>(*this, std::move(lease), mode);
        }
    }

    int Migrate() override {
        // A dedicated session: the advisory lock is released when it closes, even after an error.
        Connection c(options_.conninfo);
        c.Exec("SELECT pg_advisory_lock($1)", Params().Add(kMigrationLockKey));
        c.ExecScript(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL)");
        int applied = 0;
        for (const auto& m : postgres_migrations()) {
            c.ExecScript("BEGIN");
            try {
                auto done =
                    c.Exec("SELECT 1 FROM schema_migrations WHERE version = $1", Params().Add(std::int64_t{m.version}));
                if (done.Rows() == 0) {
                    c.ExecScript(std::string(m.sql));
                    c.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1::integer, $2, $3)",
                           Params().Add(std::int64_t{m.version}).Add(m.name).AddTime(SystemClock().NowMs()));
                    ++applied;
                }
                c.ExecScript("COMMIT");
            } catch (...) {
                try {
                    c.ExecScript("ROLLBACK");
                } catch (...) {
                    // The connection is gone; the server rolled back.
                }
                throw;
            }
        }
        c.Exec("SELECT pg_advisory_unlock($1)", Params().Add(kMigrationLockKey));
        return applied;
    }

    bool Ready() override {
        try {
            auto lease = pool_.Acquire();
            auto r = lease->Exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
            const auto& all = postgres_migrations();
            return r.Int(0, 0) >= (all.empty() ? 0 : all.back().version);
        } catch (const std::exception&) {
            return false;
        }
    }

    int KnownSchemaVersion() const override {
        const auto& all = postgres_migrations();
        return all.empty() ? 0 : all.back().version;
    }

    // Dedicated connections outside the pool: a copy holds them for its whole duration.
    std::unique_ptr<TableReader> ReadTables() override { return OpenTableReader(options_.conninfo); }
    std::unique_ptr<TableWriter> WriteTables() override { return OpenTableWriter(options_.conninfo); }

    void Observe(TxMode mode, double seconds) {
        if (options_.observer) options_.observer(mode, seconds);
    }

  private:
    PostgresOptions options_;
    ConnectionPool pool_;
};

PgTransaction::~PgTransaction() {
    if (!done_) {
        lease_->DiscardDeferred();
        try {
            lease_->ExecScript("ROLLBACK");
        } catch (...) {
            // The connection broke; the server rolled back, and the pool closes it on release.
        }
    }
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    store_.Observe(mode_, seconds);
}

void PgTransaction::Commit() {
    lease_->ExecScript("COMMIT");
    done_ = true;
    RunAfterCommit();
}

}  // namespace

std::unique_ptr<Store> OpenPostgresStore(const PostgresOptions& options) { return std::make_unique<PgStore>(options); }

}  // namespace evni::storage::postgres
