// Micro-benchmarks of the per-connector SoC prior on the session write path (docs/soc_prior.md): the direct
// capacity estimate of a W1-shaped session, and a whole-session insert through SessionService on SQLite with and
// without the SocPriorListener (the listener's share of the hot path), with and without SoC readings.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>

#include "analysis/soc_prior.h"
#include "api/api_key_service.h"
#include "api/session_service.h"
#include "api/soc_prior.h"
#include "storage/sqlite/sqlite_store.h"
#include "util/crypto.h"

namespace {

using evni::domain::EpochMs;
using evni::domain::MeterValue;
using evni::domain::MeterValues;

constexpr EpochMs kT0 = 1'772'186'400'000;  // 2026-02-27T10:00:00Z

// The load generator's W1 session: 2 h of 7.4 kW AC at 1-minute cadence, register + power (+ SoC 20 -> 80 %).
MeterValues W1Session(bool with_soc) {
    MeterValues values;
    for (int m = 0; m < 120; ++m) {
        const EpochMs t = kT0 + m * 60'000LL;
        values.push_back(
            {t, 7.4 * m / 60.0, "Energy.Active.Import.Register", "kWh", std::nullopt, std::nullopt, false});
        values.push_back({t, 7.4, "Power.Active.Import", "kW", std::nullopt, std::nullopt, false});
        if (with_soc)
            values.push_back({t, 20.0 + 60.0 * m / 120.0, "SoC", "Percent", std::nullopt, std::nullopt, false});
    }
    return values;
}

void BM_SocPriorEstimateW1(benchmark::State& state) {
    const MeterValues values = W1Session(true);
    for (auto _ : state) benchmark::DoNotOptimize(evni::analysis::EstimateSessionCapacity(values));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}
BENCHMARK(BM_SocPriorEstimateW1)->Unit(benchmark::kMicrosecond);

class FixedClock final : public evni::Clock {
  public:
    EpochMs NowMs() const override { return kT0 + 86'400'000LL; }
};

// Inserts W1 sessions (each on its own connector of one station) into a fresh SQLite store.
// Args: listener (0/1), SoC readings (0/1).
void BM_InsertW1Session(benchmark::State& state) {
    const bool listener_on = state.range(0) != 0;
    const MeterValues values = W1Session(state.range(1) != 0);
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
        evni::api::SocPriorListener listener(clock);
        if (listener_on) sessions.AddListener(&listener);
        auto tenant = keys.CreateTenant("bench");
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
BENCHMARK(BM_InsertW1Session)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->ArgNames({"listener", "soc"})
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0);

}  // namespace
