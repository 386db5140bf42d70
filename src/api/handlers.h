#pragma once

#include <boost/json.hpp>
#include <vector>

#include "api/routes.h"

namespace evni::api {

// Each resource file contributes its rows to the route table.
void AddHealthRoutes(std::vector<Route>& routes, const ApiContext& ctx);
void AddSessionRoutes(std::vector<Route>& routes, const ApiContext& ctx);
void AddApiKeyRoutes(std::vector<Route>& routes, const ApiContext& ctx);
// /openapi.json, /docs, /llms.txt (docs.cpp); documentation of every route: openapi.h.
void AddDocsRoutes(std::vector<Route>& routes, const ApiContext& ctx);
void AddOrganizationRoutes(std::vector<Route>& routes, const ApiContext& ctx);
void AddExplainRoutes(std::vector<Route>& routes, const ApiContext& ctx);
// /v1/anomalies... and /v1/statistics (anomalies.cpp).
void AddAnomalyRoutes(std::vector<Route>& routes, const ApiContext& ctx);
// POST /v1/sessions/batch, GET /v1/sessions/batch/{batch_id} (batch.cpp); listed before the
// /v1/sessions/{session_id} routes so the literal segment wins.
void AddBatchRoutes(std::vector<Route>& routes, const ApiContext& ctx);
void AddWebhookRoutes(std::vector<Route>& routes, const ApiContext& ctx);
void AddStationRoutes(std::vector<Route>& routes, const ApiContext& ctx);
// /v1/models... (models.cpp).
void AddModelRoutes(std::vector<Route>& routes, const ApiContext& ctx);

// Encodes `v` as the response body with status 200.
Response JsonResponse(const boost::json::value& v, int status = 200);

}  // namespace evni::api
