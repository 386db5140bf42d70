#pragma once

// The grounded facts of one session that explanations and answers are written from (docs/explain.md).
// Everything a text may say comes from here: the builder is pure (no storage, no clock), and every
// number a text contains is one of the deterministic formatted values listed by FormattedValues().

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/sorc.h"
#include "domain/meter_value.h"
#include "storage/explanations.h"

namespace evni::storage {
struct SessionRecord;
}

namespace evni::api::explain {

using domain::EpochMs;

// Days of connector history the facts quote (the isRecurring window of analysis.md §3).
inline constexpr std::int64_t kHistoryDays = 30;

// One detected anomaly with what the meter values say about its size.
struct AnomalyFact {
    std::string category;
    double score = 0.0;
    double confidence = 0.0;
    std::int64_t start_unit = 0;
    std::int64_t end_unit = 0;
    EpochMs start_ms = 0;
    EpochMs end_ms = 0;
    // KWH_DECREASE / METER_RESET: the largest register drop in the range; ENERGY_SPIKE: the largest step.
    std::optional<double> magnitude_kwh;
    std::int64_t other_sessions = 0;  // other sessions on the connector with this category (history window)
};

// Context from the daily station model (analysis.md §5) for the session's station and day. Absent until
// that model is available to the explainer; the texts mention it only when present.
struct StationContext {
    std::string day;  // YYYY-MM-DD (UTC, as the station model's days)
    bool day_is_anomaly = false;
    double day_score = 0.0;
    std::optional<double> day_energy_kwh;
    std::optional<double> expected_energy_kwh;
};

enum class SocSource { kNone, kReported, kReconstructed };

struct SessionFacts {
    std::string session_id;
    std::string station_id;
    std::optional<std::string> connector_id;
    std::optional<std::string> evse_id;
    std::string status;
    std::optional<std::string> stop_reason;
    std::int64_t value_count = 0;

    // Verdict.
    bool analyzed = false;
    std::int64_t analysis_version = 0;
    std::optional<bool> is_anomaly;
    std::optional<double> anomaly_score;
    std::optional<double> anomaly_confidence;
    std::optional<bool> is_incident;
    std::optional<bool> is_recurring;
    double threshold = 0.5;  // isAnomaly = anomalyScore >= threshold
    std::vector<AnomalyFact> anomalies;

    // Delivery.
    std::optional<EpochMs> started_at;
    std::optional<EpochMs> ended_at;
    std::optional<double> duration_min;
    std::optional<double> energy_kwh;          // sum of the register's plausible rises
    std::optional<double> register_delta_kwh;  // last register reading minus the first
    std::optional<double> peak_power_kw;
    std::optional<double> mean_power_kw;  // energy_kwh over the duration

    // State of charge.
    SocSource soc_source = SocSource::kNone;
    std::optional<double> soc_start;
    std::optional<double> soc_end;
    std::optional<double> soc_confidence;  // reconstruction only
    std::optional<double> battery_kwh;     // reconstruction only: effective capacity

    // Connector (session metadata).
    std::optional<double> max_power_kw;
    std::optional<std::string> current_type;
    std::optional<int> phases;

    // Billing.
    std::optional<double> tariff_per_kwh;
    std::string tariff_source;  // "session" (metadata.tariffPerKwh), "organization" or ""
    std::optional<std::string> currency;
    std::optional<double> energy_cost;       // energy_kwh * tariff
    std::optional<double> billed_cost;       // metadata.totalCost
    std::optional<double> discrepancy_kwh;   // |energy_kwh - register_delta_kwh| when a register anomaly is present
    std::optional<double> discrepancy_cost;  // discrepancy_kwh * tariff

    // Connector history (same tenant, same station and connector, other sessions).
    std::int64_t history_days = kHistoryDays;
    std::int64_t connector_sessions = 0;
    std::vector<storage::CategoryCount> connector_categories;

    std::optional<StationContext> station;
};

struct FactsInput {
    const storage::SessionRecord* record = nullptr;
    const domain::MeterValues* values = nullptr;  // sorted by timestamp
    const analysis::SocReconstruction* soc = nullptr;
    std::optional<double> organization_tariff_per_kwh;
    std::optional<std::string> organization_currency;
    std::vector<storage::CategoryCount> connector_categories;
    std::int64_t connector_sessions = 0;
    std::optional<StationContext> station;
    double threshold = 0.5;
    std::string status;
};

SessionFacts BuildFacts(const FactsInput& input);

// [from, to] of the connector history the facts quote for a session starting/ending at the given times.
std::pair<EpochMs, EpochMs> HistoryWindow(const storage::SessionRecord& record);

// Deterministic number formatting (canonical form: '.' decimal separator; texts localise it).
std::string FmtKwh(double v);      // 2 decimals
std::string FmtKw(double v);       // 1 decimal
std::string FmtMoney(double v);    // 2 decimals
std::string FmtScore(double v);    // 2 decimals
std::string FmtPercent(double v);  // a fraction in [0,1] as a whole percentage
std::string FmtSoc(double v);      // a percentage as a whole number
std::string FmtMinutes(double v);  // 1 decimal below 10, else whole
std::string FmtTime(EpochMs ms);   // HH:MM UTC
std::string FmtDate(EpochMs ms);   // YYYY-MM-DD UTC
std::string FmtInt(std::int64_t v);

// Every formatted value of the facts (numbers, times, dates, identifiers) that texts may quote.
std::vector<std::string> FormattedValues(const SessionFacts& facts);
// The number tokens of a text ("9,73" and "9.73" both give "9.73"; "10:45" gives "10" and "45").
std::vector<std::string> NumberTokens(std::string_view text);
// The number tokens of FormattedValues(): a text is grounded when all its tokens are in this set.
std::set<std::string> GroundedNumbers(const SessionFacts& facts);

// The facts as JSON (for the LLM prompt and the cache digest).
std::string FactsJson(const SessionFacts& facts);
// A stable digest of FactsJson (hex).
std::string FactsDigest(const SessionFacts& facts);

}  // namespace evni::api::explain
