#pragma once

// Webhooks and their delivery records (docs/webhooks.md). Secrets are stored encrypted (the
// repository sees only the sealed bytes); event types are kept as a JSON array.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/meter_value.h"

namespace evni::storage {

struct WebhookRecord {
    std::string id;
    std::string tenant_id;
    std::string url;
    std::optional<std::string> description;
    std::vector<std::string> events;
    bool enabled = true;
    std::vector<std::uint8_t> secret;                          // sealed current secret
    std::optional<std::vector<std::uint8_t>> previous_secret;  // sealed secret before the last rotation
    std::optional<domain::EpochMs> previous_expires_at;        // end of the previous secret's grace period
    std::int64_t failure_count = 0;                            // consecutive failed delivery attempts
    std::optional<domain::EpochMs> disabled_at;                // set when auto-disabled
    domain::EpochMs created_at = 0;
    domain::EpochMs updated_at = 0;
};

// The columns both backends select to read a WebhookRecord, in this order.
inline constexpr std::string_view kWebhookColumns =
    "id, tenant_id, url, description, events, enabled, secret, previous_secret, previous_expires_at, "
    "failure_count, disabled_at, created_at, updated_at";

// A webhook's event names as stored (a JSON array of strings) and back; unreadable text reads as none.
std::string WebhookEventsJson(const std::vector<std::string>& events);
std::vector<std::string> ParseWebhookEvents(const std::string& text);

struct DeliveryRecord {
    std::string id;
    std::string tenant_id;
    std::string webhook_id;
    std::string event_id;
    std::string event_type;
    std::string body;    // the request body, frozen when the event was emitted
    std::string status;  // pending, delivered, failed
    std::int64_t attempts = 0;
    std::optional<std::int64_t> http_status;
    std::optional<std::string> error;
    domain::EpochMs created_at = 0;
    std::optional<domain::EpochMs> last_attempt_at;
    std::optional<domain::EpochMs> next_attempt_at;
    std::optional<domain::EpochMs> completed_at;
};

class WebhookRepository {
  public:
    virtual ~WebhookRepository() = default;
    virtual void Insert(const WebhookRecord& webhook) = 0;
    // Writes every mutable column (url .. updated_at).
    virtual void Update(const WebhookRecord& webhook) = 0;
    virtual std::optional<WebhookRecord> Find(const std::string& tenant_id, const std::string& id) = 0;
    // Every webhook of the tenant, oldest first.
    virtual std::vector<WebhookRecord> List(const std::string& tenant_id) = 0;
    // Deletes the webhook and its delivery records; false when no such webhook.
    virtual bool Delete(const std::string& tenant_id, const std::string& id) = 0;
    // Counts a failed delivery attempt; disables the webhook (enabled false, disabled_at `now`) when
    // the consecutive failures reach `disable_after`. Returns the new failure count.
    virtual std::int64_t RecordFailure(const std::string& tenant_id, const std::string& id, domain::EpochMs now,
                                       std::int64_t disable_after) = 0;
    // A successful delivery resets the consecutive failure count.
    virtual void RecordSuccess(const std::string& tenant_id, const std::string& id) = 0;

    virtual void InsertDelivery(const DeliveryRecord& delivery) = 0;
    // Writes status, attempts, http_status, error and the timestamps.
    virtual void UpdateDelivery(const DeliveryRecord& delivery) = 0;
    virtual std::optional<DeliveryRecord> FindDelivery(const std::string& tenant_id, const std::string& id) = 0;
    // Deletes up to `limit` finished deliveries (any tenant) completed before `before`; returns how many.
    virtual std::int64_t PurgeDeliveries(domain::EpochMs before, std::int64_t limit) = 0;
    // Newest first, without bodies.
    virtual std::vector<DeliveryRecord> RecentDeliveries(const std::string& tenant_id, const std::string& webhook_id,
                                                         std::int64_t limit) = 0;
};

}  // namespace evni::storage
