#include "app/offline.h"

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include "analysis/analyzer.h"
#include "analysis/generator.h"
#include "analysis/sorc.h"
#include "api/json_util.h"
#include "api/session_service.h"
#include "util/time.h"

namespace evni::app {
namespace json = boost::json;

namespace {

json::value OptString(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

// The documents of a file: one object, an array of objects, or one object per line.
bool ReadDocuments(const std::string& text, std::vector<json::value>& docs, std::string& error) {
    boost::system::error_code ec;
    auto whole = json::parse(text, ec);
    if (!ec) {
        if (whole.is_array()) {
            for (auto& v : whole.get_array()) docs.push_back(std::move(v));
        } else {
            docs.push_back(std::move(whole));
        }
        return true;
    }
    std::istringstream lines(text);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        auto v = json::parse(line, ec);
        if (ec) {
            error = "line " + std::to_string(n) + ": " + ec.message();
            return false;
        }
        docs.push_back(std::move(v));
    }
    return true;
}

json::array ValuesJson(const domain::MeterValues& values) {
    json::array out;
    for (const auto& v : values) {
        out.push_back(json::object{{"timestamp", FormatIsoDateTime(v.timestamp)},
                                   {"value", v.value},
                                   {"measurand", OptString(v.measurand)},
                                   {"unit", OptString(v.unit)},
                                   {"phase", OptString(v.phase)},
                                   {"location", OptString(v.location)}});
    }
    return out;
}

}  // namespace

int AnalyzeFile(const std::string& path, std::ostream& out, std::ostream& err) {
    std::string text;
    if (path == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            err << "evni analyze: cannot read " << path << "\n";
            return 2;
        }
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::vector<json::value> docs;
    std::string error;
    if (!ReadDocuments(text, docs, error)) {
        err << "evni analyze: " << path << ": not JSON, a JSON array or JSON lines (" << error << ")\n";
        return 2;
    }
    struct Item {
        api::UpsertSession session;
        std::int64_t start = 0, end = 0;
        bool has_span = false;
        std::vector<analysis::SessionSpan> extra_spans{};  // "otherSessions" of `evni generate` output
    };
    std::vector<std::optional<Item>> items;
    int failures = 0;
    for (std::size_t i = 0; i < docs.size(); ++i) {
        const api::Loc base{static_cast<std::int64_t>(i)};
        if (!docs[i].is_object()) {
            out << json::serialize(json::object{{"index", i}, {"error", "not a JSON object"}}) << "\n";
            items.emplace_back();
            ++failures;
            continue;
        }
        auto decoded = api::DecodeUpsertSession(docs[i].get_object(), base);
        if (!decoded) {
            json::array details;
            for (const auto& f : decoded.error().fields) {
                json::array loc;
                for (const auto& p : f.loc) {
                    if (std::holds_alternative<std::string>(p))
                        loc.push_back(json::value(std::get<std::string>(p)));
                    else
                        loc.push_back(json::value(std::get<std::int64_t>(p)));
                }
                details.push_back(json::object{{"loc", std::move(loc)}, {"msg", f.msg}, {"type", f.type}});
            }
            out << json::serialize(json::object{{"index", i}, {"error", std::move(details)}}) << "\n";
            items.emplace_back();
            ++failures;
            continue;
        }
        Item item{std::move(*decoded), 0, 0, false, {}};
        if (const auto* spans = docs[i].get_object().if_contains("otherSessions"); spans && spans->is_array()) {
            for (const auto& span : spans->get_array()) {
                if (!span.is_object()) continue;
                const auto* start = span.get_object().if_contains("start");
                const auto* end = span.get_object().if_contains("end");
                if (!start || !start->is_string()) continue;
                auto start_ms = ParseIsoDateTime(std::string(start->get_string()));
                if (!start_ms) continue;
                std::optional<EpochMs> end_ms;
                if (end && end->is_string()) end_ms = ParseIsoDateTime(std::string(end->get_string()));
                item.extra_spans.push_back({*start_ms, end_ms});
            }
        }
        if (const auto& v = item.session.changes.meter_values; v && !v->empty()) {
            auto [lo, hi] = std::minmax_element(v->begin(), v->end(),
                                                [](const auto& a, const auto& b) { return a.timestamp < b.timestamp; });
            item.start = lo->timestamp;
            item.end = hi->timestamp;
            item.has_span = true;
        }
        items.emplace_back(std::move(item));
    }
    const EpochMs now = SystemClock().NowMs();
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!items[i]) continue;
        const auto& item = *items[i];
        const auto& s = item.session;
        analysis::AnalysisOptions options;
        options.connector = api::ConnectorFactsFromMetadata(s.changes.metadata_json.value);
        options.now_ms = now;
        options.other_sessions = item.extra_spans;
        for (std::size_t j = 0; j < items.size(); ++j) {
            if (j == i || !items[j] || !items[j]->has_span || !item.has_span) continue;
            const auto& o = items[j]->session;
            if (o.station_id == s.station_id && o.changes.connector_id.value == s.changes.connector_id.value &&
                items[j]->start <= item.end && items[j]->end >= item.start) {
                options.other_sessions.push_back({items[j]->start, items[j]->end});
            }
        }
        const domain::MeterValues empty;
        const auto& values = s.changes.meter_values ? *s.changes.meter_values : empty;
        auto verdict = analysis::Analyze(values, options);
        json::object o{{"sessionId", s.session_id},
                       {"chargingStationId", s.station_id},
                       {"connectorId", OptString(s.changes.connector_id.value)},
                       {"meterValueCount", values.size()}};
        if (verdict.analyzed) {
            o["isAnomaly"] = verdict.anomaly_score >= 0.5;
            o["anomalyScore"] = verdict.anomaly_score;
            o["anomalyConfidence"] = verdict.anomaly_confidence;
            o["message"] = nullptr;
        } else {
            o["isAnomaly"] = nullptr;
            o["anomalyScore"] = nullptr;
            o["anomalyConfidence"] = nullptr;
            o["message"] = verdict.message ? json::value(*verdict.message) : json::value(nullptr);
        }
        o["anomalies"] = api::AnomaliesJson(verdict.anomalies);
        analysis::SocOptions soc_options;
        soc_options.connector = options.connector;
        soc_options.stop_reason = s.changes.stop_reason.value;
        soc_options.now_ms = now;
        auto soc = analysis::ReconstructSoc(values, soc_options);
        json::array points;
        for (const auto& p : soc.points) {
            points.push_back(json::object{{"timestamp", FormatIsoDateTime(p.timestamp)}, {"value", p.value}});
        }
        o["socReconstructed"] = soc.reconstructed && !points.empty();
        o["reconstructedSoc"] = std::move(points);
        o["sorcConfidence"] = soc.reconstructed ? json::value(soc.confidence) : json::value(nullptr);
        out << api::Serialize(o) << "\n";
    }
    return failures > 0 ? 1 : 0;
}

