// Batch resource: POST /v1/sessions/batch, GET /v1/sessions/batch/{batch_id} (docs/batch.md).
#include "api/batch_service.h"
#include "api/handlers.h"
#include "api/json_util.h"

namespace evni::api {
namespace json = boost::json;

namespace {
// 10,000 sessions of 360 meter values are ~600 MB of JSON; the body is spooled to a file, never
// held in memory.
constexpr std::size_t kBatchBodyLimit = std::size_t{1} << 30;
}  // namespace

void AddBatchRoutes(std::vector<Route>& routes, const ApiContext& ctx) {
    BatchService* svc = ctx.batches;
    using domain::Role;

    Route submit{"POST",
                 "/v1/sessions/batch",
                 Role::kMember,
                 kBatchBodyLimit,
                 "Submit a batch of sessions",
                 [svc](Request& req) -> Result<Response> {
                     if (!svc) return Fail(Error::Unavailable("Batch processing is not available on this node"));
                     auto source = req.body_file.empty() ? StringSource(req.body) : FileSource(req.body_file);
                     auto batch = svc->Submit(*req.principal, source);
                     if (!batch) return Fail(std::move(batch.error()));
                     return JsonResponse(json::object{
                         {"batchId", batch->id},
                         {"totalSessions", batch->total},
                         {"status", batch->completed_at ? batch->status : std::string("pending")},
                     });
                 }};
    submit.spool_body = true;
    routes.push_back(std::move(submit));

    routes.push_back({"GET", "/v1/sessions/batch/{batch_id}", Role::kViewer, 0, "Get a batch's status and results",
                      [svc](Request& req) -> Result<Response> {
                          if (!svc) return Fail(Error::Unavailable("Batch processing is not available on this node"));
                          FieldErrors errors;
                          auto page = QueryInt(req.Query("page"), "page", 1, 1, 1'000'000, errors);
                          auto size = QueryInt(req.Query("pageSize"), "pageSize", 50, 1, 1000, errors);
                          if (!errors.Empty()) return Fail(errors.ToError());
                          auto view = svc->Get(*req.principal, req.path_params["batch_id"], *page, *size);
                          if (!view) return Fail(std::move(view.error()));
                          json::object o = BatchSummaryJson(view->batch, view->status, view->counts);
                          json::object out{
                              {"batchId", o["batchId"]},
                              {"status", o["status"]},
                              {"totalSessions", o["totalSessions"]},
                              {"processedSessions", o["processedSessions"]},
                              {"failedSessions", o["failedSessions"]},
                              {"results", std::move(view->results)},
                              {"page", view->page},
                              {"pageSize", view->page_size},
                              {"createdAt", o["createdAt"]},
                              {"completedAt", o["completedAt"]},
                          };
                          return JsonResponse(out);
                      }});
}

}  // namespace evni::api
