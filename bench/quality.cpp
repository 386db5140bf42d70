// Quality benchmark of the session model (analysis.md §6): generates a fixed labelled set (clean sessions,
// faulty sessions per category from subtle to blatant, hard negatives), runs the engine and two baselines
// (a rules-only plausibility gate, a robust z-score on per-session features) and prints event-level
// precision/recall/F1 per category, macro-F1, session-level F1 of isAnomaly and false-positive rates.
//
// Usage: evni_bench_quality [--data-dir DIR] [--seed N] [--clean N] [--per-category N] [--hard N]
//                           [--show CATEGORY|NEGATIVES] [--dump SESSION_ID] [--ac-falloff 1]
// --ac-falloff 1 generates AC sessions with the on-board charger's end-of-charge fall-off (gen::AcEnds::kFallOff, a
// hard negative: power falling near full is not a fault); the sessions then differ from the default set's.
// --show NEGATIVES lists the clean and hard-negative sessions the engine flags, with what it found.
// DIR defaults to $EVNI_DATA_DIR, else ../shared/data next to the repository.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "analysis/analyzer.h"
#include "analysis/connector_limits.h"
#include "analysis/generator.h"
#include "analysis/normalise.h"

namespace {

using evni::analysis::Analyze;
using evni::analysis::Verdict;
using evni::analysis::gen::GeneratedSession;
using evni::analysis::gen::Generator;
using evni::analysis::gen::HardNegative;
using evni::analysis::gen::Label;
using evni::domain::EpochMs;

constexpr EpochMs kSlackMs = 60'000;
constexpr double kThreshold = 0.5;

struct Detection {
    std::string category;
    EpochMs start_ms = 0;
    EpochMs end_ms = 0;
};

struct Output {
    std::vector<Detection> detections;
    bool is_anomaly = false;
};

enum class Kind { kClean, kFaulty, kHardNegative };

struct Case {
    GeneratedSession session;
    Kind kind = Kind::kClean;
};

bool Overlaps(const Detection& d, const Label& l) {
    return d.category == l.category && d.start_ms <= l.end_ms + kSlackMs && d.end_ms >= l.start_ms - kSlackMs;
}

struct Counts {
    int labels = 0;
    int labels_found = 0;
    int detections = 0;
    int detections_matched = 0;
};

struct Report {
    std::map<std::string, Counts> per_category;
    int tp = 0, fp = 0, fn = 0, tn = 0;
    int clean = 0, clean_flagged = 0;
    int hard = 0, hard_flagged = 0;
    std::map<std::string, int> hard_flagged_by_kind;

