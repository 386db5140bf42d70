#include "api/station_aggregates.h"

#include <boost/json.hpp>
#include <map>

#include "analysis/station_model.h"

namespace evni::api {
namespace json = boost::json;
using domain::EpochMs;

namespace {

// What one session contributes to its station's aggregates.
struct Contribution {
    std::optional<std::string> connector;
    bool anomalous = false;
    std::optional<double> score;
    std::optional<EpochMs> anomaly_at;
    std::map<std::string, std::int64_t> categories;

    bool operator==(const Contribution&) const = default;
};

Contribution Of(const storage::SessionRecord& r) {
    Contribution c;
    c.connector = r.connector_id;
    c.anomalous = r.is_anomaly.value_or(false);
    c.score = r.anomaly_score;
    if (c.anomalous) c.anomaly_at = r.started_at.value_or(r.created_at);
    for (const auto& a : r.anomalies) ++c.categories[a.category];
    return c;
}

std::optional<EpochMs> ActivityAt(const storage::SessionRecord& r) {
    if (r.ended_at) return r.ended_at;
    return r.started_at;
}

void MergeInto(json::object& base, const json::object& update) {
    for (const auto& [key, value] : update) {
        auto it = base.find(key);
        if (it != base.end() && it->value().is_object() && value.is_object()) {
            MergeInto(it->value().as_object(), value.as_object());
        } else {
            base[key] = value;
        }
    }
}

// Connector facts a session's metadata names (top level or under "connector"), as a JSON object.
json::object ConnectorFacts(const json::object& metadata) {
    json::object facts;
    auto take = [&](const json::object& o) {
        for (const char* key : {"maxPowerKw", "currentType", "phases"}) {
            if (auto it = o.find(key); it != o.end() && !it->value().is_null()) facts[key] = it->value();
        }
    };
    take(metadata);
    if (auto it = metadata.find("connector"); it != metadata.end() && it->value().is_object())
        take(it->value().as_object());
    return facts;
}

void UpdateMetadata(storage::Transaction& tx, const storage::SessionRecord& r) {
    if (!r.metadata_json) return;
    boost::system::error_code ec;
    auto parsed = json::parse(*r.metadata_json, ec);
    if (ec || !parsed.is_object()) return;
    auto& stations = tx.Stations();
    const auto station = stations.Find(r.tenant_id, r.station_id);
    if (!station) return;
    const auto merged = MergeMetadata(station->metadata_json, *r.metadata_json);
    if (merged != station->metadata_json) stations.SaveMetadata(r.tenant_id, r.station_id, merged);
    if (r.connector_id) {
        const auto facts = ConnectorFacts(parsed.as_object());
        if (facts.empty()) return;
        const auto current = stations.ConnectorMetadata(r.tenant_id, r.station_id, *r.connector_id);
        const auto next = MergeMetadata(current, json::serialize(facts));
        if (next != current) stations.SaveConnectorMetadata(r.tenant_id, r.station_id, *r.connector_id, next);
    }
}

}  // namespace

std::string MergeMetadata(const std::optional<std::string>& base, const std::string& update) {
    json::object merged;
    boost::system::error_code ec;
    if (base) {
        auto b = json::parse(*base, ec);
        if (!ec && b.is_object()) merged = std::move(b.as_object());
    }
    auto u = json::parse(update, ec);
    if (ec || !u.is_object()) return base.value_or("{}");
    MergeInto(merged, u.as_object());
    return json::serialize(merged);
}

void StationAggregatesListener::OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) {
    const auto& after = write.after;
    const Contribution now = Of(after);
    const std::optional<Contribution> was = write.before ? std::optional(Of(*write.before)) : std::nullopt;
    const auto activity = ActivityAt(after);
    const bool activity_moved =
        activity && (!write.before || !ActivityAt(*write.before) ||
                     analysis::station::DayStart(*ActivityAt(*write.before)) != analysis::station::DayStart(*activity));
    const bool metadata_changed =
        after.metadata_json && (!write.before || write.before->metadata_json != after.metadata_json ||
                                write.before->connector_id != after.connector_id);
    // The hot path: an append whose verdict is unchanged, on the same day, touches nothing.
    const bool changed = !was || *was != now;
    if (!changed && !activity_moved && !metadata_changed) return;

    auto& stations = tx.Stations();
    const auto& tenant = after.tenant_id;
    const auto& station = after.station_id;

    // Station row: count, anomalous, running maxima, latest score, activity.
    storage::AggregateDelta d;
    d.total_sessions = was ? 0 : 1;
    d.anomalous_sessions = (now.anomalous ? 1 : 0) - (was && was->anomalous ? 1 : 0);
    if (!was || was->score != now.score) {
        d.score = now.score;
        // Latest score: the score of the station's most recent verdict change.
        if (after.analyzed_at) {
            d.latest_score = after.anomaly_score;
            d.latest_score_at = after.analyzed_at;
        }
    }
    if (!was || was->anomaly_at != now.anomaly_at) d.anomaly_at = now.anomaly_at;
    if (activity_moved) d.activity_at = activity;

    const bool moved = was && was->connector != now.connector;
    if (!moved) {
        if (!d.Empty()) stations.Adjust(tenant, station, now.connector, d);
    } else {
        // Rows in one order (station, then connectors) in every write, so concurrent writes cannot deadlock.
        // Station-level counts change only by the anomalous difference; the new connector gains the session.
        storage::AggregateDelta station_delta = d;
        station_delta.total_sessions = 0;
        stations.Adjust(tenant, station, std::nullopt, station_delta);
        storage::AggregateDelta out;  // the connector the session left
        out.total_sessions = -1;
        out.anomalous_sessions = was->anomalous ? -1 : 0;
        if (was->connector) stations.Adjust(tenant, station, was->connector, out);
        storage::AggregateDelta in = d;
        in.score = now.score;
        in.anomaly_at = now.anomaly_at;
        in.total_sessions = 1;
        in.anomalous_sessions = now.anomalous ? 1 : 0;
        in.activity_at.reset();
        if (now.connector) stations.Adjust(tenant, station, now.connector, in);
    }

    // Anomalies per category and connector.
    const std::string now_key = now.connector.value_or("");
    const std::string was_key = was ? was->connector.value_or("") : std::string();
    std::map<std::pair<std::string, std::string>, std::int64_t> cats;
    for (const auto& [category, n] : now.categories) cats[{now_key, category}] += n;
    if (was) {
        for (const auto& [category, n] : was->categories) cats[{was_key, category}] -= n;
    }
    for (const auto& [key, delta] : cats) {
        if (delta != 0) stations.AdjustCategory(tenant, station, key.first, key.second, delta);
    }

    // A lowered maximum: recompute when the session held the station's (or its connector's) max score or
    // last anomaly date and no longer does.
    if (was) {
        const bool score_fell = was->score && (!now.score || *now.score < *was->score || moved);
        const bool anomaly_left = was->anomaly_at && (now.anomaly_at != was->anomaly_at || moved);
        if (score_fell || anomaly_left) {
            auto holds = [&](const std::optional<std::string>& connector) {
                const auto agg = stations.Aggregates(tenant, station, connector);
                return (score_fell && agg.max_score && *was->score >= *agg.max_score) ||
                       (anomaly_left && agg.last_anomaly_at && *was->anomaly_at >= *agg.last_anomaly_at);
            };
            if (holds(std::nullopt)) stations.RecomputeExtremes(tenant, station, std::nullopt);
            if (was->connector && holds(was->connector)) stations.RecomputeExtremes(tenant, station, was->connector);
        }
    }

    if (metadata_changed) UpdateMetadata(tx, after);
}

}  // namespace evni::api
