#include "api/session_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_set>

#include "analysis/normalise.h"
#include "api/connector_limits.h"
#include "api/soc_prior.h"

namespace evni::api {
namespace json = boost::json;
using storage::SessionRecord;
using storage::TxMode;

namespace {

constexpr domain::EpochMs kThirtyDaysMs = 30LL * 24 * 3600 * 1000;
// At most this many overlapping sessions are looked at (one is enough to flag; a few give the extent).
constexpr std::int64_t kMaxOverlapSpans = 100;
// SESSION_OVERLAP looks at the connector's sessions that started at most this long before the session (an index
// range, not every session of the station). A longer one that overlaps is found from its own side: the later
// session starts inside its span (docs/analysis.md).
constexpr std::int64_t kOverlapLookbackMs = 24LL * 3600 * 1000;

domain::MeterValues SortedByTime(domain::MeterValues values) {
    std::stable_sort(values.begin(), values.end(), [](const domain::MeterValue& a, const domain::MeterValue& b) {
        return a.timestamp < b.timestamp;
    });
    return values;
}

// `values` in time order without copying when they already are (the usual case).
std::span<const domain::MeterValue> TimeOrdered(const domain::MeterValues& values, domain::MeterValues& scratch) {
    auto by_time = [](const domain::MeterValue& a, const domain::MeterValue& b) { return a.timestamp < b.timestamp; };
    if (std::is_sorted(values.begin(), values.end(), by_time)) return values;
    scratch = SortedByTime(values);
    return scratch;
}

void ExtendTimeBounds(SessionRecord& r, const domain::MeterValues& values) {
    for (const auto& v : values) {
        if (!r.started_at || v.timestamp < *r.started_at) r.started_at = v.timestamp;
        if (!r.ended_at || v.timestamp > *r.ended_at) r.ended_at = v.timestamp;
    }
}

struct MeterValueHash {
    std::size_t operator()(const domain::MeterValue& v) const {
        std::size_t h = std::hash<std::int64_t>()(v.timestamp);
        auto mix = [&h](std::size_t x) { h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
        mix(std::hash<double>()(v.value));
        for (const auto* f : {&v.measurand, &v.unit, &v.phase, &v.location}) {
            mix(f->has_value() ? std::hash<std::string>()(**f) : 0);
        }
        mix(v.reconstructed);
        return h;
    }
};

// The values of `incoming` that are neither in `known` nor earlier in `incoming`: a retried request
// must not store its readings twice.
domain::MeterValues WithoutExactDuplicates(const domain::MeterValues& incoming, const domain::MeterValues& known) {
    std::unordered_set<domain::MeterValue, MeterValueHash> seen(known.begin(), known.end());
    domain::MeterValues out;
    out.reserve(incoming.size());
    for (const auto& v : incoming) {
        if (seen.insert(v).second) out.push_back(v);
    }
    return out;
}

Error TooManyValues() {
    return Error::Validation({{{std::string("body"), std::string("meterValues")},
                               fmt::format("A session holds at most {} meter values", kMaxValuesPerSession),
                               "too_long"}});
}

}  // namespace

domain::ConnectorFacts ConnectorFactsFromMetadata(const std::optional<std::string>& metadata_json) {
    domain::ConnectorFacts facts;
    if (!metadata_json) return facts;
    boost::system::error_code ec;
    auto v = json::parse(*metadata_json, ec);
    if (ec || !v.is_object()) return facts;
    const auto& o = v.get_object();
    if (auto* p = o.if_contains("maxPowerKw")) {
        if (auto d = NumberOrNumericString(*p); d && *d > 0) facts.max_power_kw = *d;
    }
    if (auto* p = o.if_contains("currentType"); p && p->is_string()) {
        std::string t(p->get_string());
        for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (t == "AC" || t == "DC") facts.current_type = t;
    }
    if (auto* p = o.if_contains("phases")) {
        if (auto d = NumberOrNumericString(*p); d && (*d == 1 || *d == 2 || *d == 3))
            facts.phases = static_cast<int>(*d);
    }
    return facts;
}

analysis::AnalysisOptions SessionService::OptionsFor(const SessionRecord& r, storage::Transaction* tx) const {
    analysis::AnalysisOptions o;
    o.connector = ConnectorFactsFromMetadata(r.metadata_json);
    // No maxPowerKw in metadata: the rating learned from the connector's history, if any (docs/analysis.md).
    if (tx) {
        auto learned =
            learned_limit_source_ ? learned_limit_source_(*tx, r, o.connector) : LoadLearnedLimit(*tx, r, o.connector);
        if (learned) o.learned_max_power_kw = learned->max_power_kw;
    }
    o.now_ms = clock_.NowMs();
    // SESSION_OVERLAP: the other sessions on this connector that meet this one's span.
    if (tx && r.pk != 0 && r.started_at && r.ended_at) {
        o.other_sessions = tx->Sessions().OtherSessionSpans(r, *r.started_at - kOverlapLookbackMs, *r.started_at,
                                                            *r.ended_at, kMaxOverlapSpans);
    }
    return o;
}

void SessionService::Notify(storage::Transaction& tx, SessionWriteKind kind, const SessionRecord* before,
                            const SessionRecord& after, std::span<const domain::MeterValue> values,
                            bool values_complete, const std::vector<std::any>* prepared) const {
    if (listeners_.empty()) return;
    SessionWrite write{kind, before, after, values, values_complete};
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        write.prepared = prepared && i < prepared->size() ? &(*prepared)[i] : nullptr;
        listeners_[i]->OnSessionWritten(tx, write);
    }
}

namespace {
// The row as it was before a write, without its (large, listener-irrelevant) analysis state.
SessionRecord Snapshot(SessionRecord& r) {
    auto state = std::move(r.analysis_state);
    SessionRecord copy = r;
    r.analysis_state = std::move(state);
    return copy;
}
}  // namespace

void SessionService::ApplyFields(SessionRecord& r, const SessionChanges& c) const {
    if (c.connector_id.present) r.connector_id = c.connector_id.value;
    if (c.evse_id.present) r.evse_id = c.evse_id.value;
    if (c.metadata_json.present) r.metadata_json = c.metadata_json.value;
    if (c.stop_reason.present) r.stop_reason = c.stop_reason.value;
    if (c.status && *c.status != domain::ClientStatus::kNone) r.client_status = *c.status;
    r.updated_at = clock_.NowMs();
}

void SessionService::MarkFailed(SessionRecord& r, const std::string& why) {
    r.analysis_failed = true;
    r.message = "Analysis failed: " + why;
    r.analysis_state.clear();
    metrics_.CountAnalysis("failed");
}

void SessionService::StoreVerdict(storage::Transaction& tx, SessionRecord& r, const analysis::Verdict& verdict,
                                  std::vector<std::uint8_t> state) {
    r.analysis_state = std::move(state);
    r.analysis_failed = false;
    const auto now = clock_.NowMs();
    if (!verdict.analyzed) {
        r.message = verdict.message;
        r.analyzed_at.reset();
        r.is_anomaly.reset();
        r.anomaly_score.reset();
        r.anomaly_confidence.reset();
        r.is_incident.reset();
        r.is_recurring.reset();
        r.anomaly_count = 0;
        if (!r.anomalies.empty()) tx.Sessions().ReplaceAnomalies(r, {}, now);
        r.anomalies.clear();
        metrics_.CountAnalysis("skipped");
        return;
    }
    r.message.reset();
    r.analyzed_at = now;
    r.analysis_version += 1;
    r.anomaly_score = verdict.anomaly_score;
    r.anomaly_confidence = verdict.anomaly_confidence;
    r.is_anomaly = verdict.anomaly_score >= (threshold_source_ ? threshold_source_(tx, r.tenant_id) : threshold_);
    std::set<std::string> categories;
    for (const auto& a : verdict.anomalies) categories.insert(a.category);
    r.anomaly_count = static_cast<std::int64_t>(categories.size());
    if (verdict.anomalies != r.anomalies) {
        tx.Sessions().ReplaceAnomalies(r, verdict.anomalies, now);
        r.anomalies = verdict.anomalies;
    }
    // Recurring: the same category on the same station and connector in >= 2 other sessions within
    // the 30 days before this occurrence.
    bool recurring = false;
    double recurring_score = 0.0;
    for (const auto& category : categories) {
        domain::EpochMs at = r.started_at.value_or(now);
        double best = 0.0;
        for (const auto& a : verdict.anomalies) {
            if (a.category == category) {
                at = std::min(at, a.start_ms);
                best = std::max(best, a.score);
            }
        }
        if (tx.Sessions().CountOtherSessionsWithCategory(r, category, at - kThirtyDaysMs, at) >= 2) {
            recurring = true;
            recurring_score = std::max(recurring_score, best);
        }
    }
    r.is_recurring = recurring;
    // Incident: severe and sure, or recurring and at least moderately severe.
    r.is_incident =
        (verdict.anomaly_score >= 0.8 && verdict.anomaly_confidence >= 0.8) || (recurring && recurring_score >= 0.6);
    metrics_.CountAnalysis(*r.is_anomaly ? "anomaly" : "normal");
}

void SessionService::AnalyzeFull(storage::Transaction& tx, SessionRecord& r, const domain::MeterValues* all_values) {
    domain::MeterValues loaded;
    if (!all_values) {
        loaded = tx.Sessions().LoadValues(r);
        all_values = &loaded;
    }
    try {
        domain::MeterValues scratch;
        auto sorted = TimeOrdered(*all_values, scratch);
        analysis::IncrementalAnalyzer analyzer(OptionsFor(r, &tx));
        analyzer.Append(sorted);
        StoreVerdict(tx, r, analyzer.Current(), analyzer.Serialize());
    } catch (const std::exception& e) {
        MarkFailed(r, e.what());
    }
}

void SessionService::AnalyzeAppended(storage::Transaction& tx, SessionRecord& r, const domain::MeterValues& added) {
    if (!r.analysis_state.empty() && !r.analysis_failed) {
        try {
            auto analyzer = analysis::IncrementalAnalyzer::Deserialize(r.analysis_state, OptionsFor(r, &tx));
            domain::MeterValues scratch;
            auto sorted = TimeOrdered(added, scratch);
            if (analyzer && analyzer->CanAppend(sorted)) {
                analyzer->Append(sorted);
                StoreVerdict(tx, r, analyzer->Current(), analyzer->Serialize());
                return;
            }
        } catch (const std::exception& e) {
            // Fall through to a full analysis, which reports a failure if it fails too.
        }
    }
    AnalyzeFull(tx, r, nullptr);
}

Result<SessionRecord> SessionService::Upsert(const domain::Principal& who, UpsertSession cmd) {
    return storage::WithRetry([&] { return UpsertOnce(who, cmd, nullptr); });
}

Result<SessionRecord> SessionService::Upsert(const domain::Principal& who, UpsertSession cmd,
                                             const InTransaction& in_tx) {
    return storage::WithRetry([&] { return UpsertOnce(who, cmd, &in_tx); });
}

Result<SessionRecord> SessionService::Replace(const domain::Principal& who, const std::string& session_id,
                                              SessionChanges changes) {
    return storage::WithRetry([&] { return ReplaceOnce(who, session_id, changes); });
}

Result<SessionRecord> SessionService::Append(const domain::Principal& who, const std::string& session_id,
                                             SessionChanges changes) {
    return storage::WithRetry([&] { return AppendOnce(who, session_id, changes); });
}

Result<SessionRecord> SessionService::UpsertOnce(const domain::Principal& who, const UpsertSession& cmd,
                                                 const InTransaction* in_tx) {
    const auto& values = cmd.changes.meter_values;
    if (values && static_cast<std::int64_t>(values->size()) > kMaxValuesPerSession) return Fail(TooManyValues());

    // The common case is a new session: sort and analyse its values before taking the write lock.
    std::optional<analysis::Verdict> pre_verdict;
    std::vector<std::uint8_t> pre_state;
    double pre_peak_kw = 0.0;
    bool pre_failed = false;
    std::string pre_error;
    SessionRecord fresh;
    fresh.metadata_json = cmd.changes.metadata_json.present ? cmd.changes.metadata_json.value : std::nullopt;
    if (values && !values->empty()) {
        try {
            domain::MeterValues scratch;
            auto sorted = TimeOrdered(*values, scratch);
            analysis::IncrementalAnalyzer analyzer(OptionsFor(fresh, nullptr));
            analyzer.Append(sorted);
            pre_verdict = analyzer.Current();
            pre_state = analyzer.Serialize();
            pre_peak_kw = analyzer.PeakPowerKw();
        } catch (const std::exception& e) {
            pre_failed = true;
            pre_error = e.what();
        }
    }
    // ... and what the listeners derive from the values alone (power and capacity observations).
    std::vector<std::any> prepared;
    if (values && !values->empty()) {
        prepared.reserve(listeners_.size());
        for (const auto* l : listeners_) prepared.push_back(l->Prepare(*values));
    }

    auto tx = store_.Begin(TxMode::kWrite);
    auto& sessions = tx->Sessions();
    auto existing = sessions.Find(who.tenant_id, cmd.session_id);
    SessionRecord r;
    if (!existing) {
        r.tenant_id = who.tenant_id;
        r.session_id = cmd.session_id;
        r.station_id = cmd.station_id;
        r.created_at = clock_.NowMs();
        ApplyFields(r, cmd.changes);
        if (values) ExtendTimeBounds(r, *values);
        r.value_count = values ? static_cast<std::int64_t>(values->size()) : 0;
        sessions.Insert(r);
        if (values && !values->empty()) {
            sessions.AppendChunk(r, r.next_chunk++, *values);
            if (pre_failed) {
                MarkFailed(r, pre_error);
            } else if (const auto o = OptionsFor(r, tx.get());
                       !o.other_sessions.empty() ||
                       (o.learned_max_power_kw &&
                        analysis::LearnedLimitMatters(pre_peak_kw, *o.learned_max_power_kw))) {
                // Overlapping sessions on this connector (rare), or power above a learned rating (the pre-analysis
                // had no database): analyse again with them.
                AnalyzeFull(*tx, r, &*values);
            } else {
                StoreVerdict(*tx, r, *pre_verdict, std::move(pre_state));
            }
        }
        if (r.value_count == 0) r.message = "No meter values yet; inference runs once the session has at least 3";
        sessions.Update(r);
        sessions.RegisterStation(r, r.created_at);
        Notify(*tx, SessionWriteKind::kInsert, nullptr, r,
               values ? std::span<const domain::MeterValue>(*values) : std::span<const domain::MeterValue>(), true,
               &prepared);
        if (in_tx && *in_tx) {
            if (auto ok = (*in_tx)(*tx, r); !ok) return Fail(std::move(ok.error()));
        }
        tx->Commit();
        return r;
    }

    const SessionRecord before = Snapshot(*existing);
    r = std::move(*existing);
    if (r.station_id != cmd.station_id) {
        return Fail(Error::Conflict(
            fmt::format("Session {} already exists on charging station {}", r.session_id, r.station_id)));
    }
    const bool facts_changed = cmd.changes.metadata_json.present && cmd.changes.metadata_json.value != r.metadata_json;
    const auto connector_before = std::make_pair(r.connector_id, r.evse_id);
    ApplyFields(r, cmd.changes);
    domain::MeterValues added;
    if (values && !values->empty()) {
        // A retried POST must not double the readings: keep only values not stored already.
        auto stored = sessions.LoadValues(r);
        added = WithoutExactDuplicates(*values, stored);
        if (r.value_count + static_cast<std::int64_t>(added.size()) > kMaxValuesPerSession)
            return Fail(TooManyValues());
        if (!added.empty()) {
            sessions.AppendChunk(r, r.next_chunk++, added);
            r.value_count += static_cast<std::int64_t>(added.size());
            ExtendTimeBounds(r, added);
            stored.insert(stored.end(), added.begin(), added.end());
        }
        if (!added.empty() || facts_changed) AnalyzeFull(*tx, r, &stored);
    } else if (facts_changed && r.value_count > 0) {
        AnalyzeFull(*tx, r, nullptr);
    }
    sessions.Update(r);
    if (connector_before != std::make_pair(r.connector_id, r.evse_id)) sessions.RegisterStation(r, r.updated_at);
    Notify(*tx, SessionWriteKind::kUpsert, &before, r, added);
    if (in_tx && *in_tx) {
        if (auto ok = (*in_tx)(*tx, r); !ok) return Fail(std::move(ok.error()));
    }
    tx->Commit();
    return r;
}

Result<SessionRecord> SessionService::ReplaceOnce(const domain::Principal& who, const std::string& session_id,
                                                  const SessionChanges& changes) {
    const auto& values = *changes.meter_values;
    if (static_cast<std::int64_t>(values.size()) > kMaxValuesPerSession) return Fail(TooManyValues());
    auto tx = store_.Begin(TxMode::kWrite);
    auto& sessions = tx->Sessions();
    auto existing = sessions.Find(who.tenant_id, session_id);
    if (!existing) return Fail(Error::NotFound("Session not found"));
    const SessionRecord before = Snapshot(*existing);
    SessionRecord r = std::move(*existing);
    const auto connector_before = std::make_pair(r.connector_id, r.evse_id);
    ApplyFields(r, changes);
    sessions.DeleteChunks(r);
    r.next_chunk = 0;
    sessions.AppendChunk(r, r.next_chunk++, values);
    r.value_count = static_cast<std::int64_t>(values.size());
    r.started_at.reset();
    r.ended_at.reset();
    ExtendTimeBounds(r, values);
    AnalyzeFull(*tx, r, &values);
    sessions.Update(r);
    if (connector_before != std::make_pair(r.connector_id, r.evse_id)) sessions.RegisterStation(r, r.updated_at);
    Notify(*tx, SessionWriteKind::kReplace, &before, r, values, true);
    tx->Commit();
    return r;
}

Result<SessionRecord> SessionService::AppendOnce(const domain::Principal& who, const std::string& session_id,
                                                 const SessionChanges& changes) {
    auto tx = store_.Begin(TxMode::kWrite);
    auto& sessions = tx->Sessions();
    auto existing = sessions.Find(who.tenant_id, session_id);
    if (!existing) return Fail(Error::NotFound("Session not found"));
    const SessionRecord before = Snapshot(*existing);
    SessionRecord r = std::move(*existing);
    const bool facts_changed = changes.metadata_json.present && changes.metadata_json.value != r.metadata_json;
    const auto connector_before = std::make_pair(r.connector_id, r.evse_id);
    ApplyFields(r, changes);
    // A retried PATCH repeats the previous request: drop values identical to ones of the last chunk
    // (or repeated within this request). Only that chunk is read, so appends stay O(request).
    domain::MeterValues added;
    if (changes.meter_values && !changes.meter_values->empty()) {
        added = WithoutExactDuplicates(*changes.meter_values, sessions.LoadLastChunk(r));
    }
    if (!added.empty()) {
        if (r.value_count + static_cast<std::int64_t>(added.size()) > kMaxValuesPerSession)
            return Fail(TooManyValues());
        sessions.AppendChunk(r, r.next_chunk++, added);
        r.value_count += static_cast<std::int64_t>(added.size());
        ExtendTimeBounds(r, added);
        if (facts_changed) {
            AnalyzeFull(*tx, r, nullptr);
        } else {
            AnalyzeAppended(*tx, r, added);
        }
    } else if (facts_changed && r.value_count > 0) {
        AnalyzeFull(*tx, r, nullptr);
    }
    sessions.Update(r);
    if (connector_before != std::make_pair(r.connector_id, r.evse_id)) sessions.RegisterStation(r, r.updated_at);
    Notify(*tx, SessionWriteKind::kAppend, &before, r, added);
    tx->Commit();
    return r;
}

Result<SessionDetail> SessionService::Get(const domain::Principal& who, const std::string& session_id) {
    auto tx = store_.Begin(TxMode::kRead);
    auto found = tx->Sessions().Find(who.tenant_id, session_id);
    if (!found) return Fail(Error::NotFound("Session not found"));
    SessionDetail d{std::move(*found), {}, {}};
    d.values = SortedByTime(tx->Sessions().LoadValues(d.record));
    // The connector's capacity history (docs/soc_prior.md); the station's only for a session with a SoC reading.
    analysis::ReadingParser parser;
    const bool with_soc_reading = std::any_of(d.values.begin(), d.values.end(), [&parser](const auto& v) {
        const auto reading = parser.Parse(v);
        return reading && reading->measurand == analysis::Measurand::kSoC;
    });
    auto soc_prior = LoadSocPrior(*tx, d.record, with_soc_reading);
    tx->Commit();
    analysis::SocOptions soc;
    soc.prior = std::move(soc_prior);
    soc.connector = ConnectorFactsFromMetadata(d.record.metadata_json);
    soc.stop_reason = d.record.stop_reason;
    soc.ev_max_power_kw = EvMaxPowerFromMetadata(d.record.metadata_json);  // the "same car model" key
    soc.now_ms = clock_.NowMs();
    try {
        d.soc = analysis::ReconstructSoc(d.values, soc);
    } catch (const std::exception&) {
        d.soc = {};  // the overlay is optional: a failure leaves it empty
    }
    return d;
}

Result<storage::SessionPage> SessionService::List(const domain::Principal& who, const storage::SessionFilter& filter) {
    auto tx = store_.Begin(TxMode::kRead);
    auto page = tx->Sessions().List(who.tenant_id, filter);
    tx->Commit();
    return page;
}

}  // namespace evni::api
