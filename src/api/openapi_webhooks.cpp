// Documentation of the webhook routes (webhooks.cpp), with their schemas. Events, signatures and
// delivery: docs/webhooks.md.
#include "api/openapi.h"
#include "api/webhook_service.h"

namespace evni::api::openapi {
namespace json = boost::json;

namespace {

constexpr const char* kWebhookId = "3f9c2a1e-7b4d-4e6f-9a8b-1c2d3e4f5a6b";

json::object WebhookExample() {
    return json::object{{"id", kWebhookId},
                        {"url", "https://cpms.example.com/hooks/evni"},
                        {"events", json::array{"anomaly.detected", "incident.created"}},
                        {"description", "Operations alerts"},
                        {"enabled", true},
                        {"failureCount", 0},
                        {"disabledAt", nullptr},
                        {"createdAt", "2026-02-27T10:00:00Z"},
                        {"updatedAt", "2026-02-27T10:00:00Z"}};
}

json::object WithSecretExample() {
    auto o = WebhookExample();
    o["secret"] = "whsec_q8Vx1oZ3mT5bN0cR7yW2eK9uJ4hL6gF1dS8aP3iO5tY";
    return o;
}

Schema WebhookFields(Schema s) {
    return s.Required("id", Schema::String("Webhook id"))
        .Required("url", Schema::String("Target URL (https)"))
        .Required("events", Schema::Array(Schema::Ref("WebhookEventType"), "Subscribed event types"))
        .Required("description", Schema::String("Description").Nullable())
        .Required("enabled", Schema::Boolean("Whether events are delivered"))
        .Required("failureCount", Schema::Integer("Consecutive failed delivery attempts (reset by a success)"))
        .Required("disabledAt", Schema::DateTime("When the webhook was disabled automatically after too many "
                                                 "consecutive failures")
                                    .Nullable())
        .Required("createdAt", Schema::DateTime("Creation time"))
        .Required("updatedAt", Schema::DateTime("Last update"));
}

void AddWebhookSchemas(DocRegistry& r) {
    r.AddSchema("WebhookEventType", Schema::Enum(WebhookEventTypes(), "Event type (payloads: docs/webhooks.md)"));
    r.AddSchema("Webhook", WebhookFields(Schema::Object("A webhook (its secret is never returned here)")).Closed());
    r.AddSchema("WebhookWithSecret",
                WebhookFields(Schema::Object("A webhook with its signing secret, returned only at creation and "
                                             "rotation"))
                    .Required("secret", Schema::String("Signing secret: HMAC-SHA256 key of the Evni-Signature header"))
                    .Closed());
    r.AddSchema("WebhookDelivery",
                Schema::Object("One event sent (or being sent) to the webhook")
                    .Required("id", Schema::String("Delivery id (Evni-Delivery-Id header)"))
                    .Required("eventId", Schema::String("Event id (Evni-Event-Id header; the same for every webhook "
                                                        "receiving the event)"))
                    .Required("eventType", Schema::Ref("WebhookEventType"))
                    .Required("status", Schema::Enum({"pending", "delivered", "failed"}, "Delivery status"))
                    .Required("httpStatus", Schema::Integer("HTTP status of the last attempt").Nullable())
                    .Required("attemptCount", Schema::Integer("Attempts so far"))
                    .Required("error", Schema::String("Why the last attempt failed").Nullable())
                    .Required("createdAt", Schema::DateTime("When the event was emitted"))
                    .Required("lastAttemptAt", Schema::DateTime("Last attempt").Nullable())
                    .Required("nextAttemptAt", Schema::DateTime("Next attempt (pending deliveries)").Nullable())
                    .Required("completedAt", Schema::DateTime("When it was delivered or given up").Nullable())
                    .Closed());
    r.AddSchema("WebhookDetail",
                WebhookFields(Schema::Object("A webhook with its recent deliveries"))
                    .Required("recentDeliveries",
                              Schema::Array(Schema::Ref("WebhookDelivery"), "The 20 newest deliveries, newest first"))
                    .Closed());
    r.AddSchema("WebhookList", Schema::Object("A page of webhooks")
                                   .Required("content", Schema::Array(Schema::Ref("Webhook"), "Webhooks"))
                                   .Required("pagination", Schema::Ref("Pagination"))
                                   .Closed());
    r.AddSchema("WebhookCreate",
                Schema::Object("A new webhook")
                    .Required("url", Schema::String("Webhook target URL (must be HTTPS; loopback and private "
                                                    "addresses are refused unless the server allows them)")
                                         .MaxLength(2048))
                    .Required("events",
                              Schema::Array(Schema::Ref("WebhookEventType"), "Event types to subscribe to").MinItems(1))
                    .Optional("description", Schema::String("Optional description").MaxLength(500).Nullable()));
    r.AddSchema(
        "WebhookUpdate",
        Schema::Object("Fields to change; absent (or null url/events/enabled) fields keep their value")
            .Optional("url", Schema::String("Target URL").MaxLength(2048).Nullable())
            .Optional("events", Schema::Array(Schema::Ref("WebhookEventType"), "Event types").MinItems(1).Nullable())
            .Optional("description", Schema::String("Description (null clears it)").MaxLength(500).Nullable())
            .Optional("enabled", Schema::Boolean("Enable (also after an automatic disable: resets "
                                                 "failureCount) or disable")
                                     .Nullable()));
    r.AddSchema("WebhookTestQueued", Schema::Object("The queued test delivery")
                                         .Required("deliveryId", Schema::String("Delivery id"))
                                         .Required("eventId", Schema::String("Event id"))
                                         .Required("status", Schema::Enum({"pending"}, "Queued"))
                                         .Closed());
}

}  // namespace

void DocumentWebhookRoutes(DocRegistry& r) {
    AddWebhookSchemas(r);
    const Param id = Param::Path("webhook_id", "Webhook Id");
    r.Add({
        .method = "GET",
        .pattern = "/v1/webhooks",
        .operation_id = "listWebhooks",
        .tag = "Webhooks",
        .summary = "List Webhooks",
        .description = "List the tenant's webhooks (secrets are not included), oldest first.",
        .params = {Param::Query("page", Schema::Integer().Min(1).Max(1'000'000).Default(1), "Page number (1-based)"),
                   Param::Query("pageSize", Schema::Integer().Min(1).Max(100).Default(50), "Items per page"),
                   Param::Query("events", Schema::Array(Schema::Ref("WebhookEventType")),
                                "Filter by subscribed event type(s): webhooks subscribing to ANY of them match. "
                                "Repeat the parameter or separate types with commas.")},
        .replies = {{200, "A page of webhooks", Schema::Ref("WebhookList"),
                     json::object{{"content", json::array{WebhookExample()}},
                                  {"pagination", json::object{{"totalCount", 1}, {"page", 1}, {"size", 50}}}}}},
    });
    r.Add({
        .method = "POST",
        .pattern = "/v1/webhooks",
        .operation_id = "createWebhook",
        .tag = "Webhooks",
        .summary = "Create Webhook",
        .description = "Register a webhook. Admin only. The URL must be https and must not point to a loopback or "
                       "private address (unless the server runs with `--allow-private-webhooks`). The signing "
                       "secret is returned only here (and by rotate-secret). At most 100 webhooks per tenant.",
        .request = RequestBody{Schema::Ref("WebhookCreate"),
                               json::object{{"url", "https://cpms.example.com/hooks/evni"},
                                            {"events", json::array{"anomaly.detected", "incident.created"}},
                                            {"description", "Operations alerts"}}},
        .replies = {{200, "The webhook with its secret", Schema::Ref("WebhookWithSecret"), WithSecretExample()}},
        .errors = {{409, "The tenant already has the maximum number of webhooks"}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/v1/webhooks/{webhook_id}",
        .operation_id = "getWebhook",
        .tag = "Webhooks",
        .summary = "Get Webhook",
        .description = "Get a webhook (no secret) with its recent delivery history.",
        .params = {id},
        .replies = {{200, "The webhook", Schema::Ref("WebhookDetail"),
                     [] {
                         auto o = WebhookExample();
                         o["recentDeliveries"] =
                             json::array{json::object{{"id", "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"},
                                                      {"eventId", "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"},
                                                      {"eventType", "anomaly.detected"},
                                                      {"status", "delivered"},
                                                      {"httpStatus", 200},
                                                      {"attemptCount", 1},
                                                      {"error", nullptr},
                                                      {"createdAt", "2026-02-27T10:05:00Z"},
                                                      {"lastAttemptAt", "2026-02-27T10:05:00Z"},
                                                      {"nextAttemptAt", nullptr},
                                                      {"completedAt", "2026-02-27T10:05:00Z"}}};
                         return o;
                     }()}},
        .errors = {{404, "No such webhook in the tenant"}},
    });
    r.Add({
        .method = "PATCH",
        .pattern = "/v1/webhooks/{webhook_id}",
        .operation_id = "updateWebhook",
        .tag = "Webhooks",
        .summary = "Update Webhook",
        .description = "Update a webhook's URL, events, description or enabled state. Admin only. Enabling a "
                       "webhook that was disabled automatically clears `disabledAt` and `failureCount`.",
        .params = {id},
        .request = RequestBody{Schema::Ref("WebhookUpdate"), json::object{{"enabled", true}}},
        .replies = {{200, "The updated webhook", Schema::Ref("Webhook"), WebhookExample()}},
        .errors = {{404, "No such webhook in the tenant"}},
    });
    r.Add({
        .method = "DELETE",
        .pattern = "/v1/webhooks/{webhook_id}",
        .operation_id = "deleteWebhook",
        .tag = "Webhooks",
        .summary = "Delete Webhook",
        .description = "Delete a webhook and all its delivery records. Admin only.",
        .params = {id},
        .replies = {{200, "Deleted", Schema::Ref("Empty"), json::object{}}},
        .errors = {{404, "No such webhook in the tenant"}},
    });
    r.Add({
        .method = "POST",
        .pattern = "/v1/webhooks/{webhook_id}/rotate-secret",
        .operation_id = "rotateWebhookSecret",
        .tag = "Webhooks",
        .summary = "Rotate Secret",
        .description = "Rotate the webhook's signing secret. Admin only. For 24 hours the old secret keeps "
                       "signing too: deliveries carry two `v1=` signatures (new first).",
        .params = {id},
        .request = RequestBody{Schema::Object("No fields are needed").FreeForm(), json::object{}, false},
        .replies = {{200, "The webhook with its new secret", Schema::Ref("WebhookWithSecret"), WithSecretExample()}},
        .errors = {{404, "No such webhook in the tenant"}},
    });
    r.Add({
        .method = "POST",
        .pattern = "/v1/webhooks/{webhook_id}/test",
        .operation_id = "testWebhook",
        .tag = "Webhooks",
        .summary = "Test Webhook",
        .description = "Queue a `webhook.test` event to this webhook only (whether it is enabled or not). Admin "
                       "only. The delivery shows in the webhook's recent deliveries.",
        .params = {id},
        .request = RequestBody{Schema::Object("No fields are needed").FreeForm(), json::object{}, false},
        .replies = {{200, "The queued delivery", Schema::Ref("WebhookTestQueued"),
                     json::object{{"deliveryId", "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"},
                                  {"eventId", "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"},
                                  {"status", "pending"}}}},
        .errors = {{404, "No such webhook in the tenant"}},
    });
}

}  // namespace evni::api::openapi
