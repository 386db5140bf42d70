#include "storage/postgres/pg_stations.h"

#include "storage/postgres/pg_db.h"

namespace evni::storage::postgres {
namespace {

using domain::EpochMs;

constexpr std::string_view kStationColumns =
    "tenant_id, station_id, created_at, metadata, total_sessions, anomalous_sessions, max_score, latest_score, "
    "latest_score_at, last_anomaly_at, last_activity_at";

StationRecord ReadStation(const Result& r, int i) {
    StationRecord s;
    s.tenant_id = r.Text(i, 0);
    s.station_id = r.Text(i, 1);
    s.created_at = r.Time(i, 2);
    s.metadata_json = r.OptText(i, 3);
    s.aggregates.total_sessions = r.Int(i, 4);
    s.aggregates.anomalous_sessions = r.Int(i, 5);
    s.aggregates.max_score = r.OptDouble(i, 6);
    s.aggregates.latest_score = r.OptDouble(i, 7);
    s.aggregates.latest_score_at = r.OptTime(i, 8);
    s.aggregates.last_anomaly_at = r.OptTime(i, 9);
    s.last_activity_at = r.OptTime(i, 10);
    return s;
}

constexpr std::string_view kDayColumns =
    "tenant_id, station_id, day, inference_id, analyzed_at, is_anomaly, day_score, anomaly_type, expected_kwh, "
    "actual_kwh, details, timeline, markers";

StationDayRecord ReadDay(const Result& r, int i) {
    StationDayRecord d;
    d.tenant_id = r.Text(i, 0);
    d.station_id = r.Text(i, 1);
    d.day = r.Time(i, 2);
    d.inference_id = r.Text(i, 3);
    d.analyzed_at = r.Time(i, 4);
    d.is_anomaly = r.Bool(i, 5);
    d.day_score = r.Double(i, 6);
    d.anomaly_type = r.OptText(i, 7);
    d.expected_kwh = r.Double(i, 8);
    d.actual_kwh = r.Double(i, 9);
    d.details_json = r.Text(i, 10);
    d.timeline_json = r.Text(i, 11);
    d.markers_json = r.Text(i, 12);
    return d;
}

StationAnomalyRef ReadAnomaly(const Result& r, int i) {
    return StationAnomalyRef{r.Int(i, 0), r.Text(i, 1), r.OptText(i, 2), r.Text(i, 3), r.Time(i, 4), r.Time(i, 5)};
}

constexpr std::string_view kAnomalySelect =
    "SELECT a.id, s.session_id, a.connector_id, a.category, a.start_ts, a.end_ts FROM session_anomalies a "
    "JOIN sessions s ON s.pk = a.session_pk ";

class PgStations final : public StationRepository {
  public:
    explicit PgStations(Connection& c) : c_(c) {}

    std::optional<StationRecord> Find(const std::string& tenant_id, const std::string& station_id) override {
        auto r = c_.Exec(std::string("SELECT ") + std::string(kStationColumns) +
                             " FROM stations WHERE tenant_id = $1 AND station_id = $2",
                         Params().Add(tenant_id).Add(station_id));
        if (r.Rows() == 0) return std::nullopt;
        return ReadStation(r, 0);
    }

