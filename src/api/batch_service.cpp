#include "api/batch_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "api/batch_scanner.h"
#include "api/json_util.h"
#include "jobs/job_runner.h"
#include "storage/meter_codec.h"
#include "util/crypto.h"
#include "util/ordered_pool.h"

namespace evni::api {
namespace json = boost::json;
using storage::BatchItem;
using storage::BatchItemState;
using storage::BatchRecord;

namespace {

constexpr std::size_t kReadChunk = 1u << 20;
constexpr std::size_t kMaxErrorsInMessage = 10;

Loc ItemLoc(std::int64_t idx) { return {std::string("body"), std::string("sessions"), idx}; }

std::string LocText(const Loc& loc) {
    std::string out;
    for (const auto& part : loc) {
        if (!out.empty()) out += '.';
        if (std::holds_alternative<std::string>(part)) {
            out += std::get<std::string>(part);
        } else {
            out += std::to_string(std::get<std::int64_t>(part));
        }
    }
    return out;
}

// One line naming every bad field of a session (the item's error in the results).
std::string ErrorText(const Error& e) {
    if (e.fields.empty()) return e.detail;
    std::string out;
    for (std::size_t i = 0; i < e.fields.size() && i < kMaxErrorsInMessage; ++i) {
        if (!out.empty()) out += "; ";
        out += LocText(e.fields[i].loc) + ": " + e.fields[i].msg;
    }
    if (e.fields.size() > kMaxErrorsInMessage)
        out += fmt::format("; and {} more", e.fields.size() - kMaxErrorsInMessage);
    return "Invalid session: " + out;
}

std::optional<std::string> StringMember(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string(v->get_string());
}

std::string FinalStatus(const storage::BatchCounts& c) {
    if (c.failed == 0) return "completed";
    if (c.done == 0) return "failed";
    return "completed_with_errors";
}

std::string ViewStatus(const BatchRecord& b) {
    if (b.completed_at) return b.status;
    return b.status == "processing" ? "processing" : "pending";
}

json::value OptString(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

// A result of an item without a session (yet): pending, or failed before it was written.
json::object UnwrittenResult(const BatchItem& item, std::string_view status,
                             const std::optional<std::string>& message) {
    return json::object{
        {"sessionId", item.session_id.value_or("")},
        {"chargingStationId", item.station_id.value_or("")},
        {"connectorId", nullptr},
        {"evseId", nullptr},
        {"status", status},
        {"isAnomaly", nullptr},
        {"anomalyScore", nullptr},
        {"anomalyConfidence", nullptr},
        {"isIncident", nullptr},
        {"isRecurring", nullptr},
        {"anomalies", json::array()},
        {"analyzedAt", nullptr},
        {"socReconstructed", false},
        {"message", OptString(message)},
        {"stopReason", nullptr},
        {"createdAt", nullptr},
        {"metadata", nullptr},
    };
}

}  // namespace

ByteSource StringSource(std::string_view body) {
    auto pos = std::make_shared<std::size_t>(0);
    return [body, pos](char* buf, std::size_t cap) {
        std::size_t n = std::min(cap, body.size() - *pos);
        std::memcpy(buf, body.data() + *pos, n);
        *pos += n;
        return n;
    };
}

ByteSource FileSource(const std::string& path) {
    std::shared_ptr<std::FILE> f(std::fopen(path.c_str(), "rb"), [](std::FILE* p) {
        if (p) std::fclose(p);
    });
    if (!f) throw std::runtime_error("cannot open spooled request body " + path);
    return [f](char* buf, std::size_t cap) {
        std::size_t n = std::fread(buf, 1, cap, f.get());
        if (n == 0 && std::ferror(f.get())) throw std::runtime_error("reading the spooled request body failed");
        return n;
    };
}

json::object BatchSummaryJson(const BatchRecord& b, const std::string& status, const storage::BatchCounts& c) {
    return json::object{
        {"batchId", b.id},
        {"status", status},
        {"totalSessions", b.total},
        {"processedSessions", c.done + c.failed},
        {"failedSessions", c.failed},
        {"createdAt", FormatIsoDateTime(b.created_at)},
        {"completedAt", TimeOrNull(b.completed_at)},
    };
}

namespace {

// One session of an upload, decoded off the request thread (OrderedPool) and stored on it, in order.
struct DecodedItem {
    BatchItem item;
    bool pending = false;             // valid: a job will write it
    std::optional<Error> stop_error;  // the whole upload is refused (malformed JSON)
};

DecodedItem DecodeItem(std::string_view text, std::int64_t idx, const BatchRecord& batch) {
    DecodedItem out;
    json::monotonic_resource arena(text.size() * 2 + 1024);
    boost::system::error_code ec;
    json::parse_options popts;
    popts.max_depth = 64;
    json::value v = json::parse(text, ec, json::storage_ptr(&arena), popts);
    if (ec) {
        out.stop_error = Error::Validation({{ItemLoc(idx), "Invalid JSON: " + ec.message(), "json_invalid"}});
        return out;
    }
    BatchItem& item = out.item;
    item.batch_id = batch.id;
    item.idx = idx;
    item.tenant_id = batch.tenant_id;
    if (!v.is_object()) {
        item.state = BatchItemState::kFailed;
        item.error = "Invalid session: " + LocText(ItemLoc(idx)) + ": Input should be a valid dictionary";
        item.processed_at = batch.created_at;
        return out;
    }
    auto& obj = v.get_object();
    item.session_id = StringMember(obj, "sessionId");
    item.station_id = StringMember(obj, "chargingStationId");
    auto cmd = DecodeUpsertSession(obj, ItemLoc(idx));
    if (!cmd) {
        item.state = BatchItemState::kFailed;
        item.error = ErrorText(cmd.error());
        item.processed_at = batch.created_at;
        return out;
    }
    if (cmd->changes.meter_values) item.meter_values = storage::EncodeMeterChunk(*cmd->changes.meter_values);
    obj.erase("meterValues");
    item.fields_json = Serialize(obj);
    out.pending = true;
    return out;
}

unsigned DecodeThreads() { return std::clamp(std::thread::hardware_concurrency(), 1u, 4u); }

}  // namespace

Result<BatchRecord> BatchService::Submit(const domain::Principal& who, const ByteSource& body) {
    BatchRecord batch;
    batch.id = "batch_" + crypto::RandomHex(12);
    batch.tenant_id = who.tenant_id;
    batch.created_at = clock_.NowMs();

    auto tx = store_.Begin(storage::TxMode::kWrite);
    auto& repo = tx->Batches();
    const std::int64_t slices_max = (options_.max_sessions + options_.items_per_job - 1) / options_.items_per_job;
    std::vector<bool> slice_has_pending(static_cast<std::size_t>(slices_max) + 1, false);
    std::optional<Error> stop_error;
    std::int64_t pending = 0;

    // Parsing and decoding a session costs several times what scanning and storing it does: the pool's
    // threads decode while this one scans on and stores the decoded items, in body order, in this transaction.
    OrderedPool<DecodedItem> decoder(DecodeThreads(), 64, [&](DecodedItem&& d) {
        if (stop_error) return;
        if (d.stop_error) {
            stop_error = std::move(d.stop_error);
            return;
        }
        repo.InsertItem(d.item);
        if (d.pending) {
            slice_has_pending[static_cast<std::size_t>(d.item.idx / options_.items_per_job)] = true;
            ++pending;
        }
    });
    SessionsArrayScanner scanner(
        [&](std::string_view text, std::int64_t idx) {
            if (stop_error) return false;
            if (idx >= options_.max_sessions) {
                decoder.Drain();  // an earlier session's error comes first
                if (!stop_error) {
                    stop_error =
                        Error::Validation({{{std::string("body"), std::string("sessions")},
                                            fmt::format("List should have at most {} items", options_.max_sessions),
                                            "too_long"}});
                }
                return false;
            }
            decoder.Submit([text = std::string(text), idx, &batch] { return DecodeItem(text, idx, batch); });
            return true;
        },
        options_.max_session_bytes);

    std::string buf(kReadChunk, '\0');
    for (;;) {
        const std::size_t n = body(buf.data(), buf.size());
        if (n == 0) break;
        if (!scanner.Feed(std::string_view(buf.data(), n))) break;
    }
    if (scanner.status() == SessionsArrayScanner::Status::kOk) scanner.Finish();
    // Every session still in flight precedes where the scanner stopped: its error is the first one.
    decoder.Drain();
    if (stop_error) return Fail(std::move(*stop_error));
    using S = SessionsArrayScanner::Status;
    switch (scanner.status()) {
        case S::kOk:
            break;
        case S::kStopped:
            return Fail(std::move(*stop_error));
        case S::kElementTooLarge:
            return Fail(Error{ErrorCode::kPayloadTooLarge, scanner.Message(), {}});
        case S::kSessionsNotAList:
            return Fail(
                Error::Validation({{{std::string("body"), std::string("sessions")}, scanner.Message(), "list_type"}}));
        case S::kNoSessions:
            return Fail(
                Error::Validation({{{std::string("body"), std::string("sessions")}, scanner.Message(), "missing"}}));
        case S::kNotAnObject:
            return Fail(Error::Validation({{{std::string("body")}, scanner.Message(), "model_attributes_type"}}));
        case S::kSyntax:
            return Fail(Error::Validation({{{std::string("body")}, scanner.Message(), "json_invalid"}}));
    }
    if (scanner.elements() == 0) {
        return Fail(Error::Validation(
            {{{std::string("body"), std::string("sessions")}, "List should have at least 1 item", "too_short"}}));
    }
    batch.total = scanner.elements();
    repo.Insert(batch);
    if (pending == 0) {
        // Every session was invalid: nothing to process, the batch is complete now.
        storage::BatchCounts counts{0, 0, batch.total};
        batch.status = FinalStatus(counts);
        batch.completed_at = batch.created_at;
        repo.Complete(who.tenant_id, batch.id, batch.status, batch.created_at);
        events_.Emit(*tx, who.tenant_id, "batch.completed", BatchSummaryJson(batch, batch.status, counts));
    } else {
        for (std::int64_t s = 0; s < slices_max; ++s) {
            if (!slice_has_pending[static_cast<std::size_t>(s)]) continue;
            const std::int64_t from = s * options_.items_per_job;
            json::object payload{{"batchId", batch.id}, {"from", from}, {"to", from + options_.items_per_job}};
            tx->Jobs().Enqueue(
                {who.tenant_id, kJobKind, Serialize(payload), batch.created_at, batch.id + ":" + std::to_string(s)},
                batch.created_at);
        }
        if (wake_) tx->AfterCommit(wake_);
    }
    tx->Commit();
    return batch;
}

Result<BatchView> BatchService::Get(const domain::Principal& who, const std::string& batch_id, std::int64_t page,
                                    std::int64_t page_size) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto& repo = tx->Batches();
    auto batch = repo.Find(who.tenant_id, batch_id);
    if (!batch) return Fail(Error::NotFound("Batch not found"));
    BatchView view;
    view.counts = repo.Counts(who.tenant_id, batch_id);
    view.status = ViewStatus(*batch);
    view.page = page;
    view.page_size = page_size;
    for (const auto& item : repo.Items(who.tenant_id, batch_id, (page - 1) * page_size, page_size)) {
        switch (item.state) {
            case BatchItemState::kPending:
                view.results.push_back(UnwrittenResult(item, "pending", "Queued for analysis"));
                break;
            case BatchItemState::kFailed:
                view.results.push_back(UnwrittenResult(item, "failed", item.error));
                break;
            case BatchItemState::kDone:
                if (auto s = item.session_id ? tx->Sessions().Find(who.tenant_id, *item.session_id) : std::nullopt) {
                    view.results.push_back(SessionJson(*s));
                } else {
                    view.results.push_back(UnwrittenResult(item, "failed", "The session no longer exists"));
                }
                break;
        }
    }
    tx->Commit();
    view.batch = std::move(*batch);
    return view;
}

jobs::JobResult BatchService::Process(const storage::Job& job) {
    auto payload = json::parse(job.payload_json).as_object();
    const std::string batch_id(payload.at("batchId").as_string());
    const std::int64_t from = payload.at("from").to_number<std::int64_t>();
    const std::int64_t to = payload.at("to").to_number<std::int64_t>();
    const std::string& tenant = job.tenant_id;

    std::vector<BatchItem> items;
    {
        auto tx = store_.Begin(storage::TxMode::kRead);
        items = tx->Batches().PendingItems(tenant, batch_id, from, to);
        auto batch = tx->Batches().Find(tenant, batch_id);
        tx->Commit();
        if (!batch) return jobs::JobResult::Failed("batch " + batch_id + " not found");
        if (!items.empty() && batch->status == "pending") {
            auto wtx = store_.Begin(storage::TxMode::kWrite);
            wtx->Batches().MarkProcessing(tenant, batch_id);
            wtx->Commit();
        }
    }
    domain::Principal who{tenant, "batch:" + batch_id, domain::Role::kMember};
    who.actor = "batch:" + batch_id;
    auto last_extend = std::chrono::steady_clock::now();
    for (auto& item : items) {
        // Keep the claim while working: a slice that outlives the lease would be taken over.
        if (std::chrono::steady_clock::now() - last_extend > options_.lease / 4) {
            auto tx = store_.Begin(storage::TxMode::kWrite);
            const bool held = tx->Jobs().Extend(job, clock_.NowMs() + options_.lease.count());
            tx->Commit();
            if (!held) return jobs::JobResult::Done();  // another worker took the slice over
            last_extend = std::chrono::steady_clock::now();
        }
        std::optional<std::string> item_error;
        {
            boost::system::error_code ec;
            auto fields = json::parse(item.fields_json.value_or("{}"), ec);
            Result<UpsertSession> cmd = fields.is_object() && !ec
                                            ? DecodeUpsertSession(fields.get_object(), ItemLoc(item.idx))
                                            : Result<UpsertSession>(Fail(Error::Internal("stored item unreadable")));
            if (cmd && item.meter_values) {
                domain::MeterValues values;
                if (!storage::DecodeMeterChunk(*item.meter_values, values)) {
                    cmd = Fail(Error::Internal("stored meter values unreadable"));
                } else {
                    cmd->changes.meter_values = std::move(values);
                }
            }
            if (!cmd) {
                item_error = ErrorText(cmd.error());
            } else {
                bool already = false;
                const std::int64_t idx = item.idx;
                auto written = sessions_.Upsert(
                    who, std::move(*cmd), [&](storage::Transaction& tx, const storage::SessionRecord&) -> Result<void> {
                        // The item's outcome commits with the session write: exactly once.
                        if (!tx.Batches().FinishItem(tenant, batch_id, idx, BatchItemState::kDone, std::nullopt,
                                                     clock_.NowMs())) {
                            already = true;
                            return Fail(Error::Conflict("batch item already processed"));
                        }
                        return {};
                    });
                if (!written && !already) item_error = ErrorText(written.error());
            }
        }
        if (item_error) {
            auto tx = store_.Begin(storage::TxMode::kWrite);
            tx->Batches().FinishItem(tenant, batch_id, item.idx, BatchItemState::kFailed, item_error, clock_.NowMs());
            tx->Commit();
        }
    }
    TryComplete(tenant, batch_id);
    return jobs::JobResult::Done();
}

void BatchService::TryComplete(const std::string& tenant_id, const std::string& batch_id) {
    storage::WithRetry([&] {
        auto tx = store_.Begin(storage::TxMode::kWrite);
        auto& repo = tx->Batches();
        auto counts = repo.Counts(tenant_id, batch_id);
        if (counts.pending > 0) return;
        auto batch = repo.Find(tenant_id, batch_id);
        if (!batch || batch->completed_at) return;
        const auto now = clock_.NowMs();
        const std::string status = FinalStatus(counts);
        if (!repo.Complete(tenant_id, batch_id, status, now)) return;
        batch->status = status;
        batch->completed_at = now;
        events_.Emit(*tx, tenant_id, "batch.completed", BatchSummaryJson(*batch, status, counts));
        tx->Commit();
        spdlog::info("batch {} of tenant {} {}: {} sessions, {} failed", batch_id, tenant_id, status, batch->total,
                     counts.failed);
    });
}

}  // namespace evni::api
