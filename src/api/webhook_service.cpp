#include "api/webhook_service.h"

#include <arpa/inet.h>

#include <algorithm>
#include <boost/url.hpp>
#include <cstring>
#include <set>

#include "api/audit.h"
#include "util/crypto.h"

namespace evni::api {
namespace json = boost::json;
using storage::DeliveryRecord;
using storage::WebhookRecord;

const std::vector<std::string>& WebhookEventTypes() {
    static const std::vector<std::string> types = {"session.analyzed", "anomaly.detected", "anomaly.resolved",
                                                   "incident.created", "batch.completed",  "station.anomaly",
                                                   "webhook.test"};
    return types;
}

namespace {

bool PrivateV4(const std::uint8_t* a) {
    return a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 100 && (a[1] & 0xC0) == 64) ||
           (a[0] == 169 && a[1] == 254) || (a[0] == 172 && (a[1] & 0xF0) == 16) || (a[0] == 192 && a[1] == 168) ||
           (a[0] == 192 && a[1] == 0 && a[2] == 0) || (a[0] == 198 && (a[1] & 0xFE) == 18) || a[0] >= 224;
}

Error UrlError(std::string msg) {
    return Error::Validation({FieldError{{std::string("body"), std::string("url")}, std::move(msg), "value_error"}});
}

std::string NewSecret() { return "whsec_" + crypto::RandomToken(32); }

}  // namespace

bool IsPrivateAddress(const std::string& ip) {
    std::uint8_t buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) == 1) return PrivateV4(buf);
    if (inet_pton(AF_INET6, ip.c_str(), buf) != 1) return false;
    static const std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(buf, kMapped, 12) == 0) return PrivateV4(buf + 12);
    bool zero_prefix = std::all_of(buf, buf + 15, [](std::uint8_t b) { return b == 0; });
    if (zero_prefix && (buf[15] == 0 || buf[15] == 1)) return true;  // :: and ::1
    if ((buf[0] & 0xFE) == 0xFC) return true;                        // fc00::/7 unique local
    if (buf[0] == 0xFE && (buf[1] & 0xC0) == 0x80) return true;      // fe80::/10 link-local
    if (buf[0] == 0xFF) return true;                                 // multicast
    return false;
}

WebhookService::WebhookService(storage::Store& store, const Clock& clock, crypto::ServerKey& key,
                               WebhookOptions options, std::function<void()> wake)
    : store_(store), clock_(clock), key_(key), options_(options), wake_(std::move(wake)) {}

std::optional<std::string> WebhookService::CheckUrl(const std::string& url) const {
    if (url.size() > 2048) return "URL should have at most 2048 characters";
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) return "Input should be a valid absolute URL";
    const auto scheme = parsed->scheme_id();
    if (scheme != boost::urls::scheme::https && scheme != boost::urls::scheme::http) {
        return "URL scheme should be https";
    }
    if (scheme == boost::urls::scheme::http && !options_.allow_private) {
        return "URL scheme should be https (plain http is refused unless the server runs with "
               "--allow-private-webhooks)";
    }
    if (parsed->has_userinfo()) return "URL should not contain credentials";
    if (parsed->has_fragment()) return "URL should not contain a fragment";
    std::string host = parsed->encoded_host().decode();
    if (host.empty()) return "URL should name a host";
    if (!options_.allow_private) {
        std::string lower = host;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (lower.size() > 2 && lower.front() == '[' && lower.back() == ']') lower = lower.substr(1, lower.size() - 2);
        if (lower == "localhost" || lower.ends_with(".localhost") || lower.ends_with(".local") ||
            lower.ends_with(".internal") || IsPrivateAddress(lower) ||
            (parsed->host_type() == boost::urls::host_type::name && lower.find('.') == std::string::npos)) {
            return "URL should not point to a loopback or private address (refused unless the server runs with "
                   "--allow-private-webhooks)";
        }
    }
    return std::nullopt;
}

std::optional<std::string> WebhookService::ValidateEvents(const std::vector<std::string>& events) const {
    if (events.empty()) return "Subscribe to at least one event type";
    const auto& known = WebhookEventTypes();
    for (const auto& e : events) {
        if (std::find(known.begin(), known.end(), e) == known.end()) {
            std::string list;
            for (const auto& k : known) list += (list.empty() ? "'" : ", '") + k + "'";
            return "Unknown event type '" + e + "': use " + list;
        }
    }
    return std::nullopt;
}

namespace {
std::vector<std::string> Dedup(const std::vector<std::string>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) {
        if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
    }
    return out;
}
Error EventsError(std::string msg) {
    return Error::Validation({FieldError{{std::string("body"), std::string("events")}, std::move(msg), "value_error"}});
}
}  // namespace

