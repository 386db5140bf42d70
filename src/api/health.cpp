// Operational routes: liveness, readiness, Prometheus metrics. Public (no authentication).
#include "api/handlers.h"
#include "storage/store.h"

namespace evni::api {
namespace json = boost::json;

void AddHealthRoutes(std::vector<Route>& routes, const ApiContext& ctx) {
    routes.push_back(
        {"GET", "/healthz", std::nullopt, 0, "Liveness: the process answers", [](Request&) -> Result<Response> {
             return JsonResponse(json::object{{"status", "ok"}});
         }});
    storage::Store* store = ctx.store;
    routes.push_back({"GET", "/readyz", std::nullopt, 0, "Readiness: database reachable and migrated",
                      [store](Request&) -> Result<Response> {
                          if (!store->Ready())
                              return Fail(Error::Unavailable("Database not reachable or migrations pending"));
                          return JsonResponse(json::object{{"status", "ready"}});
                      }});
    Metrics* metrics = ctx.metrics;
    routes.push_back(
        {"GET", "/metrics", std::nullopt, 0, "Prometheus metrics", [metrics](Request&) -> Result<Response> {
             Response r;
             r.content_type = "text/plain; version=0.0.4; charset=utf-8";
             r.body = metrics->Render();
             return r;
         }});
}

}  // namespace evni::api
