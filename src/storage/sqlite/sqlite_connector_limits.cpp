#include "storage/sqlite/sqlite_connector_limits.h"

namespace evni::storage::sqlite {
namespace {

class SqliteConnectorLimits final : public ConnectorLimitRepository {
  public:
    explicit SqliteConnectorLimits(Connection& c) : c_(c) {}

    void Upsert(const PowerObservationRecord& r) override {
        c_.Prepare(
              "INSERT INTO connector_power_observations (session_pk, tenant_id, station_id, connector_id, "
              "sustained_peak_kw, current_type, phases, observed_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
              "?8, ?9) ON CONFLICT (session_pk) DO UPDATE SET station_id = excluded.station_id, "
              "connector_id = excluded.connector_id, sustained_peak_kw = excluded.sustained_peak_kw, "
              "current_type = excluded.current_type, phases = excluded.phases, observed_at = excluded.observed_at, "
              "updated_at = excluded.updated_at WHERE connector_power_observations.tenant_id = excluded.tenant_id")
            .Bind(1, r.session_pk)
            .Bind(2, r.tenant_id)
            .Bind(3, r.station_id)
            .Bind(4, r.connector_id)
            .Bind(5, r.observation.sustained_peak_kw)
            .Bind(6, r.observation.current_type)
            .Bind(7, static_cast<std::int64_t>(r.observation.phases))
            .Bind(8, r.observation.observed_at)
            .Bind(9, r.updated_at)
            .Run();
    }

    void Delete(const std::string& tenant_id, std::int64_t session_pk) override {
        c_.Prepare("DELETE FROM connector_power_observations WHERE session_pk = ?1 AND tenant_id = ?2")
            .Bind(1, session_pk)
            .Bind(2, tenant_id)
            .Run();
    }

    void Move(const std::string& tenant_id, std::int64_t session_pk, const std::string& station_id,
              const std::string& connector_id) override {
        c_.Prepare(
              "UPDATE connector_power_observations SET station_id = ?3, connector_id = ?4 WHERE session_pk = ?1 "
              "AND tenant_id = ?2")
            .Bind(1, session_pk)
            .Bind(2, tenant_id)
            .Bind(3, station_id)
            .Bind(4, connector_id)
            .Run();
    }

    std::vector<ConnectorPowerEntry> ForConnector(const std::string& tenant_id, const std::string& station_id,
                                                  const std::string& connector_id, std::int64_t exclude_pk,
                                                  std::int64_t limit) override {
        auto s = c_.Prepare(
            "SELECT sustained_peak_kw, current_type, phases, observed_at, session_pk FROM connector_power_observations "
            "INDEXED BY connector_power_observations_by_connector WHERE tenant_id = ?1 AND station_id = ?2 AND "
            "connector_id = ?3 AND session_pk <> ?4 ORDER BY observed_at DESC, session_pk DESC LIMIT ?5");
        s.Bind(1, tenant_id).Bind(2, station_id).Bind(3, connector_id).Bind(4, exclude_pk).Bind(5, limit);
        std::vector<ConnectorPowerEntry> out;
        while (s.Step()) out.push_back({s.Int(4), {s.Double(0), s.Text(1), static_cast<int>(s.Int(2)), s.Int(3)}});
        return out;
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<ConnectorLimitRepository> MakeConnectorLimitRepository(Connection& connection) {
    return std::make_unique<SqliteConnectorLimits>(connection);
}

}  // namespace evni::storage::sqlite
