#include "api/anomaly_listener.h"

#include <boost/json.hpp>
#include <map>

#include "util/crypto.h"

namespace evni::api {
namespace json = boost::json;
using storage::AnomalyRecord;
using storage::EpochMs;

std::vector<CategorySummary> SummariseByCategory(const std::vector<analysis::Anomaly>& anomalies) {
    std::map<std::string, std::vector<const analysis::Anomaly*>> by;
    for (const auto& a : anomalies) by[a.category].push_back(&a);
    std::vector<CategorySummary> out;
    out.reserve(by.size());
    for (auto& [category, list] : by) {
        CategorySummary s;
        s.category = category;
        s.from = list.front()->start_ms;
        s.until = list.front()->end_ms;
        json::array ranges;
        for (const auto* a : list) {
            if (a->score > s.score || s.occurrences == 0) {
                s.score = a->score;
                s.confidence = a->confidence;
            }
            ++s.occurrences;
            s.from = std::min(s.from, a->start_ms);
            s.until = std::max(s.until, a->end_ms);
            ranges.push_back(json::object{{"start", a->start_ms},
                                          {"end", a->end_ms},
                                          {"startUnit", a->buckets.start_unit},
                                          {"endUnit", a->buckets.end_unit},
                                          {"score", a->score},
                                          {"confidence", a->confidence}});
        }
        s.ranges_json = json::serialize(ranges);
        out.push_back(std::move(s));
    }
    return out;
}

namespace {

void Apply(AnomalyRecord& r, const CategorySummary& s) {
    r.score = s.score;
    r.confidence = s.confidence;
    r.occurrences = s.occurrences;
    r.occurred_at = s.from;
    r.occurred_until = s.until;
    r.ranges_json = s.ranges_json;
}

bool SameAs(const AnomalyRecord& r, const CategorySummary& s) {
    return r.score == s.score && r.confidence == s.confidence && r.occurrences == s.occurrences &&
           r.occurred_at == s.from && r.occurred_until == s.until && r.ranges_json == s.ranges_json;
}

}  // namespace

ReconcilePlan Reconcile(const storage::SessionRecord& session, const std::vector<AnomalyRecord>& existing,
                        const std::vector<analysis::Anomaly>& anomalies, EpochMs now,
                        const std::function<std::string(const char* prefix)>& new_id) {
    ReconcilePlan plan;
    const auto current = SummariseByCategory(anomalies);
    std::map<std::string, const AnomalyRecord*> known;
    for (const auto& r : existing) known[r.category] = &r;
    auto point = [&](const AnomalyRecord& r, double score, double confidence) {
        plan.points.emplace_back(r.id, storage::ScorePoint{session.analysis_version, now, score, confidence});
    };
    std::map<std::string, bool> seen;
    for (const auto& s : current) {
        seen[s.category] = true;
        auto it = known.find(s.category);
        if (it == known.end()) {
            AnomalyRecord r;
            r.id = new_id("anm_");
            r.tenant_id = session.tenant_id;
            r.session_pk = session.pk;
            r.session_id = session.session_id;
            r.station_id = session.station_id;
            r.connector_id = session.connector_id;
            r.evse_id = session.evse_id;
            r.category = s.category;
            Apply(r, s);
            r.first_detected_at = now;
            r.updated_at = now;
            r.issue_id = new_id("iss_");
            r.issue_status = kIssueOpen;
            r.issue_updated_at = now;
            point(r, r.score, r.confidence);
            plan.inserts.push_back(std::move(r));
            continue;
        }
        AnomalyRecord r = *it->second;
        if (r.closed_at) {
            Apply(r, s);
            r.closed_at.reset();
            r.updated_at = now;
            if (r.issue_status == kIssueResolved) {
                // A resolved problem that comes back needs attention again.
                plan.history.push_back(
                    {r.tenant_id, r.issue_id, now, "system", r.issue_status, kIssueOpen, r.assigned_to, r.assigned_to});
                r.issue_status = kIssueOpen;
                r.issue_updated_at = now;
            }
            point(r, r.score, r.confidence);
            plan.updates.push_back(std::move(r));
        } else if (!SameAs(r, s)) {
            const bool score_changed = r.score != s.score || r.confidence != s.confidence;
            Apply(r, s);
            r.updated_at = now;
            if (score_changed) point(r, r.score, r.confidence);
            plan.updates.push_back(std::move(r));
        }
    }
    for (const auto& r0 : existing) {
        if (seen.count(r0.category) || r0.closed_at) continue;
        AnomalyRecord r = r0;
        r.closed_at = now;
        r.updated_at = now;
        point(r, 0.0, 0.0);
        plan.updates.push_back(std::move(r));
    }
    return plan;
}

void AnomalyWorkspaceListener::OnSessionWritten(storage::Transaction& tx, const SessionWrite& w) {
    const auto& after = w.after;
    auto& repo = tx.Anomalies();
    if (w.before && (w.before->connector_id != after.connector_id || w.before->evse_id != after.evse_id)) {
        repo.UpdateSessionIdentity(after.tenant_id, after.pk, after.connector_id, after.evse_id);
    }
    static const std::vector<analysis::Anomaly> kNone;
    const auto& before_anomalies = w.before ? w.before->anomalies : kNone;
    const bool changed = before_anomalies != after.anomalies;
    // A re-analysis recomputes is_incident from the verdict; an operator's confirmation wins.
    const bool incident_dropped = w.before && w.before->is_incident == true && after.is_incident != true;
    if (!changed && !incident_dropped) return;

    std::vector<AnomalyRecord> existing;
    if (w.before) existing = repo.ForSession(after.tenant_id, after.pk);
    bool confirmed = false;
    if (changed) {
        auto plan = Reconcile(after, existing, after.anomalies, clock_.NowMs(),
                              [](const char* prefix) { return std::string(prefix) + crypto::RandomHex(12); });
        for (const auto& r : plan.inserts) repo.Insert(r);
        for (const auto& r : plan.updates) repo.UpdateCurrent(r);
        for (const auto& [id, p] : plan.points) repo.AddPoint(after.tenant_id, id, p);
        for (const auto& h : plan.history) repo.AppendHistory(h);
        for (const auto& r : plan.updates) confirmed |= r.issue_status == kIssueConfirmed;
    }
    for (const auto& r : existing) confirmed |= r.issue_status == kIssueConfirmed;
    if (confirmed && after.is_incident != true) repo.MarkIncident(after.tenant_id, after.pk);
}

}  // namespace evni::api
