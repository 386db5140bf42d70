#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace evni::log {

// Configures the process-wide logger: JSON lines on stderr, buffered in memory and written every
// 100 ms, at 64 KiB, at every warning or error, and at exit.
void Init(std::string_view level);

// Writes one JSON object line (already serialised) to the log, bypassing the message pattern.
void JsonLine(std::string_view json_object);

// Escapes `s` for inclusion inside a JSON string literal.
std::string JsonEscape(std::string_view s);

}  // namespace evni::log
