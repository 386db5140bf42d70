#pragma once

// The "webhook.deliver" job: one HTTP POST attempt of a delivery record, signed, with libcurl; the
// outcome is recorded on the delivery, the webhook's failure count and the job in one transaction.
// See docs/webhooks.md.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "api/webhook_service.h"
#include "jobs/job_runner.h"

namespace evni::jobs {

struct WebhookDeliveryOptions {
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
    std::chrono::milliseconds total_timeout = std::chrono::seconds(10);
    std::size_t max_response_bytes = 16 * 1024;  // read at most this much of a response
    // Retries: Backoff(attempt, base, max) after each failed attempt, for `window` after the event.
    std::chrono::milliseconds retry_base = std::chrono::seconds(10);
    std::chrono::milliseconds retry_max = std::chrono::hours(1);
    std::chrono::milliseconds retry_window = std::chrono::hours(24);
    // Consecutive failed attempts (any delivery of the webhook) that disable it.
    std::int64_t disable_after = 20;
    // Connect to loopback/private addresses and plain http (otherwise refused at connect time too,
    // whatever the URL's name resolves to).
    bool allow_private = false;
};

// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` with one v1 per secret.
std::string SignatureHeader(std::int64_t unix_seconds, const std::string& body,
                            const std::vector<std::string>& secrets);

struct HttpOutcome {
    long status = 0;    // 0: no HTTP answer
    std::string error;  // transport error, or a short excerpt of an error answer
    bool Ok() const { return status >= 200 && status < 300; }
};

class WebhookDeliverer {
  public:
    // Initialises libcurl: construct on the main thread before any worker starts.
    WebhookDeliverer(storage::Store& store, const Clock& clock, api::WebhookService& webhooks,
                     WebhookDeliveryOptions options);
    void Register(JobRunner& runner);
    JobResult Run(const storage::Job& job);
    // One POST (no redirects, timeouts, capped response).
    HttpOutcome Post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body) const;

  private:
    storage::Store& store_;
    const Clock& clock_;
    api::WebhookService& webhooks_;
    WebhookDeliveryOptions options_;
};

}  // namespace evni::jobs