    static double F1(double p, double r) { return p + r > 0.0 ? 2.0 * p * r / (p + r) : 0.0; }
    double Precision(const Counts& c) const {
        return c.detections > 0 ? static_cast<double>(c.detections_matched) / c.detections : (c.labels > 0 ? 0.0 : 1.0);
    }
    double Recall(const Counts& c) const { return c.labels > 0 ? static_cast<double>(c.labels_found) / c.labels : 1.0; }
    double MacroF1() const {
        double sum = 0.0;
        for (const std::string& category : evni::analysis::gen::InjectableCategories()) {
            const auto it = per_category.find(category);
            const Counts c = it == per_category.end() ? Counts{} : it->second;
            sum += F1(Precision(c), Recall(c));
        }
        return sum / static_cast<double>(evni::analysis::gen::InjectableCategories().size());
    }
    double SessionF1() const {
        const double p = tp + fp > 0 ? static_cast<double>(tp) / (tp + fp) : 0.0;
        const double r = tp + fn > 0 ? static_cast<double>(tp) / (tp + fn) : 0.0;
        return F1(p, r);
    }
};

Report Evaluate(const std::vector<Case>& cases, const std::vector<Output>& outputs, const std::string& show,
                const char* name) {
    Report report;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const GeneratedSession& session = cases[i].session;
        const Output& out = outputs[i];
        for (const Label& label : session.labels) {
            Counts& c = report.per_category[label.category];
            ++c.labels;
            const bool found = std::any_of(out.detections.begin(), out.detections.end(),
                                           [&label](const Detection& d) { return Overlaps(d, label); });
            if (found) ++c.labels_found;
            if (!found && label.category == show) {
                std::printf("  [%s] MISS %s %s (%s)\n", name, label.category.c_str(), session.id.c_str(),
                            session.profile.c_str());
            }
        }
        for (const Detection& d : out.detections) {
            Counts& c = report.per_category[d.category];
            ++c.detections;
            const bool matched = std::any_of(session.labels.begin(), session.labels.end(),
                                             [&d](const Label& l) { return Overlaps(d, l); });
            if (matched) ++c.detections_matched;
            if (!matched && d.category == show) {
                std::printf("  [%s] FP %s %s +%.1f..+%.1f min (%s)\n", name, d.category.c_str(), session.id.c_str(),
                            (d.start_ms - session.values.front().timestamp) / 60000.0,
                            (d.end_ms - session.values.front().timestamp) / 60000.0, session.profile.c_str());
            }
        }
        const bool truth = !session.labels.empty();
        if (!truth && out.is_anomaly && show == "NEGATIVES") {
            std::printf("  [%s] flagged negative %s (%s):", name, session.id.c_str(), session.profile.c_str());
            for (const Detection& d : out.detections) {
                std::printf(" %s +%.1f..+%.1f min", d.category.c_str(),
                            (d.start_ms - session.values.front().timestamp) / 60000.0,
                            (d.end_ms - session.values.front().timestamp) / 60000.0);
            }
            std::printf("\n");
        }
        if (truth && out.is_anomaly) ++report.tp;
        if (!truth && out.is_anomaly) ++report.fp;
        if (truth && !out.is_anomaly) ++report.fn;
        if (!truth && !out.is_anomaly) ++report.tn;
        if (cases[i].kind == Kind::kClean) {
            ++report.clean;
            if (out.is_anomaly) ++report.clean_flagged;
        }
        if (cases[i].kind == Kind::kHardNegative) {
            ++report.hard;
            if (out.is_anomaly) {
                ++report.hard_flagged;
                ++report.hard_flagged_by_kind[evni::analysis::gen::HardNegativeName(session.hard_negative)];
            }
        }
    }
    return report;
}

// ---------------------------------------------------------------- the engine

Output RunEngine(const GeneratedSession& session) {
    const Verdict verdict = Analyze(session.values, session.options);
    Output out;
    for (const auto& anomaly : verdict.anomalies) {
        out.detections.push_back({anomaly.category, anomaly.start_ms, anomaly.end_ms});
    }
    out.is_anomaly = verdict.anomaly_score >= kThreshold;
    return out;
}

// ---------------------------------------------------------------- baselines

// The energy register (kWh) as a naive reader sees it: unphased value else the sum of phases per timestamp,
// unit-less = Wh (OCPP default); plus power (kW) and SoC.
struct Series {
    std::vector<std::pair<EpochMs, double>> energy;
    std::vector<std::pair<EpochMs, double>> power;
    std::vector<std::pair<EpochMs, double>> soc;
    EpochMs first = 0;
    EpochMs last = 0;
    std::vector<EpochMs> future;
};

