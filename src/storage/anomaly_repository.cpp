// The anomalies workspace repository, written once over SqlPort for both backends.
#include <algorithm>

#include "storage/sql_port.h"

namespace evni::storage {

namespace {

// Replaces every MS(expr) (balanced parentheses) with `wrap(expr)`.
template <typename Wrap>
std::string RewriteMs(std::string_view sql, Wrap wrap) {
    std::string out;
    out.reserve(sql.size() + 32);
    std::size_t i = 0;
    while (i < sql.size()) {
        if (sql.compare(i, 3, "MS(") == 0 &&
            (i == 0 || !(std::isalnum(static_cast<unsigned char>(sql[i - 1])) || sql[i - 1] == '_'))) {
            std::size_t j = i + 3;
            int depth = 1;
            while (j < sql.size() && depth > 0) {
                if (sql[j] == '(') ++depth;
                if (sql[j] == ')') --depth;
                ++j;
            }
            out += wrap(sql.substr(i + 3, j - i - 4));
            i = j;
        } else {
            out += sql[i++];
        }
    }
    return out;
}

}  // namespace

std::string ToSqliteSql(std::string_view sql) {
    auto s = RewriteMs(sql, [](std::string_view e) { return "(" + std::string(e) + ")"; });
    // AGG(x): the distinct values of x joined by ','.
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        if (s.compare(i, 4, "AGG(") == 0) {
            out += "group_concat(DISTINCT ";
            i += 4;
        } else {
            out += s[i++];
        }
    }
    return out;
}

std::string ToPostgresSql(std::string_view sql) {
    auto s =
        RewriteMs(sql, [](std::string_view e) { return "(extract(epoch from " + std::string(e) + ") * 1000)::int8"; });
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] == '?' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            out += '$';
            ++i;
        } else if (s.compare(i, 4, "AGG(") == 0) {
            // string_agg(DISTINCT x, ',') needs the separator before the closing parenthesis.
            std::size_t j = i + 4;
            int depth = 1;
            while (j < s.size() && depth > 0) {
                if (s[j] == '(') ++depth;
                if (s[j] == ')') --depth;
                ++j;
            }
            out += "string_agg(DISTINCT " + s.substr(i + 4, j - i - 5) + ", ',')";
            i = j;
        } else {
            out += s[i++];
        }
    }
    return out;
}

namespace {

constexpr std::string_view kRecordColumns =
    "id, tenant_id, session_pk, session_id, station_id, connector_id, evse_id, category, score, confidence, "
    "occurrences, MS(occurred_at), MS(occurred_until), ranges, MS(first_detected_at), MS(updated_at), MS(closed_at), "
    "issue_id, issue_status, assigned_to, MS(issue_updated_at)";

AnomalyRecord ReadRecord(const SqlRows& r) {
    AnomalyRecord a;
    a.id = r.Text(0);
    a.tenant_id = r.Text(1);
    a.session_pk = r.Int(2);
    a.session_id = r.Text(3);
    a.station_id = r.Text(4);
    a.connector_id = r.OptText(5);
    a.evse_id = r.OptText(6);
    a.category = r.Text(7);
    a.score = r.Real(8);
    a.confidence = r.Real(9);
    a.occurrences = r.Int(10);
    a.occurred_at = r.Int(11);
    a.occurred_until = r.Int(12);
    a.ranges_json = r.Text(13);
    a.first_detected_at = r.Int(14);
    a.updated_at = r.Int(15);
    a.closed_at = r.OptInt(16);
    a.issue_id = r.Text(17);
    a.issue_status = r.Text(18);
    a.assigned_to = r.OptText(19);
    a.issue_updated_at = r.Int(20);
    return a;
}

std::string InList(std::vector<SqlArg>& args, const std::vector<std::string>& values) {
    std::string s = "(";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) s += ", ";
        s += Param(args, values[i]);
    }
    return s + ")";
}

std::vector<std::string> SplitCommas(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto end = s.find(',', start);
        if (end == std::string::npos) end = s.size();
        if (end > start) out.push_back(s.substr(start, end - start));
        start = end + 1;
    }
    std::sort(out.begin(), out.end());
    return out;
}

class Repository final : public AnomalyRepository {
  public:
    explicit Repository(std::unique_ptr<SqlPort> port) : port_(std::move(port)), db_(*port_) {}

