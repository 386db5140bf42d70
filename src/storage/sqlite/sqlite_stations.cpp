#include "storage/sqlite/sqlite_stations.h"

#include "storage/sqlite/sqlite_db.h"

namespace evni::storage::sqlite {
namespace {

using domain::EpochMs;

constexpr std::string_view kStationColumns =
    "tenant_id, station_id, created_at, metadata, total_sessions, anomalous_sessions, max_score, latest_score, "
    "latest_score_at, last_anomaly_at, last_activity_at";

StationRecord ReadStation(const Statement& s) {
    StationRecord r;
    r.tenant_id = s.Text(0);
    r.station_id = s.Text(1);
    r.created_at = s.Int(2);
    r.metadata_json = s.OptText(3);
    r.aggregates.total_sessions = s.Int(4);
    r.aggregates.anomalous_sessions = s.Int(5);
    r.aggregates.max_score = s.OptDouble(6);
    r.aggregates.latest_score = s.OptDouble(7);
    r.aggregates.latest_score_at = s.OptInt(8);
    r.aggregates.last_anomaly_at = s.OptInt(9);
    r.last_activity_at = s.OptInt(10);
    return r;
}

constexpr std::string_view kDayColumns =
    "tenant_id, station_id, day, inference_id, analyzed_at, is_anomaly, day_score, anomaly_type, expected_kwh, "
    "actual_kwh, details, timeline, markers";

StationDayRecord ReadDay(const Statement& s) {
    StationDayRecord r;
    r.tenant_id = s.Text(0);
    r.station_id = s.Text(1);
    r.day = s.Int(2);
    r.inference_id = s.Text(3);
    r.analyzed_at = s.Int(4);
    r.is_anomaly = s.Int(5) != 0;
    r.day_score = s.Double(6);
    r.anomaly_type = s.OptText(7);
    r.expected_kwh = s.Double(8);
    r.actual_kwh = s.Double(9);
    r.details_json = s.Text(10);
    r.timeline_json = s.Text(11);
    r.markers_json = s.Text(12);
    return r;
}

StationAnomalyRef ReadAnomaly(const Statement& s) {
    return StationAnomalyRef{s.Int(0), s.Text(1), s.OptText(2), s.Text(3), s.Int(4), s.Int(5)};
}

class SqliteStations final : public StationRepository {
  public:
    explicit SqliteStations(Connection& c) : c_(c) {}

    std::optional<StationRecord> Find(const std::string& tenant_id, const std::string& station_id) override {
        auto s = c_.Prepare(std::string("SELECT ") + std::string(kStationColumns) +
                            " FROM stations WHERE tenant_id = ?1 AND station_id = ?2");
        s.Bind(1, tenant_id).Bind(2, station_id);
        if (!s.Step()) return std::nullopt;
        return ReadStation(s);
    }

    StationPage List(const std::string& tenant_id, const StationFilter& f) override {
        std::string where = " FROM stations WHERE tenant_id = ?1";
        if (f.station_id) where += " AND station_id = ?2";
        if (f.occurrence_from) where += " AND last_anomaly_at >= ?3";
        if (f.occurrence_to) where += " AND last_anomaly_at <= ?4";
        std::string order = " ORDER BY station_id";
        switch (f.sort) {
            case StationSort::kAnomaliesAsc:
                order = " ORDER BY anomalous_sessions ASC, station_id";
                break;
            case StationSort::kAnomaliesDesc:
                order = " ORDER BY anomalous_sessions DESC, station_id";
                break;
            case StationSort::kScoreAsc:
                order = " ORDER BY coalesce(max_score, -1) ASC, station_id";
                break;
            case StationSort::kScoreDesc:
                order = " ORDER BY coalesce(max_score, -1) DESC, station_id";
                break;
            case StationSort::kNone:
                break;
        }
        auto bind = [&](Statement& s) {
            s.Bind(1, tenant_id);
            if (f.station_id) s.Bind(2, *f.station_id);
            if (f.occurrence_from) s.Bind(3, *f.occurrence_from);
            if (f.occurrence_to) s.Bind(4, *f.occurrence_to);
        };
        StationPage page;
        {
            auto s = c_.Prepare("SELECT count(*)" + where);
            bind(s);
            s.Step();
            page.total_count = s.Int(0);
        }
        auto s =
            c_.Prepare(std::string("SELECT ") + std::string(kStationColumns) + where + order + " LIMIT ?5 OFFSET ?6");
        bind(s);
        s.Bind(5, f.page_size).Bind(6, (f.page - 1) * f.page_size);
        while (s.Step()) page.items.push_back(ReadStation(s));
        return page;
    }

