#include "config/config.h"

#include <charconv>

namespace evni::config {

Result<DbUrl> ParseDbUrl(const std::string& url) {
    constexpr std::string_view kSqlite = "sqlite://";
    if (url.rfind(kSqlite, 0) == 0) {
        std::string path = url.substr(kSqlite.size());
        if (path.empty()) return Fail(Error{ErrorCode::kBadRequest, "database URL has no file path: " + url, {}});
        return DbUrl{DbKind::kSqlite, path};
    }
    if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
        return DbUrl{DbKind::kPostgres, url};
    }
    return Fail(Error{ErrorCode::kBadRequest,
                      "unsupported database URL '" + url + "': use sqlite:///path/file.db or postgresql://...",
                      {}});
}

Result<Listen> ParseListen(const std::string& text) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        return Fail(Error{ErrorCode::kBadRequest, "listen address must be HOST:PORT, got '" + text + "'", {}});
    }
    Listen l;
    l.host = text.substr(0, colon);
    if (l.host.size() > 2 && l.host.front() == '[' && l.host.back() == ']')
        l.host = l.host.substr(1, l.host.size() - 2);
    unsigned port = 0;
    auto p = text.data() + colon + 1;
    auto [ptr, ec] = std::from_chars(p, text.data() + text.size(), port);
    if (ec != std::errc() || ptr != text.data() + text.size() || port > 65535) {
        return Fail(Error{ErrorCode::kBadRequest, "invalid port in listen address '" + text + "'", {}});
    }
    l.port = static_cast<std::uint16_t>(port);
    return l;
}

}  // namespace evni::config
