#include "http/server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast.hpp>
#include <boost/url.hpp>
#include <cstdlib>
#include <filesystem>
#include <list>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "util/crypto.h"
#include "util/log.h"

namespace evni::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using tuple_awaitable = asio::experimental::as_tuple_t<asio::use_awaitable_t<>>;
constexpr tuple_awaitable kTupleAwaitable{};

namespace {

constexpr std::size_t kMinBodyLimit = 64 * 1024;
constexpr std::size_t kReadBufferReserve = 64 * 1024;

// Accepts an incoming X-Request-Id when it is short and printable; otherwise makes one.
std::string RequestIdFrom(std::string_view incoming) {
    if (!incoming.empty() && incoming.size() <= 128) {
        bool ok = true;
        for (char c : incoming) ok &= (c > 0x20 && c < 0x7f && c != '"' && c != '\\');
        if (ok) return std::string(incoming);
    }
    // Request ids need uniqueness, not secrecy: a per-thread generator seeded once from the OS
    // avoids a getrandom system call per request.
    thread_local std::mt19937_64 rng = [] {
        std::uint64_t seed = 0;
        for (char c : crypto::RandomHex(8)) seed = seed * 31 + static_cast<unsigned char>(c);
        return std::mt19937_64(seed);
    }();
    return fmt::format("{:016x}{:08x}", rng(), static_cast<std::uint32_t>(rng()));
}

// A request body spooled to a file (routes with spool_body); the file is removed with this object.
struct SpoolFile {
    std::string path;
    SpoolFile() = default;
    SpoolFile(const SpoolFile&) = delete;
    SpoolFile& operator=(const SpoolFile&) = delete;
    ~SpoolFile() {
        if (!path.empty()) ::unlink(path.c_str());
    }
    // Creates an empty private file in `dir` ($TMPDIR or /tmp when empty); false on failure.
    bool Create(const std::string& dir) {
        std::string base = dir;
        if (base.empty()) {
            const char* tmp = std::getenv("TMPDIR");
            base = tmp && *tmp ? tmp : "/tmp";
        }
        std::string tmpl = base + "/evni-body-XXXXXX";
        int fd = ::mkstemp(tmpl.data());
        if (fd < 0) return false;
        ::close(fd);
        path = tmpl;
        return true;
    }
};

}  // namespace

struct Server::Impl {
    using Strand = asio::strand<asio::io_context::executor_type>;
    // A live connection. Its coroutine runs on `strand`; anything that touches its socket from
    // outside (shutdown) is posted to that strand.
    struct Connection {
        std::uint64_t id = 0;
        tcp::socket* socket = nullptr;
        bool idle = true;
        Strand strand;
    };

    Impl(ServerOptions o, const api::Api& a, Metrics& m)
        : options(std::move(o)),
          api(a),
          metrics(m),
          io(options.worker_threads),
          acceptor(io),
          signals(io, SIGTERM, SIGINT) {}

    ServerOptions options;
    const api::Api& api;
    Metrics& metrics;
    asio::io_context io;
    tcp::acceptor acceptor;
    asio::signal_set signals;
    std::mutex connections_mutex;
    std::list<Connection> connections;  // guarded by connections_mutex
    std::atomic<bool> stopping = false;
    std::uint64_t next_connection_id = 0;  // guarded by connections_mutex
    std::unique_ptr<asio::steady_timer> shutdown_timer;

