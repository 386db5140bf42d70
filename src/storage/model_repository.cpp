// The models repository (storage/models.h), written once over the SQL port for both backends.
#include <string>

#include "storage/models.h"
#include "storage/sql_port.h"

namespace evni::storage {
namespace {

constexpr std::string_view kModelColumns =
    "id, tenant_id, name, version, base_model, status, threshold, metrics, description, fine_tune_id, MS(created_at)";

ModelRecord ReadModel(const SqlRows& r) {
    ModelRecord m;
    m.id = r.Text(0);
    m.tenant_id = r.Text(1);
    m.name = r.Text(2);
    m.version = r.Text(3);
    m.base_model = r.Text(4);
    m.status = r.Text(5);
    m.threshold = r.Real(6);
    m.metrics_json = r.Text(7);
    m.description = r.OptText(8);
    m.fine_tune_id = r.OptText(9);
    m.created_at = r.Int(10);
    return m;
}

constexpr std::string_view kFineTuneColumns =
    "id, tenant_id, base_model_id, name, config, status, result_model_id, error_message, MS(created_at), "
    "MS(started_at), MS(completed_at)";

FineTuneRecord ReadFineTune(const SqlRows& r) {
    FineTuneRecord j;
    j.id = r.Text(0);
    j.tenant_id = r.Text(1);
    j.base_model_id = r.Text(2);
    j.name = r.Text(3);
    j.config_json = r.Text(4);
    j.status = r.Text(5);
    j.result_model_id = r.OptText(6);
    j.error_message = r.OptText(7);
    j.created_at = r.Int(8);
    j.started_at = r.OptInt(9);
    j.completed_at = r.OptInt(10);
    return j;
}

std::string InList(std::vector<SqlArg>& args, const std::vector<std::string>& values) {
    if (values.empty()) return "(NULL)";
    std::string s = "(";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) s += ", ";
        s += Param(args, values[i]);
    }
    return s + ")";
}

class Repository final : public ModelRepository {
  public:
    explicit Repository(std::unique_ptr<SqlPort> port) : port_(std::move(port)) {}

    std::vector<ModelRecord> List(const std::string& tenant_id) override {
        auto rows = port_->Query(std::string("SELECT ") + std::string(kModelColumns) +
                                     " FROM models WHERE tenant_id = ?1 ORDER BY created_at DESC, id DESC",
                                 {tenant_id});
        std::vector<ModelRecord> out;
        while (rows->Next()) out.push_back(ReadModel(*rows));
        return out;
    }

    std::optional<ModelRecord> Find(const std::string& tenant_id, const std::string& id) override {
        auto rows = port_->Query(
            std::string("SELECT ") + std::string(kModelColumns) + " FROM models WHERE tenant_id = ?1 AND id = ?2",
            {tenant_id, id});
        if (!rows->Next()) return std::nullopt;
        return ReadModel(*rows);
    }

    std::optional<double> ActiveThreshold(const std::string& tenant_id) override {
        auto rows =
            port_->Query("SELECT threshold FROM models WHERE tenant_id = ?1 AND status = 'active'", {tenant_id});
        if (!rows->Next()) return std::nullopt;
        return rows->Real(0);
    }

    void InsertActive(const ModelRecord& m) override {
        port_->Exec("UPDATE models SET status = 'inactive' WHERE tenant_id = ?1 AND status = 'active'", {m.tenant_id});
        port_->Exec(
            "INSERT INTO models (id, tenant_id, name, version, base_model, status, threshold, metrics, description, "
            "fine_tune_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, ?8, ?9, ?10)",
            {m.id, m.tenant_id, m.name, m.version, m.base_model, m.threshold, m.metrics_json, OptArg(m.description),
             OptArg(m.fine_tune_id), TimeArg{m.created_at}});
    }