    StationPage List(const std::string& tenant_id, const StationFilter& f) override {
        Params p;
        p.Add(tenant_id);
        std::string where = " FROM stations WHERE tenant_id = $1";
        if (f.station_id) {
            p.Add(*f.station_id);
            where += " AND station_id = $" + std::to_string(p.Size());
        }
        if (f.occurrence_from) {
            p.AddTime(*f.occurrence_from);
            where += " AND last_anomaly_at >= $" + std::to_string(p.Size());
        }
        if (f.occurrence_to) {
            p.AddTime(*f.occurrence_to);
            where += " AND last_anomaly_at <= $" + std::to_string(p.Size());
        }
        std::string order = " ORDER BY station_id COLLATE \"C\"";
        switch (f.sort) {
            case StationSort::kAnomaliesAsc:
                order = " ORDER BY anomalous_sessions ASC, station_id COLLATE \"C\"";
                break;
            case StationSort::kAnomaliesDesc:
                order = " ORDER BY anomalous_sessions DESC, station_id COLLATE \"C\"";
                break;
            case StationSort::kScoreAsc:
                order = " ORDER BY coalesce(max_score, -1) ASC, station_id COLLATE \"C\"";
                break;
            case StationSort::kScoreDesc:
                order = " ORDER BY coalesce(max_score, -1) DESC, station_id COLLATE \"C\"";
                break;
            case StationSort::kNone:
                break;
        }
        StationPage page;
        page.total_count = c_.Exec("SELECT count(*)" + where, p).Int(0, 0);
        const int n = p.Size();
        p.Add(f.page_size).Add((f.page - 1) * f.page_size);
        auto r = c_.Exec(std::string("SELECT ") + std::string(kStationColumns) + where + order + " LIMIT $" +
                             std::to_string(n + 1) + " OFFSET $" + std::to_string(n + 2),
                         p);
        for (int i = 0; i < r.Rows(); ++i) page.items.push_back(ReadStation(r, i));
        return page;
    }

    std::vector<std::string> Ids(const std::string& tenant_id) override {
        auto r = c_.Exec("SELECT station_id FROM stations WHERE tenant_id = $1 ORDER BY station_id COLLATE \"C\"",
                         Params().Add(tenant_id));
        std::vector<std::string> out;
        for (int i = 0; i < r.Rows(); ++i) out.push_back(r.Text(i, 0));
        return out;
    }

    std::vector<ConnectorRecord> Connectors(const std::string& tenant_id, const std::string& station_id) override {
        auto r = c_.Exec(
            "SELECT connector_id, evse_id, metadata, created_at, total_sessions, anomalous_sessions, max_score, "
            "latest_score, latest_score_at, last_anomaly_at FROM connectors WHERE tenant_id = $1 AND station_id = $2 "
            "ORDER BY connector_id COLLATE \"C\"",
            Params().Add(tenant_id).Add(station_id));
        std::vector<ConnectorRecord> out;
        for (int i = 0; i < r.Rows(); ++i) {
            ConnectorRecord c;
            c.connector_id = r.Text(i, 0);
            c.evse_id = r.OptText(i, 1);
            c.metadata_json = r.OptText(i, 2);
            c.created_at = r.Time(i, 3);
            c.aggregates.total_sessions = r.Int(i, 4);
            c.aggregates.anomalous_sessions = r.Int(i, 5);
            c.aggregates.max_score = r.OptDouble(i, 6);
            c.aggregates.latest_score = r.OptDouble(i, 7);
            c.aggregates.latest_score_at = r.OptTime(i, 8);
            c.aggregates.last_anomaly_at = r.OptTime(i, 9);
            out.push_back(std::move(c));
        }
        auto cats = c_.Exec(
            "SELECT connector_id, category, anomalies FROM station_category_counts WHERE tenant_id = $1 AND "
            "station_id = $2 AND anomalies > 0",
            Params().Add(tenant_id).Add(station_id));
        for (int i = 0; i < cats.Rows(); ++i) {
            const auto id = cats.Text(i, 0);
            for (auto& c : out) {
                if (c.connector_id == id) c.categories[cats.Text(i, 1)] = cats.Int(i, 2);
            }
        }
        return out;
    }

    std::map<std::string, std::int64_t> StationCategories(const std::string& tenant_id,
                                                          const std::string& station_id) override {
        auto r = c_.Exec(
            "SELECT category, sum(anomalies)::bigint FROM station_category_counts WHERE tenant_id = $1 AND "
            "station_id = $2 GROUP BY category HAVING sum(anomalies) > 0",
            Params().Add(tenant_id).Add(station_id));
        std::map<std::string, std::int64_t> out;
        for (int i = 0; i < r.Rows(); ++i) out[r.Text(i, 0)] = r.Int(i, 1);
        return out;
    }

