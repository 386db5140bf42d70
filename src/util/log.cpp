#include "util/log.h"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace evni::log {

void Init(std::string_view level) {
    spdlog::init_thread_pool(8192, 1);
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::async_logger>("evni", sink, spdlog::thread_pool(),
                                                         spdlog::async_overflow_policy::overrun_oldest);
    // Messages logged through spdlog::info etc. become JSON lines; the message itself is escaped
    // by the callers that use the JSON helpers below, or is a plain human text.
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})", spdlog::pattern_time_type::utc);
    logger->set_level(spdlog::level::from_str(std::string(level)));
    spdlog::set_default_logger(logger);
    spdlog::flush_every(std::chrono::seconds(1));
}

void JsonLine(std::string_view json_object) {
    // The "raw" logger writes the line as is (it is already a complete JSON object).
    static auto raw = [] {
        auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        auto l = std::make_shared<spdlog::async_logger>("raw", sink, spdlog::thread_pool(),
                                                        spdlog::async_overflow_policy::overrun_oldest);
        l->set_pattern("%v");
        return l;
    }();
    raw->info(json_object);
}

std::string JsonEscape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

}  // namespace evni::log
