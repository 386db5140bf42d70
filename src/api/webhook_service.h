#pragma once

// Webhooks: management use cases, the event outbox (api::EventSink) and the session events
// listener. Delivery (HTTP, signatures, retries) is the "webhook.deliver" job: jobs/webhook_delivery.h.
// See docs/webhooks.md.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/events.h"
#include "api/session_listener.h"
#include "domain/session.h"
#include "storage/store.h"
#include "util/error.h"
#include "util/secretbox.h"
#include "util/time.h"

namespace evni::api {

// The job kind of one delivery attempt series; payload {"deliveryId": "..."}.
inline constexpr const char* kWebhookDeliverJob = "webhook.deliver";

// Event types a webhook may subscribe to.
const std::vector<std::string>& WebhookEventTypes();

// True for loopback, private, link-local, CGNAT, unspecified, multicast and broadcast addresses
// (IPv4 or IPv6 text, IPv4-mapped IPv6 included); false for public ones and for non-addresses.
bool IsPrivateAddress(const std::string& ip);

struct WebhookOptions {
    // Accept http:// and loopback/private targets (tests, on-premises receivers).
    bool allow_private = false;
    std::int64_t max_per_tenant = 100;
    std::chrono::milliseconds rotation_grace = std::chrono::hours(24);
    // How long a node trusts its cached list of a tenant's webhooks (writes on this node invalidate
    // it at once; writes on another node are seen after this long).
    std::chrono::milliseconds cache_ttl = std::chrono::seconds(2);
    std::int64_t recent_deliveries = 20;
    // Finished delivery records are kept this long (PurgeDeliveries).
    std::chrono::milliseconds delivery_retention = std::chrono::hours(24 * 30);
};

struct WebhookChanges {
    std::optional<std::string> url;
    std::optional<std::vector<std::string>> events;
    bool description_present = false;
    std::optional<std::string> description;
    std::optional<bool> enabled;
};

struct WebhookWithSecret {
    storage::WebhookRecord webhook;
    std::string secret;  // plain text, shown once
};

struct WebhookPage {
    std::vector<storage::WebhookRecord> items;
    std::int64_t total_count = 0;
};

struct WebhookDetail {
    storage::WebhookRecord webhook;
    std::vector<storage::DeliveryRecord> recent_deliveries;
};

class WebhookService final : public EventSink {
  public:
    // `wake` (may be empty) is registered as AfterCommit hook of every transaction that enqueued a
    // delivery job.
    WebhookService(storage::Store& store, const Clock& clock, crypto::ServerKey& key, WebhookOptions options,
                   std::function<void()> wake);

    // Validates a target URL; the error message, or nullopt when acceptable.
    std::optional<std::string> CheckUrl(const std::string& url) const;

    Result<WebhookWithSecret> Create(const domain::Principal& who, const std::string& url,
                                     const std::vector<std::string>& events,
                                     const std::optional<std::string>& description);
    // Webhooks subscribed to any of `events` (all when empty), oldest first.
    Result<WebhookPage> List(const domain::Principal& who, const std::vector<std::string>& events, std::int64_t page,
                             std::int64_t page_size);
    Result<WebhookDetail> Get(const domain::Principal& who, const std::string& id);
    Result<storage::WebhookRecord> Update(const domain::Principal& who, const std::string& id,
                                          const WebhookChanges& changes);
    Result<bool> Delete(const domain::Principal& who, const std::string& id);
    Result<WebhookWithSecret> RotateSecret(const domain::Principal& who, const std::string& id);
    // Queues a webhook.test event to this webhook only (enabled or not).
    Result<storage::DeliveryRecord> SendTest(const domain::Principal& who, const std::string& id);

    // EventSink: one delivery record and one delivery job per enabled webhook of the tenant
    // subscribed to `type`, in `tx`.
    void Emit(storage::Transaction& tx, const std::string& tenant_id, const std::string& type,
              boost::json::object data) override;
    // Whether Emit of `type` would deliver anything (cached; for hot paths that build payloads).
    bool Wants(storage::Transaction& tx, const std::string& tenant_id, const std::string& type);

    // The plain secrets a delivery is signed with at `now`: the current one, then the previous one
    // during its grace period.
    std::vector<std::string> SigningSecrets(const storage::WebhookRecord& webhook, EpochMs now);

    const WebhookOptions& options() const { return options_; }
    // Deletes finished delivery records older than the retention (a Scheduler task); returns how many.
    std::int64_t PurgeDeliveries();
    // Forgets this node's cached webhook list of the tenant (after a webhook changed).
    void Invalidate(const std::string& tenant_id);

  private:
    struct Subscriber {
        std::string id;
        std::vector<std::string> events;
    };
    struct CacheEntry {
        std::chrono::steady_clock::time_point loaded;
        std::vector<Subscriber> enabled;
    };
    std::vector<Subscriber> Subscribers(storage::Transaction& tx, const std::string& tenant_id);
    // Inserts the delivery record and its job.
    storage::DeliveryRecord Enqueue(storage::Transaction& tx, const std::string& tenant_id,
                                    const std::string& webhook_id, const std::string& event_id, const std::string& type,
                                    const std::string& body, EpochMs now);
    std::optional<std::string> ValidateEvents(const std::vector<std::string>& events) const;

    storage::Store& store_;
    const Clock& clock_;
    crypto::ServerKey& key_;
    WebhookOptions options_;
    std::function<void()> wake_;
    std::mutex cache_mu_;
    std::uint64_t generation_ = 0;
    std::map<std::string, CacheEntry> cache_;
};

// Emits session.analyzed, anomaly.detected, anomaly.resolved and incident.created for session writes.
class WebhookSessionListener final : public SessionWriteListener {
  public:
    explicit WebhookSessionListener(WebhookService& webhooks) : webhooks_(webhooks) {}
    void OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) override;

  private:
    WebhookService& webhooks_;
};

}  // namespace evni::api