Result<WebhookWithSecret> WebhookService::Create(const domain::Principal& who, const std::string& url,
                                                 const std::vector<std::string>& events,
                                                 const std::optional<std::string>& description) {
    if (auto e = CheckUrl(url)) return Fail(UrlError(*e));
    if (auto e = ValidateEvents(events)) return Fail(EventsError(*e));
    const EpochMs now = clock_.NowMs();
    WebhookWithSecret out;
    out.secret = NewSecret();
    auto& w = out.webhook;
    w.id = crypto::NewUuid();
    w.tenant_id = who.tenant_id;
    w.url = url;
    w.description = description;
    w.events = Dedup(events);
    w.enabled = true;
    w.secret = key_.Get().Seal(out.secret);
    w.created_at = w.updated_at = now;
    auto tx = store_.Begin(storage::TxMode::kWrite);
    if (static_cast<std::int64_t>(tx->Webhooks().List(who.tenant_id).size()) >= options_.max_per_tenant) {
        return Fail(Error::Conflict("A tenant may have at most " + std::to_string(options_.max_per_tenant) +
                                    " webhooks; delete one first"));
    }
    tx->Webhooks().Insert(w);
    RecordAudit(*tx, who, now, "webhook.created", "webhook", w.id, json::serialize(json::object{{"url", w.url}}));
    tx->Commit();
    Invalidate(who.tenant_id);
    return out;
}

Result<WebhookPage> WebhookService::List(const domain::Principal& who, const std::vector<std::string>& events,
                                         std::int64_t page, std::int64_t page_size) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto all = tx->Webhooks().List(who.tenant_id);
    tx->Commit();
    WebhookPage out;
    std::vector<WebhookRecord> matching;
    for (auto& w : all) {
        bool match = events.empty() || std::any_of(events.begin(), events.end(), [&](const std::string& e) {
                         return std::find(w.events.begin(), w.events.end(), e) != w.events.end();
                     });
        if (match) matching.push_back(std::move(w));
    }
    out.total_count = static_cast<std::int64_t>(matching.size());
    const std::int64_t first = (page - 1) * page_size;
    for (std::int64_t i = first; i < out.total_count && i < first + page_size; ++i) {
        out.items.push_back(std::move(matching[static_cast<std::size_t>(i)]));
    }
    return out;
}

Result<WebhookDetail> WebhookService::Get(const domain::Principal& who, const std::string& id) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto w = tx->Webhooks().Find(who.tenant_id, id);
    if (!w) return Fail(Error::NotFound("Webhook not found"));
    WebhookDetail out{std::move(*w), tx->Webhooks().RecentDeliveries(who.tenant_id, id, options_.recent_deliveries)};
    tx->Commit();
    return out;
}

Result<WebhookRecord> WebhookService::Update(const domain::Principal& who, const std::string& id,
                                             const WebhookChanges& c) {
    if (c.url) {
        if (auto e = CheckUrl(*c.url)) return Fail(UrlError(*e));
    }
    if (c.events) {
        if (auto e = ValidateEvents(*c.events)) return Fail(EventsError(*e));
    }
    const EpochMs now = clock_.NowMs();
    auto tx = store_.Begin(storage::TxMode::kWrite);
    auto w = tx->Webhooks().Find(who.tenant_id, id);
    if (!w) return Fail(Error::NotFound("Webhook not found"));
    if (c.url) w->url = *c.url;
    if (c.events) w->events = Dedup(*c.events);
    if (c.description_present) w->description = c.description;
    if (c.enabled) {
        if (*c.enabled && !w->enabled) {
            // Re-enabling (after an auto-disable too) starts a fresh failure count.
            w->failure_count = 0;
            w->disabled_at.reset();
        }
        w->enabled = *c.enabled;
    }
    w->updated_at = now;
    tx->Webhooks().Update(*w);
    RecordAudit(*tx, who, now, "webhook.updated", "webhook", id);
    tx->Commit();
    Invalidate(who.tenant_id);
    return *w;
}

Result<bool> WebhookService::Delete(const domain::Principal& who, const std::string& id) {
    auto tx = store_.Begin(storage::TxMode::kWrite);
    if (!tx->Webhooks().Delete(who.tenant_id, id)) return Fail(Error::NotFound("Webhook not found"));
    RecordAudit(*tx, who, clock_.NowMs(), "webhook.deleted", "webhook", id);
    tx->Commit();
    Invalidate(who.tenant_id);
    return true;
}

