#include "storage/postgres/pg_connector_limits.h"

namespace evni::storage::postgres {
namespace {

class PgConnectorLimits final : public ConnectorLimitRepository {
  public:
    explicit PgConnectorLimits(Connection& c) : c_(c) {}

    void Upsert(const PowerObservationRecord& r) override {
        c_.Defer(
            "INSERT INTO connector_power_observations (session_pk, tenant_id, station_id, connector_id, "
            "sustained_peak_kw, current_type, phases, observed_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
            "$8, $9) ON CONFLICT (session_pk) DO UPDATE SET station_id = excluded.station_id, "
            "connector_id = excluded.connector_id, sustained_peak_kw = excluded.sustained_peak_kw, "
            "current_type = excluded.current_type, phases = excluded.phases, observed_at = excluded.observed_at, "
            "updated_at = excluded.updated_at WHERE connector_power_observations.tenant_id = excluded.tenant_id",
            Params()
                .Add(r.session_pk)
                .Add(r.tenant_id)
                .Add(r.station_id)
                .Add(r.connector_id)
                .Add(r.observation.sustained_peak_kw)
                .Add(r.observation.current_type)
                .Add(static_cast<std::int64_t>(r.observation.phases))
                .AddTime(r.observation.observed_at)
                .AddTime(r.updated_at));
    }

    void Delete(const std::string& tenant_id, std::int64_t session_pk) override {
        c_.Exec("DELETE FROM connector_power_observations WHERE session_pk = $1 AND tenant_id = $2",
                Params().Add(session_pk).Add(tenant_id));
    }

    void Move(const std::string& tenant_id, std::int64_t session_pk, const std::string& station_id,
              const std::string& connector_id) override {
        c_.Exec(
            "UPDATE connector_power_observations SET station_id = $3, connector_id = $4 WHERE session_pk = $1 AND "
            "tenant_id = $2",
            Params().Add(session_pk).Add(tenant_id).Add(station_id).Add(connector_id));
    }

    std::vector<ConnectorPowerEntry> ForConnector(const std::string& tenant_id, const std::string& station_id,
                                                  const std::string& connector_id, std::int64_t exclude_pk,
                                                  std::int64_t limit) override {
        const Result r = c_.Exec(
            "SELECT sustained_peak_kw, current_type, phases, observed_at, session_pk FROM connector_power_observations "
            "WHERE tenant_id = $1 AND station_id = $2 AND connector_id = $3 AND session_pk <> $4 "
            "ORDER BY observed_at DESC, session_pk DESC LIMIT $5",
            Params().Add(tenant_id).Add(station_id).Add(connector_id).Add(exclude_pk).Add(limit));
        std::vector<ConnectorPowerEntry> out;
        out.reserve(static_cast<std::size_t>(r.Rows()));
        for (int i = 0; i < r.Rows(); ++i)
            out.push_back({r.Int(i, 4), {r.Double(i, 0), r.Text(i, 1), static_cast<int>(r.Int(i, 2)), r.Time(i, 3)}});
        return out;
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<ConnectorLimitRepository> MakeConnectorLimitRepository(Connection& connection) {
    return std::make_unique<PgConnectorLimits>(connection);
}

}  // namespace evni::storage::postgres
