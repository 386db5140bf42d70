#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/routes.h"
#include "util/metrics.h"

namespace evni::http {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    int worker_threads = 2;  // handlers run here (SQLite and libpq calls block)
    std::chrono::seconds idle_timeout{60};
    std::chrono::seconds shutdown_grace{20};
    std::size_t header_limit = 16 * 1024;
    // Where bodies of spool_body routes are written while a request is handled (empty: $TMPDIR,
    // else /tmp). Each file is removed once its handler returned.
    std::string spool_dir;
};

// The HTTP/1.1 server: one I/O thread running C++20 coroutine sessions (keep-alive, per-route body
// limits, idle timeouts), handlers on a worker pool, JSON access log, graceful SIGTERM/SIGINT.
class Server {
  public:
    Server(ServerOptions options, const api::Api& api, Metrics& metrics);
    ~Server();

    // Binds and listens; returns the bound port (useful with port 0). Throws on failure.
    std::uint16_t Listen();
    // Serves until SIGTERM/SIGINT or Stop(); in-flight requests finish before it returns.
    void Run();
    void Stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace evni::http
