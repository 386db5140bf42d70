#include "jobs/webhook_delivery.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/json.hpp>
#include <memory>

#include "util/secretbox.h"

namespace evni::jobs {
namespace json = boost::json;

std::string SignatureHeader(std::int64_t unix_seconds, const std::string& body,
                            const std::vector<std::string>& secrets) {
    const std::string t = std::to_string(unix_seconds);
    std::string signed_payload = t + "." + body;
    std::string out = "t=" + t;
    for (const auto& s : secrets) out += ",v1=" + crypto::HmacSha256Hex(s, signed_payload);
    return out;
}

namespace {

struct Capture {
    std::string body;
    std::size_t cap = 0;
};

size_t WriteCapped(char* data, size_t size, size_t n, void* user) {
    auto* c = static_cast<Capture*>(user);
    const size_t bytes = size * n;
    if (c->body.size() + bytes > c->cap) {
        c->body.append(data, c->cap - c->body.size());
        return 0;  // stop reading: CURLE_WRITE_ERROR, the status line is already known
    }
    c->body.append(data, bytes);
    return bytes;
}

// Refuses connections to loopback/private addresses, whatever name resolved to them.
curl_socket_t OpenPublicSocket(void*, curlsocktype, struct curl_sockaddr* address) {
    char text[INET6_ADDRSTRLEN] = {0};
    if (address->family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address->addr)->sin_addr, text, sizeof text);
    } else if (address->family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address->addr)->sin6_addr, text, sizeof text);
    } else {
        return CURL_SOCKET_BAD;
    }
    if (api::IsPrivateAddress(text)) return CURL_SOCKET_BAD;
    return socket(address->family, address->socktype, address->protocol);
}

std::string Excerpt(const std::string& s, std::size_t n = 200) {
    std::string out = s.substr(0, n);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return out;
}

}  // namespace

WebhookDeliverer::WebhookDeliverer(storage::Store& store, const Clock& clock, api::WebhookService& webhooks,
                                   WebhookDeliveryOptions options)
    : store_(store), clock_(clock), webhooks_(webhooks), options_(options) {
    static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!initialised) throw std::runtime_error("cannot initialise libcurl");
}

void WebhookDeliverer::Register(JobRunner& runner) {
    KindOptions k;
    k.lease = std::max<std::chrono::milliseconds>(std::chrono::minutes(2), options_.total_timeout * 4);
    k.retry_base = options_.retry_base;
    k.retry_max = options_.retry_max;
    runner.Register(
        api::kWebhookDeliverJob, [this](const storage::Job& job) { return Run(job); }, k);
}

HttpOutcome WebhookDeliverer::Post(const std::string& url,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   const std::string& body) const {
    HttpOutcome out;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) {
        out.error = "cannot create a libcurl handle";
        return out;
    }
    curl_slist* list = nullptr;
    for (const auto& [k, v] : headers) list = curl_slist_append(list, (k + ": " + v).c_str());
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(list, &curl_slist_free_all);
    Capture capture{{}, options_.max_response_bytes};
    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, options_.allow_private ? "http,https" : "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteCapped);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &capture);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_response_bytes));
    if (!options_.allow_private) curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &OpenPublicSocket);
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    const CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    out.status = status;
    const bool capped = rc == CURLE_WRITE_ERROR || rc == CURLE_FILESIZE_EXCEEDED;
    if (rc != CURLE_OK && !(capped && status > 0)) {
        out.status = 0;
        out.error = error[0] ? error : curl_easy_strerror(rc);
        if (rc == CURLE_COULDNT_CONNECT && !options_.allow_private && !error[0]) {
            out.error = "could not connect (private and loopback addresses are refused)";
        }
    } else if (!out.Ok()) {
        out.error = "HTTP " + std::to_string(status) + (capture.body.empty() ? "" : ": " + Excerpt(capture.body));
    }
    return out;
}

