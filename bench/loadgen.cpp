// HTTP load generator for evni: drives the real server over keep-alive HTTP/1.1 connections.
//
// Workloads:
//   w1  each connection POSTs /v1/sessions with whole 2-hour 7.4 kW AC sessions (1-minute cadence, energy
//       register + power + SoC = 360 meter values per session). Measures ingest + in-request analysis.
//   w2  creates --open sessions with 3 values each, then PATCHes them round-robin with 3 values (the next
//       minute) until every session holds about --values values. Measures append cost as sessions grow: the
//       p99 of the last fifth of the run against the first fifth shows whether an append re-analyses the
//       whole session (ratio grows with length) or is incremental (ratio near 1). With --history N, each open
//       session's connector first gets N completed one-hour sessions on the N days before (not timed), so the
//       appends run on connectors with a history, as they do in service (learned ratings, SoC priors).
//
// Several servers (nodes behind one database): --port 8080,8081 or --targets host1:8080,host2:8080; the
// connections are spread over them round-robin (connection i talks to target i mod n).
//
// Self-contained on purpose (Boost.Beast + Boost.JSON only), so it builds standalone:
//   g++ -std=c++20 -O2 bench/loadgen.cpp -lboost_json -lpthread

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Command line, hand-parsed. Every flag takes a value: `--port 8080` or `--port=8080`.
struct Target {
    std::string host;
    std::string port;
};

struct Options {
    std::string host = "127.0.0.1";
    std::string port;     // one port, or several separated by commas (on --host)
    std::string targets;  // host:port[,host:port...] (instead of --host/--port)
    std::vector<Target> resolved_targets;
    std::string key;
    std::string workload = "w1";
    int connections = 16;
    long sessions = 20000;           // w1: sessions to POST
    long open_sessions = 200;        // w2: sessions kept open and appended to
    long values_per_session = 1500;  // w2: target meter values per session
    long history = 0;                // w2: completed sessions per connector before the open ones
    double duration_limit_s = 120;   // safety stop for either workload
};

// Each target's Host header value and resolved addresses.
using Endpoints = std::vector<std::pair<std::string, tcp::resolver::results_type>>;

void PrintUsage() {
    std::cerr << "usage: evni_loadgen --port N[,N...] --key API_KEY [--host 127.0.0.1] [--workload w1|w2]\n"
                 "                    [--connections 16] [--sessions 20000] [--open 200] [--values 1500]\n"
                 "                    [--history 0] [--duration-limit 120]\n"
                 "       evni_loadgen --targets HOST:PORT[,HOST:PORT...] --key API_KEY ...\n"
                 "Connections are spread round-robin over the targets (several nodes on one database).\n";
}

std::optional<Options> ParseOptions(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") return std::nullopt;
        std::string value;
        if (auto eq = arg.find('='); eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            std::cerr << "missing value for " << arg << "\n";
            return std::nullopt;
        }
        try {
            if (arg == "--host")
                o.host = value;
            else if (arg == "--port")
                o.port = value;
            else if (arg == "--targets")
                o.targets = value;
            else if (arg == "--key")
                o.key = value;
            else if (arg == "--workload")
                o.workload = value;
            else if (arg == "--connections")
                o.connections = std::stoi(value);
            else if (arg == "--sessions")
                o.sessions = std::stol(value);
            else if (arg == "--open")
                o.open_sessions = std::stol(value);
            else if (arg == "--values")
                o.values_per_session = std::stol(value);
            else if (arg == "--history")
                o.history = std::stol(value);
            else if (arg == "--duration-limit")
                o.duration_limit_s = std::stod(value);
            else {
                std::cerr << "unknown flag " << arg << "\n";
                return std::nullopt;
            }
        } catch (const std::exception&) {
            std::cerr << "bad value for " << arg << ": " << value << "\n";
            return std::nullopt;
        }
    }
    if ((o.port.empty() && o.targets.empty()) || o.key.empty()) {
        std::cerr << "--port (or --targets) and --key are required\n";
        return std::nullopt;
    }
    auto split = [](const std::string& list) {
        std::vector<std::string> out;
        std::size_t start = 0;
        while (start <= list.size()) {
            auto comma = list.find(',', start);
            if (comma == std::string::npos) comma = list.size();
            if (comma > start) out.push_back(list.substr(start, comma - start));
            start = comma + 1;
        }
        return out;
    };
    if (!o.targets.empty()) {
        for (const auto& t : split(o.targets)) {
            auto colon = t.rfind(':');
            if (colon == std::string::npos || colon == 0 || colon + 1 == t.size()) {
                std::cerr << "--targets entries must be HOST:PORT, got " << t << "\n";
                return std::nullopt;
            }
            o.resolved_targets.push_back({t.substr(0, colon), t.substr(colon + 1)});
        }
    } else {
        for (const auto& p : split(o.port)) o.resolved_targets.push_back({o.host, p});
    }
    if (o.resolved_targets.empty()) {
        std::cerr << "no target\n";
        return std::nullopt;
    }
    if (o.workload != "w1" && o.workload != "w2") {
        std::cerr << "--workload must be w1 or w2\n";
        return std::nullopt;
    }
    if (o.connections < 1 || o.sessions < 1 || o.open_sessions < 1 || o.values_per_session < 3 || o.history < 0 ||
        o.duration_limit_s <= 0) {
        std::cerr << "--connections, --sessions, --open must be >= 1, --values >= 3, --history >= 0, "
                     "--duration-limit > 0\n";
        return std::nullopt;
    }
    return o;
}