int Generate(const GenerateOptions& options, std::ostream& out, std::ostream& err) {
    for (const auto& f : options.faults) {
        const auto& known = analysis::gen::InjectableCategories();
        if (std::find(known.begin(), known.end(), f) == known.end()) {
            err << "evni generate: unknown category " << f << "\n";
            return 2;
        }
    }
    std::string data_dir = options.data_dir;
    if (data_dir.empty()) {
        const char* env = std::getenv("EVNI_DATA_DIR");
        data_dir = env ? env : "../shared/data";
    }
    std::vector<std::string> warnings;
    auto population = analysis::gen::LoadPopulation(data_dir, warnings);
    for (const auto& w : warnings) err << "evni generate: " << w << "\n";
    analysis::gen::Generator gen(std::move(population), options.seed);
    const int kinds = static_cast<int>(analysis::gen::HardNegative::kCount) - 1;
    for (int i = 0; i < options.sessions; ++i) {
        analysis::gen::GeneratedSession s;
        if (options.hard_negatives) {
            s = gen.WithHardNegative(static_cast<analysis::gen::HardNegative>(1 + i % kinds));
        } else if (!options.faults.empty()) {
            s = gen.WithFault(options.faults[static_cast<std::size_t>(i) % options.faults.size()], options.severity);
        } else {
            s = gen.Clean();
        }
        json::array labels;
        for (const auto& l : s.labels) {
            labels.push_back(json::object{{"category", l.category},
                                          {"startTimestamp", FormatIsoDateTime(l.start_ms)},
                                          {"endTimestamp", FormatIsoDateTime(l.end_ms)}});
        }
        json::object metadata;
        if (s.options.connector.max_power_kw) metadata["maxPowerKw"] = *s.options.connector.max_power_kw;
        if (s.options.connector.current_type) metadata["currentType"] = *s.options.connector.current_type;
        if (s.options.connector.phases) metadata["phases"] = *s.options.connector.phases;
        json::object o{{"sessionId", s.id},
                       {"chargingStationId", s.station},
                       {"connectorId", "1"},
                       {"metadata", std::move(metadata)},
                       {"meterValues", ValuesJson(s.values)},
                       {"labels", std::move(labels)},
                       {"profile", s.profile}};
        if (!s.options.other_sessions.empty()) {
            // The other sessions a SESSION_OVERLAP was injected against (`evni analyze` reads them).
            json::array spans;
            for (const auto& span : s.options.other_sessions) {
                spans.push_back(json::object{
                    {"start", FormatIsoDateTime(span.start_ms)},
                    {"end", span.end_ms ? json::value(FormatIsoDateTime(*span.end_ms)) : json::value(nullptr)}});
            }
            o["otherSessions"] = std::move(spans);
        }
        if (s.hard_negative != analysis::gen::HardNegative::kNone) {
            o["hardNegative"] = analysis::gen::HardNegativeName(s.hard_negative);
        }
        out << api::Serialize(o) << "\n";
    }
    return 0;
}

}  // namespace evni::app