    asio::awaitable<void> Accept() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(kTupleAwaitable);
            if (ec) {
                if (stopping || ec == asio::error::operation_aborted) co_return;
                spdlog::warn("accept failed: {}", ec.message());
                continue;
            }
            socket.set_option(tcp::no_delay(true), ec);
            auto strand = asio::make_strand(io);
            asio::co_spawn(strand, Serve(std::move(socket), strand), asio::detached);
        }
    }

    // Runs on the I/O context (posted), never concurrently with itself.
    void BeginShutdown() {
        if (stopping.exchange(true)) return;
        spdlog::info("shutting down: no new connections, finishing in-flight requests");
        boost::system::error_code ec;
        acceptor.close(ec);
        signals.cancel(ec);
        {
            std::lock_guard g(connections_mutex);
            for (auto& c : connections) {
                asio::post(c.strand, [this, id = c.id] {
                    std::lock_guard inner(connections_mutex);
                    for (auto& live : connections) {
                        if (live.id == id && live.idle) {
                            boost::system::error_code ignored;
                            live.socket->cancel(ignored);
                        }
                    }
                });
            }
        }
        shutdown_timer = std::make_unique<asio::steady_timer>(io, options.shutdown_grace);
        shutdown_timer->async_wait([this](boost::system::error_code) {
            std::lock_guard g(connections_mutex);
            if (!connections.empty())
                spdlog::warn("shutdown grace period over; closing {} connections", connections.size());
            io.stop();
        });
        MaybeFinish();
    }

    void MaybeFinish() {
        std::lock_guard g(connections_mutex);
        if (stopping && connections.empty()) io.stop();
    }

    api::Request ToApiRequest(const bhttp::request_header<>& msg, bool& bad_target) {
        api::Request req;
        req.method = std::string(msg.method_string());
        auto parsed = boost::urls::parse_origin_form(msg.target());
        if (!parsed) {
            bad_target = true;
            req.path = std::string(msg.target());
        } else {
            // Routing works on the encoded path so that an id containing "%2F" stays one segment;
            // the router percent-decodes captured parameters.
            req.path = std::string(parsed->encoded_path());
            for (auto p : parsed->params()) req.query.emplace_back(std::string(p.key), std::string(p.value));
        }
        if (auto it = msg.find(bhttp::field::authorization); it != msg.end())
            req.authorization = std::string(it->value());
        std::string_view incoming;
        if (auto it = msg.find("X-Request-Id"); it != msg.end()) incoming = it->value();
        req.request_id = RequestIdFrom(incoming);
        return req;
    }

    asio::awaitable<void> Write(beast::tcp_stream& stream, const api::Response& r, unsigned version, bool keep_alive,
                                const std::string& request_id, bool& ok) {
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
        res.set(bhttp::field::server, "evni");
        res.set(bhttp::field::content_type, r.content_type);
        res.set("X-Request-Id", request_id);
        for (const auto& [k, v] : r.headers) res.set(k, v);
        res.keep_alive(keep_alive);
        res.body() = r.body;
        res.prepare_payload();
        auto [ec, n] = co_await bhttp::async_write(stream, res, kTupleAwaitable);
        (void)n;
        ok = !ec;
    }

    void AccessLog(const api::Request& req, const std::string& route, int status, double seconds, std::size_t in_bytes,
                   std::size_t out_bytes, const std::string& remote) {
        log::JsonLine(fmt::format(
            R"({{"ts":"{}","level":"info","msg":"request","requestId":"{}","method":"{}","path":"{}","route":"{}","status":{},"durationMs":{:.3f},"bytesIn":{},"bytesOut":{},"remote":"{}","tenantId":"{}"}})",
            FormatIsoDateTime(SystemClock().NowMs()), log::JsonEscape(req.request_id), log::JsonEscape(req.method),
            log::JsonEscape(req.path), log::JsonEscape(route), status, seconds * 1000.0, in_bytes, out_bytes,
            log::JsonEscape(remote), req.principal ? log::JsonEscape(req.principal->tenant_id) : std::string()));
    }

    asio::awaitable<void> Serve(tcp::socket socket, Strand strand) {
        std::string remote;
        {
            boost::system::error_code ec;
            auto ep = socket.remote_endpoint(ec);
            if (!ec) remote = ep.address().to_string();
        }
        beast::tcp_stream stream(std::move(socket));
        std::list<Connection>::iterator self;
        {
            std::lock_guard g(connections_mutex);
            connections.push_back({++next_connection_id, &stream.socket(), true, strand});
            self = std::prev(connections.end());
        }
        auto set_idle = [&](bool idle) {
            std::lock_guard g(connections_mutex);
            self->idle = idle;
        };
        beast::flat_buffer buffer;
        buffer.reserve(kReadBufferReserve);
        for (;;) {
            if (stopping) break;
            set_idle(true);
            bhttp::request_parser<bhttp::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
            // The route decides the body limit, so none applies while the header is read.
            parser.body_limit(boost::none);
            stream.expires_after(options.idle_timeout);
            auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, kTupleAwaitable);
            (void)hn;
            if (hec == bhttp::error::header_limit) {
                api::Response too_big = api::Api::ErrorResponse(
                    {ErrorCode::kBadRequest, "Request header fields too large", {}}, RequestIdFrom({}));
                too_big.status = 431;
                bool ignored = true;
                co_await Write(stream, too_big, 11, false, RequestIdFrom({}), ignored);
                break;
            }
            if (hec) break;  // closed, timed out, or garbage before a header: nothing to answer
            set_idle(false);
            const auto started = std::chrono::steady_clock::now();
            bool bad_target = false;
            std::string method(parser.get().method_string());
            auto target = boost::urls::parse_origin_form(parser.get().target());
            std::string path = target ? std::string(target->encoded_path()) : std::string();
            const api::Route* route = target ? api.Match(method, path) : nullptr;
            const std::size_t limit = std::max(kMinBodyLimit, route ? route->body_limit : 0);
            boost::beast::error_code bec;
            // Routes with spool_body get their body in a file (the header parser is converted to a
            // file_body parser before any body byte is parsed).
            std::optional<bhttp::request_parser<bhttp::file_body>> spool;
            SpoolFile spool_file;
            bool spool_failed = false;
            if (auto length = parser.content_length(); length && *length > limit) {
                bec = bhttp::error::body_limit;  // answer 413 without reading the body
            } else if (route && route->spool_body) {
                if (!spool_file.Create(options.spool_dir)) {
                    spool_failed = true;
                } else {
                    spool.emplace(std::move(parser));
                    spool->body_limit(limit);
                    spool->get().body().open(spool_file.path.c_str(), beast::file_mode::write, bec);
                    if (bec) {
                        spool_failed = true;
                        bec = {};
                        spool.reset();
                    } else {
                        stream.expires_after(options.idle_timeout);
                        auto [rec, bn] = co_await bhttp::async_read(stream, buffer, *spool, kTupleAwaitable);
                        (void)bn;
                        bec = rec;
                        boost::system::error_code ignored;
                        spool->get().body().file().close(ignored);
                    }
                }
            } else {
                parser.body_limit(limit);  // also bounds chunked bodies
                stream.expires_after(options.idle_timeout);
                auto [rec, bn] = co_await bhttp::async_read(stream, buffer, parser, kTupleAwaitable);
                (void)bn;
                bec = rec;
            }
            const bhttp::request_header<>& msg =
                spool ? static_cast<const bhttp::request_header<>&>(spool->get()) : parser.get();
            api::Request req = ToApiRequest(msg, bad_target);
            api::Response res;
            bool close_after = false;
            if (spool_failed) {
                spdlog::error("cannot create a spool file for a request body in '{}'", options.spool_dir);
                res = api::Api::ErrorResponse(Error::Unavailable("Cannot store the request body"), req.request_id);
                close_after = true;
            } else if (bec == bhttp::error::body_limit) {
                res = api::Api::ErrorResponse(
                    {ErrorCode::kPayloadTooLarge, fmt::format("Request body too large: at most {} bytes", limit), {}},
                    req.request_id);
                close_after = true;
            } else if (bec) {
                break;
            } else if (bad_target) {
                res = api::Api::ErrorResponse({ErrorCode::kBadRequest, "Malformed request target", {}}, req.request_id);
            } else {
                if (spool) {
                    req.body_file = spool_file.path;
                } else {
                    req.body = std::move(parser.get().body());
                }
                // Handlers run inline: the context has --workers threads, so a handler blocked on the
                // database holds one of them while the others keep serving (measured faster than a
                // hop to a separate pool and back, which costs two thread wake-ups per request).
                res = api.Handle(req, route);
            }
            const bool keep_alive = (spool ? spool->keep_alive() : parser.keep_alive()) && !close_after && !stopping;
            bool ok = true;
            co_await Write(stream, res, msg.version(), keep_alive, req.request_id, ok);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            const std::string label = api::Api::RouteLabel(route);
            metrics.ObserveRequest(method, label, res.status, seconds);
            std::size_t in_bytes = req.body.size();
            if (spool) {
                boost::system::error_code ignored;
                in_bytes = static_cast<std::size_t>(std::filesystem::file_size(spool_file.path, ignored));
            }
            AccessLog(req, label, res.status, seconds, in_bytes, res.body.size(), remote);
            if (!ok || !keep_alive) break;
        }
        boost::system::error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream.socket().close(ec);
        {
            std::lock_guard g(connections_mutex);
            connections.erase(self);
        }
        MaybeFinish();
    }
};

Server::Server(ServerOptions options, const api::Api& api, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), api, metrics)) {}

Server::~Server() = default;

std::uint16_t Server::Listen() {
    auto& a = impl_->acceptor;
    tcp::endpoint ep(asio::ip::make_address(impl_->options.host), impl_->options.port);
    a.open(ep.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    a.bind(ep);
    a.listen(asio::socket_base::max_listen_connections);
    return a.local_endpoint().port();
}

void Server::Run() {
    impl_->signals.async_wait([this](boost::system::error_code ec, int) {
        if (!ec) impl_->BeginShutdown();
    });
    asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
    std::vector<std::thread> threads;
    for (int i = 1; i < impl_->options.worker_threads; ++i) threads.emplace_back([this] { impl_->io.run(); });
    impl_->io.run();
    for (auto& t : threads) t.join();
}

void Server::Stop() {
    asio::post(impl_->io, [this] { impl_->BeginShutdown(); });
}

}  // namespace evni::http
