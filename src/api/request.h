#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/session.h"

namespace evni::api {

// A transport-independent HTTP request as the handlers see it.
struct Request {
    std::string method;                                      // "GET", "POST", ...
    std::string path;                                        // percent-decoded path without the query
    std::vector<std::pair<std::string, std::string>> query;  // percent-decoded, in order
    std::string authorization;
    std::string request_id;
    std::string body;
    // For routes with spool_body: the file holding the body (removed by the transport after the
    // handler returned); `body` is then empty.
    std::string body_file;
    std::map<std::string, std::string> path_params;  // filled by route matching
    std::optional<domain::Principal> principal;      // filled by authentication
    std::int64_t now_ms = 0;                         // the request's clock reading

    // The first value of query parameter `name`.
    std::optional<std::string_view> Query(std::string_view name) const {
        for (const auto& [k, v] : query) {
            if (k == name) return v;
        }
        return std::nullopt;
    }
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace evni::api
