#include "storage/sqlite/sqlite_soc_prior.h"

namespace evni::storage::sqlite {
namespace {

constexpr std::string_view kObservationColumns =
    "peak_power_kw, capacity_kwh, weight, observed_at, ev_max_power_kw, start_soc, session_energy_kwh, session_minutes";

std::vector<analysis::PriorObservation> ReadObservations(Statement& s) {
    std::vector<analysis::PriorObservation> out;
    while (s.Step()) {
        out.push_back(
            {s.Double(0), s.Double(1), s.Double(2), s.Int(3), s.Double(4), s.Double(5), s.Double(6), s.Double(7)});
    }
    return out;
}

class SqliteSocPriors final : public SocPriorRepository {
  public:
    explicit SqliteSocPriors(Connection& c) : c_(c) {}

    void Upsert(const SocObservationRecord& r) override {
        c_.Prepare(
              "INSERT INTO connector_soc_priors (session_pk, tenant_id, station_id, connector_id, peak_power_kw, "
              "capacity_kwh, weight, observed_at, updated_at, ev_max_power_kw, start_soc, session_energy_kwh, "
              "session_minutes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
              "ON CONFLICT (session_pk) DO UPDATE SET station_id = excluded.station_id, "
              "connector_id = excluded.connector_id, peak_power_kw = excluded.peak_power_kw, "
              "capacity_kwh = excluded.capacity_kwh, weight = excluded.weight, observed_at = excluded.observed_at, "
              "updated_at = excluded.updated_at, ev_max_power_kw = excluded.ev_max_power_kw, "
              "start_soc = excluded.start_soc, session_energy_kwh = excluded.session_energy_kwh, "
              "session_minutes = excluded.session_minutes WHERE "
              "connector_soc_priors.tenant_id = excluded.tenant_id")
            .Bind(1, r.session_pk)
            .Bind(2, r.tenant_id)
            .Bind(3, r.station_id)
            .Bind(4, r.connector_id)
            .Bind(5, r.observation.peak_power_kw)
            .Bind(6, r.observation.capacity_kwh)
            .Bind(7, r.observation.weight)
            .Bind(8, r.observation.observed_at)
            .Bind(9, r.updated_at)
            .Bind(10, r.observation.ev_max_power_kw)
            .Bind(11, r.observation.start_soc)
            .Bind(12, r.observation.session_energy_kwh)
            .Bind(13, r.observation.session_minutes)
            .Run();
    }

    void Delete(const std::string& tenant_id, std::int64_t session_pk) override {
        c_.Prepare("DELETE FROM connector_soc_priors WHERE session_pk = ?1 AND tenant_id = ?2")
            .Bind(1, session_pk)
            .Bind(2, tenant_id)
            .Run();
    }

    bool Exists(const std::string& tenant_id, std::int64_t session_pk) override {
        auto s = c_.Prepare("SELECT 1 FROM connector_soc_priors WHERE session_pk = ?1 AND tenant_id = ?2");
        s.Bind(1, session_pk).Bind(2, tenant_id);
        return s.Step();
    }

    void Move(const std::string& tenant_id, std::int64_t session_pk, const std::string& station_id,
              const std::string& connector_id) override {
        c_.Prepare(
              "UPDATE connector_soc_priors SET station_id = ?3, connector_id = ?4 WHERE session_pk = ?1 AND "
              "tenant_id = ?2")
            .Bind(1, session_pk)
            .Bind(2, tenant_id)
            .Bind(3, station_id)
            .Bind(4, connector_id)
            .Run();
    }

    std::vector<analysis::PriorObservation> ForConnector(const std::string& tenant_id, const std::string& station_id,
                                                         const std::string& connector_id, std::int64_t exclude_pk,
                                                         std::int64_t limit) override {
        auto s = c_.Prepare("SELECT " + std::string(kObservationColumns) +
                            " FROM connector_soc_priors INDEXED BY connector_soc_priors_by_connector WHERE "
                            "tenant_id = ?1 AND station_id = ?2 AND connector_id = ?3 AND session_pk <> ?4 "
                            "ORDER BY observed_at DESC, session_pk DESC LIMIT ?5");
        s.Bind(1, tenant_id).Bind(2, station_id).Bind(3, connector_id).Bind(4, exclude_pk).Bind(5, limit);
        return ReadObservations(s);
    }

    std::vector<analysis::PriorObservation> ForStation(const std::string& tenant_id, const std::string& station_id,
                                                       std::int64_t exclude_pk, std::int64_t limit) override {
        auto s = c_.Prepare("SELECT " + std::string(kObservationColumns) +
                            " FROM connector_soc_priors INDEXED BY connector_soc_priors_by_station WHERE "
                            "tenant_id = ?1 AND station_id = ?2 AND session_pk <> ?3 "
                            "ORDER BY observed_at DESC, session_pk DESC LIMIT ?4");
        s.Bind(1, tenant_id).Bind(2, station_id).Bind(3, exclude_pk).Bind(4, limit);
        return ReadObservations(s);
    }

    std::vector<analysis::PriorObservation> ForOtherConnectors(const std::string& tenant_id,
                                                               const std::string& station_id,
                                                               const std::string& connector_id, std::int64_t exclude_pk,
                                                               std::int64_t limit) override {
        auto s = c_.Prepare("SELECT " + std::string(kObservationColumns) +
                            " FROM connector_soc_priors INDEXED BY connector_soc_priors_by_tenant WHERE "
                            "tenant_id = ?1 AND NOT (station_id = ?2 AND connector_id = ?3) AND session_pk <> ?4 "
                            "ORDER BY observed_at DESC, session_pk DESC LIMIT ?5");
        s.Bind(1, tenant_id).Bind(2, station_id).Bind(3, connector_id).Bind(4, exclude_pk).Bind(5, limit);
        return ReadObservations(s);
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<SocPriorRepository> MakeSocPriorRepository(Connection& connection) {
    return std::make_unique<SqliteSocPriors>(connection);
}

}  // namespace evni::storage::sqlite