    std::vector<std::string> Ids(const std::string& tenant_id) override {
        auto s = c_.Prepare("SELECT station_id FROM stations WHERE tenant_id = ?1 ORDER BY station_id");
        s.Bind(1, tenant_id);
        std::vector<std::string> out;
        while (s.Step()) out.push_back(s.Text(0));
        return out;
    }

    std::vector<ConnectorRecord> Connectors(const std::string& tenant_id, const std::string& station_id) override {
        auto s = c_.Prepare(
            "SELECT connector_id, evse_id, metadata, created_at, total_sessions, anomalous_sessions, max_score, "
            "latest_score, latest_score_at, last_anomaly_at FROM connectors WHERE tenant_id = ?1 AND station_id = ?2 "
            "ORDER BY connector_id");
        s.Bind(1, tenant_id).Bind(2, station_id);
        std::vector<ConnectorRecord> out;
        while (s.Step()) {
            ConnectorRecord r;
            r.connector_id = s.Text(0);
            r.evse_id = s.OptText(1);
            r.metadata_json = s.OptText(2);
            r.created_at = s.Int(3);
            r.aggregates.total_sessions = s.Int(4);
            r.aggregates.anomalous_sessions = s.Int(5);
            r.aggregates.max_score = s.OptDouble(6);
            r.aggregates.latest_score = s.OptDouble(7);
            r.aggregates.latest_score_at = s.OptInt(8);
            r.aggregates.last_anomaly_at = s.OptInt(9);
            out.push_back(std::move(r));
        }
        auto c = c_.Prepare(
            "SELECT connector_id, category, anomalies FROM station_category_counts WHERE tenant_id = ?1 AND "
            "station_id = ?2 AND anomalies > 0");
        c.Bind(1, tenant_id).Bind(2, station_id);
        while (c.Step()) {
            const auto id = c.Text(0);
            for (auto& r : out) {
                if (r.connector_id == id) r.categories[c.Text(1)] = c.Int(2);
            }
        }
        return out;
    }

    std::map<std::string, std::int64_t> StationCategories(const std::string& tenant_id,
                                                          const std::string& station_id) override {
        auto s = c_.Prepare(
            "SELECT category, sum(anomalies) FROM station_category_counts WHERE tenant_id = ?1 AND station_id = ?2 "
            "GROUP BY category HAVING sum(anomalies) > 0");
        s.Bind(1, tenant_id).Bind(2, station_id);
        std::map<std::string, std::int64_t> out;
        while (s.Step()) out[s.Text(0)] = s.Int(1);
        return out;
    }