    void Adjust(const std::string& tenant_id, const std::string& station_id,
                const std::optional<std::string>& connector_id, const AggregateDelta& d) override {
        const std::string set =
            " SET total_sessions = total_sessions + $3, anomalous_sessions = anomalous_sessions + $4, "
            "max_score = CASE WHEN $5::float8 IS NULL THEN max_score ELSE greatest(max_score, $5) END, "
            "latest_score = CASE WHEN $7::timestamptz IS NULL THEN latest_score ELSE $6 END, "
            "latest_score_at = coalesce($7, latest_score_at), "
            "last_anomaly_at = CASE WHEN $8::timestamptz IS NULL THEN last_anomaly_at ELSE "
            "greatest(last_anomaly_at, $8) END";
        auto params = [&] {
            Params p;
            p.Add(tenant_id).Add(station_id).Add(d.total_sessions).Add(d.anomalous_sessions);
            p.Add(d.score).Add(d.latest_score).AddTime(d.latest_score_at).AddTime(d.anomaly_at);
            return p;
        };
        c_.Defer("UPDATE stations" + set +
                     ", last_activity_at = CASE WHEN $9::timestamptz IS NULL THEN last_activity_at ELSE "
                     "greatest(last_activity_at, $9) END WHERE tenant_id = $1 AND station_id = $2",
                 params().AddTime(d.activity_at));
        if (connector_id) {
            c_.Defer("UPDATE connectors" + set + " WHERE tenant_id = $1 AND station_id = $2 AND connector_id = $9",
                     params().Add(*connector_id));
        }
    }

    void AdjustCategory(const std::string& tenant_id, const std::string& station_id, const std::string& connector_id,
                        const std::string& category, std::int64_t delta) override {
        c_.Exec(
            "INSERT INTO station_category_counts (tenant_id, station_id, connector_id, category, anomalies) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, station_id, connector_id, category) "
            "DO UPDATE SET anomalies = station_category_counts.anomalies + excluded.anomalies",
            Params().Add(tenant_id).Add(station_id).Add(connector_id).Add(category).Add(delta));
    }

    StationAggregates Aggregates(const std::string& tenant_id, const std::string& station_id,
                                 const std::optional<std::string>& connector_id) override {
        const std::string cols =
            "SELECT total_sessions, anomalous_sessions, max_score, latest_score, latest_score_at, last_anomaly_at";
        auto r = connector_id
                     ? c_.Exec(cols + " FROM connectors WHERE tenant_id = $1 AND station_id = $2 AND connector_id = $3",
                               Params().Add(tenant_id).Add(station_id).Add(*connector_id))
                     : c_.Exec(cols + " FROM stations WHERE tenant_id = $1 AND station_id = $2",
                               Params().Add(tenant_id).Add(station_id));
        StationAggregates a;
        if (r.Rows() == 0) return a;
        a.total_sessions = r.Int(0, 0);
        a.anomalous_sessions = r.Int(0, 1);
        a.max_score = r.OptDouble(0, 2);
        a.latest_score = r.OptDouble(0, 3);
        a.latest_score_at = r.OptTime(0, 4);
        a.last_anomaly_at = r.OptTime(0, 5);
        return a;
    }

    void RecomputeExtremes(const std::string& tenant_id, const std::string& station_id,
                           const std::optional<std::string>& connector_id) override {
        if (connector_id) {
            c_.Exec(
                "UPDATE connectors SET max_score = (SELECT max(anomaly_score) FROM sessions s WHERE s.tenant_id = $1 "
                "AND s.station_id = $2 AND s.connector_id = $3), last_anomaly_at = (SELECT "
                "max(coalesce(started_at, created_at)) FROM sessions s WHERE s.tenant_id = $1 AND s.station_id = $2 "
                "AND s.connector_id = $3 AND s.is_anomaly) WHERE tenant_id = $1 AND station_id = $2 AND "
                "connector_id = $3",
                Params().Add(tenant_id).Add(station_id).Add(*connector_id));
            return;
        }
        c_.Exec(
            "UPDATE stations SET max_score = (SELECT max(anomaly_score) FROM sessions s WHERE s.tenant_id = $1 AND "
            "s.station_id = $2), last_anomaly_at = (SELECT max(coalesce(started_at, created_at)) FROM sessions s "
            "WHERE s.tenant_id = $1 AND s.station_id = $2 AND s.is_anomaly) WHERE tenant_id = $1 AND station_id = $2",
            Params().Add(tenant_id).Add(station_id));
    }

