// Data-driven regression cases for the real-world faults of domain.md §3 that show within one session: one file
// per fault under tests/cases/analysis/<Fxx>_<name>.json with the meter values as the API takes them, optional
// connector metadata, analysis clock and other sessions on the connector, and the categories expected present
// and absent. A new case is a new file.

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/analyzer.h"
#include "util/time.h"

namespace evni::analysis {
namespace {

namespace json = boost::json;

std::filesystem::path CasesDir() {
    // This file is tests/unit/analysis_cases_test.cpp; the cases live in tests/cases/analysis.
    return std::filesystem::path(__FILE__).parent_path().parent_path() / "cases" / "analysis";
}

std::vector<std::string> CaseFiles() {
    std::vector<std::string> files;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(CasesDir(), error)) {
        if (entry.path().extension() == ".json") files.push_back(entry.path().filename().string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::optional<std::string> OptionalString(const json::object& o, const char* key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string(v->as_string());
}

// A number, or a numeric string (OCPP 1.6 sends strings; the API decodes them before the analysis).
double Number(const json::value& v) {
    if (v.is_string()) return std::stod(std::string(v.as_string()));
    return v.to_number<double>();
}

domain::EpochMs Time(const json::value& v) {
    const auto parsed = ParseIsoDateTime(std::string(v.as_string()));
    if (!parsed) throw std::runtime_error("bad timestamp " + std::string(v.as_string()));
    return *parsed;
}

std::vector<std::string> Strings(const json::value* v) {
    std::vector<std::string> out;
    if (v == nullptr) return out;
    for (const json::value& item : v->as_array()) out.emplace_back(item.as_string());
    return out;
}

class AnalysisCases : public ::testing::TestWithParam<std::string> {};

TEST_P(AnalysisCases, ExpectedCategories) {
    std::ifstream in(CasesDir() / GetParam());
    ASSERT_TRUE(in) << GetParam();
    std::stringstream text;
    text << in.rdbuf();
    const json::object root = json::parse(text.str()).as_object();
    ASSERT_TRUE(root.contains("source")) << "every case names its source";

    domain::MeterValues values;
    for (const json::value& item : root.at("meterValues").as_array()) {
        const json::object& o = item.as_object();
        domain::MeterValue mv;
        mv.timestamp = Time(o.at("timestamp"));
        mv.value = Number(o.at("value"));
        mv.measurand = OptionalString(o, "measurand");
        mv.unit = OptionalString(o, "unit");
        mv.phase = OptionalString(o, "phase");
        mv.location = OptionalString(o, "location");
        values.push_back(std::move(mv));
    }
    AnalysisOptions options;
    if (const json::value* metadata = root.if_contains("metadata")) {
        const json::object& m = metadata->as_object();
        if (m.contains("maxPowerKw")) options.connector.max_power_kw = Number(m.at("maxPowerKw"));
        options.connector.current_type = OptionalString(m, "currentType");
        if (m.contains("phases")) options.connector.phases = static_cast<int>(Number(m.at("phases")));
    }
    if (const json::value* now = root.if_contains("nowTimestamp")) options.now_ms = Time(*now);
    if (const json::value* others = root.if_contains("otherSessions")) {
        for (const json::value& item : others->as_array()) {
            const json::object& o = item.as_object();
            SessionSpan span;
            span.start_ms = Time(o.at("start"));
            if (o.contains("end") && !o.at("end").is_null()) span.end_ms = Time(o.at("end"));
            options.other_sessions.push_back(span);
        }
    }

    const Verdict verdict = Analyze(values, options);
    const json::object& expect = root.at("expect").as_object();
    EXPECT_EQ(verdict.analyzed, expect.at("analyzed").as_bool()) << verdict.message.value_or("");
    std::string found;
    for (const Anomaly& a : verdict.anomalies) found += a.category + " ";
    const auto has = [&verdict](const std::string& category) {
        return std::any_of(verdict.anomalies.begin(), verdict.anomalies.end(),
                           [&category](const Anomaly& a) { return a.category == category; });
    };
    for (const std::string& category : Strings(expect.if_contains("present"))) {
        EXPECT_TRUE(has(category)) << category << " expected; found: " << found;
    }
    for (const std::string& category : Strings(expect.if_contains("absent"))) {
        EXPECT_FALSE(has(category)) << category << " not expected; found: " << found;
    }
    // The incremental path gives the same verdict (values fed in time order, three at a time).
    domain::MeterValues sorted = values;
    std::stable_sort(sorted.begin(), sorted.end(), [](const domain::MeterValue& a, const domain::MeterValue& b) {
        return a.timestamp < b.timestamp;
    });
    IncrementalAnalyzer analyzer(options);
    for (std::size_t i = 0; i < sorted.size(); i += 3) {
        analyzer.Append(
            std::span<const domain::MeterValue>(sorted.data() + i, std::min<std::size_t>(3, sorted.size() - i)));
    }
    EXPECT_EQ(analyzer.Current(), Analyze(sorted, options));
}

INSTANTIATE_TEST_SUITE_P(Faults, AnalysisCases, ::testing::ValuesIn(CaseFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = info.param.substr(0, info.param.find('.'));
                             std::replace_if(
                                 name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
                             return name;
                         });

TEST(AnalysisCasesFolder, HasTheCases) { EXPECT_GE(CaseFiles().size(), 20u) << CasesDir(); }

}  // namespace
}  // namespace evni::analysis
