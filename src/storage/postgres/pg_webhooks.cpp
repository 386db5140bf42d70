#include "storage/postgres/pg_webhooks.h"

#include <boost/json.hpp>

#include "storage/postgres/pg_db.h"

namespace evni::storage::postgres {
namespace {

using domain::EpochMs;

std::vector<std::uint8_t> Bytes(std::span<const std::uint8_t> b) { return {b.begin(), b.end()}; }

WebhookRecord ReadWebhook(const Result& r, int i) {
    WebhookRecord w;
    w.id = r.Text(i, 0);
    w.tenant_id = r.Text(i, 1);
    w.url = r.Text(i, 2);
    w.description = r.OptText(i, 3);
    w.events = ParseWebhookEvents(r.Text(i, 4));
    w.enabled = r.Bool(i, 5);
    w.secret = Bytes(r.Bytes(i, 6));
    if (!r.IsNull(i, 7)) w.previous_secret = Bytes(r.Bytes(i, 7));
    w.previous_expires_at = r.OptTime(i, 8);
    w.failure_count = r.Int(i, 9);
    w.disabled_at = r.OptTime(i, 10);
    w.created_at = r.Time(i, 11);
    w.updated_at = r.Time(i, 12);
    return w;
}

constexpr std::string_view kDeliveryColumns =
    "id, tenant_id, webhook_id, event_id, event_type, body, status, attempts, http_status, error, created_at, "
    "last_attempt_at, next_attempt_at, completed_at";

DeliveryRecord ReadDelivery(const Result& r, int i) {
    DeliveryRecord d;
    d.id = r.Text(i, 0);
    d.tenant_id = r.Text(i, 1);
    d.webhook_id = r.Text(i, 2);
    d.event_id = r.Text(i, 3);
    d.event_type = r.Text(i, 4);
    d.body = r.Text(i, 5);
    d.status = r.Text(i, 6);
    d.attempts = r.Int(i, 7);
    d.http_status = r.OptInt(i, 8);
    d.error = r.OptText(i, 9);
    d.created_at = r.Time(i, 10);
    d.last_attempt_at = r.OptTime(i, 11);
    d.next_attempt_at = r.OptTime(i, 12);
    d.completed_at = r.OptTime(i, 13);
    return d;
}

class PgWebhooks final : public WebhookRepository {
  public:
    explicit PgWebhooks(Connection& c) : c_(c) {}

    void Insert(const WebhookRecord& w) override {
        auto events = WebhookEventsJson(w.events);
        Params p;
        p.Add(w.id).Add(w.tenant_id);
        AddMutable(p, w, events);
        p.AddTime(w.created_at);
        c_.Exec(
            "INSERT INTO webhooks (id, tenant_id, url, description, events, enabled, secret, previous_secret, "
            "previous_expires_at, failure_count, disabled_at, updated_at, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            p);
    }

    void Update(const WebhookRecord& w) override {
        auto events = WebhookEventsJson(w.events);
        Params p;
        p.Add(w.id).Add(w.tenant_id);
        AddMutable(p, w, events);
        c_.Exec(
            "UPDATE webhooks SET url = $3, description = $4, events = $5, enabled = $6, secret = $7, "
            "previous_secret = $8, previous_expires_at = $9, failure_count = $10, disabled_at = $11, "
            "updated_at = $12 WHERE tenant_id = $2 AND id = $1",
            p);
    }

    std::optional<WebhookRecord> Find(const std::string& tenant_id, const std::string& id) override {
        auto r = c_.Exec("SELECT " + std::string(kWebhookColumns) + " FROM webhooks WHERE tenant_id = $1 AND id = $2",
                         Params().Add(tenant_id).Add(id));
        if (r.Rows() == 0) return std::nullopt;
        return ReadWebhook(r, 0);
    }

    std::vector<WebhookRecord> List(const std::string& tenant_id) override {
        auto r = c_.Exec("SELECT " + std::string(kWebhookColumns) +
                             " FROM webhooks WHERE tenant_id = $1 ORDER BY created_at, id COLLATE \"C\"",
                         Params().Add(tenant_id));
        std::vector<WebhookRecord> out;
        for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadWebhook(r, i));
        return out;
    }

    bool Delete(const std::string& tenant_id, const std::string& id) override {
        auto r = c_.Exec("DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2", Params().Add(tenant_id).Add(id));
        if (r.Affected() == 0) return false;
        c_.Exec("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2",
                Params().Add(tenant_id).Add(id));
        return true;
    }