Series Extract(const GeneratedSession& session) {
    using namespace evni::analysis;
    Series series;
    std::map<EpochMs, std::pair<double, double>> energy;  // (unphased or -1, phase sum)
    std::map<EpochMs, double> power;
    for (const auto& v : session.values) {
        if (v.timestamp < kMinValidTimestampMs) continue;
        if (v.timestamp > session.options.now_ms + 300'000) {
            series.future.push_back(v.timestamp);
            continue;
        }
        const Measurand m = ParseMeasurand(v.measurand.value_or(""));
        Unit unit = ParseUnit(v.unit.value_or(""));
        if (m == Measurand::kEnergyActiveImportRegister) {
            if (unit == Unit::kNone) unit = Unit::kWh;
            const double kwh = ToCanonical(Quantity::kActiveEnergy, unit, v.value).value_or(0.0);
            auto& slot = energy.try_emplace(v.timestamp, -1.0, 0.0).first->second;
            if (!v.phase) {
                slot.first = kwh;
            } else {
                slot.second += kwh;
            }
        } else if (m == Measurand::kPowerActiveImport) {
            if (unit == Unit::kNone) unit = Unit::kW;
            power[v.timestamp] += ToCanonical(Quantity::kActivePower, unit, v.value).value_or(0.0);
        } else if (m == Measurand::kSoC) {
            series.soc.push_back({v.timestamp, v.value});
        }
    }
    for (const auto& [t, slot] : energy) series.energy.push_back({t, slot.first >= 0.0 ? slot.first : slot.second});
    for (const auto& [t, kw] : power) series.power.push_back({t, kw});
    std::sort(series.soc.begin(), series.soc.end());
    if (!series.energy.empty()) {
        series.first = series.energy.front().first;
        series.last = series.energy.back().first;
    }
    return series;
}