JobResult WebhookDeliverer::Run(const storage::Job& job) {
    std::string delivery_id;
    {
        boost::system::error_code ec;
        auto payload = json::parse(job.payload_json, ec);
        if (ec || !payload.is_object() || !payload.as_object().contains("deliveryId") ||
            !payload.as_object().at("deliveryId").is_string()) {
            return JobResult::Failed("malformed payload");
        }
        delivery_id = std::string(payload.as_object().at("deliveryId").get_string());
    }
    std::optional<storage::DeliveryRecord> delivery;
    std::optional<storage::WebhookRecord> webhook;
    {
        auto tx = store_.Begin(storage::TxMode::kRead);
        delivery = tx->Webhooks().FindDelivery(job.tenant_id, delivery_id);
        if (delivery) webhook = tx->Webhooks().Find(job.tenant_id, delivery->webhook_id);
        tx->Commit();
    }
    // Deleted with its webhook, or already finished (a run whose outcome was recorded before a crash).
    if (!delivery || !webhook || delivery->status != "pending") return JobResult::Done();

    const EpochMs now = clock_.NowMs();
    auto finish = [&](storage::DeliveryRecord d, const std::string& status, const std::string& error) {
        d.status = status;
        d.error = error;
        d.completed_at = now;
        storage::WithRetry([&] {
            auto tx = store_.Begin(storage::TxMode::kWrite);
            tx->Webhooks().UpdateDelivery(d);
            tx->Jobs().Fail(job, error, now);
            tx->Commit();
        });
        return JobResult::Failed(error);
    };
    if (!webhook->enabled && delivery->event_type != "webhook.test") {
        return finish(*delivery, "failed", "webhook disabled");
    }
    auto secrets = webhooks_.SigningSecrets(*webhook, now);
    if (secrets.empty())
        return finish(*delivery, "failed", "the signing secret cannot be decrypted with the server key");

    const std::int64_t attempt = delivery->attempts + 1;
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"},
        {"User-Agent", "evni-webhooks/0.1"},
        {"Evni-Signature", SignatureHeader(now / 1000, delivery->body, secrets)},
        {"Evni-Event-Id", delivery->event_id},
        {"Evni-Event-Type", delivery->event_type},
        {"Evni-Delivery-Id", delivery->id},
        {"Evni-Delivery-Attempt", std::to_string(attempt)},
    };
    const auto t0 = std::chrono::steady_clock::now();
    HttpOutcome outcome = Post(webhook->url, headers, delivery->body);
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const EpochMs done_at = clock_.NowMs();

    auto d = *delivery;
    d.attempts = attempt;
    d.last_attempt_at = done_at;
    d.http_status = outcome.status > 0 ? std::optional<std::int64_t>(outcome.status) : std::nullopt;
    JobResult result;
    bool disabled_now = false;
    storage::WithRetry([&] {
        auto tx = store_.Begin(storage::TxMode::kWrite);
        auto current = tx->Webhooks().FindDelivery(job.tenant_id, d.id);
        if (!current || current->status != "pending") {  // deleted meanwhile
            tx->Jobs().Complete(job, done_at);
            tx->Commit();
            result = JobResult::Done();
            return;
        }
        if (outcome.Ok()) {
            d.status = "delivered";
            d.error.reset();
            d.completed_at = done_at;
            d.next_attempt_at.reset();
            tx->Webhooks().RecordSuccess(job.tenant_id, d.webhook_id);
            tx->Webhooks().UpdateDelivery(d);
            tx->Jobs().Complete(job, done_at);
            result = JobResult::Done();
        } else {
            d.error = outcome.error;
            const bool was_enabled = webhook->enabled;
            const auto failures =
                tx->Webhooks().RecordFailure(job.tenant_id, d.webhook_id, done_at, options_.disable_after);
            disabled_now = was_enabled && failures >= options_.disable_after;
            const EpochMs next = done_at + Backoff(attempt, options_.retry_base, options_.retry_max).count();
            if (next - d.created_at > options_.retry_window.count() || disabled_now) {
                d.status = "failed";
                d.completed_at = done_at;
                d.next_attempt_at.reset();
                if (disabled_now)
                    d.error = outcome.error + " (webhook disabled after " + std::to_string(failures) +
                              " consecutive failures)";
                tx->Jobs().Fail(job, *d.error, done_at);
                result = JobResult::Failed(*d.error);
            } else {
                d.next_attempt_at = next;
                tx->Jobs().Retry(job, next, outcome.error);
                result = JobResult::RetryAt(next, outcome.error);
            }
            tx->Webhooks().UpdateDelivery(d);
        }
        tx->Commit();
    });
    if (disabled_now) {
        webhooks_.Invalidate(job.tenant_id);
        spdlog::warn("webhook {} disabled after {} consecutive failed deliveries", d.webhook_id,
                     options_.disable_after);
    }
    spdlog::debug("webhook delivery {} ({}) attempt {}: {} in {:.1f} ms", d.id, d.event_type, attempt,
                  outcome.Ok() ? "delivered" : outcome.error, ms);
    return result;
}

}  // namespace evni::jobs
