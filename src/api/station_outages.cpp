#include "api/station_outages.h"

#include <algorithm>
#include <boost/json.hpp>

#include "api/explain_facts.h"
#include "util/time.h"

namespace evni::api {

namespace json = boost::json;

namespace {

constexpr domain::EpochMs kDayMs = 86'400'000;

// [start, end) of an affected period: "YYYY-MM-DD" (the whole day) or "<iso>/<iso>".
std::optional<std::pair<domain::EpochMs, domain::EpochMs>> Period(std::string_view text, domain::EpochMs day) {
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        auto a = ParseIsoDateTime(text.substr(0, slash));
        auto b = ParseIsoDateTime(text.substr(slash + 1));
        if (!a || !b || *b < *a) return std::nullopt;
        return std::make_pair(*a, *b);
    }
    return std::make_pair(day, day + kDayMs);
}

}  // namespace

double OutagePortMinutesOfDay(const std::string& details_json, domain::EpochMs day, int ports, domain::EpochMs from,
                              domain::EpochMs to) {
    boost::system::error_code ec;
    auto v = json::parse(details_json, ec);
    if (ec || !v.is_object()) return 0.0;
    const auto* findings = v.as_object().if_contains("findings");
    if (!findings || !findings->is_array()) return 0.0;
    double total = 0.0;
    for (const auto& f : findings->as_array()) {
        if (!f.is_object()) continue;
        const auto& o = f.as_object();
        const auto* type = o.if_contains("anomaly_type");
        const auto* period = o.if_contains("affected_period");
        if (!type || !type->is_string() || !period || !period->is_string()) continue;
        int affected = 0;
        if (type->as_string() == "outage") {
            affected = std::max(ports, 1);
        } else if (type->as_string() == "connector_down") {
            affected = 1;
        } else {
            continue;
        }
        auto p = Period(std::string_view(period->as_string()), day);
        if (!p) continue;
        const auto start = std::max(p->first, from);
        const auto end = std::min(p->second, to);
        if (end > start) total += affected * static_cast<double>(end - start) / 60'000.0;
    }
    return total;
}

std::optional<double> StationModelOutages::OutagePortMinutes(const std::string& tenant_id, domain::EpochMs from,
                                                             domain::EpochMs to) {
    auto tx = store_.Begin(storage::TxMode::kRead);
    auto& stations = tx->Stations();
    bool any = false;
    double total = 0.0;
    constexpr std::int64_t kPage = 500;
    for (const auto& station_id : stations.Ids(tenant_id)) {
        const int ports = static_cast<int>(stations.Connectors(tenant_id, station_id).size());
        // Days are listed newest first; stop at the first page that reaches before the period.
        for (std::int64_t page = 1;; ++page) {
            auto days = stations.ListDays(tenant_id, station_id, page, kPage);
            bool older = false;
            for (const auto& d : days.items) {
                if (d.day + kDayMs <= from) {
                    older = true;
                    continue;
                }
                if (d.day >= to) continue;
                any = true;
                total += OutagePortMinutesOfDay(d.details_json, d.day, ports, from, to);
            }
            if (older || static_cast<std::int64_t>(days.items.size()) < kPage) break;
        }
    }
    tx->Commit();
    if (!any) return std::nullopt;
    return total;
}

std::optional<explain::StationContext> StationDayContext(storage::Transaction& tx,
                                                         const storage::SessionRecord& record) {
    const auto at = record.started_at.value_or(record.created_at);
    const auto day = at - ((at % kDayMs) + kDayMs) % kDayMs;
    auto found = tx.Stations().FindDay(record.tenant_id, record.station_id, day);
    if (!found) return std::nullopt;
    explain::StationContext c;
    c.day = FormatIsoDateTime(day).substr(0, 10);
    c.day_is_anomaly = found->is_anomaly;
    c.day_score = found->day_score;
    c.day_energy_kwh = found->actual_kwh;
    c.expected_energy_kwh = found->expected_kwh;
    return c;
}

}  // namespace evni::api