// What a careful operator would script without a model: monotonic register, max energy per rating x duration,
// zero energy, future timestamps.
Output RunRulesGate(const GeneratedSession& session) {
    const Series s = Extract(session);
    Output out;
    if (s.energy.size() < 2) return out;
    const auto& facts = session.options.connector;
    const double rating = facts.max_power_kw.value_or(facts.current_type.value_or("") == "AC" ? 22.0 : 350.0);
    for (std::size_t i = 1; i < s.energy.size(); ++i) {
        const auto [t0, e0] = s.energy[i - 1];
        const auto [t1, e1] = s.energy[i];
        if (e1 < e0 - 0.001) out.detections.push_back({"KWH_DECREASE", t0, t1});
        if (e1 - e0 > rating * 1.1 * (t1 - t0) / 3'600'000.0 + 0.01) out.detections.push_back({"ENERGY_SPIKE", t0, t1});
    }
    const double delivered = s.energy.back().second - s.energy.front().second;
    if (s.last - s.first >= 600'000 && delivered < 0.1) out.detections.push_back({"ZERO_ENERGY", s.first, s.last});
    if (!s.future.empty()) out.detections.push_back({"TIMESTAMP_INVALID", s.first, s.last});
    out.is_anomaly = !out.detections.empty();
    return out;
}

// Per-session features; each maps to the category a user would read into an outlier of it.
constexpr int kFeatures = 10;
const char* kFeatureCategory[kFeatures] = {
    "ZERO_ENERGY",    "ENERGY_SPIKE",     "KWH_DECREASE",          "DATA_GAP",      "SOC_JUMP", "SOC_DECREASE",
    "STUCK_REGISTER", "POWER_OVER_LIMIT", "ENERGY_POWER_MISMATCH", "IDLE_OCCUPANCY"};

std::array<double, kFeatures> Features(const GeneratedSession& session) {
    const Series s = Extract(session);
    std::array<double, kFeatures> f{};
    if (s.energy.size() < 2) return f;
    double max_rate = 0.0, min_step = 0.0, max_interval = 0.0, flat = 0.0;
    for (std::size_t i = 1; i < s.energy.size(); ++i) {
        const double hours = std::max(1.0, static_cast<double>(s.energy[i].first - s.energy[i - 1].first)) / 3.6e6;
        const double step = s.energy[i].second - s.energy[i - 1].second;
        max_rate = std::max(max_rate, step / hours);
        min_step = std::min(min_step, step);
        max_interval = std::max(max_interval, hours * 60.0);
        if (std::fabs(step) < 1e-9) flat += 1.0;
    }
    double max_soc_step = 0.0, min_soc_step = 0.0;
    for (std::size_t i = 1; i < s.soc.size(); ++i) {
        max_soc_step = std::max(max_soc_step, s.soc[i].second - s.soc[i - 1].second);
        min_soc_step = std::min(min_soc_step, s.soc[i].second - s.soc[i - 1].second);
    }
    double max_power = 0.0, integral = 0.0;
    for (std::size_t i = 0; i < s.power.size(); ++i) {
        max_power = std::max(max_power, s.power[i].second);
        if (i > 0) {
            integral += 0.5 * (s.power[i].second + s.power[i - 1].second) *
                        static_cast<double>(s.power[i].first - s.power[i - 1].first) / 3.6e6;
        }
    }
    const double delivered = s.energy.back().second - s.energy.front().second;
    f[0] = delivered;
    f[1] = max_rate;
    f[2] = min_step;
    f[3] = max_interval;
    f[4] = max_soc_step;
    f[5] = min_soc_step;
    f[6] = flat / static_cast<double>(s.energy.size());
    f[7] = max_power;
    f[8] = s.power.empty() ? 1.0 : integral / std::max(delivered, 0.01);
    f[9] = static_cast<double>(s.last - s.first) / 3.6e6;
    return f;
}

std::vector<Output> RunRobustZ(const std::vector<Case>& cases) {
    std::vector<std::array<double, kFeatures>> features;
    for (const Case& c : cases) features.push_back(Features(c.session));
    std::array<double, kFeatures> median{}, mad{};
    for (int k = 0; k < kFeatures; ++k) {
        std::vector<double> column;
        for (const auto& f : features) column.push_back(f[static_cast<std::size_t>(k)]);
        std::nth_element(column.begin(), column.begin() + static_cast<long>(column.size() / 2), column.end());
        median[static_cast<std::size_t>(k)] = column[column.size() / 2];
        for (double& x : column) x = std::fabs(x - median[static_cast<std::size_t>(k)]);
        std::nth_element(column.begin(), column.begin() + static_cast<long>(column.size() / 2), column.end());
        mad[static_cast<std::size_t>(k)] = std::max(column[column.size() / 2], 1e-6);
    }
    std::vector<Output> outputs;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        Output out;
        const auto& session = cases[i].session;
        const Series s = Extract(session);
        for (int k = 0; k < kFeatures; ++k) {
            const auto index = static_cast<std::size_t>(k);
            const double z = 0.6745 * (features[i][index] - median[index]) / mad[index];
            if (std::fabs(z) > 3.5) out.detections.push_back({kFeatureCategory[k], s.first, s.last});
        }
        out.is_anomaly = !out.detections.empty();
        outputs.push_back(std::move(out));
    }
    return outputs;
}

void Print(const char* name, const Report& r, bool with_categories) {
    if (with_categories) {
        std::printf("\n%-22s %7s %7s %7s %7s %7s\n", name, "labels", "dets", "prec", "recall", "F1");
        for (const std::string& category : evni::analysis::gen::InjectableCategories()) {
            const auto it = r.per_category.find(category);
            const Counts c = it == r.per_category.end() ? Counts{} : it->second;
            const double p = r.Precision(c);
            const double rc = r.Recall(c);
            std::printf("%-22s %7d %7d %7.3f %7.3f %7.3f\n", category.c_str(), c.labels, c.detections, p, rc,
                        Report::F1(p, rc));
        }
    }
    std::printf(
        "%-22s macro-F1 %.3f | session F1 %.3f (tp %d fp %d fn %d tn %d) | FP clean %.2f%% (%d/%d) | "
        "FP hard-neg %.2f%% (%d/%d)\n",
        name, r.MacroF1(), r.SessionF1(), r.tp, r.fp, r.fn, r.tn, 100.0 * r.clean_flagged / std::max(1, r.clean),
        r.clean_flagged, r.clean, 100.0 * r.hard_flagged / std::max(1, r.hard), r.hard_flagged, r.hard);
    if (!r.hard_flagged_by_kind.empty()) {
        std::printf("%-22s hard negatives flagged by kind:", "");
        for (const auto& [kind, n] : r.hard_flagged_by_kind) std::printf(" %s=%d", kind.c_str(), n);
        std::printf("\n");
    }
}

