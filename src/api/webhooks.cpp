// Webhook resources: /v1/webhooks (docs/webhooks.md).
#include <algorithm>
#include <sstream>

#include "api/handlers.h"
#include "api/json_util.h"
#include "api/webhook_service.h"

namespace evni::api {
namespace json = boost::json;
namespace {

json::value OptString(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

json::object WebhookObject(const storage::WebhookRecord& w) {
    json::array events;
    for (const auto& e : w.events) events.emplace_back(e);
    return json::object{
        {"id", w.id},
        {"url", w.url},
        {"events", std::move(events)},
        {"description", OptString(w.description)},
        {"enabled", w.enabled},
        {"failureCount", w.failure_count},
        {"disabledAt", TimeOrNull(w.disabled_at)},
        {"createdAt", FormatIsoDateTime(w.created_at)},
        {"updatedAt", FormatIsoDateTime(w.updated_at)},
    };
}

json::object DeliveryObject(const storage::DeliveryRecord& d) {
    return json::object{
        {"id", d.id},
        {"eventId", d.event_id},
        {"eventType", d.event_type},
        {"status", d.status},
        {"httpStatus", d.http_status ? json::value(*d.http_status) : json::value(nullptr)},
        {"attemptCount", d.attempts},
        {"error", OptString(d.error)},
        {"createdAt", FormatIsoDateTime(d.created_at)},
        {"lastAttemptAt", TimeOrNull(d.last_attempt_at)},
        {"nextAttemptAt", d.status == "pending" ? TimeOrNull(d.next_attempt_at) : json::value(nullptr)},
        {"completedAt", TimeOrNull(d.completed_at)},
    };
}

// `events`: an array of strings; records errors at ["body", "events", i].
std::optional<std::vector<std::string>> DecodeEvents(const json::object& body, FieldErrors& errors, bool required) {
    const Loc loc{std::string("body"), std::string("events")};
    auto* v = body.if_contains("events");
    if (!v || v->is_null()) {
        if (required)
            errors.Add(loc, v ? "Input should be a valid list" : "Field required", v ? "list_type" : "missing");
        return std::nullopt;
    }
    if (!v->is_array()) {
        errors.Add(loc, "Input should be a valid list", "list_type");
        return std::nullopt;
    }
    std::vector<std::string> out;
    std::int64_t i = 0;
    for (const auto& e : v->get_array()) {
        if (!e.is_string() || e.get_string().size() > 64) {
            errors.Add(At(loc, i), "Input should be a valid event type string", "string_type");
        } else {
            out.emplace_back(e.get_string());
        }
        ++i;
    }
    if (out.size() > 32) errors.Add(loc, "List should have at most 32 items", "too_long");
    return out;
}

Response WithSecret(const WebhookWithSecret& w) {
    auto o = WebhookObject(w.webhook);
    o["secret"] = w.secret;
    return JsonResponse(o);
}

}  // namespace

void AddWebhookRoutes(std::vector<Route>& routes, const ApiContext& ctx) {
    WebhookService* svc = ctx.webhooks;
    using domain::Role;

    routes.push_back(
        {"GET", "/v1/webhooks", Role::kViewer, 0, "List webhooks (no secrets), optionally by subscribed event",
         [svc](Request& req) -> Result<Response> {
             FieldErrors errors;
             auto page = QueryInt(req.Query("page"), "page", 1, 1, 1'000'000, errors);
             auto size = QueryInt(req.Query("pageSize"), "pageSize", 50, 1, 100, errors);
             std::vector<std::string> events;
             const auto& known = WebhookEventTypes();
             for (const auto& [k, v] : req.query) {
                 if (k != "events") continue;
                 std::stringstream list(v);
                 for (std::string item; std::getline(list, item, ',');) {
                     if (item.empty()) continue;
                     if (std::find(known.begin(), known.end(), item) == known.end()) {
                         errors.Add({std::string("query"), std::string("events")}, "Unknown event type '" + item + "'",
                                    "value_error");
                     }
                     events.push_back(item);
                 }
             }
             if (!errors.Empty()) return Fail(errors.ToError());
             auto list = svc->List(*req.principal, events, *page, *size);
             if (!list) return Fail(std::move(list.error()));
             json::array content;
             for (const auto& w : list->items) content.push_back(WebhookObject(w));
             return JsonResponse(json::object{
                 {"content", std::move(content)},
                 {"pagination", json::object{{"totalCount", list->total_count}, {"page", *page}, {"size", *size}}},
             });
         }});

    routes.push_back({"POST", "/v1/webhooks", Role::kAdmin, 64 * 1024,
                      "Register a webhook (https only); the signing secret is returned only here",
                      [svc](Request& req) -> Result<Response> {
                          auto arena = BodyArena(req.body);
                          auto body = ParseObjectBody(req.body, arena);
                          if (!body) return Fail(std::move(body.error()));
                          FieldErrors errors;
                          const Loc base{std::string("body")};
                          auto url = errors.RequiredString(*body, "url", base, 2048);
                          auto events = DecodeEvents(*body, errors, true);
                          auto description = errors.OptionalString(*body, "description", base, 500);
                          if (!errors.Empty()) return Fail(errors.ToError());
                          auto created = svc->Create(*req.principal, *url, *events, description.value);
                          if (!created) return Fail(std::move(created.error()));
                          return WithSecret(*created);
                      }});

    routes.push_back({"GET", "/v1/webhooks/{webhook_id}", Role::kViewer, 0,
                      "Get a webhook (no secret) with its recent deliveries", [svc](Request& req) -> Result<Response> {
                          auto detail = svc->Get(*req.principal, req.path_params["webhook_id"]);
                          if (!detail) return Fail(std::move(detail.error()));
                          auto o = WebhookObject(detail->webhook);
                          json::array deliveries;
                          for (const auto& d : detail->recent_deliveries) deliveries.push_back(DeliveryObject(d));
                          o["recentDeliveries"] = std::move(deliveries);
                          return JsonResponse(o);
                      }});

    routes.push_back({"PATCH", "/v1/webhooks/{webhook_id}", Role::kAdmin, 64 * 1024,
                      "Update a webhook's URL, events, description or enabled state",
                      [svc](Request& req) -> Result<Response> {
                          auto arena = BodyArena(req.body);
                          auto body = ParseObjectBody(req.body, arena);
                          if (!body) return Fail(std::move(body.error()));
                          FieldErrors errors;
                          const Loc base{std::string("body")};
                          WebhookChanges c;
                          auto url = errors.OptionalString(*body, "url", base, 2048);
                          if (url.present && !url.value && body->at("url").is_null()) {
                              // null: unchanged
                          } else {
                              c.url = url.value;
                          }
                          if (auto* e = body->if_contains("events"); e && !e->is_null()) {
                              c.events = DecodeEvents(*body, errors, false);
                          }
                          auto description = errors.OptionalString(*body, "description", base, 500);
                          c.description_present = description.present;
                          c.description = description.value;
                          auto enabled = errors.OptionalBool(*body, "enabled", base);
                          c.enabled = enabled.value;
                          if (!errors.Empty()) return Fail(errors.ToError());
                          auto w = svc->Update(*req.principal, req.path_params["webhook_id"], c);
                          if (!w) return Fail(std::move(w.error()));
                          return JsonResponse(WebhookObject(*w));
                      }});

    routes.push_back({"DELETE", "/v1/webhooks/{webhook_id}", Role::kAdmin, 0,
                      "Delete a webhook and its delivery records", [svc](Request& req) -> Result<Response> {
                          auto done = svc->Delete(*req.principal, req.path_params["webhook_id"]);
                          if (!done) return Fail(std::move(done.error()));
                          return JsonResponse(json::object{});
                      }});

    routes.push_back({"POST", "/v1/webhooks/{webhook_id}/rotate-secret", Role::kAdmin, 64 * 1024,
                      "Rotate the signing secret; the old one keeps signing (second signature) for 24 h",
                      [svc](Request& req) -> Result<Response> {
                          auto rotated = svc->RotateSecret(*req.principal, req.path_params["webhook_id"]);
                          if (!rotated) return Fail(std::move(rotated.error()));
                          return WithSecret(*rotated);
                      }});

    routes.push_back(
        {"POST", "/v1/webhooks/{webhook_id}/test", Role::kAdmin, 64 * 1024,
         "Queue a webhook.test event to this webhook", [svc](Request& req) -> Result<Response> {
             auto d = svc->SendTest(*req.principal, req.path_params["webhook_id"]);
             if (!d) return Fail(std::move(d.error()));
             return JsonResponse(json::object{{"deliveryId", d->id}, {"eventId", d->event_id}, {"status", d->status}});
         }});
}

}  // namespace evni::api
