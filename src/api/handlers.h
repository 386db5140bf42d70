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

// Encodes `v` as the response body with status 200.
Response JsonResponse(const boost::json::value& v, int status = 200);

}  // namespace evni::api