    void InsertFineTune(const FineTuneRecord& j) override {
        port_->Exec(
            "INSERT INTO model_fine_tunes (id, tenant_id, base_model_id, name, config, status, result_model_id, "
            "error_message, created_at, started_at, completed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
            "?11)",
            {j.id, j.tenant_id, j.base_model_id, j.name, j.config_json, j.status, OptArg(j.result_model_id),
             OptArg(j.error_message), TimeArg{j.created_at}, OptTimeArg(j.started_at), OptTimeArg(j.completed_at)});
    }

    std::optional<FineTuneRecord> FindFineTune(const std::string& tenant_id, const std::string& id) override {
        auto rows = port_->Query(std::string("SELECT ") + std::string(kFineTuneColumns) +
                                     " FROM model_fine_tunes WHERE tenant_id = ?1 AND id = ?2",
                                 {tenant_id, id});
        if (!rows->Next()) return std::nullopt;
        return ReadFineTune(*rows);
    }

    bool MarkFineTuneRunning(const std::string& tenant_id, const std::string& id, domain::EpochMs at) override {
        return port_->Exec(
                   "UPDATE model_fine_tunes SET status = 'running', started_at = coalesce(started_at, ?3) "
                   "WHERE tenant_id = ?1 AND id = ?2 AND status IN ('queued', 'running')",
                   {tenant_id, id, TimeArg{at}}) > 0;
    }

    bool FinishFineTune(const std::string& tenant_id, const std::string& id, const std::string& status,
                        const std::optional<std::string>& result_model_id,
                        const std::optional<std::string>& error_message, domain::EpochMs at) override {
        return port_->Exec(
                   "UPDATE model_fine_tunes SET status = ?3, result_model_id = ?4, error_message = ?5, "
                   "started_at = coalesce(started_at, ?6), completed_at = ?6 "
                   "WHERE tenant_id = ?1 AND id = ?2 AND status IN ('queued', 'running')",
                   {tenant_id, id, status, OptArg(result_model_id), OptArg(error_message), TimeArg{at}}) > 0;
    }

    std::vector<SessionLabelCounts> LabelCounts(const std::string& tenant_id, const LabelFilter& f,
                                                const std::vector<std::string>& positive_statuses,
                                                const std::vector<std::string>& negative_statuses,
                                                std::int64_t limit) override {
        std::vector<SqlArg> args{tenant_id};
        const std::string pos = InList(args, positive_statuses);
        const std::string neg = InList(args, negative_statuses);
        std::string where = "s.tenant_id = ?1 AND s.anomaly_score IS NOT NULL";
        if (f.station_id) where += " AND s.station_id = " + Param(args, *f.station_id);
        if (f.date_from) where += " AND coalesce(s.started_at, s.created_at) >= " + Param(args, TimeArg{*f.date_from});
        if (f.date_to) where += " AND coalesce(s.started_at, s.created_at) <= " + Param(args, TimeArg{*f.date_to});
        const std::string lim = Param(args, limit);
        auto rows = port_->Query(
            "SELECT s.session_id, s.anomaly_score, "
            "sum(CASE WHEN a.issue_status IN " +
                pos +
                " THEN 1 ELSE 0 END), "
                "sum(CASE WHEN a.issue_status IN " +
                neg +
                " THEN 1 ELSE 0 END), count(*) "
                "FROM anomaly_records a JOIN sessions s ON s.pk = a.session_pk "
                "WHERE a.tenant_id = ?1 AND " +
                where + " GROUP BY s.pk, s.session_id, s.anomaly_score ORDER BY s.pk LIMIT " + lim,
            args);
        std::vector<SessionLabelCounts> out;
        while (rows->Next()) {
            out.push_back({rows->Text(0), rows->Real(1), rows->Int(2), rows->Int(3), rows->Int(4)});
        }
        return out;
    }

  private:
    std::unique_ptr<SqlPort> port_;
};

}  // namespace

std::unique_ptr<ModelRepository> MakeModelRepository(std::unique_ptr<SqlPort> port) {
    return std::make_unique<Repository>(std::move(port));
}

}  // namespace evni::storage
