#pragma once

// Storage of batch uploads (POST /v1/sessions/batch, docs/batch.md): a batch row and one item row per
// session of the request. Items are written at submission (valid ones with their session payload,
// invalid ones already failed with their error); batch jobs then move each pending item to done or
// failed exactly once (FinishItem is conditional on the item still being pending, and is called in
// the transaction that writes the session).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/meter_value.h"

namespace evni::storage {

struct BatchRecord {
    std::string id;
    std::string tenant_id;
    // "pending" until a job starts on it, then "processing" until it completes; then "completed",
    // "completed_with_errors" or "failed".
    std::string status = "pending";
    std::int64_t total = 0;
    domain::EpochMs created_at = 0;
    std::optional<domain::EpochMs> completed_at;
};

enum class BatchItemState { kPending, kDone, kFailed };

std::string_view BatchItemStateName(BatchItemState state);

struct BatchItem {
    std::string batch_id;
    std::int64_t idx = 0;
    std::string tenant_id;
    std::optional<std::string> session_id;
    std::optional<std::string> station_id;
    BatchItemState state = BatchItemState::kPending;
    // The payload of a pending item: the session object without "meterValues" (JSON), and the meter
    // values in the meter chunk encoding (nullopt: the request had no meterValues). Cleared once the
    // item is finished; not read by Items().
    std::optional<std::string> fields_json;
    std::optional<std::vector<std::uint8_t>> meter_values;
    std::optional<std::string> error;
    std::optional<domain::EpochMs> processed_at;
};

struct BatchCounts {
    std::int64_t pending = 0;
    std::int64_t done = 0;
    std::int64_t failed = 0;
};

class BatchRepository {
  public:
    virtual ~BatchRepository() = default;
    virtual void Insert(const BatchRecord& batch) = 0;
    virtual void InsertItem(const BatchItem& item) = 0;
    virtual std::optional<BatchRecord> Find(const std::string& tenant_id, const std::string& batch_id) = 0;
    virtual BatchCounts Counts(const std::string& tenant_id, const std::string& batch_id) = 0;
    // Items in index order from `offset`, at most `limit`, without their payload.
    virtual std::vector<BatchItem> Items(const std::string& tenant_id, const std::string& batch_id, std::int64_t offset,
                                         std::int64_t limit) = 0;
    // Pending items with their payload, index in [from_idx, to_idx), in index order.
    virtual std::vector<BatchItem> PendingItems(const std::string& tenant_id, const std::string& batch_id,
                                                std::int64_t from_idx, std::int64_t to_idx) = 0;
    // Moves a pending item to done or failed (with `error`) and drops its payload. False when the
    // item is not pending (finished already, e.g. by an earlier run of a retried job) or absent.
    virtual bool FinishItem(const std::string& tenant_id, const std::string& batch_id, std::int64_t idx,
                            BatchItemState state, const std::optional<std::string>& error, domain::EpochMs at) = 0;
    // Moves a pending batch to "processing" (a job started on it); false when it was not pending.
    virtual bool MarkProcessing(const std::string& tenant_id, const std::string& batch_id) = 0;
    // Sets the final status and completed_at of a batch not completed yet; false when it was.
    virtual bool Complete(const std::string& tenant_id, const std::string& batch_id, const std::string& status,
                          domain::EpochMs at) = 0;
};

}  // namespace evni::storage