Result<WebhookWithSecret> WebhookService::RotateSecret(const domain::Principal& who, const std::string& id) {
    const EpochMs now = clock_.NowMs();
    auto tx = store_.Begin(storage::TxMode::kWrite);
    auto w = tx->Webhooks().Find(who.tenant_id, id);
    if (!w) return Fail(Error::NotFound("Webhook not found"));
    WebhookWithSecret out;
    out.secret = NewSecret();
    w->previous_secret = w->secret;
    w->previous_expires_at = now + options_.rotation_grace.count();
    w->secret = key_.Get().Seal(out.secret);
    w->updated_at = now;
    tx->Webhooks().Update(*w);
    RecordAudit(*tx, who, now, "webhook.secret_rotated", "webhook", id);
    tx->Commit();
    out.webhook = std::move(*w);
    return out;
}

DeliveryRecord WebhookService::Enqueue(storage::Transaction& tx, const std::string& tenant_id,
                                       const std::string& webhook_id, const std::string& event_id,
                                       const std::string& type, const std::string& body, EpochMs now) {
    DeliveryRecord d;
    d.id = crypto::NewUuid();
    d.tenant_id = tenant_id;
    d.webhook_id = webhook_id;
    d.event_id = event_id;
    d.event_type = type;
    d.body = body;
    d.status = "pending";
    d.created_at = now;
    d.next_attempt_at = now;
    tx.Webhooks().InsertDelivery(d);
    tx.Jobs().Enqueue(
        storage::NewJob{tenant_id, kWebhookDeliverJob, json::serialize(json::object{{"deliveryId", d.id}}), now, d.id},
        now);
    if (wake_) tx.AfterCommit(wake_);
    return d;
}

namespace {
std::string EventBody(const std::string& event_id, const std::string& type, const std::string& tenant_id, EpochMs now,
                      json::object data) {
    return json::serialize(json::object{{"id", event_id},
                                        {"type", type},
                                        {"createdAt", FormatIsoDateTime(now)},
                                        {"tenantId", tenant_id},
                                        {"data", std::move(data)}});
}
}  // namespace

Result<DeliveryRecord> WebhookService::SendTest(const domain::Principal& who, const std::string& id) {
    const EpochMs now = clock_.NowMs();
    auto tx = store_.Begin(storage::TxMode::kWrite);
    auto w = tx->Webhooks().Find(who.tenant_id, id);
    if (!w) return Fail(Error::NotFound("Webhook not found"));
    const std::string event_id = crypto::NewUuid();
    auto body = EventBody(event_id, "webhook.test", who.tenant_id, now,
                          json::object{{"webhookId", id}, {"message", "Test event sent from evni"}});
    auto d = Enqueue(*tx, who.tenant_id, id, event_id, "webhook.test", body, now);
    tx->Commit();
    return d;
}

std::vector<WebhookService::Subscriber> WebhookService::Subscribers(storage::Transaction& tx,
                                                                    const std::string& tenant_id) {
    std::uint64_t generation;
    {
        std::lock_guard lock(cache_mu_);
        auto it = cache_.find(tenant_id);
        if (it != cache_.end() && std::chrono::steady_clock::now() - it->second.loaded < options_.cache_ttl) {
            return it->second.enabled;
        }
        generation = generation_;
    }
    std::vector<Subscriber> enabled;
    for (auto& w : tx.Webhooks().List(tenant_id)) {
        if (w.enabled) enabled.push_back({std::move(w.id), std::move(w.events)});
    }
    std::lock_guard lock(cache_mu_);
    // Not cached when a webhook write happened meanwhile (the list may predate it).
    if (generation == generation_) {
        if (cache_.size() > 10000) cache_.clear();
        cache_[tenant_id] = CacheEntry{std::chrono::steady_clock::now(), enabled};
    }
    return enabled;
}

void WebhookService::Invalidate(const std::string& tenant_id) {
    std::lock_guard lock(cache_mu_);
    ++generation_;
    cache_.erase(tenant_id);
}

bool WebhookService::Wants(storage::Transaction& tx, const std::string& tenant_id, const std::string& type) {
    auto subs = Subscribers(tx, tenant_id);
    return std::any_of(subs.begin(), subs.end(), [&](const Subscriber& s) {
        return std::find(s.events.begin(), s.events.end(), type) != s.events.end();
    });
}

void WebhookService::Emit(storage::Transaction& tx, const std::string& tenant_id, const std::string& type,
                          json::object data) {
    auto subs = Subscribers(tx, tenant_id);
    if (subs.empty()) return;
    std::string body;
    std::string event_id;
    const EpochMs now = clock_.NowMs();
    for (const auto& s : subs) {
        if (std::find(s.events.begin(), s.events.end(), type) == s.events.end()) continue;
        if (body.empty()) {
            event_id = crypto::NewUuid();
            body = EventBody(event_id, type, tenant_id, now, std::move(data));
        }
        Enqueue(tx, tenant_id, s.id, event_id, type, body, now);
    }
}

