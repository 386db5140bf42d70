#include "storage/sqlite/sqlite_webhooks.h"

#include <boost/json.hpp>

#include "storage/sqlite/sqlite_db.h"

namespace evni::storage::sqlite {
namespace {

using domain::EpochMs;

std::vector<std::uint8_t> Bytes(std::span<const std::uint8_t> b) { return {b.begin(), b.end()}; }

WebhookRecord ReadWebhook(const Statement& s) {
    WebhookRecord w;
    w.id = s.Text(0);
    w.tenant_id = s.Text(1);
    w.url = s.Text(2);
    w.description = s.OptText(3);
    w.events = ParseWebhookEvents(s.Text(4));
    w.enabled = s.Int(5) != 0;
    w.secret = Bytes(s.Blob(6));
    if (!s.IsNull(7)) w.previous_secret = Bytes(s.Blob(7));
    w.previous_expires_at = s.OptInt(8);
    w.failure_count = s.Int(9);
    w.disabled_at = s.OptInt(10);
    w.created_at = s.Int(11);
    w.updated_at = s.Int(12);
    return w;
}

constexpr std::string_view kDeliveryColumns =
    "id, tenant_id, webhook_id, event_id, event_type, body, status, attempts, http_status, error, created_at, "
    "last_attempt_at, next_attempt_at, completed_at";

DeliveryRecord ReadDelivery(const Statement& s) {
    DeliveryRecord d;
    d.id = s.Text(0);
    d.tenant_id = s.Text(1);
    d.webhook_id = s.Text(2);
    d.event_id = s.Text(3);
    d.event_type = s.Text(4);
    d.body = s.Text(5);
    d.status = s.Text(6);
    d.attempts = s.Int(7);
    d.http_status = s.OptInt(8);
    d.error = s.OptText(9);
    d.created_at = s.Int(10);
    d.last_attempt_at = s.OptInt(11);
    d.next_attempt_at = s.OptInt(12);
    d.completed_at = s.OptInt(13);
    return d;
}

class SqliteWebhooks final : public WebhookRepository {
  public:
    explicit SqliteWebhooks(Connection& c) : c_(c) {}