// ---------------------------------------------------------------------------------------------------------------
// Synthetic 7.4 kW AC session, 1-minute cadence. Energy register in kWh from 0, power in kW with a small
// deterministic ripple, SoC rising linearly from 20 % to 80 % over the session (implied battery stays in the
// plausible 10–250 kWh range for both workloads). Clean data: the server should find no anomaly.

constexpr double kPowerKw = 7.4;
// 2026-03-02T08:00:00Z: fixed so runs are reproducible.
constexpr std::int64_t kSessionStartEpoch = 1772438400;

std::string IsoUtc(std::int64_t epoch_seconds) {
    std::time_t t = static_cast<std::time_t>(epoch_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string FormatValue(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return buf;
}

// The three meter values of minute `minute` of a session lasting `total_minutes`, as JSON objects without
// surrounding brackets: {...},{...},{...}
std::string MinuteValuesJson(long minute, long total_minutes, std::int64_t start_epoch = kSessionStartEpoch) {
    const std::string ts = IsoUtc(start_epoch + 60 * minute);
    const double energy_kwh = kPowerKw * static_cast<double>(minute) / 60.0;
    const double power_kw = kPowerKw + 0.05 * std::sin(static_cast<double>(minute));
    const double soc = 20.0 + 60.0 * static_cast<double>(minute) / static_cast<double>(std::max(1L, total_minutes));
    std::string out;
    out.reserve(320);
    out += R"({"timestamp":")" + ts + R"(","value":)" + FormatValue(energy_kwh) +
           R"(,"measurand":"Energy.Active.Import.Register","unit":"kWh"},)";
    out += R"({"timestamp":")" + ts + R"(","value":)" + FormatValue(power_kw) +
           R"(,"measurand":"Power.Active.Import","unit":"kW"},)";
    out += R"({"timestamp":")" + ts + R"(","value":)" + FormatValue(soc) + R"(,"measurand":"SoC","unit":"Percent"})";
    return out;
}

// A POST /v1/sessions body split around its two varying parts, so the full body of session i is
// prefix + id + middle + id + suffix. Built once before timing; a request only concatenates.
struct SessionBodyTemplate {
    std::string prefix;  // {"sessionId":"
    std::string middle;  // ","chargingStationId":"LG-CS-
    std::string suffix;  // ","connectorId":"1","meterValues":[...]}

    std::string Build(std::string_view session_id, std::string_view station_suffix) const {
        std::string body;
        body.reserve(prefix.size() + middle.size() + suffix.size() + session_id.size() + station_suffix.size());
        body += prefix;
        body += session_id;
        body += middle;
        body += station_suffix;
        body += suffix;
        return body;
    }
};

SessionBodyTemplate MakeSessionTemplate(long minutes) {
    SessionBodyTemplate t;
    t.prefix = R"({"sessionId":")";
    t.middle = R"(","chargingStationId":"LG-CS-)";
    t.suffix = R"(","connectorId":"1","meterValues":[)";
    for (long m = 0; m < minutes; ++m) {
        if (m > 0) t.suffix += ',';
        t.suffix += MinuteValuesJson(m, minutes - 1);
    }
    t.suffix += "]}";
    // Sanity check: the template must assemble into valid JSON.
    json::parse(t.Build("x", "y"));
    return t;
}

// ---------------------------------------------------------------------------------------------------------------
// One keep-alive HTTP/1.1 connection, synchronous. Reconnects after a transport error or `Connection: close`.

class HttpConnection {
  public:
    HttpConnection(const Options& opts, std::string host, tcp::resolver::results_type endpoints)
        : opts_(opts), host_(std::move(host)), endpoints_(std::move(endpoints)), socket_(ioc_) {}

    // Sends one request; returns the HTTP status, or 0 on a transport error.
    int Send(http::verb verb, const std::string& target, std::string body, std::string* response_body = nullptr) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            beast::error_code ec;
            if (!socket_.is_open()) {
                Connect(ec);
                if (ec) return Fail("connect", ec);
            }
            http::request<http::string_body> req{verb, target, 11};
            req.set(http::field::host, host_);
            req.set(http::field::user_agent, "evni-loadgen");
            req.set(http::field::authorization, "Bearer " + opts_.key);
            req.set(http::field::content_type, "application/json");
            req.keep_alive(true);
            req.body() = std::move(body);
            req.prepare_payload();
            http::write(socket_, req, ec);
            if (ec) {
                // A keep-alive connection the server closed while idle: retry once on a fresh one.
                body = std::move(req.body());
                Close();
                if (attempt == 0 && reused_) continue;
                return Fail("write", ec);
            }
            http::response_parser<http::string_body> parser;
            parser.body_limit(64 * 1024 * 1024);
            http::read(socket_, buffer_, parser, ec);
            if (ec) {
                Close();
                // The server closed an idle keep-alive connection before reading the request: retry once.
                if (attempt == 0 && reused_ && ec == http::error::end_of_stream) {
                    body = std::move(req.body());
                    continue;
                }
                return Fail("read", ec);
            }
            auto& res = parser.get();
            reused_ = true;
            if (!res.keep_alive()) Close();
            if (response_body) *response_body = std::move(res.body());
            const int status = static_cast<int>(res.result_int());
            if (status != 200) ReportBadStatus(status, target, res.body());
            return status;
        }
        return 0;
    }

  private:
    void Connect(beast::error_code& ec) {
        socket_ = tcp::socket(ioc_);
        net::connect(socket_, endpoints_, ec);
        if (!ec) socket_.set_option(tcp::no_delay(true), ec);
        buffer_.clear();
        reused_ = false;
    }

    void Close() {
        beast::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
        buffer_.clear();
    }

    static int Fail(const char* what, const beast::error_code& ec) {
        static std::atomic<int> reported{0};
        if (reported.fetch_add(1) < 5) std::cerr << "transport error (" << what << "): " << ec.message() << "\n";
        return 0;
    }

    static void ReportBadStatus(int status, const std::string& target, const std::string& body) {
        static std::atomic<int> reported{0};
        if (reported.fetch_add(1) < 5) {
            std::cerr << "HTTP " << status << " on " << target << ": " << body.substr(0, 300) << "\n";
        }
    }

    const Options& opts_;
    std::string host_;
    tcp::resolver::results_type endpoints_;
    net::io_context ioc_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
    bool reused_ = false;
};