std::int64_t WebhookService::PurgeDeliveries() {
    const EpochMs before = clock_.NowMs() - options_.delivery_retention.count();
    std::int64_t total = 0;
    for (;;) {
        auto n = storage::WithRetry([&] {
            auto tx = store_.Begin(storage::TxMode::kWrite);
            auto deleted = tx->Webhooks().PurgeDeliveries(before, 1000);
            tx->Commit();
            return deleted;
        });
        total += n;
        if (n < 1000) return total;
    }
}

std::vector<std::string> WebhookService::SigningSecrets(const WebhookRecord& w, EpochMs now) {
    std::vector<std::string> out;
    const auto& box = key_.Get();
    if (auto s = box.Open(w.secret)) out.push_back(std::move(*s));
    if (w.previous_secret && w.previous_expires_at && *w.previous_expires_at > now) {
        if (auto s = box.Open(*w.previous_secret)) out.push_back(std::move(*s));
    }
    return out;
}

// ------------------------------------------------------------------------------------------------ session events

namespace {

json::value OptNumber(const std::optional<double>& d) { return d ? json::value(*d) : json::value(nullptr); }
json::value OptText(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

// The strongest anomaly of each category.
std::map<std::string, const analysis::Anomaly*> ByCategory(const std::vector<analysis::Anomaly>& anomalies) {
    std::map<std::string, const analysis::Anomaly*> out;
    for (const auto& a : anomalies) {
        auto& slot = out[a.category];
        if (!slot || a.score > slot->score) slot = &a;
    }
    return out;
}

json::object SessionRef(const storage::SessionRecord& r) {
    return json::object{{"sessionId", r.session_id},
                        {"stationId", r.station_id},
                        {"connectorId", OptText(r.connector_id)},
                        {"evseId", OptText(r.evse_id)}};
}

}  // namespace

void WebhookSessionListener::OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) {
    const auto& after = write.after;
    const std::string& tenant = after.tenant_id;
    // Hot path: nothing to build when the tenant has no webhook subscribed to session events.
    static const std::vector<std::string> kTypes = {"session.analyzed", "anomaly.detected", "anomaly.resolved",
                                                    "incident.created"};
    bool any = false;
    for (const auto& t : kTypes) any = any || webhooks_.Wants(tx, tenant, t);
    if (!any) return;

    const auto now_after = ByCategory(after.anomalies);
    const auto now_before =
        write.before ? ByCategory(write.before->anomalies) : std::map<std::string, const analysis::Anomaly*>{};
    json::array categories;
    for (const auto& [category, a] : now_after) categories.emplace_back(category);
    const std::string at =
        after.analyzed_at ? FormatIsoDateTime(*after.analyzed_at) : FormatIsoDateTime(after.updated_at);

    if (write.Analyzed() && webhooks_.Wants(tx, tenant, "session.analyzed")) {
        auto data = SessionRef(after);
        data["isAnomaly"] = after.is_anomaly ? json::value(*after.is_anomaly) : json::value(nullptr);
        data["anomalyScore"] = OptNumber(after.anomaly_score);
        data["anomalyConfidence"] = OptNumber(after.anomaly_confidence);
        data["isIncident"] = after.is_incident ? json::value(*after.is_incident) : json::value(nullptr);
        data["anomalyCount"] = after.anomaly_count;
        data["categories"] = categories;
        data["analysisVersion"] = after.analysis_version;
        data["analyzedAt"] = at;
        data["message"] = OptText(after.message);
        webhooks_.Emit(tx, tenant, "session.analyzed", std::move(data));
    }
    for (const auto& [category, a] : now_after) {
        if (now_before.contains(category)) continue;
        auto data = SessionRef(after);
        data["category"] = category;
        data["score"] = a->score;
        data["confidence"] = a->confidence;
        data["startTime"] = FormatIsoDateTime(a->start_ms);
        data["endTime"] = FormatIsoDateTime(a->end_ms);
        data["detectedAt"] = at;
        webhooks_.Emit(tx, tenant, "anomaly.detected", std::move(data));
    }
    for (const auto& [category, a] : now_before) {
        if (now_after.contains(category)) continue;
        auto data = SessionRef(after);
        data["category"] = category;
        data["resolvedAt"] = at;
        webhooks_.Emit(tx, tenant, "anomaly.resolved", std::move(data));
    }
    const bool incident_before = write.before && write.before->is_incident.value_or(false);
    if (after.is_incident.value_or(false) && !incident_before) {
        auto data = SessionRef(after);
        data["anomalyScore"] = OptNumber(after.anomaly_score);
        data["anomalyConfidence"] = OptNumber(after.anomaly_confidence);
        data["categories"] = categories;
        data["createdAt"] = at;
        webhooks_.Emit(tx, tenant, "incident.created", std::move(data));
    }
}

}  // namespace evni::api