    void Insert(const WebhookRecord& w) override {
        auto s = c_.Prepare("INSERT INTO webhooks (" + std::string(kWebhookColumns) +
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
        s.Bind(1, w.id).Bind(2, w.tenant_id);
        BindMutable(s, w);
        s.Bind(12, w.created_at);
        s.Run();
    }

    void Update(const WebhookRecord& w) override {
        auto s = c_.Prepare(
            "UPDATE webhooks SET url = ?3, description = ?4, events = ?5, enabled = ?6, secret = ?7, "
            "previous_secret = ?8, previous_expires_at = ?9, failure_count = ?10, disabled_at = ?11, "
            "updated_at = ?13 WHERE tenant_id = ?2 AND id = ?1");
        s.Bind(1, w.id).Bind(2, w.tenant_id);
        BindMutable(s, w);
        s.Run();
    }

    std::optional<WebhookRecord> Find(const std::string& tenant_id, const std::string& id) override {
        auto s =
            c_.Prepare("SELECT " + std::string(kWebhookColumns) + " FROM webhooks WHERE tenant_id = ?1 AND id = ?2");
        s.Bind(1, tenant_id).Bind(2, id);
        if (!s.Step()) return std::nullopt;
        return ReadWebhook(s);
    }

    std::vector<WebhookRecord> List(const std::string& tenant_id) override {
        auto s = c_.Prepare("SELECT " + std::string(kWebhookColumns) +
                            " FROM webhooks WHERE tenant_id = ?1 ORDER BY created_at, id");
        s.Bind(1, tenant_id);
        std::vector<WebhookRecord> out;
        while (s.Step()) out.push_back(ReadWebhook(s));
        return out;
    }

    bool Delete(const std::string& tenant_id, const std::string& id) override {
        c_.Prepare("DELETE FROM webhooks WHERE tenant_id = ?1 AND id = ?2").Bind(1, tenant_id).Bind(2, id).Run();
        if (c_.Changes() == 0) return false;
        c_.Prepare("DELETE FROM webhook_deliveries WHERE tenant_id = ?1 AND webhook_id = ?2")
            .Bind(1, tenant_id)
            .Bind(2, id)
            .Run();
        return true;
    }

    std::int64_t RecordFailure(const std::string& tenant_id, const std::string& id, EpochMs now,
                               std::int64_t disable_after) override {
        auto s = c_.Prepare(
            "UPDATE webhooks SET failure_count = failure_count + 1, "
            "enabled = CASE WHEN failure_count + 1 >= ?4 THEN 0 ELSE enabled END, "
            "disabled_at = CASE WHEN failure_count + 1 >= ?4 AND enabled = 1 THEN ?3 ELSE disabled_at END "
            "WHERE tenant_id = ?1 AND id = ?2 RETURNING failure_count");
        s.Bind(1, tenant_id).Bind(2, id).Bind(3, now).Bind(4, disable_after);
        if (!s.Step()) return 0;
        auto n = s.Int(0);
        s.Reset();
        return n;
    }

    void RecordSuccess(const std::string& tenant_id, const std::string& id) override {
        c_.Prepare("UPDATE webhooks SET failure_count = 0 WHERE tenant_id = ?1 AND id = ?2 AND failure_count <> 0")
            .Bind(1, tenant_id)
            .Bind(2, id)
            .Run();
    }

    void InsertDelivery(const DeliveryRecord& d) override {
        auto s = c_.Prepare("INSERT INTO webhook_deliveries (" + std::string(kDeliveryColumns) +
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
        s.Bind(1, d.id)
            .Bind(2, d.tenant_id)
            .Bind(3, d.webhook_id)
            .Bind(4, d.event_id)
            .Bind(5, d.event_type)
            .Bind(6, d.body)
            .Bind(7, d.status)
            .Bind(8, d.attempts)
            .Bind(9, d.http_status)
            .Bind(10, d.error)
            .Bind(11, d.created_at)
            .Bind(12, d.last_attempt_at)
            .Bind(13, d.next_attempt_at)
            .Bind(14, d.completed_at);
        s.Run();
    }

    void UpdateDelivery(const DeliveryRecord& d) override {
        c_.Prepare(
              "UPDATE webhook_deliveries SET status = ?3, attempts = ?4, http_status = ?5, error = ?6, "
              "last_attempt_at = ?7, next_attempt_at = ?8, completed_at = ?9 WHERE tenant_id = ?1 AND id = ?2")
            .Bind(1, d.tenant_id)
            .Bind(2, d.id)
            .Bind(3, d.status)
            .Bind(4, d.attempts)
            .Bind(5, d.http_status)
            .Bind(6, d.error)
            .Bind(7, d.last_attempt_at)
            .Bind(8, d.next_attempt_at)
            .Bind(9, d.completed_at)
            .Run();
    }

    std::optional<DeliveryRecord> FindDelivery(const std::string& tenant_id, const std::string& id) override {
        auto s = c_.Prepare("SELECT " + std::string(kDeliveryColumns) +
                            " FROM webhook_deliveries WHERE tenant_id = ?1 AND id = ?2");
        s.Bind(1, tenant_id).Bind(2, id);
        if (!s.Step()) return std::nullopt;
        return ReadDelivery(s);
    }

    std::int64_t PurgeDeliveries(EpochMs before, std::int64_t limit) override {
        c_.Prepare(
              "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE completed_at < ?1 "
              "ORDER BY completed_at LIMIT ?2)")
            .Bind(1, before)
            .Bind(2, limit)
            .Run();
        return c_.Changes();
    }

    std::vector<DeliveryRecord> RecentDeliveries(const std::string& tenant_id, const std::string& webhook_id,
                                                 std::int64_t limit) override {
        auto s = c_.Prepare(
            "SELECT id, tenant_id, webhook_id, event_id, event_type, '', status, attempts, http_status, error, "
            "created_at, last_attempt_at, next_attempt_at, completed_at FROM webhook_deliveries "
            "WHERE tenant_id = ?1 AND webhook_id = ?2 ORDER BY created_at DESC, id DESC LIMIT ?3");
        s.Bind(1, tenant_id).Bind(2, webhook_id).Bind(3, limit);
        std::vector<DeliveryRecord> out;
        while (s.Step()) out.push_back(ReadDelivery(s));
        return out;
    }

  private:
    // ?3 .. ?11 and ?13.
    static void BindMutable(Statement& s, const WebhookRecord& w) {
        s.Bind(3, w.url)
            .Bind(4, w.description)
            .Bind(5, WebhookEventsJson(w.events))
            .Bind(6, std::int64_t{w.enabled ? 1 : 0})
            .BindBlob(7, w.secret);
        if (w.previous_secret) {
            s.BindBlob(8, *w.previous_secret);
        } else {
            s.BindNull(8);
        }
        s.Bind(9, w.previous_expires_at).Bind(10, w.failure_count).Bind(11, w.disabled_at).Bind(13, w.updated_at);
    }

    Connection& c_;
};

}  // namespace

std::unique_ptr<WebhookRepository> NewSqliteWebhooks(Connection& c) { return std::make_unique<SqliteWebhooks>(c); }

}  // namespace evni::storage::sqlite