    std::vector<AnomalyRecord> ForSession(const std::string& tenant_id, std::int64_t session_pk) override {
        auto rows = db_.Query("SELECT " + std::string(kRecordColumns) +
                                  " FROM anomaly_records WHERE session_pk = ?1 AND tenant_id = ?2 ORDER BY category",
                              {session_pk, tenant_id});
        std::vector<AnomalyRecord> out;
        while (rows->Next()) out.push_back(ReadRecord(*rows));
        return out;
    }

    void Insert(const AnomalyRecord& a) override {
        db_.Exec(
            "INSERT INTO anomaly_records (id, tenant_id, session_pk, session_id, station_id, connector_id, evse_id, "
            "category, score, confidence, occurrences, occurred_at, occurred_until, ranges, first_detected_at, "
            "updated_at, closed_at, issue_id, issue_status, assigned_to, issue_updated_at) VALUES (?1, ?2, ?3, ?4, "
            "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
            {a.id,
             a.tenant_id,
             a.session_pk,
             a.session_id,
             a.station_id,
             OptArg(a.connector_id),
             OptArg(a.evse_id),
             a.category,
             a.score,
             a.confidence,
             a.occurrences,
             TimeArg{a.occurred_at},
             TimeArg{a.occurred_until},
             a.ranges_json,
             TimeArg{a.first_detected_at},
             TimeArg{a.updated_at},
             OptTimeArg(a.closed_at),
             a.issue_id,
             a.issue_status,
             OptArg(a.assigned_to),
             TimeArg{a.issue_updated_at}});
    }

    void UpdateCurrent(const AnomalyRecord& a) override {
        db_.Exec(
            "UPDATE anomaly_records SET score = ?3, confidence = ?4, occurrences = ?5, occurred_at = ?6, "
            "occurred_until = ?7, ranges = ?8, updated_at = ?9, closed_at = ?10, issue_status = ?11, "
            "issue_updated_at = ?12 WHERE id = ?1 AND tenant_id = ?2",
            {a.id, a.tenant_id, a.score, a.confidence, a.occurrences, TimeArg{a.occurred_at}, TimeArg{a.occurred_until},
             a.ranges_json, TimeArg{a.updated_at}, OptTimeArg(a.closed_at), a.issue_status,
             TimeArg{a.issue_updated_at}});
    }

    void AddPoint(const std::string& tenant_id, const std::string& record_id, const ScorePoint& p) override {
        db_.Exec(
            "INSERT INTO anomaly_score_points (record_id, analysis_version, tenant_id, at, score, confidence) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (record_id, at) DO UPDATE SET "
            "analysis_version = excluded.analysis_version, score = excluded.score, confidence = excluded.confidence",
            {record_id, p.analysis_version, tenant_id, TimeArg{p.at}, p.score, p.confidence});
    }

    void UpdateSessionIdentity(const std::string& tenant_id, std::int64_t session_pk,
                               const std::optional<std::string>& connector_id,
                               const std::optional<std::string>& evse_id) override {
        db_.Exec("UPDATE anomaly_records SET connector_id = ?3, evse_id = ?4 WHERE session_pk = ?1 AND tenant_id = ?2",
                 {session_pk, tenant_id, OptArg(connector_id), OptArg(evse_id)});
    }

    void MarkIncident(const std::string& tenant_id, std::int64_t session_pk) override {
        db_.Exec("UPDATE sessions SET is_incident = TRUE WHERE pk = ?1 AND tenant_id = ?2", {session_pk, tenant_id});
    }

