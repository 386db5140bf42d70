#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/request.h"
#include "domain/session.h"
#include "util/error.h"
#include "util/metrics.h"
#include "util/time.h"

namespace evni::storage {
class Store;
}

namespace evni::api {

class SessionService;
class ApiKeyService;
class OrganizationService;
class EventSink;
class ExplainService;
class AnomalyService;
class BatchService;
class WebhookService;
class StationService;
class ModelService;

using Handler = std::function<Result<Response>(Request&)>;

// One row of the route table: the single source for routing, limits, access control and docs.
struct Route {
    std::string method;
    std::string pattern;                   // e.g. "/v1/sessions/{session_id}"
    std::optional<domain::Role> min_role;  // nullopt: public (no authentication)
    std::size_t body_limit = 1 << 20;
    std::string summary;
    Handler handler;
    // The transport writes the body to a temporary file (Request::body_file) instead of memory, for
    // bodies far larger than what should be held at once (POST /v1/sessions/batch).
    bool spool_body = false;
};

// Everything the handlers need, built by the composition root.
struct ApiContext {
    storage::Store* store = nullptr;
    const Clock* clock = nullptr;
    Metrics* metrics = nullptr;
    SessionService* sessions = nullptr;
    ApiKeyService* api_keys = nullptr;
    OrganizationService* organizations = nullptr;
    EventSink* events = nullptr;  // never null when serving (NullEventSink without webhooks)
    std::string docs_dir{};       // files of the /docs viewer; empty: "docs" next to the binary
    // Explain and ask (explain.cpp).
    ExplainService* explain = nullptr;
    // Anomalies workspace and statistics.
    AnomalyService* anomalies = nullptr;
    BatchService* batches = nullptr;
    WebhookService* webhooks = nullptr;
    // Wakes this node's job workers: after enqueuing a job, tx.AfterCommit(ctx.wake_jobs) gets it
    // picked up at once instead of at the next poll. May be empty (no job runner).
    std::function<void()> wake_jobs{};
    StationService* stations = nullptr;
    ModelService* models = nullptr;  // /v1/models (docs/models.md)
};

// The request pipeline above the transport: route match, authentication, role check, handler,
// error mapping. Never throws.
class Api {
  public:
    explicit Api(ApiContext ctx);
    ~Api();

    // The route a request would take (for body limits before the body is read) or nullptr.
    const Route* Match(const std::string& method, const std::string& path) const;
    // Largest body any route accepts.
    std::size_t MaxBodyLimit() const;
    Response Handle(Request& request, const Route* route) const;
    // Route pattern used as the metrics label ("unmatched" when no route matched).
    static std::string RouteLabel(const Route* route);
    const std::vector<Route>& Routes() const { return routes_; }

    static Response ErrorResponse(const Error& error, const std::string& request_id);

  private:
    bool PatternMatches(const Route& route, const std::string& path, std::map<std::string, std::string>* params) const;
    Result<domain::Principal> Authenticate(const Request& request) const;

    ApiContext ctx_;
    std::vector<Route> routes_;
};

}  // namespace evni::api
