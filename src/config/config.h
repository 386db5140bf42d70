#pragma once

#include <cstdint>
#include <string>

#include "util/error.h"

namespace evni::config {

enum class DbKind { kSqlite, kPostgres };

struct DbUrl {
    DbKind kind = DbKind::kSqlite;
    std::string target;  // SQLite: file path; PostgreSQL: the libpq connection URI
};

// Parses "sqlite:///abs/path.db", "sqlite://relative/path.db" or "postgresql://user:pass@host:port/db".
Result<DbUrl> ParseDbUrl(const std::string& url);

struct Listen {
    std::string host;
    std::uint16_t port = 0;
};

// Parses "HOST:PORT" (IPv6 as "[::1]:8080").
Result<Listen> ParseListen(const std::string& text);

// The validated configuration of `evni serve`: defaults < environment (EVNI_*) < flags.
struct ServeConfig {
    std::string listen = "127.0.0.1:8080";
    std::string db = "sqlite://./data/evni.db";
    // Handlers run inline on these threads and block on the database (a commit, a round trip to PostgreSQL):
    // more threads than cores keep the cores busy and let SQLite commit several requests together.
    int workers = 8;
    int idle_timeout_s = 60;
    std::string log_level = "info";
    // Optional LLM provider of explain/ask (docs/explain.md): an OpenAI-compatible endpoint. Used when the
    // URL and the model are set; the key is sent as a bearer token when set.
    std::string llm_url;
    std::string llm_model;
    std::string llm_key;
    int llm_timeout_s = 20;
};

}  // namespace evni::config
