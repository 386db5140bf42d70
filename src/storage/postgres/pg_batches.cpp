#include "storage/postgres/pg_batches.h"

#include "storage/postgres/pg_db.h"

namespace evni::storage::postgres {
namespace {

using domain::EpochMs;

BatchItemState ParseItemState(const std::string& s) {
    if (s == "done") return BatchItemState::kDone;
    if (s == "failed") return BatchItemState::kFailed;
    return BatchItemState::kPending;
}

class PgBatches final : public BatchRepository {
  public:
    explicit PgBatches(Connection& c) : c_(c) {}

    void Insert(const BatchRecord& b) override {
        c_.Exec(
            "INSERT INTO batches (id, tenant_id, status, total, created_at, completed_at) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            Params()
                .Add(b.id)
                .Add(b.tenant_id)
                .Add(b.status)
                .Add(b.total)
                .AddTime(b.created_at)
                .AddTime(b.completed_at));
    }

    void InsertItem(const BatchItem& item) override {
        Params p;
        p.Add(item.batch_id)
            .Add(item.idx)
            .Add(item.tenant_id)
            .Add(item.session_id)
            .Add(item.station_id)
            .Add(BatchItemStateName(item.state))
            .Add(item.fields_json);
        if (item.meter_values) {
            p.AddBytes(*item.meter_values);
        } else {
            p.AddNull(PgType::kBytea);
        }
        p.Add(item.error).AddTime(item.processed_at);
        c_.Exec(
            "INSERT INTO batch_items (batch_id, idx, tenant_id, session_id, station_id, state, fields, meter_values, "
            "error, processed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            p);
    }

    std::optional<BatchRecord> Find(const std::string& tenant_id, const std::string& batch_id) override {
        auto r = c_.Exec(
            "SELECT id, tenant_id, status, total, created_at, completed_at FROM batches "
            "WHERE tenant_id = $1 AND id = $2",
            Params().Add(tenant_id).Add(batch_id));
        if (r.Rows() == 0) return std::nullopt;
        BatchRecord b;
        b.id = r.Text(0, 0);
        b.tenant_id = r.Text(0, 1);
        b.status = r.Text(0, 2);
        b.total = r.Int(0, 3);
        b.created_at = r.Time(0, 4);
        b.completed_at = r.OptTime(0, 5);
        return b;
    }

    BatchCounts Counts(const std::string& tenant_id, const std::string& batch_id) override {
        auto r =
            c_.Exec("SELECT state, count(*) FROM batch_items WHERE batch_id = $1 AND tenant_id = $2 GROUP BY state",
                    Params().Add(batch_id).Add(tenant_id));
        BatchCounts c;
        for (int i = 0; i < r.Rows(); ++i) {
            switch (ParseItemState(r.Text(i, 0))) {
                case BatchItemState::kPending:
                    c.pending = r.Int(i, 1);
                    break;
                case BatchItemState::kDone:
                    c.done = r.Int(i, 1);
                    break;
                case BatchItemState::kFailed:
                    c.failed = r.Int(i, 1);
                    break;
            }
        }
        return c;
    }

    std::vector<BatchItem> Items(const std::string& tenant_id, const std::string& batch_id, std::int64_t offset,
                                 std::int64_t limit) override {
        auto r = c_.Exec(
            "SELECT idx, session_id, station_id, state, error, processed_at FROM batch_items "
            "WHERE batch_id = $1 AND tenant_id = $2 AND idx >= $3 ORDER BY idx LIMIT $4",
            Params().Add(batch_id).Add(tenant_id).Add(offset).Add(limit));
        std::vector<BatchItem> out;
        for (int row = 0; row < r.Rows(); ++row) {
            BatchItem i;
            i.batch_id = batch_id;
            i.tenant_id = tenant_id;
            i.idx = r.Int(row, 0);
            i.session_id = r.OptText(row, 1);
            i.station_id = r.OptText(row, 2);
            i.state = ParseItemState(r.Text(row, 3));
            i.error = r.OptText(row, 4);
            i.processed_at = r.OptTime(row, 5);
            out.push_back(std::move(i));
        }
        return out;
    }

    std::vector<BatchItem> PendingItems(const std::string& tenant_id, const std::string& batch_id,
                                        std::int64_t from_idx, std::int64_t to_idx) override {
        auto r = c_.Exec(
            "SELECT idx, session_id, station_id, fields, meter_values FROM batch_items "
            "WHERE batch_id = $1 AND tenant_id = $2 AND state = 'pending' AND idx >= $3 AND idx < $4 ORDER BY idx",
            Params().Add(batch_id).Add(tenant_id).Add(from_idx).Add(to_idx));
        std::vector<BatchItem> out;
        for (int row = 0; row < r.Rows(); ++row) {
            BatchItem i;
            i.batch_id = batch_id;
            i.tenant_id = tenant_id;
            i.idx = r.Int(row, 0);
            i.session_id = r.OptText(row, 1);
            i.station_id = r.OptText(row, 2);
            i.fields_json = r.OptText(row, 3);
            if (!r.IsNull(row, 4)) {
                auto bytes = r.Bytes(row, 4);
                i.meter_values.emplace(bytes.begin(), bytes.end());
            }
            out.push_back(std::move(i));
        }
        return out;
    }

    bool FinishItem(const std::string& tenant_id, const std::string& batch_id, std::int64_t idx, BatchItemState state,
                    const std::optional<std::string>& error, EpochMs at) override {
        return c_.Exec(
                     "UPDATE batch_items SET state = $4, error = $5, processed_at = $6, fields = NULL, "
                     "meter_values = NULL WHERE batch_id = $1 AND tenant_id = $2 AND idx = $3 AND state = 'pending'",
                     Params()
                         .Add(batch_id)
                         .Add(tenant_id)
                         .Add(idx)
                         .Add(BatchItemStateName(state))
                         .Add(error)
                         .AddTime(at))
                   .Affected() > 0;
    }

    bool MarkProcessing(const std::string& tenant_id, const std::string& batch_id) override {
        return c_.Exec(
                     "UPDATE batches SET status = 'processing' WHERE tenant_id = $1 AND id = $2 AND status = 'pending'",
                     Params().Add(tenant_id).Add(batch_id))
                   .Affected() > 0;
    }

    bool Complete(const std::string& tenant_id, const std::string& batch_id, const std::string& status,
                  EpochMs at) override {
        return c_.Exec(
                     "UPDATE batches SET status = $3, completed_at = $4 WHERE tenant_id = $1 AND id = $2 "
                     "AND completed_at IS NULL",
                     Params().Add(tenant_id).Add(batch_id).Add(status).AddTime(at))
                   .Affected() > 0;
    }

  private:
    Connection& c_;
};

}  // namespace

std::unique_ptr<BatchRepository> NewPgBatches(Connection& c) { return std::make_unique<PgBatches>(c); }

}  // namespace evni::storage::postgres