    void Adjust(const std::string& tenant_id, const std::string& station_id,
                const std::optional<std::string>& connector_id, const AggregateDelta& d) override {
        const std::string set =
            " SET total_sessions = total_sessions + ?3, anomalous_sessions = anomalous_sessions + ?4, "
            "max_score = CASE WHEN ?5 IS NULL THEN max_score ELSE max(coalesce(max_score, ?5), ?5) END, "
            "latest_score = CASE WHEN ?7 IS NULL THEN latest_score ELSE ?6 END, "
            "latest_score_at = coalesce(?7, latest_score_at), "
            "last_anomaly_at = CASE WHEN ?8 IS NULL THEN last_anomaly_at ELSE max(coalesce(last_anomaly_at, ?8), ?8) "
            "END";
        auto bind = [&](Statement& s) {
            s.Bind(1, tenant_id).Bind(2, station_id).Bind(3, d.total_sessions).Bind(4, d.anomalous_sessions);
            s.Bind(5, d.score).Bind(6, d.latest_score).Bind(7, d.latest_score_at).Bind(8, d.anomaly_at);
        };
        auto s = c_.Prepare("UPDATE stations" + set +
                            ", last_activity_at = CASE WHEN ?9 IS NULL THEN last_activity_at ELSE "
                            "max(coalesce(last_activity_at, ?9), ?9) END WHERE tenant_id = ?1 AND station_id = ?2");
        bind(s);
        s.Bind(9, d.activity_at);
        s.Run();
        if (connector_id) {
            auto c = c_.Prepare("UPDATE connectors" + set +
                                " WHERE tenant_id = ?1 AND station_id = ?2 AND connector_id = ?9");
            bind(c);
            c.Bind(9, *connector_id);
            c.Run();
        }
    }

    void AdjustCategory(const std::string& tenant_id, const std::string& station_id, const std::string& connector_id,
                        const std::string& category, std::int64_t delta) override {
        c_.Prepare(
              "INSERT INTO station_category_counts (tenant_id, station_id, connector_id, category, anomalies) "
              "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant_id, station_id, connector_id, category) "
              "DO UPDATE SET anomalies = anomalies + excluded.anomalies")
            .Bind(1, tenant_id)
            .Bind(2, station_id)
            .Bind(3, connector_id)
            .Bind(4, category)
            .Bind(5, delta)
            .Run();
    }

    StationAggregates Aggregates(const std::string& tenant_id, const std::string& station_id,
                                 const std::optional<std::string>& connector_id) override {
        const std::string cols =
            "SELECT total_sessions, anomalous_sessions, max_score, latest_score, latest_score_at, last_anomaly_at";
        auto s = connector_id ? c_.Prepare(cols +
                                           " FROM connectors WHERE tenant_id = ?1 AND station_id = ?2 AND "
                                           "connector_id = ?3")
                              : c_.Prepare(cols + " FROM stations WHERE tenant_id = ?1 AND station_id = ?2");
        s.Bind(1, tenant_id).Bind(2, station_id);
        if (connector_id) s.Bind(3, *connector_id);
        StationAggregates a;
        if (!s.Step()) return a;
        a.total_sessions = s.Int(0);
        a.anomalous_sessions = s.Int(1);
        a.max_score = s.OptDouble(2);
        a.latest_score = s.OptDouble(3);
        a.latest_score_at = s.OptInt(4);
        a.last_anomaly_at = s.OptInt(5);
        return a;
    }

    void RecomputeExtremes(const std::string& tenant_id, const std::string& station_id,
                           const std::optional<std::string>& connector_id) override {
        if (connector_id) {
            c_.Prepare(
                  "UPDATE connectors SET max_score = (SELECT max(anomaly_score) FROM sessions s "
                  "INDEXED BY sessions_by_station_started WHERE s.tenant_id = ?1 AND s.station_id = ?2 AND "
                  "s.connector_id = ?3), last_anomaly_at = (SELECT max(coalesce(started_at, created_at)) FROM "
                  "sessions s INDEXED BY sessions_by_station_started WHERE s.tenant_id = ?1 AND s.station_id = ?2 AND "
                  "s.connector_id = ?3 AND s.is_anomaly = 1) WHERE tenant_id = ?1 AND station_id = ?2 AND "
                  "connector_id = ?3")
                .Bind(1, tenant_id)
                .Bind(2, station_id)
                .Bind(3, *connector_id)
                .Run();
            return;
        }
        c_.Prepare(
              "UPDATE stations SET max_score = (SELECT max(anomaly_score) FROM sessions s INDEXED BY "
              "sessions_by_station_started WHERE s.tenant_id = ?1 AND s.station_id = ?2), last_anomaly_at = (SELECT "
              "max(coalesce(started_at, created_at)) FROM sessions s INDEXED BY sessions_by_station_started WHERE "
              "s.tenant_id = ?1 AND s.station_id = ?2 AND s.is_anomaly = 1) WHERE tenant_id = ?1 AND station_id = ?2")
            .Bind(1, tenant_id)
            .Bind(2, station_id)
            .Run();
    }