    void SaveMetadata(const std::string& tenant_id, const std::string& station_id,
                      const std::string& metadata_json) override {
        c_.Exec("UPDATE stations SET metadata = $3 WHERE tenant_id = $1 AND station_id = $2",
                Params().Add(tenant_id).Add(station_id).Add(metadata_json));
    }

    void SaveConnectorMetadata(const std::string& tenant_id, const std::string& station_id,
                               const std::string& connector_id, const std::string& metadata_json) override {
        c_.Exec("UPDATE connectors SET metadata = $4 WHERE tenant_id = $1 AND station_id = $2 AND connector_id = $3",
                Params().Add(tenant_id).Add(station_id).Add(connector_id).Add(metadata_json));
    }

    std::optional<std::string> ConnectorMetadata(const std::string& tenant_id, const std::string& station_id,
                                                 const std::string& connector_id) override {
        auto r =
            c_.Exec("SELECT metadata FROM connectors WHERE tenant_id = $1 AND station_id = $2 AND connector_id = $3",
                    Params().Add(tenant_id).Add(station_id).Add(connector_id));
        if (r.Rows() == 0) return std::nullopt;
        return r.OptText(0, 0);
    }

    std::vector<StationSession> SessionsBetween(const std::string& tenant_id, const std::string& station_id,
                                                EpochMs from, EpochMs to) override {
        auto r = c_.Exec(
            "SELECT pk, session_id, connector_id, evse_id, started_at, ended_at FROM sessions WHERE tenant_id = $1 "
            "AND station_id = $2 AND started_at < $4 AND ended_at >= $3 ORDER BY started_at, pk",
            Params().Add(tenant_id).Add(station_id).AddTime(from).AddTime(to));
        std::vector<StationSession> out;
        for (int i = 0; i < r.Rows(); ++i) {
            out.push_back(
                {r.Int(i, 0), r.Text(i, 1), r.OptText(i, 2), r.OptText(i, 3), r.OptTime(i, 4), r.OptTime(i, 5)});
        }
        return out;
    }

    std::vector<StationAnomalyRef> AnomaliesBetween(const std::string& tenant_id, const std::string& station_id,
                                                    EpochMs from, EpochMs to) override {
        auto r = c_.Exec(std::string(kAnomalySelect) +
                             "WHERE a.tenant_id = $1 AND a.station_id = $2 AND a.start_ts >= $3 AND a.start_ts < $4 "
                             "ORDER BY a.start_ts, a.id",
                         Params().Add(tenant_id).Add(station_id).AddTime(from).AddTime(to));
        std::vector<StationAnomalyRef> out;
        for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadAnomaly(r, i));
        return out;
    }

    std::optional<StationDayRecord> FindDayByInference(const std::string& tenant_id, const std::string& station_id,
                                                       const std::string& inference_id) override {
        auto r = c_.Exec(std::string("SELECT ") + std::string(kDayColumns) +
                             " FROM station_days WHERE tenant_id = $1 AND station_id = $2 AND inference_id = $3",
                         Params().Add(tenant_id).Add(station_id).Add(inference_id));
        if (r.Rows() == 0) return std::nullopt;
        return ReadDay(r, 0);
    }

