#include "api/explain_facts.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "analysis/normalise.h"
#include "api/json_util.h"
#include "api/organization_service.h"
#include "storage/store.h"

namespace evni::api::explain {
namespace json = boost::json;
namespace {

constexpr EpochMs kDayMs = 24LL * 3600 * 1000;
// A register rise faster than this is not energy delivered but a spike (no charger delivers 1 MW).
constexpr double kMaxPlausibleKw = 1000.0;

std::string Printf(const char* fmt, double v) {
    char buf[64];
    // -0.00 would read as a different number than 0.00.
    if (v == 0.0) v = 0.0;
    std::snprintf(buf, sizeof buf, fmt, v);
    std::string s(buf);
    if (s.rfind("-0", 0) == 0 && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
    return s;
}

bool IsRegisterCategory(const std::string& c) {
    return c == "KWH_DECREASE" || c == "METER_RESET" || c == "ENERGY_SPIKE";
}

struct Sample {
    EpochMs t;
    double v;
};

// The session's unphased energy register in kWh (unit-less series decided from physics as the
// analyser does: rises faster than 1 MW read as kWh mean the series is in Wh).
std::vector<Sample> EnergySeries(const domain::MeterValues& values) {
    std::vector<Sample> raw;
    std::vector<analysis::Unit> units;
    for (const auto& mv : values) {
        auto r = analysis::ToReading(mv);
        if (!r || r->measurand != analysis::Measurand::kEnergyActiveImportRegister ||
            r->phase != analysis::Phase::kNone)
            continue;
        raw.push_back({r->timestamp, r->raw});
        units.push_back(r->unit);
    }
    double max_rate = 0.0;
    for (std::size_t i = 1; i < raw.size(); ++i) {
        const double h = static_cast<double>(raw[i].t - raw[i - 1].t) / 3.6e6;
        if (h >= 1.0 / 60 && raw[i].v > raw[i - 1].v) max_rate = std::max(max_rate, (raw[i].v - raw[i - 1].v) / h);
    }
    std::vector<Sample> out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        auto unit = units[i];
        if (unit == analysis::Unit::kNone)
            unit = max_rate > kMaxPlausibleKw ? analysis::Unit::kWh : analysis::Unit::kKWh;
        auto v = analysis::ToCanonical(analysis::Quantity::kActiveEnergy, unit, raw[i].v);
        if (v) out.push_back({raw[i].t, *v});
    }
    return out;
}

std::vector<Sample> PowerSeries(const domain::MeterValues& values) {
    std::vector<Sample> raw;
    std::vector<analysis::Unit> units;
    double max_raw = 0.0;
    for (const auto& mv : values) {
        auto r = analysis::ToReading(mv);
        if (!r || r->measurand != analysis::Measurand::kPowerActiveImport || r->phase != analysis::Phase::kNone)
            continue;
        raw.push_back({r->timestamp, r->raw});
        units.push_back(r->unit);
        max_raw = std::max(max_raw, r->raw);
    }
    std::vector<Sample> out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        auto unit = units[i];
        if (unit == analysis::Unit::kNone) unit = max_raw > kMaxPlausibleKw ? analysis::Unit::kW : analysis::Unit::kKW;
        auto v = analysis::ToCanonical(analysis::Quantity::kActivePower, unit, raw[i].v);
        if (v) out.push_back({raw[i].t, *v});
    }
    return out;
}

std::vector<Sample> SocSeries(const domain::MeterValues& values) {
    std::vector<Sample> out;
    for (const auto& mv : values) {
        auto r = analysis::ToReading(mv);
        if (!r || r->measurand != analysis::Measurand::kSoC) continue;
        if (r->raw >= 0.0 && r->raw <= 100.0) out.push_back({r->timestamp, r->raw});
    }
    return out;
}

std::optional<double> MetadataNumber(const std::optional<std::string>& metadata, std::string_view key) {
    if (!metadata) return std::nullopt;
    boost::system::error_code ec;
    auto v = json::parse(*metadata, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto* p = v.get_object().if_contains(key);
    if (!p) return std::nullopt;
    auto d = NumberOrNumericString(*p);
    if (!d || !std::isfinite(*d) || *d < 0) return std::nullopt;
    return d;
}

std::optional<std::string> MetadataCurrency(const std::optional<std::string>& metadata) {
    if (!metadata) return std::nullopt;
    boost::system::error_code ec;
    auto v = json::parse(*metadata, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto* p = v.get_object().if_contains("currency");
    if (!p || !p->is_string() || !IsValidCurrency(p->get_string())) return std::nullopt;
    return std::string(p->get_string());
}

}  // namespace

std::pair<EpochMs, EpochMs> HistoryWindow(const storage::SessionRecord& r) {
    const EpochMs start = r.started_at.value_or(r.created_at);
    const EpochMs end = std::max(start, r.ended_at.value_or(start));
    return {start - kHistoryDays * kDayMs, end};
}

SessionFacts BuildFacts(const FactsInput& in) {
    const auto& r = *in.record;
    SessionFacts f;
    f.session_id = r.session_id;
    f.station_id = r.station_id;
    f.connector_id = r.connector_id;
    f.evse_id = r.evse_id;
    f.status = in.status;
    f.stop_reason = r.stop_reason;
    f.value_count = r.value_count;
    f.analyzed = r.analyzed_at.has_value();
    f.analysis_version = r.analysis_version;
    f.is_anomaly = r.is_anomaly;
    f.anomaly_score = r.anomaly_score;
    f.anomaly_confidence = r.anomaly_confidence;
    f.is_incident = r.is_incident;
    f.is_recurring = r.is_recurring;
    f.threshold = in.threshold;
    f.started_at = r.started_at;
    f.ended_at = r.ended_at;
    if (r.started_at && r.ended_at) f.duration_min = static_cast<double>(*r.ended_at - *r.started_at) / 60000.0;

    const domain::MeterValues empty;
    const auto& values = in.values ? *in.values : empty;

    // Energy: the register's plausible rises; drops and impossible steps are what the anomalies describe.
    const auto energy = EnergySeries(values);
    if (energy.size() >= 2) {
        double delivered = 0.0;
        for (std::size_t i = 1; i < energy.size(); ++i) {
            const double step = energy[i].v - energy[i - 1].v;
            const double h = std::max(static_cast<double>(energy[i].t - energy[i - 1].t) / 3.6e6, 1.0 / 3600);
            if (step > 0 && step / h <= kMaxPlausibleKw) delivered += step;
        }
        f.energy_kwh = delivered;
        f.register_delta_kwh = energy.back().v - energy.front().v;
    }
    const auto power = PowerSeries(values);
    if (!power.empty()) {
        double peak = 0.0;
        for (const auto& p : power) peak = std::max(peak, p.v);
        f.peak_power_kw = peak;
    }
    if (f.energy_kwh && f.duration_min && *f.duration_min > 0)
        f.mean_power_kw = *f.energy_kwh / (*f.duration_min / 60.0);

    // SoC: the vehicle's readings when there are at least two, else the reconstruction.
    const auto soc = SocSeries(values);
    if (soc.size() >= 2) {
        f.soc_source = SocSource::kReported;
        f.soc_start = soc.front().v;
        f.soc_end = soc.back().v;
    } else if (in.soc && in.soc->reconstructed && !in.soc->points.empty()) {
        f.soc_source = SocSource::kReconstructed;
        f.soc_start = in.soc->points.front().value;
        f.soc_end = in.soc->points.back().value;
        f.soc_confidence = in.soc->confidence;
        if (in.soc->battery_kwh > 0) f.battery_kwh = in.soc->battery_kwh;
    }

    // Connector facts.
    if (auto p = MetadataNumber(r.metadata_json, "maxPowerKw"); p && *p > 0) f.max_power_kw = p;
    {
        boost::system::error_code ec;
        if (r.metadata_json) {
            auto v = json::parse(*r.metadata_json, ec);
            if (!ec && v.is_object()) {
                const auto& o = v.get_object();
                if (auto* t = o.if_contains("currentType"); t && t->is_string()) {
                    std::string s(t->get_string());
                    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                    if (s == "AC" || s == "DC") f.current_type = s;
                }
                if (auto* p = o.if_contains("phases")) {
                    if (auto d = NumberOrNumericString(*p); d && (*d == 1 || *d == 2 || *d == 3))
                        f.phases = static_cast<int>(*d);
                }
            }
        }
    }

    // Anomalies, each with its size and its recurrence on the connector.
    for (const auto& a : r.anomalies) {
        AnomalyFact af{
            a.category, a.score, a.confidence, a.buckets.start_unit, a.buckets.end_unit, a.start_ms, a.end_ms, {}, 0};
        if (IsRegisterCategory(a.category) && energy.size() >= 2) {
            double best = 0.0;
            for (std::size_t i = 1; i < energy.size(); ++i) {
                if (energy[i].t < a.start_ms || energy[i].t > a.end_ms) continue;
                const double step = energy[i].v - energy[i - 1].v;
                best = std::max(best, a.category == "ENERGY_SPIKE" ? step : -step);
            }
            if (best > 0) af.magnitude_kwh = best;
        }
        for (const auto& c : in.connector_categories) {
            if (c.category == a.category) af.other_sessions = c.sessions;
        }
        f.anomalies.push_back(std::move(af));
    }

    // Billing: the session's own tariff first, then the organization's.
    if (auto t = MetadataNumber(r.metadata_json, "tariffPerKwh")) {
        f.tariff_per_kwh = t;
        f.tariff_source = "session";
    } else if (in.organization_tariff_per_kwh) {
        f.tariff_per_kwh = in.organization_tariff_per_kwh;
        f.tariff_source = "organization";
    }
    f.currency = MetadataCurrency(r.metadata_json);
    if (!f.currency) f.currency = in.organization_currency;
    f.billed_cost = MetadataNumber(r.metadata_json, "totalCost");
    const bool register_anomaly = std::any_of(f.anomalies.begin(), f.anomalies.end(),
                                              [](const AnomalyFact& a) { return IsRegisterCategory(a.category); });
    if (register_anomaly && f.energy_kwh && f.register_delta_kwh) {
        f.discrepancy_kwh = std::fabs(*f.energy_kwh - *f.register_delta_kwh);
    }
    if (f.tariff_per_kwh) {
        if (f.energy_kwh) f.energy_cost = *f.energy_kwh * *f.tariff_per_kwh;
        if (f.discrepancy_kwh) f.discrepancy_cost = *f.discrepancy_kwh * *f.tariff_per_kwh;
    }

    f.connector_sessions = in.connector_sessions;
    f.connector_categories = in.connector_categories;
    f.station = in.station;
    return f;
}

// ------------------------------------------------------------------------------------------------ formatting

std::string FmtKwh(double v) { return Printf("%.2f", v); }
std::string FmtKw(double v) { return Printf("%.1f", v); }
std::string FmtMoney(double v) { return Printf("%.2f", v); }
std::string FmtScore(double v) { return Printf("%.2f", v); }
std::string FmtPercent(double v) { return Printf("%.0f", std::round(v * 100.0)); }
std::string FmtSoc(double v) { return Printf("%.0f", std::round(v)); }
std::string FmtMinutes(double v) { return v < 10.0 ? Printf("%.1f", v) : Printf("%.0f", std::round(v)); }
std::string FmtInt(std::int64_t v) { return std::to_string(v); }

std::string FmtTime(EpochMs ms) {
    const std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", tm.tm_hour, tm.tm_min);
    return buf;
}

std::string FmtDate(EpochMs ms) {
    const std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return buf;
}

std::vector<std::string> FormattedValues(const SessionFacts& f) {
    std::vector<std::string> out{
        f.session_id,          f.station_id,           FmtInt(f.value_count),       FmtInt(f.analysis_version),
        FmtScore(f.threshold), FmtInt(f.history_days), FmtInt(f.connector_sessions)};
    const auto opt = [&](const auto& v, auto fmt) {
        if (v) out.push_back(fmt(*v));
    };
    if (f.connector_id) out.push_back(*f.connector_id);
    if (f.evse_id) out.push_back(*f.evse_id);
    opt(f.anomaly_score, FmtScore);
    opt(f.anomaly_confidence, FmtPercent);
    opt(f.started_at, FmtTime);
    opt(f.started_at, FmtDate);
    opt(f.ended_at, FmtTime);
    opt(f.ended_at, FmtDate);
    opt(f.duration_min, FmtMinutes);
    opt(f.energy_kwh, FmtKwh);
    opt(f.register_delta_kwh, FmtKwh);
    opt(f.peak_power_kw, FmtKw);
    opt(f.mean_power_kw, FmtKw);
    opt(f.soc_start, FmtSoc);
    opt(f.soc_end, FmtSoc);
    opt(f.soc_confidence, FmtPercent);
    opt(f.battery_kwh, FmtKwh);
    opt(f.max_power_kw, FmtKw);
    if (f.phases) out.push_back(FmtInt(*f.phases));
    opt(f.tariff_per_kwh, FmtMoney);
    opt(f.energy_cost, FmtMoney);
    opt(f.billed_cost, FmtMoney);
    opt(f.discrepancy_kwh, FmtKwh);
    opt(f.discrepancy_cost, FmtMoney);
    if (f.stop_reason) out.push_back(*f.stop_reason);
    for (const auto& a : f.anomalies) {
        out.push_back(FmtScore(a.score));
        out.push_back(FmtPercent(a.confidence));
        out.push_back(FmtInt(a.start_unit));
        out.push_back(FmtInt(a.end_unit));
        out.push_back(FmtTime(a.start_ms));
        out.push_back(FmtTime(a.end_ms));
        out.push_back(FmtDate(a.start_ms));
        out.push_back(FmtMinutes(static_cast<double>(a.end_ms - a.start_ms) / 60000.0));
        out.push_back(FmtInt(a.other_sessions));
        opt(a.magnitude_kwh, FmtKwh);
    }
    for (const auto& c : f.connector_categories) out.push_back(FmtInt(c.sessions));
    if (f.station) {
        out.push_back(f.station->day);
        out.push_back(FmtScore(f.station->day_score));
        opt(f.station->day_energy_kwh, FmtKwh);
        opt(f.station->expected_energy_kwh, FmtKwh);
    }
    return out;
}

std::vector<std::string> NumberTokens(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    const auto digit = [&](std::size_t k) { return k < text.size() && text[k] >= '0' && text[k] <= '9'; };
    while (i < text.size()) {
        if (!digit(i)) {
            ++i;
            continue;
        }
        std::string token;
        while (digit(i)) token.push_back(text[i++]);
        // A decimal part: '.' or ',' between digits.
        if (i + 1 < text.size() && (text[i] == '.' || text[i] == ',') && digit(i + 1)) {
            token.push_back('.');
            ++i;
            while (digit(i)) token.push_back(text[i++]);
        }
        out.push_back(std::move(token));
    }
    return out;
}

std::set<std::string> GroundedNumbers(const SessionFacts& facts) {
    std::set<std::string> out;
    for (const auto& v : FormattedValues(facts)) {
        for (auto& t : NumberTokens(v)) out.insert(std::move(t));
    }
    return out;
}

std::string FactsJson(const SessionFacts& f) {
    json::object o;
    const auto put = [&](std::string_view key, const auto& v, auto fmt) {
        if (v) o[key] = fmt(*v);
    };
    const auto same = [](const auto& v) { return v; };
    o["sessionId"] = f.session_id;
    o["chargingStationId"] = f.station_id;
    put("connectorId", f.connector_id, same);
    put("evseId", f.evse_id, same);
    o["status"] = f.status;
    put("stopReason", f.stop_reason, same);
    o["meterValueCount"] = FmtInt(f.value_count);
    o["analyzed"] = f.analyzed;
    o["analysisVersion"] = FmtInt(f.analysis_version);
    put("isAnomaly", f.is_anomaly, same);
    put("anomalyScore", f.anomaly_score, FmtScore);
    put("anomalyConfidencePercent", f.anomaly_confidence, FmtPercent);
    put("isIncident", f.is_incident, same);
    put("isRecurring", f.is_recurring, same);
    o["anomalyThreshold"] = FmtScore(f.threshold);
    json::array anomalies;
    for (const auto& a : f.anomalies) {
        json::object x{{"category", a.category},
                       {"score", FmtScore(a.score)},
                       {"confidencePercent", FmtPercent(a.confidence)},
                       {"bucketRange", FmtInt(a.start_unit) + ".." + FmtInt(a.end_unit)},
                       {"date", FmtDate(a.start_ms)},
                       {"startTimeUtc", FmtTime(a.start_ms)},
                       {"endTimeUtc", FmtTime(a.end_ms)},
                       {"durationMin", FmtMinutes(static_cast<double>(a.end_ms - a.start_ms) / 60000.0)},
                       {"otherSessionsOnConnector", FmtInt(a.other_sessions)}};
        if (a.magnitude_kwh) x["magnitudeKwh"] = FmtKwh(*a.magnitude_kwh);
        anomalies.push_back(std::move(x));
    }
    o["anomalies"] = std::move(anomalies);
    put("startDate", f.started_at, FmtDate);
    put("startTimeUtc", f.started_at, FmtTime);
    put("endDate", f.ended_at, FmtDate);
    put("endTimeUtc", f.ended_at, FmtTime);
    put("durationMin", f.duration_min, FmtMinutes);
    put("energyDeliveredKwh", f.energy_kwh, FmtKwh);
    put("registerNetChangeKwh", f.register_delta_kwh, FmtKwh);
    put("peakPowerKw", f.peak_power_kw, FmtKw);
    put("meanPowerKw", f.mean_power_kw, FmtKw);
    o["socSource"] = f.soc_source == SocSource::kReported        ? "reported by the vehicle"
                     : f.soc_source == SocSource::kReconstructed ? "reconstructed by evni"
                                                                 : "none";
    put("socStartPercent", f.soc_start, FmtSoc);
    put("socEndPercent", f.soc_end, FmtSoc);
    put("socReconstructionConfidencePercent", f.soc_confidence, FmtPercent);
    put("batteryEffectiveCapacityKwh", f.battery_kwh, FmtKwh);
    put("connectorMaxPowerKw", f.max_power_kw, FmtKw);
    put("connectorCurrentType", f.current_type, same);
    put("connectorPhases", f.phases, [](int p) { return FmtInt(p); });
    put("tariffPerKwh", f.tariff_per_kwh, FmtMoney);
    if (!f.tariff_source.empty()) o["tariffSource"] = f.tariff_source;
    put("currency", f.currency, same);
    put("energyCost", f.energy_cost, FmtMoney);
    put("billedCost", f.billed_cost, FmtMoney);
    put("registerDiscrepancyKwh", f.discrepancy_kwh, FmtKwh);
    put("registerDiscrepancyCost", f.discrepancy_cost, FmtMoney);
    json::object history{{"windowDays", FmtInt(f.history_days)},
                         {"otherSessionsOnConnector", FmtInt(f.connector_sessions)}};
    json::object by_category;
    for (const auto& c : f.connector_categories) by_category[c.category] = FmtInt(c.sessions);
    history["otherSessionsByCategory"] = std::move(by_category);
    o["connectorHistory"] = std::move(history);
    if (f.station) {
        json::object s{{"day", f.station->day},
                       {"dayIsAnomaly", f.station->day_is_anomaly},
                       {"dayScore", FmtScore(f.station->day_score)}};
        if (f.station->day_energy_kwh) s["dayEnergyKwh"] = FmtKwh(*f.station->day_energy_kwh);
        if (f.station->expected_energy_kwh) s["expectedEnergyKwh"] = FmtKwh(*f.station->expected_energy_kwh);
        o["stationModel"] = std::move(s);
    }
    return json::serialize(o);
}

std::string FactsDigest(const SessionFacts& facts) {
    // FNV-1a, 64 bit: stable across builds and platforms (std::hash is not).
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : FactsJson(facts)) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

}  // namespace evni::api::explain
