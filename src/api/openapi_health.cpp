// Documentation of the operational routes (health.cpp).
#include "api/openapi.h"

namespace evni::api::openapi {
namespace json = boost::json;

void DocumentHealthRoutes(DocRegistry& r) {
    r.Add({
        .method = "GET",
        .pattern = "/healthz",
        .operation_id = "getLiveness",
        .tag = "Operations",
        .summary = "Liveness",
        .description = "Liveness: the process answers. Does not touch the database.",
        .replies = {{200, "Alive", Schema::Object().Required("status", Schema::Enum({"ok"})).Closed(),
                     json::object{{"status", "ok"}}}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/readyz",
        .operation_id = "getReadiness",
        .tag = "Operations",
        .summary = "Readiness",
        .description = "Readiness: the database is reachable and every migration is applied.",
        .replies = {{200, "Ready to serve", Schema::Object().Required("status", Schema::Enum({"ready"})).Closed(),
                     json::object{{"status", "ready"}}}},
        .errors = {{503, "Database not reachable or migrations pending"}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/metrics",
        .operation_id = "getMetrics",
        .tag = "Operations",
        .summary = "Prometheus metrics",
        .description = "Prometheus text exposition: request counts and latency histograms per route pattern, "
                       "analyses by result, database transaction durations.",
        .replies = {{200, "Metrics in the Prometheus text format", Schema::String(), nullptr,
                     "text/plain; version=0.0.4; charset=utf-8"}},
    });
}

}  // namespace evni::api::openapi