    std::optional<std::pair<EpochMs, EpochMs>> ActivitySpan(const std::string& tenant_id,
                                                            const std::string& station_id) override {
        auto r = c_.Exec(
            "SELECT min(started_at), max(ended_at) FROM sessions WHERE tenant_id = $1 AND station_id = $2 AND "
            "started_at IS NOT NULL",
            Params().Add(tenant_id).Add(station_id));
        if (r.Rows() == 0 || r.IsNull(0, 0) || r.IsNull(0, 1)) return std::nullopt;
        return std::make_pair(r.Time(0, 0), r.Time(0, 1));
    }

    std::optional<StationDayRecord> FindDay(const std::string& tenant_id, const std::string& station_id,
                                            EpochMs day) override {
        auto r = c_.Exec(std::string("SELECT ") + std::string(kDayColumns) +
                             " FROM station_days WHERE tenant_id = $1 AND station_id = $2 AND day = $3",
                         Params().Add(tenant_id).Add(station_id).AddTime(day));
        if (r.Rows() == 0) return std::nullopt;
        return ReadDay(r, 0);
    }

    std::optional<StationDayRecord> LatestDay(const std::string& tenant_id, const std::string& station_id) override {
        auto r = c_.Exec(std::string("SELECT ") + std::string(kDayColumns) +
                             " FROM station_days WHERE tenant_id = $1 AND station_id = $2 ORDER BY day DESC LIMIT 1",
                         Params().Add(tenant_id).Add(station_id));
        if (r.Rows() == 0) return std::nullopt;
        return ReadDay(r, 0);
    }

    void SaveDay(const StationDayRecord& d) override {
        c_.Exec(std::string("INSERT INTO station_days (") + std::string(kDayColumns) +
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (tenant_id, "
                    "station_id, day) DO UPDATE SET inference_id = excluded.inference_id, analyzed_at = "
                    "excluded.analyzed_at, is_anomaly = excluded.is_anomaly, day_score = excluded.day_score, "
                    "anomaly_type = excluded.anomaly_type, expected_kwh = excluded.expected_kwh, actual_kwh = "
                    "excluded.actual_kwh, details = excluded.details, timeline = excluded.timeline, markers = "
                    "excluded.markers",
                Params()
                    .Add(d.tenant_id)
                    .Add(d.station_id)
                    .AddTime(d.day)
                    .Add(d.inference_id)
                    .AddTime(d.analyzed_at)
                    .Add(d.is_anomaly)
                    .Add(d.day_score)
                    .Add(d.anomaly_type)
                    .Add(d.expected_kwh)
                    .Add(d.actual_kwh)
                    .Add(d.details_json)
                    .Add(d.timeline_json)
                    .Add(d.markers_json));
    }

    StationDayPage ListDays(const std::string& tenant_id, const std::string& station_id, std::int64_t page,
                            std::int64_t page_size) override {
        StationDayPage out;
        out.total_count = c_.Exec("SELECT count(*) FROM station_days WHERE tenant_id = $1 AND station_id = $2",
                                  Params().Add(tenant_id).Add(station_id))
                              .Int(0, 0);
        auto r = c_.Exec(std::string("SELECT ") + std::string(kDayColumns) +
                             " FROM station_days WHERE tenant_id = $1 AND station_id = $2 ORDER BY day DESC LIMIT $3 "
                             "OFFSET $4",
                         Params().Add(tenant_id).Add(station_id).Add(page_size).Add((page - 1) * page_size));
        for (int i = 0; i < r.Rows(); ++i) out.items.push_back(ReadDay(r, i));
        return out;
    }

    std::vector<std::pair<std::string, std::string>> ActiveStations(EpochMs since) override {
        auto r = c_.Exec("SELECT tenant_id, station_id FROM stations WHERE last_activity_at >= $1 ORDER BY 1, 2",
                         Params().AddTime(since));
        std::vector<std::pair<std::string, std::string>> out;
        for (int i = 0; i < r.Rows(); ++i) out.emplace_back(r.Text(i, 0), r.Text(i, 1));
        return out;
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<StationRepository> MakePgStations(Connection& connection) {
    return std::make_unique<PgStations>(connection);
}

}  // namespace evni::storage::postgres