// ---------------------------------------------------------------------------------------------------------------
// Measurements.

struct Sample {
    Clock::time_point start;
    double latency_ms;
};

struct RunStats {
    std::vector<Sample> samples;  // merged from all threads, sorted by start
    long errors = 0;
    double elapsed_s = 0;
    bool stopped_by_limit = false;
};

// Nearest-rank percentile of an ascending sorted vector.
double Percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::vector<double> SortedLatencies(const std::vector<Sample>& samples, std::size_t from, std::size_t to) {
    std::vector<double> v;
    v.reserve(to - from);
    for (std::size_t i = from; i < to; ++i) v.push_back(samples[i].latency_ms);
    std::sort(v.begin(), v.end());
    return v;
}

// Runs `work(connection, thread_index, samples, errors)` on `n` threads, each with its own connection.
template <typename Work>
RunStats RunThreads(const Options& opts, const Endpoints& endpoints, int n, Work work) {
    std::vector<std::vector<Sample>> per_thread(static_cast<std::size_t>(n));
    std::vector<long> errors(static_cast<std::size_t>(n), 0);
    const auto t0 = Clock::now();
    {
        std::vector<std::jthread> threads;
        for (int i = 0; i < n; ++i) {
            threads.emplace_back([&, i] {
                // Round-robin over the targets: connection i talks to target i mod n.
                const auto& target = endpoints[static_cast<std::size_t>(i) % endpoints.size()];
                HttpConnection conn(opts, target.first, target.second);
                work(conn, i, per_thread[static_cast<std::size_t>(i)], errors[static_cast<std::size_t>(i)]);
            });
        }
    }
    RunStats stats;
    stats.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
    for (auto& v : per_thread) stats.samples.insert(stats.samples.end(), v.begin(), v.end());
    for (long e : errors) stats.errors += e;
    std::sort(stats.samples.begin(), stats.samples.end(),
              [](const Sample& a, const Sample& b) { return a.start < b.start; });
    return stats;
}