    AnomalyPage List(const std::string& tenant_id, const AnomalyFilter& f) override {
        std::vector<SqlArg> args;
        std::string where = " FROM anomaly_records WHERE tenant_id = " + Param(args, tenant_id);
        if (!f.include_closed) where += " AND closed_at IS NULL";
        if (!f.categories.empty()) where += " AND category IN " + InList(args, f.categories);
        if (f.connector_id) where += " AND connector_id = " + Param(args, *f.connector_id);
        if (f.session_id) where += " AND session_id = " + Param(args, *f.session_id);
        if (!f.station_ids.empty()) where += " AND station_id IN " + InList(args, f.station_ids);
        if (!f.evse_ids.empty()) where += " AND evse_id IN " + InList(args, f.evse_ids);
        if (f.occurred_from) where += " AND occurred_at >= " + Param(args, TimeArg{*f.occurred_from});
        if (f.occurred_to) where += " AND occurred_at <= " + Param(args, TimeArg{*f.occurred_to});
        if (f.updated_from) where += " AND updated_at >= " + Param(args, TimeArg{*f.updated_from});
        if (f.updated_to) where += " AND updated_at <= " + Param(args, TimeArg{*f.updated_to});
        if (!f.statuses.empty()) where += " AND issue_status IN " + InList(args, f.statuses);
        if (!f.assignees.empty()) where += " AND assigned_to IN " + InList(args, f.assignees);
        AnomalyPage page;
        auto count = db_.Query("SELECT count(*)" + where, args);
        if (count->Next()) page.total_count = count->Int(0);
        count.reset();
        std::string order = " ORDER BY occurred_at DESC, id";
        if (f.score_sort == ScoreSort::kAsc) order = " ORDER BY score ASC, occurred_at DESC, id";
        if (f.score_sort == ScoreSort::kDesc) order = " ORDER BY score DESC, occurred_at DESC, id";
        std::string sql = "SELECT " + std::string(kRecordColumns) + where + order;
        sql += " LIMIT " + Param(args, f.page_size);
        sql += " OFFSET " + Param(args, (f.page - 1) * f.page_size);
        auto rows = db_.Query(sql, args);
        while (rows->Next()) page.items.push_back(ReadRecord(*rows));
        return page;
    }

    GroupPage Grouped(const std::string& tenant_id, const GroupFilter& f, bool by_session) {
        std::vector<SqlArg> args;
        std::string where =
            " FROM anomaly_records WHERE tenant_id = " + Param(args, tenant_id) + " AND closed_at IS NULL";
        if (!f.categories.empty()) where += " AND category IN " + InList(args, f.categories);
        if (f.connector_id) where += " AND connector_id = " + Param(args, *f.connector_id);
        if (f.session_id) where += " AND session_id = " + Param(args, *f.session_id);
        if (f.occurred_from) where += " AND occurred_at >= " + Param(args, TimeArg{*f.occurred_from});
        if (f.occurred_to) where += " AND occurred_at <= " + Param(args, TimeArg{*f.occurred_to});
        const std::string group =
            by_session ? " GROUP BY session_pk, session_id, station_id" : " GROUP BY station_id, connector_id";
        GroupPage page;
        auto count = db_.Query("SELECT count(*) FROM (SELECT 1" + where + group + ") g", args);
        if (count->Next()) page.total_count = count->Int(0);
        count.reset();
        const std::string key = by_session ? "session_id, station_id" : "station_id, connector_id";
        std::string order;
        switch (f.sort) {
            case GroupSort::kCountAsc:
                order = " ORDER BY count(*) ASC, " + key;
                break;
            case GroupSort::kCountDesc:
                order = " ORDER BY count(*) DESC, " + key;
                break;
            case GroupSort::kScoreAsc:
                order = " ORDER BY max(score) ASC, " + key;
                break;
            case GroupSort::kScoreDesc:
                order = " ORDER BY max(score) DESC, " + key;
                break;
            case GroupSort::kNone:
                order = " ORDER BY max(updated_at) DESC, " + key;
                break;
        }
        std::string sql = "SELECT station_id, " + std::string(by_session ? "max(connector_id)" : "connector_id") +
                          ", max(evse_id), " + std::string(by_session ? "session_id" : "''") +
                          ", count(*), max(score), MS(min(first_detected_at)), MS(max(updated_at)), AGG(category)" +
                          where + group + order;
        sql += " LIMIT " + Param(args, f.page_size);
        sql += " OFFSET " + Param(args, (f.page - 1) * f.page_size);
        auto rows = db_.Query(sql, args);
        while (rows->Next()) {
            AnomalyGroup g;
            g.station_id = rows->Text(0);
            g.connector_id = rows->OptText(1);
            g.evse_id = rows->OptText(2);
            g.session_id = rows->Text(3);
            g.count = rows->Int(4);
            g.max_score = rows->Real(5);
            g.first_detected_at = rows->Int(6);
            g.last_update = rows->Int(7);
            g.categories = SplitCommas(rows->Text(8));
            page.items.push_back(std::move(g));
        }
        return page;
    }

    GroupPage ListByConnector(const std::string& tenant_id, const GroupFilter& f) override {
        return Grouped(tenant_id, f, false);
    }
    GroupPage ListBySession(const std::string& tenant_id, const GroupFilter& f) override {
        return Grouped(tenant_id, f, true);
    }