    void SaveMetadata(const std::string& tenant_id, const std::string& station_id,
                      const std::string& metadata_json) override {
        c_.Prepare("UPDATE stations SET metadata = ?3 WHERE tenant_id = ?1 AND station_id = ?2")
            .Bind(1, tenant_id)
            .Bind(2, station_id)
            .Bind(3, metadata_json)
            .Run();
    }

    void SaveConnectorMetadata(const std::string& tenant_id, const std::string& station_id,
                               const std::string& connector_id, const std::string& metadata_json) override {
        c_.Prepare("UPDATE connectors SET metadata = ?4 WHERE tenant_id = ?1 AND station_id = ?2 AND connector_id = ?3")
            .Bind(1, tenant_id)
            .Bind(2, station_id)
            .Bind(3, connector_id)
            .Bind(4, metadata_json)
            .Run();
    }

    std::optional<std::string> ConnectorMetadata(const std::string& tenant_id, const std::string& station_id,
                                                 const std::string& connector_id) override {
        auto s = c_.Prepare(
            "SELECT metadata FROM connectors WHERE tenant_id = ?1 AND station_id = ?2 AND connector_id = ?3");
        s.Bind(1, tenant_id).Bind(2, station_id).Bind(3, connector_id);
        if (!s.Step()) return std::nullopt;
        return s.OptText(0);
    }

    std::vector<StationSession> SessionsBetween(const std::string& tenant_id, const std::string& station_id,
                                                EpochMs from, EpochMs to) override {
        auto s = c_.Prepare(
            "SELECT pk, session_id, connector_id, evse_id, started_at, ended_at FROM sessions INDEXED BY "
            "sessions_by_station_started WHERE tenant_id = ?1 AND station_id = ?2 AND started_at < ?4 AND "
            "ended_at >= ?3 ORDER BY started_at, pk");
        s.Bind(1, tenant_id).Bind(2, station_id).Bind(3, from).Bind(4, to);
        std::vector<StationSession> out;
        while (s.Step()) out.push_back({s.Int(0), s.Text(1), s.OptText(2), s.OptText(3), s.OptInt(4), s.OptInt(5)});
        return out;
    }

    std::vector<StationAnomalyRef> AnomaliesBetween(const std::string& tenant_id, const std::string& station_id,
                                                    EpochMs from, EpochMs to) override {
        auto s = c_.Prepare(
            "SELECT a.id, s.session_id, a.connector_id, a.category, a.start_ts, a.end_ts FROM session_anomalies a "
            "JOIN sessions s ON s.pk = a.session_pk WHERE a.tenant_id = ?1 AND a.station_id = ?2 AND "
            "a.start_ts >= ?3 AND a.start_ts < ?4 ORDER BY a.start_ts, a.id");
        s.Bind(1, tenant_id).Bind(2, station_id).Bind(3, from).Bind(4, to);
        std::vector<StationAnomalyRef> out;
        while (s.Step()) out.push_back(ReadAnomaly(s));
        return out;
    }

    std::optional<StationDayRecord> FindDayByInference(const std::string& tenant_id, const std::string& station_id,
                                                       const std::string& inference_id) override {
        auto s = c_.Prepare(std::string("SELECT ") + std::string(kDayColumns) +
                            " FROM station_days WHERE tenant_id = ?1 AND station_id = ?2 AND inference_id = ?3");
        s.Bind(1, tenant_id).Bind(2, station_id).Bind(3, inference_id);
        if (!s.Step()) return std::nullopt;
        return ReadDay(s);
    }