std::string DefaultDataDir() {
    if (const char* env = std::getenv("EVNI_DATA_DIR"); env != nullptr && *env != '\0') return env;
    // This file is <repo>/bench/quality.cpp; the data lives in ../shared/data next to the repository.
    // EVNI_BENCH_DIR is the absolute source directory (CMake): __FILE__ is relative under ccache builds.
    // ../shared/data next to the repository; a git worktree in <dir>/wt/<name> also looks next to <dir>.
    for (const char* up : {"/../../shared/data", "/../../../shared/data"}) {
        const std::string dir = std::string(EVNI_BENCH_DIR) + up;
        if (std::filesystem::is_directory(dir)) return dir;
    }
    return std::string(EVNI_BENCH_DIR) + "/../../shared/data";
}

}  // namespace

// Learned connector limits (docs/analysis.md): the generator analyses each session alone, with metadata, so the
// figures above never use a learned rating. Here the clean sessions of one connector kind (metadata rating and
// current type; AC/DC profile for sessions generated without metadata) stand in for one connector's history, in
// generation order: each clean session is analysed with the rating learned from the (up to 100) clean sessions
// before it, once there are >= 5; faulty and hard-negative sessions with the rating learned from all clean
// sessions of their kind. Two settings: metadata without maxPowerKw (currentType and phases kept), and no
// connector facts at all. Counts POWER_OVER_LIMIT: false findings on clean and hard-negative sessions, recall of
// the injected ones, each against the same setting without a learned rating (physical bounds) and with metadata.
void ReportLearnedLimits(const std::vector<Case>& cases) {
    namespace an = evni::analysis;
    using Key = std::pair<double, std::string>;
    auto key_of = [](const GeneratedSession& s) {
        const std::string type = s.options.connector.current_type.value_or(s.profile.substr(0, 2));
        return Key{s.options.connector.max_power_kw.value_or(0.0), type};
    };
    // keep_type: metadata without maxPowerKw; else no connector facts at all.
    auto facts_of = [](const GeneratedSession& s, bool keep_type) {
        evni::domain::ConnectorFacts f;
        if (keep_type) {
            f = s.options.connector;
            f.max_power_kw.reset();
        }
        return f;
    };
    auto over_limit = [](const GeneratedSession& s, const evni::domain::ConnectorFacts& facts,
                         std::optional<double> learned) {
        an::AnalysisOptions o = s.options;
        o.connector = facts;
        o.learned_max_power_kw = learned;
        const Verdict v = Analyze(s.values, o);
        return std::any_of(v.anomalies.begin(), v.anomalies.end(),
                           [](const an::Anomaly& a) { return a.category == "POWER_OVER_LIMIT"; });
    };
    for (const bool keep_type : {true, false}) {
        std::map<Key, std::vector<an::PowerObservation>> history;  // newest last
        auto learned_for = [&](const GeneratedSession& s) -> std::optional<double> {
            auto it = history.find(key_of(s));
            if (it == history.end()) return std::nullopt;
            const auto& h = it->second;
            const std::size_t n = std::min<std::size_t>(h.size(), an::kLearnedHistoryLimit);
            const std::vector<an::PowerObservation> newest(h.rbegin(), h.rbegin() + static_cast<std::ptrdiff_t>(n));
            const auto l = an::LearnConnectorLimit(newest, facts_of(s, keep_type));
            return l ? std::optional<double>(l->max_power_kw) : std::nullopt;
        };
        int clean = 0, with_learned = 0, fp_learned = 0, fp_physical = 0, fp_metadata = 0;
        for (const Case& c : cases) {
            if (c.kind != Kind::kClean) continue;
            const auto learned = learned_for(c.session);
            const auto facts = facts_of(c.session, keep_type);
            ++clean;
            if (learned) ++with_learned;
            if (learned && over_limit(c.session, facts, learned)) {
                ++fp_learned;
                const auto o = an::ObserveSessionPower(c.session.values);
                std::printf("  learned-limit FP %s (%s): learned %.1f kW, sustained peak %.1f kW\n",
                            c.session.id.c_str(), c.session.profile.c_str(), *learned, o ? o->sustained_peak_kw : 0.0);
            }
            fp_physical += over_limit(c.session, facts, std::nullopt) ? 1 : 0;
            fp_metadata += over_limit(c.session, c.session.options.connector, std::nullopt) ? 1 : 0;
            if (auto o = an::ObserveSessionPower(c.session.values)) history[key_of(c.session)].push_back(*o);
        }
        int hard = 0, hard_learned = 0, hard_physical = 0;
        int faults = 0, found_learned = 0, found_physical = 0, found_metadata = 0;
        for (const Case& c : cases) {
            if (c.kind == Kind::kClean) continue;
            const auto learned = learned_for(c.session);
            const auto facts = facts_of(c.session, keep_type);
            if (c.kind == Kind::kHardNegative) {
                ++hard;
                hard_learned += over_limit(c.session, facts, learned) ? 1 : 0;
                hard_physical += over_limit(c.session, facts, std::nullopt) ? 1 : 0;
                continue;
            }
            if (std::none_of(c.session.labels.begin(), c.session.labels.end(),
                             [](const Label& l) { return l.category == "POWER_OVER_LIMIT"; }))
                continue;
            ++faults;
            found_learned += over_limit(c.session, facts, learned) ? 1 : 0;
            found_physical += over_limit(c.session, facts, std::nullopt) ? 1 : 0;
            found_metadata += over_limit(c.session, c.session.options.connector, std::nullopt) ? 1 : 0;
        }
        std::printf("learned connector limits, %s: clean sessions with a learned rating %d/%d\n",
                    keep_type ? "metadata without maxPowerKw" : "no connector facts", with_learned, clean);
        std::printf(
            "  POWER_OVER_LIMIT on clean: learned %d, physical bound %d, metadata %d | on hard negatives: "
            "learned %d, physical bound %d (of %d)\n",
            fp_learned, fp_physical, fp_metadata, hard_learned, hard_physical, hard);
        std::printf("  injected POWER_OVER_LIMIT found: learned %d/%d, physical bound %d/%d, metadata %d/%d\n",
                    found_learned, faults, found_physical, faults, found_metadata, faults);
    }
}