    std::optional<AnomalyRecord> Find(const std::string& tenant_id, const std::string& session_id,
                                      const std::string& category) override {
        auto rows = db_.Query("SELECT " + std::string(kRecordColumns) +
                                  " FROM anomaly_records WHERE tenant_id = ?1 AND session_id = ?2 AND category = ?3",
                              {tenant_id, session_id, category});
        if (!rows->Next()) return std::nullopt;
        return ReadRecord(*rows);
    }

    std::optional<AnomalyRecord> FindByIssue(const std::string& tenant_id, const std::string& issue_id) override {
        auto rows = db_.Query(
            "SELECT " + std::string(kRecordColumns) + " FROM anomaly_records WHERE issue_id = ?1 AND tenant_id = ?2",
            {issue_id, tenant_id});
        if (!rows->Next()) return std::nullopt;
        return ReadRecord(*rows);
    }

    std::vector<ScorePoint> Timeline(const std::string& tenant_id, const std::string& record_id) override {
        auto rows = db_.Query(
            "SELECT analysis_version, MS(at), score, confidence FROM anomaly_score_points WHERE record_id = ?1 "
            "AND tenant_id = ?2 ORDER BY at",
            {record_id, tenant_id});
        std::vector<ScorePoint> out;
        while (rows->Next()) out.push_back({rows->Int(0), rows->Int(1), rows->Real(2), rows->Real(3)});
        return out;
    }

    void UpdateIssue(const std::string& tenant_id, const std::string& issue_id, const std::string& status,
                     const std::optional<std::string>& assigned_to, EpochMs at) override {
        db_.Exec(
            "UPDATE anomaly_records SET issue_status = ?3, assigned_to = ?4, issue_updated_at = ?5, "
            "updated_at = CASE WHEN updated_at < ?5 THEN ?5 ELSE updated_at END WHERE issue_id = ?1 AND tenant_id = ?2",
            {issue_id, tenant_id, status, OptArg(assigned_to), TimeArg{at}});
    }

