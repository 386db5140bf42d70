// Composition root: parses the command line, builds every object and wires them together.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "api/anomaly_listener.h"
#include "api/anomaly_service.h"
#include "api/api_key_service.h"
#include "api/batch_service.h"
#include "api/connector_limits.h"
#include "api/event_log.h"
#include "api/events.h"
#include "api/explain_service.h"
#include "api/llm_provider.h"
#include "api/model_service.h"
#include "api/openapi.h"
#include "api/organization_service.h"
#include "api/routes.h"
#include "api/session_service.h"
#include "api/soc_prior.h"
#include "api/station_aggregates.h"
#include "api/station_outages.h"
#include "api/station_service.h"
#include "api/webhook_service.h"
#include "app/offline.h"
#include "config/config.h"
#include "http/server.h"
#include "jobs/job_runner.h"
#include "jobs/schedule_claim.h"
#include "jobs/webhook_delivery.h"
#include "storage/copy.h"
#include "storage/postgres/pg_store.h"
#include "storage/sqlite/sqlite_store.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/scheduler.h"
#include "util/secretbox.h"

namespace {

using namespace evni;

constexpr const char* kVersion = "0.1.0";

// The database URL without its password, for logs.
std::string RedactedDbUrl(const std::string& url) {
    auto scheme = url.find("://");
    if (scheme == std::string::npos) return url;
    auto at = url.find('@', scheme + 3);
    auto colon = url.find(':', scheme + 3);
    if (at == std::string::npos || colon == std::string::npos || colon > at) return url;
    return url.substr(0, colon + 1) + "***" + url.substr(at);
}

// Opens the database named by `url` and applies pending migrations. SQLite takes the single-node lock
// when `single_node` is set (evni serve); PostgreSQL allows several nodes on one database.
std::unique_ptr<storage::Store> OpenStore(const std::string& url, bool single_node, Metrics* metrics,
                                          int pool_size = 2) {
    auto parsed = config::ParseDbUrl(url);
    if (!parsed) throw std::runtime_error(parsed.error().detail);
    storage::TxObserver observer;
    if (metrics) {
        observer = [metrics](storage::TxMode mode, double seconds) {
            metrics->ObserveTransaction(mode == storage::TxMode::kRead ? "read" : "write", seconds);
        };
    }
    std::unique_ptr<storage::Store> store;
    if (parsed->kind == config::DbKind::kPostgres) {
        storage::postgres::PostgresOptions o;
        o.conninfo = parsed->target;
        o.pool_size = pool_size;
        o.observer = std::move(observer);
        store = storage::postgres::OpenPostgresStore(o);
    } else {
        storage::sqlite::SqliteOptions o;
        o.path = parsed->target;
        o.single_node_lock = single_node;
        o.observer = std::move(observer);
        store = storage::sqlite::OpenSqliteStore(o);
    }
    store->Migrate();
    return store;
}

// `evni serve` options of the job queue and webhooks (docs/jobs.md, docs/webhooks.md).
struct JobsConfig {
    int workers = 2;
    int poll_ms = 500;
    bool allow_private_webhooks = false;
    std::string secret_key_file;  // default: next to the SQLite file, or data/evni-secret.key
    int webhook_retry_base_ms = 10000;
    int webhook_timeout_ms = 10000;
    int webhook_disable_after = 20;
};

// The server key sealing webhook secrets: EVNI_SECRET_KEY (64 hex digits), else a key file created on
// first use (docs/webhooks.md).
std::unique_ptr<crypto::ServerKey> OpenServerKey(const std::string& db_url, const JobsConfig& cfg) {
    if (const char* hex = std::getenv("EVNI_SECRET_KEY"); hex && *hex) {
        auto box = crypto::SecretBox::FromHex(hex);
        if (!box) throw std::runtime_error("EVNI_SECRET_KEY must be 64 hex digits (32 bytes)");
        return std::make_unique<crypto::ServerKey>(*box);
    }
    std::filesystem::path file = cfg.secret_key_file;
    auto parsed = config::ParseDbUrl(db_url);
    const bool sqlite = parsed && parsed->kind == config::DbKind::kSqlite;
    if (file.empty()) {
        file = sqlite ? std::filesystem::path(parsed->target).parent_path() / "evni-secret.key"
                      : std::filesystem::path("data") / "evni-secret.key";
    }
    auto key = std::make_unique<crypto::ServerKey>(file);
    if (sqlite || !cfg.secret_key_file.empty()) key->Get();  // create or check it at start
    return key;
}

int Serve(const config::ServeConfig& cfg, int db_pool, const std::string& docs_dir, const JobsConfig& jobs_cfg,
          int statistics_interval_s) {
    // A request allocates and frees a few hundred KiB (body, JSON tree, meter values, the blob). glibc's default
    // thresholds hand that memory back to the kernel after each request (brk shrink, madvise of thread arenas)
    // and take it again on the next one: page faults and TLB shootdowns cost more than the request's own work.
    // Keeping up to 16 MiB of freed memory per arena and serving blocks below 4 MiB from the heap stops that.
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
    auto listen = config::ParseListen(cfg.listen);
    if (!listen) throw std::runtime_error(listen.error().detail);
    Metrics metrics;
    SystemClock clock;
    auto store = OpenStore(cfg.db, /*single_node=*/true, &metrics, db_pool);
    api::SessionService sessions(*store, clock, metrics);
    api::SocPriorListener soc_priors(clock);  // per-connector capacity history for the SoC reconstruction
    sessions.AddListener(&soc_priors);
    api::ConnectorHistoryCache connector_histories;                             // their input, kept between writes
    api::ConnectorLimitListener connector_limits(clock, &connector_histories);  // per-connector power history
    sessions.AddListener(&connector_limits);
    sessions.SetLearnedLimitSource([&connector_histories](storage::Transaction& tx, const storage::SessionRecord& r,
                                                          const domain::ConnectorFacts& facts) {
        return connector_histories.Learned(tx, r, facts);
    });
    api::ApiKeyService keys(*store, clock);
    api::OrganizationService organizations(*store, clock, keys);
    jobs::RunnerOptions runner_options;
    runner_options.workers = jobs_cfg.workers;
    runner_options.poll_interval = std::chrono::milliseconds(jobs_cfg.poll_ms);
    // Job handlers register here (JobRunner::Register) before Start().
    jobs::JobRunner runner(*store, clock, runner_options);
    auto server_key = OpenServerKey(cfg.db, jobs_cfg);
    // Webhooks: the event sink (an outbox in the emitting transaction) and its delivery jobs. Events
    // are also logged after their transaction commits (LoggedEventSink).
    api::WebhookOptions webhook_options;
    webhook_options.allow_private = jobs_cfg.allow_private_webhooks;
    api::WebhookService webhooks(*store, clock, *server_key, webhook_options, runner.Waker());
    api::LoggedEventSink events(webhooks);
    api::WebhookSessionListener webhook_listener(webhooks);
    jobs::WebhookDeliveryOptions delivery_options;
    delivery_options.allow_private = jobs_cfg.allow_private_webhooks;
    delivery_options.retry_base = std::chrono::milliseconds(jobs_cfg.webhook_retry_base_ms);
    delivery_options.total_timeout = std::chrono::milliseconds(jobs_cfg.webhook_timeout_ms);
    delivery_options.connect_timeout = std::min(delivery_options.connect_timeout, delivery_options.total_timeout);
    delivery_options.disable_after = jobs_cfg.webhook_disable_after;
    jobs::WebhookDeliverer deliverer(*store, clock, webhooks, delivery_options);
    deliverer.Register(runner);
    // Explain and ask: the built-in explainer, or an LLM provider with fallback when configured.
    std::unique_ptr<api::LlmProvider> llm;
    if (!cfg.llm_url.empty() && !cfg.llm_model.empty()) {
        api::LlmConfig lc{cfg.llm_url, cfg.llm_model, cfg.llm_key};
        lc.timeout = std::chrono::seconds(cfg.llm_timeout_s);
        lc.connect_timeout = std::min(lc.connect_timeout, lc.timeout);
        llm = api::MakeOpenAiCompatibleProvider(lc);
        spdlog::info("explain: LLM provider {} (model {})", cfg.llm_url, cfg.llm_model);
    }
    api::ExplainService explain(*store, sessions, clock, llm.get());
    explain.SetStationContextSource(api::StationDayContext);  // the station model's verdict on the session's day
    // Anomalies workspace: records kept in step with every session write; statistics. Outages come
    // from the station model once it exists (api::OutageSource).
    api::AnomalyWorkspaceListener anomaly_listener(clock);
    api::StationModelOutages outages(*store);  // uptime from the station model's station-day results
    api::AnomalyService anomalies(*store, clock, outages);
    // Batch uploads (docs/batch.md): items are processed by "batch.process" jobs.
    api::BatchService batches(*store, clock, sessions, events);
    batches.SetWaker(runner.Waker());
    runner.Register(api::BatchService::kJobKind, [&batches](const storage::Job& job) { return batches.Process(job); },
                    {.lease = batches.options().lease, .max_attempts = 20});
    // Models (docs/models.md): the active model's threshold decides isAnomaly; fine-tunes run as jobs.
    // With PostgreSQL several nodes may run: each trusts its cached threshold for at most 5 s.
    api::ModelServiceOptions model_options;
    if (auto db = config::ParseDbUrl(cfg.db); db && db->kind == config::DbKind::kPostgres) {
        model_options.threshold_ttl = std::chrono::seconds(5);
    }
    api::ModelService models(*store, clock, model_options);
    models.SetWaker(runner.Waker());
    sessions.SetThresholdSource(
        [&models](storage::Transaction& tx, const std::string& tenant) { return models.ThresholdFor(tx, tenant); });
    explain.SetThresholdSource(
        [&models](storage::Transaction& tx, const std::string& tenant) { return models.ThresholdFor(tx, tenant); });
    runner.Register(api::ModelService::kJobKind, [&models](const storage::Job& job) { return models.RunFineTune(job); },
                    {.lease = std::chrono::minutes(10), .max_attempts = api::ModelService::kMaxAttempts});
    // Stations: aggregates kept by a session write listener; the station model (daily and on demand).
    api::StationAggregatesListener station_aggregates;
    api::StationService stations(*store, clock, events);
    // Session write listeners, in order: anomaly records, station aggregates, then webhook events.
    sessions.AddListener(&anomaly_listener);
    sessions.AddListener(&station_aggregates);
    sessions.AddListener(&webhook_listener);
    // Stops the workers before the objects their handlers use are destroyed, on every exit path.
    struct StopRunner {
        jobs::JobRunner& runner;
        ~StopRunner() { runner.Stop(); }
    } stop_runner{runner};

    api::ApiContext ctx{store.get(), &clock, &metrics, &sessions, &keys, &organizations, &events};
    ctx.stations = &stations;
    ctx.docs_dir = docs_dir;
    ctx.webhooks = &webhooks;
    ctx.wake_jobs = runner.Waker();
    ctx.explain = &explain;
    ctx.anomalies = &anomalies;
    ctx.batches = &batches;
    ctx.models = &models;
    // Periodic background tasks register here (Scheduler::Every) before Start().
    Scheduler scheduler;
    // Singleton tasks: with several nodes on one database each interval slot runs on one node.
    scheduler.SetClaim([&store, &clock](const std::string& name, std::chrono::milliseconds interval) {
        return jobs::ClaimScheduleSlot(*store, name, interval, clock.NowMs());
    });
    scheduler.Every(
        "statistics.data_quality", std::chrono::seconds(statistics_interval_s),
        [&anomalies] { anomalies.RunDataQuality(); }, std::chrono::seconds(2));
    scheduler.Every("jobs.purge", std::chrono::minutes(10), [&runner, &webhooks] {
        if (auto n = runner.Purge(); n > 0) spdlog::info("jobs: purged {} finished job(s)", n);
        if (auto n = webhooks.PurgeDeliveries(); n > 0) spdlog::info("webhooks: purged {} old deliveries", n);
    });
    // The station model for the last complete UTC day of every active station; hourly, so a day is analysed
    // soon after it ends (stations already analysed for that day are skipped).
    scheduler.Every("stations.daily_model", std::chrono::hours(1), [&stations] {
        const int n = stations.RunDaily();
        if (n > 0) spdlog::info("station model: {} station-days analysed", n);
    });
    api::Api api(ctx);
    http::ServerOptions so;
    so.host = listen->host;
    so.port = listen->port;
    so.worker_threads = cfg.workers;
    so.idle_timeout = std::chrono::seconds(cfg.idle_timeout_s);
    http::Server server(so, api, metrics);
    auto port = server.Listen();
    spdlog::info("evni {} listening on {}:{} (database {})", kVersion, listen->host, port, RedactedDbUrl(cfg.db));
    scheduler.Start();
    runner.Start();
    server.Run();
    // SIGTERM: the server stopped accepting and finished its requests; running jobs finish too,
    // claimed but unstarted work stays in the queue (its lease expires) for the next start.
    runner.Stop();
    scheduler.Stop();
    spdlog::info("evni stopped");
    return 0;
}

// `evni store copy`: copies every table from one database to another, verified by checksums.
// Returns 0 when every table's row count and checksum match, 1 otherwise.
int StoreCopy(const std::string& from, const std::string& to, bool delete_extra, std::size_t batch_rows) {
    auto source_url = config::ParseDbUrl(from);
    if (!source_url) throw std::runtime_error("--from: " + source_url.error().detail);
    auto target_url = config::ParseDbUrl(to);
    if (!target_url) throw std::runtime_error("--to: " + target_url.error().detail);
    const auto canonical = [](const config::DbUrl& u) {
        return u.kind == config::DbKind::kSqlite ? std::filesystem::weakly_canonical(u.target).string() : u.target;
    };
    if (source_url->kind == target_url->kind && canonical(*source_url) == canonical(*target_url)) {
        throw std::runtime_error("--from and --to name the same database");
    }
    // The source is only read: never migrated, and a SQLite source may be in use by `evni serve`
    // (its writes after the copy's snapshot are not included).
    std::unique_ptr<storage::Store> source;
    if (source_url->kind == config::DbKind::kPostgres) {
        storage::postgres::PostgresOptions o;
        o.conninfo = source_url->target;
        o.pool_size = 1;
        source = storage::postgres::OpenPostgresStore(o);
    } else {
        if (!std::filesystem::exists(source_url->target)) {
            throw std::runtime_error("the source database " + source_url->target + " does not exist");
        }
        storage::sqlite::SqliteOptions o;
        o.path = source_url->target;
        o.readers = 1;
        source = storage::sqlite::OpenSqliteStore(o);
    }
    storage::CheckCopySource(*source);  // refuse before the target is created or migrated
    // The target is migrated first; a SQLite target takes the single-node lock (no server on it).
    auto target = OpenStore(to, /*single_node=*/true, nullptr, 2);

    storage::CopyOptions options;
    options.delete_extra = delete_extra;
    options.batch_rows = batch_rows;
    options.progress = [](const std::string& line) { std::fprintf(stderr, "store copy: %s\n", line.c_str()); };
    auto report = storage::StoreCopier(*source, *target, options).Run();

    boost::json::array tables;
    for (const auto& t : report.tables) {
        tables.push_back(boost::json::object{{"table", t.table},
                                             {"sourceRows", t.source_rows},
                                             {"copied", t.copied},
                                             {"updated", t.updated},
                                             {"skipped", t.skipped},
                                             {"extra", t.extra},
                                             {"deleted", t.deleted},
                                             {"targetRows", t.target_rows},
                                             {"checksum", t.source_checksum},
                                             {"targetChecksum", t.target_checksum},
                                             {"checksumMatch", t.Match()}});
    }
    boost::json::object out{{"from", RedactedDbUrl(from)},
                            {"to", RedactedDbUrl(to)},
                            {"schemaVersion", report.schema_version},
                            {"ok", report.Ok()},
                            {"durationMs", static_cast<std::int64_t>(std::llround(report.seconds * 1000))},
                            {"tables", std::move(tables)}};
    std::cout << boost::json::serialize(out) << std::endl;
    if (!report.Ok()) {
        std::fprintf(stderr,
                     "evni: the target differs from the source (see checksumMatch); rows only in the target are "
                     "kept unless --delete-extra is given\n");
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (!evni::crypto::Init()) {
        std::fprintf(stderr, "evni: cannot initialise libsodium\n");
        return 1;
    }
    CLI::App app{"evni: EV Network Intelligence, anomaly verdicts for OCPP meter values"};
    app.set_version_flag("--version", std::string("evni ") + kVersion);
    app.require_subcommand(1);

    config::ServeConfig serve_cfg;
    auto* serve = app.add_subcommand("serve", "Serve the HTTP API");
    serve->add_option("--listen", serve_cfg.listen, "HOST:PORT to listen on")
        ->envname("EVNI_LISTEN")
        ->capture_default_str();
    serve
        ->add_option("--db", serve_cfg.db,
                     "Database URL (sqlite:///path/file.db or postgresql://user:pass@host:port/db)")
        ->envname("EVNI_DB")
        ->capture_default_str();
    int db_pool = 12;  // 8 request workers + 2 job workers + the scheduler + one spare
    serve->add_option("--db-pool", db_pool, "PostgreSQL connections per process (at most)")
        ->envname("EVNI_DB_POOL")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    serve->add_option("--workers", serve_cfg.workers, "Request worker threads")
        ->envname("EVNI_WORKERS")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    serve->add_option("--idle-timeout", serve_cfg.idle_timeout_s, "Seconds an idle keep-alive connection stays open")
        ->envname("EVNI_IDLE_TIMEOUT")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    JobsConfig jobs_cfg;
    serve
        ->add_option("--job-workers", jobs_cfg.workers,
                     "Worker threads running background jobs (webhook deliveries, ...)")
        ->envname("EVNI_JOB_WORKERS")
        ->check(CLI::Range(0, 64))
        ->capture_default_str();
    serve
        ->add_option("--job-poll-ms", jobs_cfg.poll_ms,
                     "Milliseconds between looks for due jobs by an idle worker (jobs of this node wake it at once)")
        ->envname("EVNI_JOB_POLL_MS")
        ->check(CLI::Range(10, 60000))
        ->capture_default_str();
    serve
        ->add_flag("--allow-private-webhooks", jobs_cfg.allow_private_webhooks,
                   "Accept webhook URLs with plain http or loopback/private addresses (tests, on-premises receivers)")
        ->envname("EVNI_ALLOW_PRIVATE_WEBHOOKS");
    serve
        ->add_option("--secret-key-file", jobs_cfg.secret_key_file,
                     "File with the server key sealing webhook secrets, created when missing (default: "
                     "evni-secret.key next to the SQLite file, or data/evni-secret.key); EVNI_SECRET_KEY (64 hex "
                     "digits) takes precedence")
        ->envname("EVNI_SECRET_KEY_FILE");
    serve
        ->add_option("--webhook-retry-base-ms", jobs_cfg.webhook_retry_base_ms,
                     "First retry delay of a failed webhook delivery (doubles per attempt, at most 1 h, for 24 h)")
        ->envname("EVNI_WEBHOOK_RETRY_BASE_MS")
        ->check(CLI::Range(10, 3600000))
        ->capture_default_str();
    serve
        ->add_option("--webhook-timeout-ms", jobs_cfg.webhook_timeout_ms,
                     "Total time limit of one webhook delivery attempt")
        ->envname("EVNI_WEBHOOK_TIMEOUT_MS")
        ->check(CLI::Range(100, 120000))
        ->capture_default_str();
    serve
        ->add_option("--webhook-disable-after", jobs_cfg.webhook_disable_after,
                     "Consecutive failed delivery attempts after which a webhook is disabled")
        ->envname("EVNI_WEBHOOK_DISABLE_AFTER")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    serve->add_option("--log-level", serve_cfg.log_level, "trace, debug, info, warn, error")
        ->envname("EVNI_LOG_LEVEL")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
        ->capture_default_str();
    serve->add_option("--llm-url", serve_cfg.llm_url, "OpenAI-compatible LLM endpoint for explain/ask (base URL)")
        ->envname("EVNI_LLM_URL");
    serve->add_option("--llm-model", serve_cfg.llm_model, "LLM model name")->envname("EVNI_LLM_MODEL");
    serve->add_option("--llm-key", serve_cfg.llm_key, "LLM API key (bearer token)")->envname("EVNI_LLM_KEY");
    serve
        ->add_option("--llm-timeout", serve_cfg.llm_timeout_s,
                     "Seconds an LLM request may take before the built-in "
                     "explainer answers instead")
        ->envname("EVNI_LLM_TIMEOUT")
        ->check(CLI::Range(1, 600))
        ->capture_default_str();

    int statistics_interval_s = 300;
    serve
        ->add_option("--statistics-interval", statistics_interval_s,
                     "Seconds between runs of the statistics.data_quality job (the first runs 2 s after start)")
        ->envname("EVNI_STATISTICS_INTERVAL")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();

    std::string db = "sqlite://./data/evni.db";
    auto* migrate = app.add_subcommand("migrate", "Create or upgrade the database schema");
    migrate->add_option("--db", db, "Database URL")->envname("EVNI_DB")->capture_default_str();

    auto* tenant = app.add_subcommand("tenant", "Manage tenants");
    tenant->require_subcommand(1);
    std::string tenant_name;
    bool if_none = false;
    auto* tenant_create = tenant->add_subcommand("create", "Create a tenant and print its first (admin) API key");
    tenant_create->add_option("--name", tenant_name, "Tenant name")->required()->check([](const std::string& s) {
        return s.empty() || s.size() > 200 ? std::string("name must have 1 to 200 characters") : std::string();
    });
    tenant_create->add_option("--db", db, "Database URL")->envname("EVNI_DB")->capture_default_str();
    tenant_create->add_flag("--if-none", if_none, "Only create it when the database has no tenant yet");
    bool super_admin = false;
    tenant_create->add_flag("--super-admin", super_admin,
                            "Make the first key super_admin (operator of the installation: may create tenants)");

    // Documentation: the viewer's files for /docs, and the OpenAPI document without a server.
    std::string docs_dir;
    serve
        ->add_option("--docs-dir", docs_dir,
                     "Directory with the /docs viewer files (default: docs/ next to the binary)")
        ->envname("EVNI_DOCS_DIR");
    auto* openapi_cmd = app.add_subcommand("openapi", "Print the OpenAPI 3.1 document of the API (as /openapi.json)");

    // Offline analysis and the labelled generator (no server, no database).
    std::string analyze_path;
    auto* analyze_cmd = app.add_subcommand(
        "analyze",
        "Analyse sessions from a file (POST /v1/sessions shape: a JSON object, an array or JSON lines; "
        "- for stdin) and print one verdict per session as JSON lines");
    analyze_cmd->add_option("FILE", analyze_path, "Input file, or - for standard input")->required();
    evni::app::GenerateOptions gen_options;
    std::string gen_faults;
    auto* generate_cmd = app.add_subcommand(
        "generate", "Print realistic labelled sessions as JSON lines (request shape plus a \"labels\" field)");
    generate_cmd->add_option("--seed", gen_options.seed, "Random seed")->capture_default_str();
    generate_cmd->add_option("--sessions", gen_options.sessions, "How many sessions")
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    generate_cmd->add_option("--faults", gen_faults, "Comma-separated categories to inject (cycled); none: clean");
    generate_cmd->add_option("--severity", gen_options.severity, "0 subtle .. 1 blatant")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    generate_cmd->add_flag("--hard-negatives", gen_options.hard_negatives,
                           "Generate hard negatives (normal sessions that look odd) instead");
    generate_cmd->add_option("--data-dir", gen_options.data_dir,
                             "Real session tables for the populations (default: $EVNI_DATA_DIR or ../shared/data)");

    // Whole-store operations.
    auto* store_cmd = app.add_subcommand("store", "Whole-store operations");
    store_cmd->require_subcommand(1);
    std::string copy_from, copy_to;
    bool copy_delete_extra = false;
    std::size_t copy_batch_rows = 2000;
    auto* store_copy = store_cmd->add_subcommand(
        "copy",
        "Copy every table (tenants, keys, members, audit log, sessions with meter values and verdicts, ...) from "
        "one database to another, e.g. SQLite to PostgreSQL; verifies row counts and checksums and prints a JSON "
        "summary. Safe to re-run: identical rows are skipped, changed rows overwritten. The source is only read "
        "(one snapshot; a SQLite source may stay in use, writes after the start are not copied); the target is "
        "migrated first and must not be in use.");
    store_copy->add_option("--from", copy_from, "Source database URL")->required();
    store_copy->add_option("--to", copy_to, "Target database URL")->required();
    store_copy->add_flag("--delete-extra", copy_delete_extra,
                         "Delete target rows the source does not have (make the target an exact copy)");
    store_copy->add_option("--batch-rows", copy_batch_rows, "Rows per target transaction")
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();

    CLI11_PARSE(app, argc, argv);

    try {
        if (serve->parsed()) {
            evni::log::Init(serve_cfg.log_level);
            int rc = Serve(serve_cfg, db_pool, docs_dir, jobs_cfg, statistics_interval_s);
            spdlog::shutdown();
            return rc;
        }
        evni::log::Init("warn");
        if (openapi_cmd->parsed()) {
            evni::api::Api api(evni::api::ApiContext{});  // only the route table is used
            auto doc = evni::api::openapi::BuildDocument(api.Routes(), evni::api::openapi::DocRegistry::Default());
            std::cout << boost::json::serialize(doc) << std::endl;
            return 0;
        }
        if (analyze_cmd->parsed()) return evni::app::AnalyzeFile(analyze_path, std::cout, std::cerr);
        if (generate_cmd->parsed()) {
            std::stringstream list(gen_faults);
            for (std::string item; std::getline(list, item, ',');) {
                if (!item.empty()) gen_options.faults.push_back(item);
            }
            return evni::app::Generate(gen_options, std::cout, std::cerr);
        }
        if (store_copy->parsed()) {
            int rc = StoreCopy(copy_from, copy_to, copy_delete_extra, copy_batch_rows);
            spdlog::shutdown();
            return rc;
        }
        if (migrate->parsed()) {
            auto store = OpenStore(db, false, nullptr);
            std::cout << "{\"status\":\"migrated\"}" << std::endl;
            return 0;
        }
        if (tenant_create->parsed()) {
            auto store = OpenStore(db, false, nullptr);
            if (if_none) {
                auto tx = store->Begin(evni::storage::TxMode::kRead);
                if (tx->Tenants().Count() > 0) return 0;
            }
            evni::SystemClock clock;
            evni::api::ApiKeyService keys(*store, clock);
            auto created = keys.CreateTenant(
                tenant_name, super_admin ? evni::domain::Role::kSuperAdmin : evni::domain::Role::kAdmin);
            if (!created) throw std::runtime_error(created.error().detail);
            boost::json::object o{{"tenantId", created->tenant.id}, {"apiKey", created->admin_key.secret}};
            std::cout << boost::json::serialize(o) << std::endl;
            return 0;
        }
    } catch (const std::exception& e) {
        spdlog::shutdown();
        std::fprintf(stderr, "evni: %s\n", e.what());
        return 1;
    }
    return 0;
}
