#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/meter_value.h"

namespace evni::analysis {

// Inclusive range of 15-second buckets counted from t0 (the earliest valid meter value timestamp).
struct BucketRange {
    std::int64_t start_unit = 0;
    std::int64_t end_unit = 0;
    bool operator==(const BucketRange&) const = default;
};

// One occurrence of one anomaly category.
struct Anomaly {
    std::string category;     // e.g. "KWH_DECREASE"
    double score = 0.0;       // severity in [0,1]
    double confidence = 0.0;  // in [0,1]
    BucketRange buckets;
    domain::EpochMs start_ms = 0;  // t0 + 15 s * start_unit
    domain::EpochMs end_ms = 0;    // t0 + 15 s * (end_unit + 1)
    bool operator==(const Anomaly&) const = default;
};

// The result of analysing one session's meter values.
struct Verdict {
    bool analyzed = false;               // false: not enough data; `message` says why
    std::optional<std::string> message;  // why inference was not performed
    double anomaly_score = 0.0;          // highest anomaly score (0 when none)
    double anomaly_confidence = 0.0;     // confidence of that anomaly, or of the normal verdict
    std::vector<Anomaly> anomalies;      // sorted by start bucket, then category
    bool operator==(const Verdict&) const = default;
};

// The time span of another session on the same station and connector (for SESSION_OVERLAP).
struct SessionSpan {
    domain::EpochMs start_ms = 0;
    std::optional<domain::EpochMs> end_ms;  // nullopt: that session is still open
    bool operator==(const SessionSpan&) const = default;
};

struct AnalysisOptions {
    // Connector rating, current type and phases from the session or station metadata (limits for
    // POWER_OVER_LIMIT and ENERGY_SPIKE; without them: physical bounds AC 44 kW, DC 400 kW).
    domain::ConnectorFacts connector;
    // The connector's rating learned from its history (analysis/connector_limits.h) when metadata gives no
    // maxPowerKw: POWER_OVER_LIMIT holds power to it (at most the physical bound) with reduced confidence.
    // Ignored when connector.max_power_kw is set (metadata wins); never used for ENERGY_SPIKE's hard bound.
    std::optional<double> learned_max_power_kw;
    // Injected clock: values more than 5 min after it are TIMESTAMP_INVALID (and left out of the series).
    // 0 disables the check. A value is judged when it is analysed first, so an incremental state keeps the
    // judgement of the request that brought the value.
    domain::EpochMs now_ms = 0;
    // [start, end] of the other sessions on the same station and connector (same tenant, this session
    // excluded), any order: each one overlapping this session's span [t0, last value] by more than 60 s is a
    // SESSION_OVERLAP over the intersection. Not part of the incremental state: pass it on every call.
    std::vector<SessionSpan> other_sessions;
};

// Full analysis of a session's meter values (any order; the analyzer normalises and sorts).
Verdict Analyze(std::span<const domain::MeterValue> values, const AnalysisOptions& options);

// Incremental analysis: state that can be saved with the session and fed new values later.
// Invariant: for any split of a time-ordered sequence into chunks, feeding the chunks one after the
// other (saving and restoring the state between them) gives the same Verdict as Analyze() on all.
class IncrementalAnalyzer {
  public:
    explicit IncrementalAnalyzer(AnalysisOptions options);

    // Restores a state produced by Serialize(). Returns nullopt when the bytes are not a valid
    // state of this version (the caller then runs a full analysis).
    static std::optional<IncrementalAnalyzer> Deserialize(std::span<const std::uint8_t> bytes, AnalysisOptions options);
    std::vector<std::uint8_t> Serialize() const;

    // True when `values` can be appended incrementally: every value is at or after the latest
    // timestamp already fed, and nothing already decided would change. Otherwise the caller must
    // re-run a full analysis over all values.
    bool CanAppend(std::span<const domain::MeterValue> values) const;
    void Append(std::span<const domain::MeterValue> values);
    Verdict Current() const;
    // The highest primary power reading so far (kW; what POWER_OVER_LIMIT compares with the limit).
    double PeakPowerKw() const;

  private:
    friend Verdict Analyze(std::span<const domain::MeterValue> values, const AnalysisOptions& options);
    struct State;
    State& Mutable();               // detaches a shared state before a change
    std::shared_ptr<State> state_;  // copy-on-write: copies of an analyzer share it until one appends
};

}  // namespace evni::analysis