int main(int argc, char** argv) {
    std::string data_dir = DefaultDataDir();
    std::uint64_t seed = 20260227;
    int clean = 1000;
    int per_category = 80;
    int hard_per_kind = 60;
    std::string show;
    std::string dump;
    bool ac_falloff = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--data-dir")
            data_dir = value;
        else if (flag == "--seed")
            seed = std::stoull(value);
        else if (flag == "--clean")
            clean = std::stoi(value);
        else if (flag == "--per-category")
            per_category = std::stoi(value);
        else if (flag == "--hard")
            hard_per_kind = std::stoi(value);
        else if (flag == "--show")
            show = value;
        else if (flag == "--dump")
            dump = value;
        else if (flag == "--ac-falloff")
            ac_falloff = value != "0";
        else {
            std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
            return 2;
        }
    }

    std::vector<std::string> warnings;
    evni::analysis::gen::Population population = evni::analysis::gen::LoadPopulation(data_dir, warnings);
    for (const std::string& warning : warnings) std::fprintf(stderr, "WARNING: %s\n", warning.c_str());
    std::printf("populations:");
    for (const std::string& source : population.sources) std::printf(" [%s]", source.c_str());
    std::printf("\nseed %llu\n", static_cast<unsigned long long>(seed));

    Generator generator(std::move(population), seed);
    if (ac_falloff) {
        generator.SetAcEnds(evni::analysis::gen::AcEnds::kFallOff);
        std::printf("AC sessions with the end-of-charge fall-off (--ac-falloff 1)\n");
    }
    std::vector<Case> cases;
    for (int i = 0; i < clean; ++i) cases.push_back({generator.Clean(), Kind::kClean});
    for (const std::string& category : evni::analysis::gen::InjectableCategories()) {
        for (int i = 0; i < per_category; ++i) {
            const double severity = per_category > 1 ? static_cast<double>(i) / (per_category - 1) : 0.5;
            cases.push_back({generator.WithFault(category, severity), Kind::kFaulty});
        }
    }
    for (int kind = 1; kind < static_cast<int>(HardNegative::kCount); ++kind) {
        for (int i = 0; i < hard_per_kind; ++i) {
            cases.push_back({generator.WithHardNegative(static_cast<HardNegative>(kind)), Kind::kHardNegative});
        }
    }
    std::size_t values = 0;
    for (const Case& c : cases) values += c.session.values.size();
    std::printf("sessions %zu (clean %d, faulty %d x %zu categories, hard negatives %d x %d kinds), meter values %zu\n",
                cases.size(), clean, per_category, evni::analysis::gen::InjectableCategories().size(), hard_per_kind,
                static_cast<int>(HardNegative::kCount) - 1, values);

    for (const Case& c : cases) {
        if (c.session.id != dump) continue;
        const EpochMs t0 = c.session.values.front().timestamp;
        std::printf("%s %s now +%.1f min\n", c.session.id.c_str(), c.session.profile.c_str(),
                    (c.session.options.now_ms - t0) / 60000.0);
        for (const auto& v : c.session.values) {
            std::printf("  %+9.2f min %-30s %-3s %-8s %14.4f\n", (v.timestamp - t0) / 60000.0,
                        v.measurand.value_or("-").c_str(), v.phase.value_or("").c_str(), v.unit.value_or("").c_str(),
                        v.value);
        }
        for (const Label& l : c.session.labels) {
            std::printf("  label %s %+.2f..%+.2f min\n", l.category.c_str(), (l.start_ms - t0) / 60000.0,
                        (l.end_ms - t0) / 60000.0);
        }
        for (const auto& a : Analyze(c.session.values, c.session.options).anomalies) {
            std::printf("  found %s %+.2f..%+.2f min score %.2f conf %.2f\n", a.category.c_str(),
                        (a.start_ms - t0) / 60000.0, (a.end_ms - t0) / 60000.0, a.score, a.confidence);
        }
    }

    std::vector<Output> engine;
    const auto begin = std::chrono::steady_clock::now();
    for (const Case& c : cases) engine.push_back(RunEngine(c.session));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    std::vector<Output> rules;
    for (const Case& c : cases) rules.push_back(RunRulesGate(c.session));
    const std::vector<Output> robust = RunRobustZ(cases);

    const Report engine_report = Evaluate(cases, engine, show, "engine");
    const Report rules_report = Evaluate(cases, rules, "", "rules");
    const Report robust_report = Evaluate(cases, robust, "", "robust-z");
    Print("engine (csar_2)", engine_report, true);
    Print("rules gate", rules_report, true);
    Print("robust z-score", robust_report, true);
    std::printf("\nsummary\n");
    Print("engine (csar_2)", engine_report, false);
    Print("rules gate", rules_report, false);
    Print("robust z-score", robust_report, false);
    std::printf("engine throughput on this set: %.0f meter values/s (%.2f s)\n", static_cast<double>(values) / seconds,
                seconds);
    ReportLearnedLimits(cases);
    return 0;
}
