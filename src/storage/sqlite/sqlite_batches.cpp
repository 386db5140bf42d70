#include "storage/sqlite/sqlite_batches.h"

#include "storage/sqlite/sqlite_db.h"

namespace evni::storage::sqlite {
namespace {

using domain::EpochMs;

BatchItemState ParseItemState(const std::string& s) {
    if (s == "done") return BatchItemState::kDone;
    if (s == "failed") return BatchItemState::kFailed;
    return BatchItemState::kPending;
}

BatchRecord ReadBatch(const Statement& s) {
    BatchRecord b;
    b.id = s.Text(0);
    b.tenant_id = s.Text(1);
    b.status = s.Text(2);
    b.total = s.Int(3);
    b.created_at = s.Int(4);
    b.completed_at = s.OptInt(5);
    return b;
}

class SqliteBatches final : public BatchRepository {
  public:
    explicit SqliteBatches(Connection& c) : c_(c) {}

    void Insert(const BatchRecord& b) override {
        c_.Prepare(
              "INSERT INTO batches (id, tenant_id, status, total, created_at, completed_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .Bind(1, b.id)
            .Bind(2, b.tenant_id)
            .Bind(3, b.status)
            .Bind(4, b.total)
            .Bind(5, b.created_at)
            .Bind(6, b.completed_at)
            .Run();
    }

    void InsertItem(const BatchItem& item) override {
        auto s = c_.Prepare(
            "INSERT INTO batch_items (batch_id, idx, tenant_id, session_id, station_id, state, fields, meter_values, "
            "error, processed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
        s.Bind(1, item.batch_id)
            .Bind(2, item.idx)
            .Bind(3, item.tenant_id)
            .Bind(4, item.session_id)
            .Bind(5, item.station_id)
            .Bind(6, BatchItemStateName(item.state))
            .Bind(7, item.fields_json);
        if (item.meter_values) {
            s.BindBlob(8, *item.meter_values);
        } else {
            s.BindNull(8);
        }
        s.Bind(9, item.error).Bind(10, item.processed_at).Run();
    }

    std::optional<BatchRecord> Find(const std::string& tenant_id, const std::string& batch_id) override {
        auto s = c_.Prepare(
            "SELECT id, tenant_id, status, total, created_at, completed_at FROM batches "
            "WHERE tenant_id = ?1 AND id = ?2");
        s.Bind(1, tenant_id).Bind(2, batch_id);
        if (!s.Step()) return std::nullopt;
        auto b = ReadBatch(s);
        s.Reset();
        return b;
    }

    BatchCounts Counts(const std::string& tenant_id, const std::string& batch_id) override {
        auto s =
            c_.Prepare("SELECT state, count(*) FROM batch_items WHERE batch_id = ?1 AND tenant_id = ?2 GROUP BY state");
        s.Bind(1, batch_id).Bind(2, tenant_id);
        BatchCounts c;
        while (s.Step()) {
            switch (ParseItemState(s.Text(0))) {
                case BatchItemState::kPending:
                    c.pending = s.Int(1);
                    break;
                case BatchItemState::kDone:
                    c.done = s.Int(1);
                    break;
                case BatchItemState::kFailed:
                    c.failed = s.Int(1);
                    break;
            }
        }
        s.Reset();
        return c;
    }

    std::vector<BatchItem> Items(const std::string& tenant_id, const std::string& batch_id, std::int64_t offset,
                                 std::int64_t limit) override {
        auto s = c_.Prepare(
            "SELECT idx, session_id, station_id, state, error, processed_at FROM batch_items "
            "WHERE batch_id = ?1 AND tenant_id = ?2 AND idx >= ?3 ORDER BY idx LIMIT ?4");
        s.Bind(1, batch_id).Bind(2, tenant_id).Bind(3, offset).Bind(4, limit);
        std::vector<BatchItem> out;
        while (s.Step()) {
            BatchItem i;
            i.batch_id = batch_id;
            i.tenant_id = tenant_id;
            i.idx = s.Int(0);
            i.session_id = s.OptText(1);
            i.station_id = s.OptText(2);
            i.state = ParseItemState(s.Text(3));
            i.error = s.OptText(4);
            i.processed_at = s.OptInt(5);
            out.push_back(std::move(i));
        }
        s.Reset();
        return out;
    }

    std::vector<BatchItem> PendingItems(const std::string& tenant_id, const std::string& batch_id,
                                        std::int64_t from_idx, std::int64_t to_idx) override {
        auto s = c_.Prepare(
            "SELECT idx, session_id, station_id, fields, meter_values FROM batch_items "
            "WHERE batch_id = ?1 AND tenant_id = ?2 AND state = 'pending' AND idx >= ?3 AND idx < ?4 ORDER BY idx");
        s.Bind(1, batch_id).Bind(2, tenant_id).Bind(3, from_idx).Bind(4, to_idx);
        std::vector<BatchItem> out;
        while (s.Step()) {
            BatchItem i;
            i.batch_id = batch_id;
            i.tenant_id = tenant_id;
            i.idx = s.Int(0);
            i.session_id = s.OptText(1);
            i.station_id = s.OptText(2);
            i.fields_json = s.OptText(3);
            if (!s.IsNull(4)) {
                auto blob = s.Blob(4);
                i.meter_values.emplace(blob.begin(), blob.end());
            }
            out.push_back(std::move(i));
        }
        s.Reset();
        return out;
    }

    bool FinishItem(const std::string& tenant_id, const std::string& batch_id, std::int64_t idx, BatchItemState state,
                    const std::optional<std::string>& error, EpochMs at) override {
        c_.Prepare(
              "UPDATE batch_items SET state = ?4, error = ?5, processed_at = ?6, fields = NULL, meter_values = NULL "
              "WHERE batch_id = ?1 AND tenant_id = ?2 AND idx = ?3 AND state = 'pending'")
            .Bind(1, batch_id)
            .Bind(2, tenant_id)
            .Bind(3, idx)
            .Bind(4, BatchItemStateName(state))
            .Bind(5, error)
            .Bind(6, at)
            .Run();
        return c_.Changes() > 0;
    }

    bool MarkProcessing(const std::string& tenant_id, const std::string& batch_id) override {
        c_.Prepare("UPDATE batches SET status = 'processing' WHERE tenant_id = ?1 AND id = ?2 AND status = 'pending'")
            .Bind(1, tenant_id)
            .Bind(2, batch_id)
            .Run();
        return c_.Changes() > 0;
    }

    bool Complete(const std::string& tenant_id, const std::string& batch_id, const std::string& status,
                  EpochMs at) override {
        c_.Prepare(
              "UPDATE batches SET status = ?3, completed_at = ?4 WHERE tenant_id = ?1 AND id = ?2 "
              "AND completed_at IS NULL")
            .Bind(1, tenant_id)
            .Bind(2, batch_id)
            .Bind(3, status)
            .Bind(4, at)
            .Run();
        return c_.Changes() > 0;
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<BatchRepository> NewSqliteBatches(Connection& c) { return std::make_unique<SqliteBatches>(c); }

}  // namespace evni::storage::sqlite
