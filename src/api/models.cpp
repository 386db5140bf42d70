// Models resource: GET /v1/models, GET /v1/models/{model_id}, POST /v1/models/fine-tune,
// GET /v1/models/fine-tune/{job_id} (docs/models.md).
#include "api/handlers.h"
#include "api/json_util.h"
#include "api/model_service.h"

namespace evni::api {
namespace json = boost::json;

namespace {
constexpr std::size_t kFineTuneBodyLimit = 64 * 1024;

Error NotAvailable() { return Error::Unavailable("Models are not available on this node"); }
}  // namespace

void AddModelRoutes(std::vector<Route>& routes, const ApiContext& ctx) {
    ModelService* svc = ctx.models;
    using domain::Role;

    // The literal fine-tune routes come before /v1/models/{model_id}.
    routes.push_back({"POST", "/v1/models/fine-tune", Role::kAdmin, kFineTuneBodyLimit, "Start a fine-tune",
                      [svc](Request& req) -> Result<Response> {
                          if (!svc) return Fail(NotAvailable());
                          auto arena = BodyArena(req.body);
                          auto body = ParseObjectBody(req.body, arena);
                          if (!body) return Fail(std::move(body.error()));
                          auto request = DecodeFineTune(*body);
                          if (!request) return Fail(std::move(request.error()));
                          auto started = svc->StartFineTune(*req.principal, *request);
                          if (!started) return Fail(std::move(started.error()));
                          return JsonResponse(*started);
                      }});
    routes.push_back({"GET", "/v1/models/fine-tune/{job_id}", Role::kViewer, 0, "Get a fine-tune's status",
                      [svc](Request& req) -> Result<Response> {
                          if (!svc) return Fail(NotAvailable());
                          auto job = svc->GetFineTune(*req.principal, req.path_params["job_id"]);
                          if (!job) return Fail(std::move(job.error()));
                          return JsonResponse(*job);
                      }});
    routes.push_back({"GET", "/v1/models", Role::kViewer, 0, "List models", [svc](Request& req) -> Result<Response> {
                          if (!svc) return Fail(NotAvailable());
                          auto models = svc->List(*req.principal);
                          if (!models) return Fail(std::move(models.error()));
                          return JsonResponse(json::object{{"models", std::move(*models)}});
                      }});
    routes.push_back(
        {"GET", "/v1/models/{model_id}", Role::kViewer, 0, "Get a model", [svc](Request& req) -> Result<Response> {
             if (!svc) return Fail(NotAvailable());
             auto model = svc->Get(*req.principal, req.path_params["model_id"]);
             if (!model) return Fail(std::move(model.error()));
             return JsonResponse(*model);
         }});
}

}  // namespace evni::api
