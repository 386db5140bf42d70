#pragma once

// Phrasebooks of the built-in explainer (internal to explain_text.cpp and explain_ask.cpp). Templates
// hold {placeholders} filled from the facts; they contain no digits of their own, so every number in a
// generated text comes from the facts.

#include <array>
#include <string_view>

namespace evni::api::explain {

inline constexpr std::size_t kCategoryCount = 14;
inline constexpr std::array<std::string_view, kCategoryCount> kCategoryIds = {
    "KWH_DECREASE",          "METER_RESET",      "ENERGY_SPIKE",   "ENERGY_PIT",     "STUCK_REGISTER",
    "ENERGY_POWER_MISMATCH", "POWER_OVER_LIMIT", "SOC_DECREASE",   "SOC_JUMP",       "ZERO_ENERGY",
    "TIMESTAMP_INVALID",     "DATA_GAP",         "IDLE_OCCUPANCY", "SESSION_OVERLAP"};

struct CategoryText {
    std::string_view name;     // a noun phrase, lowercase where the language allows
    std::string_view meaning;  // a clause
    std::string_view causes;   // a list of noun phrases
    std::string_view checks;   // imperative clauses
};

struct Phrasebook {
    char decimal;          // decimal separator
    std::string_view pct;  // how a percentage follows its number: "%" or " %"
    std::string_view verdict_anomaly, verdict_below, verdict_normal, verdict_pending;
    std::string_view where_station, where_connector;
    std::string_view incident, recurring;
    std::string_view findings, anomaly_line, magnitude, meaning, causes, checks, short_check, anomaly_recurrence;
    std::string_view period, energy, mean_power, peak_power, no_energy;
    std::string_view soc_reported, soc_reconstructed, soc_none;
    std::string_view connector, connector_rating, connector_type, connector_phases, connector_unknown, stop_reason;
    std::string_view tariff, billed, discrepancy, discrepancy_no_tariff, no_tariff;
    std::string_view history, history_categories, history_clean;
    std::string_view station, station_anomalous, station_normal, station_energy;
    std::string_view normal_advice, pending_advice, technical_header;
    // Ask.
    std::string_view unanswerable, no_anomalies, category_absent, why_flagged, why_not_flagged, why_clean, no_power,
        no_duration;
    std::array<CategoryText, kCategoryCount> categories;
};

// The phrasebook of a language, by index of kLangCodes.
const Phrasebook& PhrasebookFor(std::size_t lang_index);

}  // namespace evni::api::explain
