#include "api/anomaly_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "analysis/normalise.h"
#include "api/anomaly_listener.h"

namespace evni::api {
namespace json = boost::json;
using domain::EpochMs;
using storage::TxMode;

namespace {
constexpr EpochMs kDayMs = 24LL * 3600 * 1000;
// Categories whose presence means energy was delivered that billing by register difference misses.
const std::vector<std::string> kLeakCategories = {"KWH_DECREASE", "METER_RESET", "STUCK_REGISTER",
                                                  "ENERGY_POWER_MISMATCH"};
// Sessions measured per transaction, and at most per run (the rest waits for the next run).
constexpr std::int64_t kMeasureBatch = 200;
constexpr std::int64_t kMeasureMaxPerRun = 20'000;
}  // namespace

const std::vector<CategoryInfo>& CategoryCatalogue() {
    static const std::vector<CategoryInfo> kAll = {
        {"KWH_DECREASE", "kWh decrease",
         "The energy register decreases mid-session beyond meter resolution (not to about zero): meter fault or "
         "mixed register bases.",
         1.0},
        {"METER_RESET", "Meter reset",
         "The register restarts near zero, or wraps at a power-of-two or power-of-ten boundary, and climbs again: "
         "reboot, meter swap or rollover.",
         0.95},
        {"ENERGY_SPIKE", "Energy spike",
         "A register step larger than physically possible for its time step: Wh/kWh mix-up, lifetime register "
         "reported as session energy, offline placeholder.",
         1.0},
        {"ENERGY_PIT", "Energy pit",
         "Delivery drops to about zero for a sustained stretch mid-session and later resumes, not explained by "
         "load management or a short EV-side pause: charger fault, contactor or communication drop.",
         1.0},
        {"STUCK_REGISTER", "Stuck register",
         "The register stays flat while power is above 1 kW for at least 5 minutes: frozen meter, register updated "
         "only at the end.",
         1.0},
        {"ENERGY_POWER_MISMATCH", "Energy/power mismatch",
         "Integrated power and register delta disagree by more than 25 % over at least 15 minutes: unit error, "
         "calibration, wrong phase sum.",
         1.0},
        {"POWER_OVER_LIMIT", "Power over limit",
         "Power above the connector's limit (metadata maxPowerKw, or Power.Offered, else the rating learned from the "
         "connector's history) by more than 10 %.",
         1.0},
        {"SOC_DECREASE", "SoC decrease", "The state of charge falls while energy is being imported.", 1.0},
        {"SOC_JUMP", "SoC jump",
         "An SoC step implausible for the energy delivered (implied battery outside 10-250 kWh), or a jump to "
         "100 %.",
         1.0},
        {"ZERO_ENERGY", "Zero energy", "A session of at least 10 minutes delivers less than 0.1 kWh.", 0.95},
        {"TIMESTAMP_INVALID", "Invalid timestamp",
         "Timestamps before 2000-01-01, more than 5 minutes in the future, or duplicates with different values.", 0.95},
        {"DATA_GAP", "Data gap",
         "No readings for at least max(15 min, 5 x the session's median cadence) while the session is active.", 1.0},
        {"IDLE_OCCUPANCY", "Idle occupancy",
         "At least 30 minutes at about zero power at the end while the EV stays connected.", 0.95},
        {"SESSION_OVERLAP", "Session overlap", "Two sessions on the same station and connector overlap in time.", 1.0},
    };
    return kAll;
}

const CategoryInfo* FindCategory(std::string_view id) {
    for (const auto& c : CategoryCatalogue()) {
        if (c.id == id) return &c;
    }
    return nullptr;
}

namespace {
const std::map<std::string, std::vector<std::string>, std::less<>>& Transitions() {
    static const std::map<std::string, std::vector<std::string>, std::less<>> kAll = {
        {kIssueOpen, {kIssueInProgress, kIssueConfirmed, kIssueFalsePositive, kIssueIgnored}},
        {kIssueInProgress, {kIssueOpen, kIssueConfirmed, kIssueFalsePositive, kIssueResolved, kIssueIgnored}},
        {kIssueConfirmed, {kIssueInProgress, kIssueResolved}},
        {kIssueFalsePositive, {kIssueOpen}},
        {kIssueResolved, {kIssueOpen}},
        {kIssueIgnored, {kIssueOpen}},
    };
    return kAll;
}
}  // namespace

bool IsIssueStatus(std::string_view status) { return Transitions().count(status) > 0; }

bool TransitionAllowed(std::string_view from, std::string_view to) {
    if (!IsIssueStatus(to)) return false;
    if (from == to) return true;
    auto it = Transitions().find(from);
    if (it == Transitions().end()) return false;
    return std::find(it->second.begin(), it->second.end(), to) != it->second.end();
}

std::vector<std::string> AllowedTransitions(std::string_view from) {
    auto it = Transitions().find(from);
    return it == Transitions().end() ? std::vector<std::string>{} : it->second;
}

std::vector<MergedPoint> MergeMeterValues(const domain::MeterValues& raw) {
    using analysis::Measurand;
    using analysis::Phase;
    const auto by_timestamp = [](const domain::MeterValue& a, const domain::MeterValue& b) {
        return a.timestamp < b.timestamp;
    };
    // Stored values are nearly always in time order already: copy and sort only when they are not.
    domain::MeterValues sorted;
    if (!std::is_sorted(raw.begin(), raw.end(), by_timestamp)) {
        sorted = raw;
        std::stable_sort(sorted.begin(), sorted.end(), by_timestamp);
    }
    const domain::MeterValues& values = sorted.empty() ? raw : sorted;
    analysis::ReadingParser parser;
    std::vector<analysis::Reading> readings;
    readings.reserve(values.size());
    std::map<std::uint32_t, analysis::UnitEvidence> evidence;
    for (const auto& v : values) {
        auto r = parser.Parse(v);
        if (!r) continue;
        if (r->measurand != Measurand::kEnergyActiveImportRegister && r->measurand != Measurand::kPowerActiveImport &&
            r->measurand != Measurand::kSoC)
            continue;
        if (r->unit == analysis::Unit::kNone && analysis::HasUnitDecision(r->measurand)) {
            analysis::ObserveUnitless(r->measurand, evidence[analysis::SeriesKey(*r)], r->timestamp, r->raw);
        }
        readings.push_back(*r);
    }
    struct Acc {
        std::optional<double> energy, energy_phases, power, power_phases, soc;
    };
    std::map<EpochMs, Acc> by_time;
    for (const auto& r : readings) {
        bool kilo = false;
        if (auto it = evidence.find(analysis::SeriesKey(r)); it != evidence.end())
            kilo = analysis::DecidesKilo(it->second);
        const auto unit = analysis::ResolveUnit(r.measurand, r.unit, kilo);
        auto value = analysis::ToCanonical(analysis::QuantityOf(r.measurand), unit, r.raw);
        if (!value) continue;
        auto& acc = by_time[r.timestamp];
        const bool phased = r.phase == Phase::kL1 || r.phase == Phase::kL2 || r.phase == Phase::kL3 ||
                            r.phase == Phase::kL1N || r.phase == Phase::kL2N || r.phase == Phase::kL3N;
        if (r.measurand == Measurand::kSoC) {
            if (!acc.soc) acc.soc = *value;
        } else if (r.phase == Phase::kNone) {
            auto& slot = r.measurand == Measurand::kPowerActiveImport ? acc.power : acc.energy;
            if (!slot) slot = *value;
        } else if (phased) {
            auto& slot = r.measurand == Measurand::kPowerActiveImport ? acc.power_phases : acc.energy_phases;
            slot = slot.value_or(0.0) + *value;
        }
    }
    std::vector<MergedPoint> out;
    out.reserve(by_time.size());
    for (const auto& [t, acc] : by_time) {
        MergedPoint p;
        p.timestamp = t;
        p.energy_kwh = acc.energy ? acc.energy : acc.energy_phases;
        p.power_kw = acc.power ? acc.power : acc.power_phases;
        p.soc = acc.soc;
        if (p.energy_kwh || p.power_kw || p.soc) out.push_back(p);
    }
    return out;
}

namespace {
std::optional<double> MetadataNumber(const json::object& o, std::string_view key) {
    if (auto* p = o.if_contains(key)) {
        if (auto d = NumberOrNumericString(*p); d && *d >= 0 && std::isfinite(*d)) return d;
    }
    return std::nullopt;
}
}  // namespace

storage::SessionMeasurement MeasureSession(const domain::MeterValues& values,
                                           const std::optional<std::string>& metadata_json) {
    using analysis::Measurand;
    storage::SessionMeasurement m;
    bool has_energy = false, has_power = false;
    std::int64_t soc_readings = 0;
    std::set<std::pair<std::uint32_t, EpochMs>> seen;
    analysis::ReadingParser parser;
    for (const auto& v : values) {
        if (v.timestamp < analysis::kMinValidTimestampMs || v.timestamp >= analysis::kMaxValidTimestampMs) {
            m.invalid_timestamps = true;
        }
        auto r = parser.Parse(v);
        if (!r) continue;
        if (!seen.insert({analysis::SeriesKey(*r), r->timestamp}).second) m.has_duplicates = true;
        has_energy |= r->measurand == Measurand::kEnergyActiveImportRegister;
        has_power |= r->measurand == Measurand::kPowerActiveImport;
        if (r->measurand == Measurand::kSoC) ++soc_readings;
    }
    m.missing_measurands = !has_energy || !has_power;
    m.reconstructed_soc = soc_readings < 2;

    const auto merged = MergeMeterValues(values);
    std::optional<double> first, last, prev;
    double increments = 0.0, integral = 0.0;
    std::optional<MergedPoint> prev_power;
    for (const auto& p : merged) {
        if (p.energy_kwh) {
            if (!first) first = p.energy_kwh;
            last = p.energy_kwh;
            if (prev && *p.energy_kwh > *prev) increments += *p.energy_kwh - *prev;
            prev = p.energy_kwh;
        }
        if (p.power_kw) {
            if (prev_power) {
                const double hours = static_cast<double>(p.timestamp - prev_power->timestamp) / 3'600'000.0;
                integral += hours * (*p.power_kw + *prev_power->power_kw) / 2.0;
            }
            prev_power = p;
        }
    }
    if (first) {
        m.energy_kwh = *last - *first;
        m.delivered_kwh = std::max(increments, integral);
    } else if (integral > 0) {
        m.delivered_kwh = integral;
    }
    if (metadata_json) {
        boost::system::error_code ec;
        auto v = json::parse(*metadata_json, ec);
        if (!ec && v.is_object()) {
            m.total_cost = MetadataNumber(v.get_object(), "totalCost");
            m.tariff_per_kwh = MetadataNumber(v.get_object(), "tariffPerKwh");
        }
    }
    return m;
}

double UptimePercent(double period_minutes, std::int64_t ports, double outage_port_minutes) {
    if (ports <= 0 || period_minutes <= 0) return 100.0;
    const double total = period_minutes * static_cast<double>(ports);
    return std::clamp(100.0 * (total - outage_port_minutes) / total, 0.0, 100.0);
}

Result<std::vector<std::string>> ResolveAssignees(const domain::Principal& who, std::vector<std::string> values,
                                                  const Loc& loc) {
    for (auto& v : values) {
        if (v == "me") {
            if (!who.email) {
                return Fail(Error::Validation({{loc,
                                                "'me' needs a member's personal access token; this API key belongs "
                                                "to no member, so name the assignee's email instead",
                                                "value_error"}}));
            }
            v = *who.email;
        } else {
            for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return values;
}

Result<storage::AnomalyPage> AnomalyService::List(const domain::Principal& who, const storage::AnomalyFilter& f) {
    auto tx = store_.Begin(TxMode::kRead);
    auto page = tx->Anomalies().List(who.tenant_id, f);
    tx->Commit();
    return page;
}

Result<storage::GroupPage> AnomalyService::ByConnector(const domain::Principal& who, const storage::GroupFilter& f) {
    auto tx = store_.Begin(TxMode::kRead);
    auto page = tx->Anomalies().ListByConnector(who.tenant_id, f);
    tx->Commit();
    return page;
}

Result<storage::GroupPage> AnomalyService::BySession(const domain::Principal& who, const storage::GroupFilter& f) {
    auto tx = store_.Begin(TxMode::kRead);
    auto page = tx->Anomalies().ListBySession(who.tenant_id, f);
    tx->Commit();
    return page;
}

Result<AnomalyDetail> AnomalyService::Detail(const domain::Principal& who, const std::string& session_id,
                                             const std::string& category) {
    if (!FindCategory(category)) return Fail(Error::NotFound("Unknown anomaly category: " + category));
    auto tx = store_.Begin(TxMode::kRead);
    auto session = tx->Sessions().Find(who.tenant_id, session_id);
    if (!session) return Fail(Error::NotFound("Session not found"));
    auto record = tx->Anomalies().Find(who.tenant_id, session_id, category);
    if (!record) return Fail(Error::NotFound(fmt::format("No {} anomaly in session {}", category, session_id)));
    AnomalyDetail d;
    d.values = MergeMeterValues(tx->Sessions().LoadValues(*session));
    d.timeline = tx->Anomalies().Timeline(who.tenant_id, record->id);
    d.history = tx->Anomalies().History(who.tenant_id, record->issue_id);
    tx->Commit();
    session->analysis_state.clear();
    d.session = std::move(*session);
    d.record = std::move(*record);
    return d;
}

Result<storage::AnomalyRecord> AnomalyService::UpdateIssue(const domain::Principal& who, const std::string& issue_id,
                                                           const IssueUpdate& u) {
    std::optional<std::string> assignee;
    if (u.assigned_to.present && u.assigned_to.value) {
        auto r = ResolveAssignees(who, {*u.assigned_to.value}, {std::string("body"), std::string("assignedTo")});
        if (!r) return Fail(std::move(r.error()));
        assignee = r->front();
    }
    return storage::WithRetry([&]() -> Result<storage::AnomalyRecord> {
        auto tx = store_.Begin(TxMode::kWrite);
        auto& repo = tx->Anomalies();
        auto record = repo.FindByIssue(who.tenant_id, issue_id);
        if (!record) return Fail(Error::NotFound("Issue not found"));
        if (!TransitionAllowed(record->issue_status, u.status)) {
            std::string allowed;
            for (const auto& s : AllowedTransitions(record->issue_status)) allowed += (allowed.empty() ? "" : ", ") + s;
            return Fail(Error::Validation(
                {{{std::string("body"), std::string("status")},
                  fmt::format("An issue in status {} can move to {} (not {})", record->issue_status, allowed, u.status),
                  "invalid_transition"}}));
        }
        const auto new_assignee = u.assigned_to.present ? assignee : record->assigned_to;
        if (u.status == record->issue_status && new_assignee == record->assigned_to) {
            tx->Commit();
            return *record;  // nothing changes
        }
        const auto now = clock_.NowMs();
        repo.UpdateIssue(who.tenant_id, issue_id, u.status, new_assignee, now);
        repo.AppendHistory({who.tenant_id, issue_id, now, who.actor, record->issue_status, u.status,
                            record->assigned_to, new_assignee});
        if (u.status == kIssueConfirmed) repo.MarkIncident(who.tenant_id, record->session_pk);
        tx->Commit();
        record->issue_status = u.status;
        record->assigned_to = new_assignee;
        record->issue_updated_at = now;
        record->updated_at = std::max(record->updated_at, now);
        return *record;
    });
}

json::object AnomalyService::WindowFigures(storage::Transaction& tx, const std::string& tenant_id,
                                           const storage::StatsWindow& w, std::optional<double> tariff) {
    auto s = tx.Anomalies().SessionFigures(tenant_id, w, tariff, kLeakCategories);
    auto a = tx.Anomalies().AnomalyFigures(tenant_id, w);
    return json::object{{"from", TimeOrNull(w.from)},
                        {"to", TimeOrNull(w.to)},
                        {"totalSessions", s.total_sessions},
                        {"sessionsWithAnomaliesCount", a.sessions},
                        {"totalAnomaliesCount", a.total},
                        {"activeAnomaliesCount", a.active},
                        {"connectorsWithAnomaliesCount", a.connectors},
                        {"chargingStationsWithAnomaliesCount", a.stations},
                        {"totalRevenue", s.total_revenue},
                        {"revenueAtRisk", s.revenue_at_risk},
                        {"revenueLeakEstimate", s.revenue_leak}};
}

Result<json::object> AnomalyService::Statistics(const domain::Principal& who, std::optional<EpochMs> from,
                                                std::optional<EpochMs> to) {
    const auto now = clock_.NowMs();
    if (from && to && *from > *to) {
        return Fail(Error::Validation({{{std::string("query"), std::string("occurrenceFrom")},
                                        "occurrenceFrom must not be after occurrenceTo",
                                        "value_error"}}));
    }
    auto tx = store_.Begin(TxMode::kRead);
    auto org = tx->Organizations().Find(who.tenant_id);
    const std::optional<double> tariff = org ? org->tariff_per_kwh : std::nullopt;
    const storage::StatsWindow window{from, to};
    auto s = tx->Anomalies().SessionFigures(who.tenant_id, window, tariff, kLeakCategories);
    auto a = tx->Anomalies().AnomalyFigures(who.tenant_id, window);
    const auto ports = tx->Anomalies().PortCount(who.tenant_id);
    json::object ranges{
        {"7d", WindowFigures(*tx, who.tenant_id, {now - 7 * kDayMs, now}, tariff)},
        {"30d", WindowFigures(*tx, who.tenant_id, {now - 30 * kDayMs, now}, tariff)},
        {"all", WindowFigures(*tx, who.tenant_id, {}, tariff)},
    };
    auto dq = tx->Anomalies().DataQualitySnapshot(who.tenant_id);
    tx->Commit();

    // Uptime over the period (default: the 30 days up to now) and the period of equal length before it.
    const EpochMs period_to = to.value_or(now);
    const EpochMs period_from = from.value_or(period_to - 30 * kDayMs);
    const EpochMs length = std::max<EpochMs>(period_to - period_from, 60'000);
    const double minutes = static_cast<double>(length) / 60'000.0;
    auto outage = outages_.OutagePortMinutes(who.tenant_id, period_from, period_to);
    auto previous_outage = outages_.OutagePortMinutes(who.tenant_id, period_from - length, period_from);
    const double uptime = UptimePercent(minutes, ports, outage.value_or(0.0));
    const double previous = UptimePercent(minutes, ports, previous_outage.value_or(0.0));

    json::value data_quality = nullptr;
    if (dq) {
        boost::system::error_code ec;
        auto v = json::parse(dq->second, ec);
        if (!ec && v.is_object()) data_quality = std::move(v);
    }
    std::string note;
    if (!tariff && s.unpriced_sessions > 0) {
        note = fmt::format(
            "{} session(s) have energy but neither metadata.totalCost, metadata.tariffPerKwh nor an organization "
            "tariff (PUT /v1/organization tariffPerKwh): they count 0 revenue",
            s.unpriced_sessions);
    }
    if (s.measured_sessions < s.total_sessions) {
        if (!note.empty()) note += "; ";
        note += fmt::format(
            "{} session(s) written since the last statistics.data_quality run are not measured yet and count 0 "
            "revenue",
            s.total_sessions - s.measured_sessions);
    }
    return json::object{
        {"activeAnomaliesCount", a.active},
        {"sessionsWithAnomaliesCount", a.sessions},
        {"connectorsWithAnomaliesCount", a.connectors},
        {"totalAnomaliesCount", a.total},
        {"chargingStationsWithAnomaliesCount", a.stations},
        {"uptimePercentage", uptime},
        {"uptimeDelta", uptime - previous},
        {"totalSessions", s.total_sessions},
        {"totalRevenue", s.total_revenue},
        {"revenueAtRisk", s.revenue_at_risk},
        {"revenueLeakEstimate", s.revenue_leak},
        {"dataQuality", std::move(data_quality)},
        {"generatedAt", FormatIsoDateTime(now)},
        {"ranges", std::move(ranges)},
        {"revenueBasis",
         json::object{{"currency", org && org->currency ? json::value(*org->currency) : json::value(nullptr)},
                      {"defaultTariffPerKwh", tariff ? json::value(*tariff) : json::value(nullptr)},
                      {"measuredSessions", s.measured_sessions},
                      {"unpricedSessions", s.unpriced_sessions},
                      {"note", note.empty() ? json::value(nullptr) : json::value(note)}}},
        {"uptimeBasis",
         json::object{
             {"periodFrom", FormatIsoDateTime(period_from)},
             {"periodTo", FormatIsoDateTime(period_to)},
             {"ports", ports},
             {"outageSource", outages_.Name()},
             {"outageMinutes", outage ? json::value(*outage) : json::value(nullptr)},
             {"note", outage ? json::value(nullptr)
                             : json::value("No station-day of this period has been analysed by the station model "
                                           "(outageSource): uptime assumes no outage")}}},
    };
}

std::int64_t AnomalyService::RunDataQuality() {
    std::int64_t measured = 0;
    std::int64_t after_pk = 0;  // the table is walked once per run, in pk order
    while (measured < kMeasureMaxPerRun) {
        std::vector<storage::SessionMeasurement> batch;
        {
            auto tx = store_.Begin(TxMode::kRead);
            auto stale = tx->Anomalies().StaleSessions(after_pk, kMeasureBatch);
            if (!stale.empty()) after_pk = stale.back().pk;
            for (const auto& s : stale) {
                storage::SessionRecord r;
                r.pk = s.pk;
                r.tenant_id = s.tenant_id;
                r.session_id = s.session_id;
                r.value_count = s.value_count;
                r.next_chunk = s.next_chunk;
                auto m = MeasureSession(tx->Sessions().LoadValues(r), s.metadata_json);
                m.session_pk = s.pk;
                m.tenant_id = s.tenant_id;
                m.source_updated_at = s.updated_at;
                batch.push_back(std::move(m));
            }
            tx->Commit();
        }
        if (batch.empty()) break;
        const auto now = clock_.NowMs();
        storage::WithRetry([&] {
            auto tx = store_.Begin(TxMode::kWrite);
            for (auto& m : batch) {
                m.measured_at = now;
                tx->Anomalies().SaveMeasurement(m);
            }
            tx->Commit();
        });
        measured += static_cast<std::int64_t>(batch.size());
        if (static_cast<std::int64_t>(batch.size()) < kMeasureBatch) break;
    }

    const auto now = clock_.NowMs();
    std::vector<std::string> tenants;
    {
        auto tx = store_.Begin(TxMode::kRead);
        tenants = tx->Anomalies().TenantIds();
        tx->Commit();
    }
    for (const auto& tenant : tenants) {
        json::object summary{{"computedAt", FormatIsoDateTime(now)}};
        {
            auto tx = store_.Begin(TxMode::kRead);
            auto window = [&](const storage::StatsWindow& w) {
                auto c = tx->Anomalies().DataQuality(tenant, w);
                auto share = [&](std::int64_t n) {
                    return c.sessions > 0 ? 100.0 * static_cast<double>(n) / static_cast<double>(c.sessions) : 0.0;
                };
                return json::object{
                    {"sessions", c.sessions},
                    {"withGaps", c.gaps},
                    {"withInvalidTimestamps", c.invalid_timestamps},
                    {"withDuplicates", c.duplicates},
                    {"withMissingMeasurands", c.missing_measurands},
                    {"withReconstructedSoc", c.reconstructed_soc},
                    {"notMeasured", c.not_measured},
                    {"percentages", json::object{{"gaps", share(c.gaps)},
                                                 {"invalidTimestamps", share(c.invalid_timestamps)},
                                                 {"duplicates", share(c.duplicates)},
                                                 {"missingMeasurands", share(c.missing_measurands)},
                                                 {"reconstructedSoc", share(c.reconstructed_soc)}}},
                };
            };
            summary["7d"] = window({now - 7 * kDayMs, now});
            summary["30d"] = window({now - 30 * kDayMs, now});
            summary["all"] = window({});
            tx->Commit();
        }
        storage::WithRetry([&] {
            auto tx = store_.Begin(TxMode::kWrite);
            tx->Anomalies().SaveDataQualitySnapshot(tenant, now, json::serialize(summary));
            tx->Commit();
        });
    }
    return measured;
}

}  // namespace evni::api
