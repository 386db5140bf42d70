#include "storage/webhooks.h"

#include <boost/json.hpp>

namespace evni::storage {

std::string WebhookEventsJson(const std::vector<std::string>& events) {
    boost::json::array a;
    for (const auto& e : events) a.emplace_back(e);
    return boost::json::serialize(a);
}

std::vector<std::string> ParseWebhookEvents(const std::string& text) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& e : v.get_array()) {
        if (e.is_string()) out.emplace_back(e.get_string());
    }
    return out;
}

}  // namespace evni::storage
