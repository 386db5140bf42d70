// Micro-benchmark of the active model's threshold on the session write path (docs/models.md): whole W1-shaped
// session inserts through SessionService on SQLite with the constructor's fixed threshold, with the threshold from
// ModelService's per-tenant cache (what `evni serve` does), and with the active model's row read in every write's
// transaction (the uncached alternative).

#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>

#include "api/api_key_service.h"
#include "api/model_service.h"
#include "api/session_service.h"
#include "storage/sqlite/sqlite_store.h"
#include "util/crypto.h"

namespace {

using evni::domain::EpochMs;
using evni::domain::MeterValues;

constexpr EpochMs kT0 = 1'772'186'400'000;  // 2026-02-27T10:00:00Z

// The load generator's W1 session: 2 h of 7.4 kW AC at 1-minute cadence, register + power.
MeterValues W1Session() {
    MeterValues values;
    for (int m = 0; m < 120; ++m) {
        const EpochMs t = kT0 + m * 60'000LL;
        values.push_back(
            {t, 7.4 * m / 60.0, "Energy.Active.Import.Register", "kWh", std::nullopt, std::nullopt, false});
        values.push_back({t, 7.4, "Power.Active.Import", "kW", std::nullopt, std::nullopt, false});
    }
    return values;
}

class FixedClock final : public evni::Clock {
  public:
    EpochMs NowMs() const override { return kT0 + 86'400'000LL; }
};

// Arg: 0 fixed threshold, 1 ModelService cache, 2 a query in every write's transaction.
void BM_InsertW1SessionThreshold(benchmark::State& state) {
    const int mode = static_cast<int>(state.range(0));
    const MeterValues values = W1Session();
    evni::crypto::Init();
    const auto dir = std::filesystem::temp_directory_path() / ("evni-bench-" + evni::crypto::RandomHex(6));
    std::filesystem::create_directories(dir);
    {
        evni::storage::sqlite::SqliteOptions o;
        o.path = (dir / "evni.db").string();
        auto store = evni::storage::sqlite::OpenSqliteStore(o);
        store->Migrate();
        FixedClock clock;
        evni::Metrics metrics;
        evni::api::ApiKeyService keys(*store, clock);
        evni::api::SessionService sessions(*store, clock, metrics);
        evni::api::ModelService models(*store, clock);
        auto tenant = keys.CreateTenant("bench");
        {
            // The tenant has an active model, so the query finds its row.
            evni::storage::ModelRecord m;
            m.id = "model_bench";
            m.tenant_id = tenant->tenant.id;
            m.name = m.version = m.base_model = "bench";
            m.threshold = 0.7;
            m.metrics_json = "{}";
            m.created_at = kT0;
            auto tx = store->Begin(evni::storage::TxMode::kWrite);
            tx->Models().InsertActive(m);
            tx->Commit();
        }
        if (mode == 1) {
            sessions.SetThresholdSource(
                [&models](evni::storage::Transaction& tx, const std::string& t) { return models.ThresholdFor(tx, t); });
        } else if (mode == 2) {
            sessions.SetThresholdSource([](evni::storage::Transaction& tx, const std::string& t) {
                return tx.Models().ActiveThreshold(t).value_or(0.5);
            });
        }
        const evni::domain::Principal who{tenant->tenant.id, tenant->admin_key.key.id, evni::domain::Role::kAdmin};
        std::int64_t n = 0;
        for (auto _ : state) {
            evni::api::UpsertSession cmd;
            cmd.session_id = "s" + std::to_string(n);
            cmd.station_id = "CP-1";
            cmd.changes.connector_id = {true, "c" + std::to_string(n)};
            cmd.changes.meter_values = values;
            ++n;
            if (!sessions.Upsert(who, std::move(cmd))) state.SkipWithError("upsert failed");
        }
        state.SetItemsProcessed(state.iterations());
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_InsertW1SessionThreshold)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("mode")
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0);

}  // namespace
