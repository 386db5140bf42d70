#include "api/routes.h"

#include <spdlog/spdlog.h>

#include <boost/url.hpp>

#include "api/api_key_service.h"
#include "api/handlers.h"
#include "api/json_util.h"

namespace evni::api {
namespace json = boost::json;

Response JsonResponse(const json::value& v, int status) {
    Response r;
    r.status = status;
    r.body = Serialize(v);
    return r;
}

Api::Api(ApiContext ctx) : ctx_(ctx) {
    AddHealthRoutes(routes_, ctx_);
    AddBatchRoutes(routes_, ctx_);
    AddSessionRoutes(routes_, ctx_);
    AddApiKeyRoutes(routes_, ctx_);
    AddDocsRoutes(routes_, ctx_);
    AddOrganizationRoutes(routes_, ctx_);
    AddExplainRoutes(routes_, ctx_);
    AddAnomalyRoutes(routes_, ctx_);
    AddWebhookRoutes(routes_, ctx_);
    AddStationRoutes(routes_, ctx_);
    AddModelRoutes(routes_, ctx_);
}

Api::~Api() = default;

bool Api::PatternMatches(const Route& route, const std::string& path,
                         std::map<std::string, std::string>* params) const {
    std::string_view p = route.pattern, s = path;
    while (!p.empty() || !s.empty()) {
        if (p.empty() || s.empty() || p[0] != '/' || s[0] != '/') return false;
        p.remove_prefix(1);
        s.remove_prefix(1);
        auto pe = p.find('/');
        auto se = s.find('/');
        std::string_view pseg = p.substr(0, pe), sseg = s.substr(0, se);
        if (pseg.size() > 2 && pseg.front() == '{' && pseg.back() == '}') {
            if (sseg.empty()) return false;
            if (params) {
                auto decoded = boost::urls::make_pct_string_view(sseg);
                if (!decoded) return false;
                (*params)[std::string(pseg.substr(1, pseg.size() - 2))] = decoded->decode();
            }
        } else if (pseg != sseg) {
            return false;
        }
        p = pe == std::string_view::npos ? std::string_view() : p.substr(pe);
        s = se == std::string_view::npos ? std::string_view() : s.substr(se);
    }
    return true;
}

const Route* Api::Match(const std::string& method, const std::string& path) const {
    // Literal segments win over parameters (e.g. /v1/sessions/batch over /v1/sessions/{id}): the
    // table lists literal routes before parameterised ones of the same shape.
    for (const auto& r : routes_) {
        if (r.method == method && PatternMatches(r, path, nullptr)) return &r;
    }
    return nullptr;
}

std::size_t Api::MaxBodyLimit() const {
    std::size_t m = 0;
    for (const auto& r : routes_) m = std::max(m, r.body_limit);
    return m;
}

std::string Api::RouteLabel(const Route* route) { return route ? route->pattern : "unmatched"; }

Response Api::ErrorResponse(const Error& e, const std::string& request_id) {
    json::object o;
    if (e.code == ErrorCode::kValidation) {
        json::array detail;
        for (const auto& f : e.fields) {
            json::array loc;
            for (const auto& part : f.loc) {
                if (std::holds_alternative<std::string>(part)) {
                    loc.push_back(json::value(std::get<std::string>(part)));
                } else {
                    loc.push_back(json::value(std::get<std::int64_t>(part)));
                }
            }
            detail.push_back(json::object{{"loc", std::move(loc)}, {"msg", f.msg}, {"type", f.type}});
        }
        o["detail"] = std::move(detail);
    } else {
        o["detail"] = e.detail;
    }
    o["code"] = CodeName(e.code);
    o["requestId"] = request_id;
    Response r = JsonResponse(o, HttpStatusOf(e.code));
    if (e.code == ErrorCode::kUnauthorized) r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
}

Result<domain::Principal> Api::Authenticate(const Request& req) const {
    std::string_view h = req.authorization;
    constexpr std::string_view kBearer = "Bearer ";
    if (h.empty()) return Fail(Error::Unauthorized("Not authenticated: send Authorization: Bearer <API key>"));
    if (h.size() <= kBearer.size() || !std::equal(kBearer.begin(), kBearer.end(), h.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
        return Fail(Error::Unauthorized("Invalid authorization header: expected 'Bearer <API key>'"));
    }
    h.remove_prefix(kBearer.size());
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
    return ctx_.api_keys->Authenticate(h);
}

Response Api::Handle(Request& req, const Route* route) const {
    try {
        if (!route) {
            bool other_method = false;
            for (const auto& r : routes_) other_method |= PatternMatches(r, req.path, nullptr);
            if (other_method) {
                return ErrorResponse({ErrorCode::kMethodNotAllowed, "Method Not Allowed", {}}, req.request_id);
            }
            return ErrorResponse(Error::NotFound("Not Found"), req.request_id);
        }
        PatternMatches(*route, req.path, &req.path_params);
        req.now_ms = ctx_.clock->NowMs();
        if (route->min_role) {
            auto who = Authenticate(req);
            if (!who) return ErrorResponse(who.error(), req.request_id);
            if (static_cast<int>(who->role) < static_cast<int>(*route->min_role)) {
                return ErrorResponse(
                    Error::Forbidden("This operation requires the '" + std::string(domain::RoleName(*route->min_role)) +
                                     "' role or higher; this key has '" + std::string(domain::RoleName(who->role)) +
                                     "'"),
                    req.request_id);
            }
            req.principal = *who;
        }
        auto result = route->handler(req);
        if (!result) return ErrorResponse(result.error(), req.request_id);
        return std::move(*result);
    } catch (const std::exception& e) {
        spdlog::error("unhandled error in {} {} (request {}): {}", req.method, req.path, req.request_id, e.what());
        return ErrorResponse(Error::Internal("Internal server error"), req.request_id);
    } catch (...) {
        spdlog::error("unhandled non-standard exception in {} {} (request {})", req.method, req.path, req.request_id);
        return ErrorResponse(Error::Internal("Internal server error"), req.request_id);
    }
}

}  // namespace evni::api