    std::optional<std::pair<EpochMs, EpochMs>> ActivitySpan(const std::string& tenant_id,
                                                            const std::string& station_id) override {
        auto s = c_.Prepare(
            "SELECT min(started_at), max(ended_at) FROM sessions INDEXED BY sessions_by_station_started WHERE "
            "tenant_id = ?1 AND station_id = ?2 AND started_at IS NOT NULL");
        s.Bind(1, tenant_id).Bind(2, station_id);
        if (!s.Step() || s.IsNull(0) || s.IsNull(1)) return std::nullopt;
        return std::make_pair(s.Int(0), s.Int(1));
    }

    std::optional<StationDayRecord> FindDay(const std::string& tenant_id, const std::string& station_id,
                                            EpochMs day) override {
        auto s = c_.Prepare(std::string("SELECT ") + std::string(kDayColumns) +
                            " FROM station_days WHERE tenant_id = ?1 AND station_id = ?2 AND day = ?3");
        s.Bind(1, tenant_id).Bind(2, station_id).Bind(3, day);
        if (!s.Step()) return std::nullopt;
        return ReadDay(s);
    }

    std::optional<StationDayRecord> LatestDay(const std::string& tenant_id, const std::string& station_id) override {
        auto s = c_.Prepare(std::string("SELECT ") + std::string(kDayColumns) +
                            " FROM station_days WHERE tenant_id = ?1 AND station_id = ?2 ORDER BY day DESC LIMIT 1");
        s.Bind(1, tenant_id).Bind(2, station_id);
        if (!s.Step()) return std::nullopt;
        return ReadDay(s);
    }

    void SaveDay(const StationDayRecord& r) override {
        c_.Prepare(std::string("INSERT OR REPLACE INTO station_days (") + std::string(kDayColumns) +
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
            .Bind(1, r.tenant_id)
            .Bind(2, r.station_id)
            .Bind(3, r.day)
            .Bind(4, r.inference_id)
            .Bind(5, r.analyzed_at)
            .Bind(6, std::int64_t{r.is_anomaly ? 1 : 0})
            .Bind(7, r.day_score)
            .Bind(8, r.anomaly_type)
            .Bind(9, r.expected_kwh)
            .Bind(10, r.actual_kwh)
            .Bind(11, r.details_json)
            .Bind(12, r.timeline_json)
            .Bind(13, r.markers_json)
            .Run();
    }

    StationDayPage ListDays(const std::string& tenant_id, const std::string& station_id, std::int64_t page,
                            std::int64_t page_size) override {
        StationDayPage out;
        {
            auto s = c_.Prepare("SELECT count(*) FROM station_days WHERE tenant_id = ?1 AND station_id = ?2");
            s.Bind(1, tenant_id).Bind(2, station_id);
            s.Step();
            out.total_count = s.Int(0);
        }
        auto s = c_.Prepare(std::string("SELECT ") + std::string(kDayColumns) +
                            " FROM station_days WHERE tenant_id = ?1 AND station_id = ?2 ORDER BY day DESC "
                            "LIMIT ?3 OFFSET ?4");
        s.Bind(1, tenant_id).Bind(2, station_id).Bind(3, page_size).Bind(4, (page - 1) * page_size);
        while (s.Step()) out.items.push_back(ReadDay(s));
        return out;
    }

    std::vector<std::pair<std::string, std::string>> ActiveStations(EpochMs since) override {
        auto s = c_.Prepare(
            "SELECT tenant_id, station_id FROM stations WHERE last_activity_at >= ?1 ORDER BY tenant_id, station_id");
        s.Bind(1, since);
        std::vector<std::pair<std::string, std::string>> out;
        while (s.Step()) out.emplace_back(s.Text(0), s.Text(1));
        return out;
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<StationRepository> MakeSqliteStations(Connection& connection) {
    return std::make_unique<SqliteStations>(connection);
}

}  // namespace evni::storage::sqlite