    std::int64_t RecordFailure(const std::string& tenant_id, const std::string& id, EpochMs now,
                               std::int64_t disable_after) override {
        auto r = c_.Exec(
            "UPDATE webhooks SET failure_count = failure_count + 1, "
            "enabled = CASE WHEN failure_count + 1 >= $4 THEN false ELSE enabled END, "
            "disabled_at = CASE WHEN failure_count + 1 >= $4 AND enabled THEN $3 ELSE disabled_at END "
            "WHERE tenant_id = $1 AND id = $2 RETURNING failure_count",
            Params().Add(tenant_id).Add(id).AddTime(now).Add(disable_after));
        return r.Rows() == 0 ? 0 : r.Int(0, 0);
    }

    void RecordSuccess(const std::string& tenant_id, const std::string& id) override {
        c_.Exec("UPDATE webhooks SET failure_count = 0 WHERE tenant_id = $1 AND id = $2 AND failure_count <> 0",
                Params().Add(tenant_id).Add(id));
    }

    void InsertDelivery(const DeliveryRecord& d) override {
        c_.Exec("INSERT INTO webhook_deliveries (" + std::string(kDeliveryColumns) +
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                Params()
                    .Add(d.id)
                    .Add(d.tenant_id)
                    .Add(d.webhook_id)
                    .Add(d.event_id)
                    .Add(d.event_type)
                    .Add(d.body)
                    .Add(d.status)
                    .Add(d.attempts)
                    .Add(d.http_status)
                    .Add(d.error)
                    .AddTime(d.created_at)
                    .AddTime(d.last_attempt_at)
                    .AddTime(d.next_attempt_at)
                    .AddTime(d.completed_at));
    }

    void UpdateDelivery(const DeliveryRecord& d) override {
        c_.Exec(
            "UPDATE webhook_deliveries SET status = $3, attempts = $4, http_status = $5, error = $6, "
            "last_attempt_at = $7, next_attempt_at = $8, completed_at = $9 WHERE tenant_id = $1 AND id = $2",
            Params()
                .Add(d.tenant_id)
                .Add(d.id)
                .Add(d.status)
                .Add(d.attempts)
                .Add(d.http_status)
                .Add(d.error)
                .AddTime(d.last_attempt_at)
                .AddTime(d.next_attempt_at)
                .AddTime(d.completed_at));
    }

    std::optional<DeliveryRecord> FindDelivery(const std::string& tenant_id, const std::string& id) override {
        auto r = c_.Exec(
            "SELECT " + std::string(kDeliveryColumns) + " FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2",
            Params().Add(tenant_id).Add(id));
        if (r.Rows() == 0) return std::nullopt;
        return ReadDelivery(r, 0);
    }

    std::int64_t PurgeDeliveries(EpochMs before, std::int64_t limit) override {
        return c_
            .Exec(
                "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE completed_at < $1 "
                "ORDER BY completed_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
                Params().AddTime(before).Add(limit))
            .Affected();
    }

    std::vector<DeliveryRecord> RecentDeliveries(const std::string& tenant_id, const std::string& webhook_id,
                                                 std::int64_t limit) override {
        auto r = c_.Exec(
            "SELECT id, tenant_id, webhook_id, event_id, event_type, ''::text, status, attempts, http_status, error, "
            "created_at, last_attempt_at, next_attempt_at, completed_at FROM webhook_deliveries "
            "WHERE tenant_id = $1 AND webhook_id = $2 ORDER BY created_at DESC, id COLLATE \"C\" DESC LIMIT $3",
            Params().Add(tenant_id).Add(webhook_id).Add(limit));
        std::vector<DeliveryRecord> out;
        for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadDelivery(r, i));
        return out;
    }

  private:
    // $3 .. $12; `events` and the secrets must outlive the statement.
    static void AddMutable(Params& p, const WebhookRecord& w, const std::string& events) {
        p.Add(w.url).Add(w.description).Add(events).Add(w.enabled).AddBytes(w.secret);
        if (w.previous_secret) {
            p.AddBytes(*w.previous_secret);
        } else {
            p.AddNull(PgType::kBytea);
        }
        p.AddTime(w.previous_expires_at).Add(w.failure_count).AddTime(w.disabled_at).AddTime(w.updated_at);
    }

    Connection& c_;
};

}  // namespace

std::unique_ptr<WebhookRepository> NewPgWebhooks(Connection& c) { return std::make_unique<PgWebhooks>(c); }

}  // namespace evni::storage::postgres