    void AppendHistory(const IssueHistoryEntry& e) override {
        db_.Exec(
            "INSERT INTO anomaly_issue_history (tenant_id, issue_id, at, actor, from_status, to_status, "
            "from_assignee, to_assignee) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            {e.tenant_id, e.issue_id, TimeArg{e.at}, e.actor, OptArg(e.from_status), e.to_status,
             OptArg(e.from_assignee), OptArg(e.to_assignee)});
    }

    std::vector<IssueHistoryEntry> History(const std::string& tenant_id, const std::string& issue_id) override {
        auto rows = db_.Query(
            "SELECT tenant_id, issue_id, MS(at), actor, from_status, to_status, from_assignee, to_assignee "
            "FROM anomaly_issue_history WHERE tenant_id = ?1 AND issue_id = ?2 ORDER BY at, id",
            {tenant_id, issue_id});
        std::vector<IssueHistoryEntry> out;
        while (rows->Next()) {
            out.push_back({rows->Text(0), rows->Text(1), rows->Int(2), rows->Text(3), rows->OptText(4), rows->Text(5),
                           rows->OptText(6), rows->OptText(7)});
        }
        return out;
    }

    static std::string SessionWindow(std::vector<SqlArg>& args, const StatsWindow& w) {
        std::string s;
        if (w.from) s += " AND coalesce(s.started_at, s.created_at) >= " + Param(args, TimeArg{*w.from});
        if (w.to) s += " AND coalesce(s.started_at, s.created_at) <= " + Param(args, TimeArg{*w.to});
        return s;
    }

    SessionStats SessionFigures(const std::string& tenant_id, const StatsWindow& window,
                                std::optional<double> default_tariff,
                                const std::vector<std::string>& leak_categories) override {
        std::vector<SqlArg> args;
        const std::string t = Param(args, tenant_id);
        const std::string tariff = Param(args, OptArg(default_tariff));
        const std::string revenue =
            "(CASE WHEN m.total_cost IS NOT NULL THEN m.total_cost ELSE coalesce(m.energy_kwh, "
            "0) * coalesce(m.tariff_per_kwh, " +
            tariff + ", 0) END)";
        const std::string price =
            "coalesce(m.tariff_per_kwh, CASE WHEN m.total_cost IS NOT NULL AND m.energy_kwh > 0 THEN m.total_cost / "
            "m.energy_kwh END, " +
            tariff + ", 0)";
        const std::string leak =
            "(CASE WHEN m.delivered_kwh > coalesce(m.energy_kwh, 0) THEN (m.delivered_kwh - coalesce(m.energy_kwh, "
            "0)) * " +
            price + " ELSE 0 END)";
        std::string leak_in = leak_categories.empty() ? "('')" : InList(args, leak_categories);
        std::string sql =
            "SELECT count(*), count(m.session_pk), coalesce(sum(CASE WHEN m.session_pk IS NOT NULL AND "
            "m.total_cost IS NULL AND m.tariff_per_kwh IS NULL AND " +
            tariff + " IS NULL AND coalesce(m.energy_kwh, 0) > 0 THEN 1 ELSE 0 END), 0), coalesce(sum(" + revenue +
            "), 0), coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM anomaly_records r WHERE r.session_pk = s.pk AND "
            "r.closed_at IS NULL) THEN " +
            revenue +
            " ELSE 0 END), 0), coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM anomaly_records r WHERE r.session_pk = "
            "s.pk AND r.closed_at IS NULL AND r.category IN " +
            leak_in + ") THEN " + leak +
            " ELSE 0 END), 0) FROM sessions s LEFT JOIN session_measurements m ON m.session_pk = s.pk WHERE "
            "s.tenant_id = " +
            t + SessionWindow(args, window);
        auto rows = db_.Query(sql, args);
        SessionStats out;
        if (rows->Next()) {
            out.total_sessions = rows->Int(0);
            out.measured_sessions = rows->Int(1);
            out.unpriced_sessions = rows->Int(2);
            out.total_revenue = rows->Real(3);
            out.revenue_at_risk = rows->Real(4);
            out.revenue_leak = rows->Real(5);
        }
        return out;
    }

    AnomalyStats AnomalyFigures(const std::string& tenant_id, const StatsWindow& w) override {
        std::vector<SqlArg> args;
        std::string sql =
            "SELECT count(*), coalesce(sum(CASE WHEN issue_status IN ('OPEN', 'IN_PROGRESS', 'CONFIRMED') THEN 1 "
            "ELSE 0 END), 0), count(DISTINCT session_pk), count(DISTINCT CASE WHEN connector_id IS NOT NULL THEN "
            "station_id || '|' || connector_id END), count(DISTINCT station_id) FROM anomaly_records WHERE "
            "tenant_id = " +
            Param(args, tenant_id) + " AND closed_at IS NULL";
        if (w.from) sql += " AND occurred_at >= " + Param(args, TimeArg{*w.from});
        if (w.to) sql += " AND occurred_at <= " + Param(args, TimeArg{*w.to});
        auto rows = db_.Query(sql, args);
        AnomalyStats out;
        if (rows->Next()) out = {rows->Int(0), rows->Int(1), rows->Int(2), rows->Int(3), rows->Int(4)};
        return out;
    }

    std::int64_t PortCount(const std::string& tenant_id) override {
        auto rows = db_.Query(
            "SELECT (SELECT count(*) FROM connectors WHERE tenant_id = ?1) + (SELECT count(*) FROM stations st "
            "WHERE st.tenant_id = ?1 AND NOT EXISTS (SELECT 1 FROM connectors c WHERE c.tenant_id = st.tenant_id "
            "AND c.station_id = st.station_id))",
            {tenant_id});
        return rows->Next() ? rows->Int(0) : 0;
    }

    DataQualityCounts DataQuality(const std::string& tenant_id, const StatsWindow& window) override {
        std::vector<SqlArg> args;
        const std::string t = Param(args, tenant_id);
        auto has = [](const char* category) {
            return std::string(
                       "EXISTS (SELECT 1 FROM anomaly_records r WHERE r.session_pk = s.pk AND r.closed_at IS "
                       "NULL AND r.category = '") +
                   category + "')";
        };
        std::string sql = "SELECT count(*), coalesce(sum(CASE WHEN " + has("DATA_GAP") +
                          " THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN m.invalid_timestamps = 1 OR " +
                          has("TIMESTAMP_INVALID") +
                          " THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN m.has_duplicates = 1 THEN 1 ELSE 0 END), "
                          "0), coalesce(sum(CASE WHEN m.missing_measurands = 1 THEN 1 ELSE 0 END), 0), "
                          "coalesce(sum(CASE WHEN m.reconstructed_soc = 1 THEN 1 ELSE 0 END), 0), "
                          "coalesce(sum(CASE WHEN m.session_pk IS NULL THEN 1 ELSE 0 END), 0) FROM sessions s "
                          "LEFT JOIN session_measurements m ON m.session_pk = s.pk WHERE s.tenant_id = " +
                          t + SessionWindow(args, window);
        auto rows = db_.Query(sql, args);
        DataQualityCounts out;
        if (rows->Next()) {
            out = {rows->Int(0), rows->Int(1), rows->Int(2), rows->Int(3), rows->Int(4), rows->Int(5), rows->Int(6)};
        }
        return out;
    }

    std::optional<std::pair<EpochMs, std::string>> DataQualitySnapshot(const std::string& tenant_id) override {
        auto rows =
            db_.Query("SELECT MS(computed_at), summary FROM data_quality_snapshots WHERE tenant_id = ?1", {tenant_id});
        if (!rows->Next()) return std::nullopt;
        return std::make_pair(rows->Int(0), rows->Text(1));
    }

    void SaveDataQualitySnapshot(const std::string& tenant_id, EpochMs at, const std::string& summary) override {
        db_.Exec(
            "INSERT INTO data_quality_snapshots (tenant_id, computed_at, summary) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (tenant_id) DO UPDATE SET computed_at = excluded.computed_at, summary = excluded.summary",
            {tenant_id, TimeArg{at}, summary});
    }

    std::vector<StaleSession> StaleSessions(std::int64_t after_pk, std::int64_t limit) override {
        auto rows = db_.Query(
            "SELECT s.pk, s.tenant_id, s.session_id, MS(s.updated_at), s.value_count, s.next_chunk, s.metadata, "
            "s.stop_reason FROM sessions_to_measure q JOIN sessions s ON s.pk = q.session_pk WHERE q.session_pk > ?2 "
            "ORDER BY q.session_pk LIMIT ?1",
            {limit, after_pk});
        std::vector<StaleSession> out;
        while (rows->Next()) {
            out.push_back({rows->Int(0), rows->Text(1), rows->Text(2), rows->Int(3), rows->Int(4), rows->Int(5),
                           rows->OptText(6), rows->OptText(7)});
        }
        return out;
    }

    void SaveMeasurement(const SessionMeasurement& m) override {
        auto flag = [](bool b) { return SqlArg(std::int64_t{b ? 1 : 0}); };
        db_.Exec(
            "INSERT INTO session_measurements (session_pk, tenant_id, source_updated_at, measured_at, energy_kwh, "
            "delivered_kwh, total_cost, tariff_per_kwh, has_duplicates, missing_measurands, reconstructed_soc, "
            "invalid_timestamps) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (session_pk) "
            "DO UPDATE SET source_updated_at = excluded.source_updated_at, measured_at = excluded.measured_at, "
            "energy_kwh = excluded.energy_kwh, delivered_kwh = excluded.delivered_kwh, total_cost = "
            "excluded.total_cost, tariff_per_kwh = excluded.tariff_per_kwh, has_duplicates = excluded.has_duplicates, "
            "missing_measurands = excluded.missing_measurands, reconstructed_soc = excluded.reconstructed_soc, "
            "invalid_timestamps = excluded.invalid_timestamps",
            {m.session_pk, m.tenant_id, TimeArg{m.source_updated_at}, TimeArg{m.measured_at}, OptArg(m.energy_kwh),
             OptArg(m.delivered_kwh), OptArg(m.total_cost), OptArg(m.tariff_per_kwh), flag(m.has_duplicates),
             flag(m.missing_measurands), flag(m.reconstructed_soc), flag(m.invalid_timestamps)});
        // Off the queue, unless a write came after the version measured (it found the session queued already).
        db_.Exec(
            "DELETE FROM sessions_to_measure WHERE session_pk = ?1 AND NOT EXISTS (SELECT 1 FROM sessions s WHERE "
            "s.pk = ?1 AND s.updated_at > ?2)",
            {m.session_pk, TimeArg{m.source_updated_at}});
    }

    std::vector<std::string> TenantIds() override {
        auto rows = db_.Query("SELECT id FROM tenants ORDER BY id", {});
        std::vector<std::string> out;
        while (rows->Next()) out.push_back(rows->Text(0));
        return out;
    }

  private:
    std::unique_ptr<SqlPort> port_;
    SqlPort& db_;
};

}  // namespace

std::unique_ptr<AnomalyRepository> MakeAnomalyRepository(std::unique_ptr<SqlPort> port) {
    return std::make_unique<Repository>(std::move(port));
}

}  // namespace evni::storage