// Times one request and records it.
template <typename Fn>
void Timed(std::vector<Sample>& samples, long& errors, Fn fn) {
    const auto start = Clock::now();
    const int status = fn();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    samples.push_back({start, ms});
    if (status != 200) ++errors;
}

std::string RunId() {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void PrintLatencies(const std::vector<double>& sorted) {
    std::printf("latency_ms: p50=%.2f p90=%.2f p99=%.2f max=%.2f\n", Percentile(sorted, 50), Percentile(sorted, 90),
                Percentile(sorted, 99), sorted.empty() ? 0.0 : sorted.back());
}

// Returns the process exit code.
int Verdict(long requests, long errors) {
    if (requests == 0) {
        std::cerr << "FAIL: no request completed\n";
        return 1;
    }
    const double error_rate = static_cast<double>(errors) / static_cast<double>(requests);
    if (error_rate > 0.001) {
        std::cerr << "FAIL: error rate " << error_rate * 100 << " % exceeds 0.1 %\n";
        return 1;
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// W1: whole-session ingest.

int RunW1(const Options& opts, const Endpoints& endpoints) {
    constexpr long kMinutes = 120;  // 2 h at 1-minute cadence
    constexpr long kValuesPerSession = kMinutes * 3;
    const SessionBodyTemplate tmpl = MakeSessionTemplate(kMinutes);
    const std::string run = RunId();
    // Session ids are pre-built too, so the timed loop only concatenates strings.
    std::vector<std::string> ids(static_cast<std::size_t>(opts.sessions));
    for (long i = 0; i < opts.sessions; ++i)
        ids[static_cast<std::size_t>(i)] = "lg-w1-" + run + "-" + std::to_string(i);

    std::printf("workload=w1 targets=%zu connections=%d sessions=%ld values_per_session=%ld body_bytes=%zu\n",
                endpoints.size(), opts.connections, opts.sessions, kValuesPerSession,
                tmpl.Build(ids[0], ids[0]).size());
    std::fflush(stdout);

    std::atomic<long> next{0};
    std::atomic<bool> stop{false};
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(opts.duration_limit_s));
    RunStats stats = RunThreads(
        opts, endpoints, opts.connections, [&](HttpConnection& conn, int, std::vector<Sample>& samples, long& errors) {
            while (!stop.load(std::memory_order_relaxed)) {
                const long i = next.fetch_add(1);
                if (i >= opts.sessions) break;
                if (Clock::now() > deadline) {
                    stop = true;
                    break;
                }
                const std::string& id = ids[static_cast<std::size_t>(i)];
                std::string body = tmpl.Build(id, id);
                Timed(samples, errors, [&] { return conn.Send(http::verb::post, "/v1/sessions", std::move(body)); });
            }
        });
    stats.stopped_by_limit = stop.load();

    const long requests = static_cast<long>(stats.samples.size());
    const long ok = requests - stats.errors;
    const auto sorted = SortedLatencies(stats.samples, 0, stats.samples.size());
    std::printf("requests=%ld errors=%ld elapsed_s=%.2f%s\n", requests, stats.errors, stats.elapsed_s,
                stats.stopped_by_limit ? " (stopped by --duration-limit)" : "");
    std::printf("sessions_per_s=%.1f meter_values_per_s=%.0f\n", static_cast<double>(ok) / stats.elapsed_s,
                static_cast<double>(ok * kValuesPerSession) / stats.elapsed_s);
    PrintLatencies(sorted);
    return Verdict(requests, stats.errors);
}

// ---------------------------------------------------------------------------------------------------------------
// W2: many open sessions, growing by appends.

int RunW2(const Options& opts, const Endpoints& endpoints) {
    const long rounds = (opts.values_per_session - 3 + 2) / 3;  // appends per session after the 3 initial values
    const long total_minutes = rounds;                          // minute 0 initial, minutes 1..rounds appended
    const long total_appends = rounds * opts.open_sessions;
    const std::string run = RunId();

    std::vector<std::string> ids(static_cast<std::size_t>(opts.open_sessions));
    std::vector<std::string> targets(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        ids[i] = "lg-w2-" + run + "-" + std::to_string(i);
        targets[i] = "/v1/sessions/" + ids[i];
    }
    // Pre-built bodies: the create body per session and one append body per round (same data for every session).
    std::vector<std::string> create_bodies(ids.size());
    const std::string first_minute = MinuteValuesJson(0, total_minutes);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        create_bodies[i] = R"({"sessionId":")" + ids[i] + R"(","chargingStationId":"LG-CS-)" + ids[i] +
                           R"(","connectorId":"1","meterValues":[)" + first_minute + "]}";
    }
    std::vector<std::string> append_bodies(static_cast<std::size_t>(rounds));
    for (long r = 0; r < rounds; ++r) {
        append_bodies[static_cast<std::size_t>(r)] =
            R"({"meterValues":[)" + MinuteValuesJson(r + 1, total_minutes) + "]}";
    }
    json::parse(create_bodies[0]);
    if (rounds > 0) json::parse(append_bodies[0]);

    std::printf("workload=w2 targets=%zu connections=%d open_sessions=%ld target_values_per_session=%ld appends=%ld\n",
                endpoints.size(), opts.connections, opts.open_sessions, 3 + 3 * rounds, total_appends);
    std::fflush(stdout);

    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(opts.duration_limit_s));

    // Phase 0 (--history): completed sessions on the open sessions' connectors, one per day before.
    if (opts.history > 0) {
        constexpr long kHistoryMinutes = 60;
        std::vector<std::string> day_values(static_cast<std::size_t>(opts.history));
        for (long d = 0; d < opts.history; ++d) {
            std::string& v = day_values[static_cast<std::size_t>(d)];
            for (long m = 0; m <= kHistoryMinutes; ++m) {
                if (m > 0) v += ',';
                v += MinuteValuesJson(m, kHistoryMinutes, kSessionStartEpoch - 86400 * (d + 1));
            }
        }
        std::atomic<long> next_history{0};
        const long total = opts.history * opts.open_sessions;
        RunStats history = RunThreads(
            opts, endpoints, opts.connections,
            [&](HttpConnection& conn, int, std::vector<Sample>& samples, long& errors) {
                for (long k; (k = next_history.fetch_add(1)) < total;) {
                    const auto s = static_cast<std::size_t>(k % opts.open_sessions);
                    const auto d = static_cast<std::size_t>(k / opts.open_sessions);
                    std::string body =
                        R"({"sessionId":")" + ids[s] + "-h" + std::to_string(d) + R"(","chargingStationId":"LG-CS-)" +
                        ids[s] + R"(","connectorId":"1","status":"completed","meterValues":[)" + day_values[d] + "]}";
                    Timed(samples, errors,
                          [&] { return conn.Send(http::verb::post, "/v1/sessions", std::move(body)); });
                }
            });
        std::printf("history: sessions=%zu errors=%ld elapsed_s=%.2f\n", history.samples.size(), history.errors,
                    history.elapsed_s);
        if (history.errors > 0) {
            std::cerr << "FAIL: could not create the history sessions\n";
            return 1;
        }
    }

    // Phase 1: create the open sessions (not part of the append figures).
    std::atomic<long> next_create{0};
    RunStats create = RunThreads(
        opts, endpoints, opts.connections, [&](HttpConnection& conn, int, std::vector<Sample>& samples, long& errors) {
            for (long i; (i = next_create.fetch_add(1)) < opts.open_sessions;) {
                Timed(samples, errors, [&] {
                    return conn.Send(http::verb::post, "/v1/sessions", create_bodies[static_cast<std::size_t>(i)]);
                });
            }
        });
    std::printf("create: requests=%zu errors=%ld elapsed_s=%.2f\n", create.samples.size(), create.errors,
                create.elapsed_s);
    if (create.errors > 0) {
        std::cerr << "FAIL: could not create the open sessions\n";
        return 1;
    }

    // Phase 2: append round-robin. Request k goes to session k % open, round k / open, so one session's
    // consecutive appends are `open` requests apart and normally never overlap.
    std::atomic<long> next{0};
    std::atomic<bool> stop{false};
    RunStats stats = RunThreads(
        opts, endpoints, opts.connections, [&](HttpConnection& conn, int, std::vector<Sample>& samples, long& errors) {
            while (!stop.load(std::memory_order_relaxed)) {
                const long k = next.fetch_add(1);
                if (k >= total_appends) break;
                if (Clock::now() > deadline) {
                    stop = true;
                    break;
                }
                const auto s = static_cast<std::size_t>(k % opts.open_sessions);
                const auto r = static_cast<std::size_t>(k / opts.open_sessions);
                Timed(samples, errors, [&] { return conn.Send(http::verb::patch, targets[s], append_bodies[r]); });
            }
        });
    stats.stopped_by_limit = stop.load();

    const long requests = static_cast<long>(stats.samples.size());
    const long ok = requests - stats.errors;
    const std::size_t n = stats.samples.size();
    const auto all = SortedLatencies(stats.samples, 0, n);
    const auto first = SortedLatencies(stats.samples, 0, n / 5);
    const auto last = SortedLatencies(stats.samples, n - n / 5, n);
    const double p99_first = Percentile(first, 99);
    const double p99_last = Percentile(last, 99);
    std::printf("requests=%ld errors=%ld elapsed_s=%.2f%s\n", requests, stats.errors, stats.elapsed_s,
                stats.stopped_by_limit ? " (stopped by --duration-limit)" : "");
    std::printf("appends_per_s=%.1f meter_values_per_s=%.0f\n", static_cast<double>(ok) / stats.elapsed_s,
                static_cast<double>(ok * 3) / stats.elapsed_s);
    std::printf("latency_ms: p50=%.2f p99=%.2f max=%.2f\n", Percentile(all, 50), Percentile(all, 99),
                all.empty() ? 0.0 : all.back());
    std::printf("p99_first_fifth_ms=%.2f p99_last_fifth_ms=%.2f ratio_last_over_first=%.2f\n", p99_first, p99_last,
                p99_first > 0 ? p99_last / p99_first : 0.0);
    return Verdict(requests, stats.errors);
}

}  // namespace

int main(int argc, char** argv) {
    const auto opts = ParseOptions(argc, argv);
    if (!opts) {
        PrintUsage();
        return 2;
    }
    try {
        net::io_context ioc;
        tcp::resolver resolver(ioc);
        Endpoints endpoints;
        for (const auto& t : opts->resolved_targets) endpoints.emplace_back(t.host, resolver.resolve(t.host, t.port));
        return opts->workload == "w1" ? RunW1(*opts, endpoints) : RunW2(*opts, endpoints);
    } catch (const std::exception& e) {
        std::cerr << "loadgen: " << e.what() << "\n";
        return 1;
    }
}
