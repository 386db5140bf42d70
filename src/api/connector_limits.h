#pragma once

// Per-connector limits learned from history (docs/analysis.md "Learned connector limits"): a session write
// listener that keeps each session's power observation (table connector_power_observations) in step with its
// meter values, and the read that turns a connector's history into the learned rating for the analysis.

#include <optional>

#include "analysis/connector_limits.h"
#include "api/session_listener.h"
#include "storage/store.h"
#include "util/time.h"

namespace evni::api {

// Records what a session shows about its connector's power (sustained peak, AC/DC, phases). An insert or replace
// observes the values in hand (one pass). An append (or an upsert of an existing session) loads the session's
// values only when it completes the session (status completed or a stop reason) or takes the value count past a
// power of two (>= 8), so a session growing by appends is loaded about log2(n) + 1 times in all. One row per
// session (replaced, never added twice); a replace that leaves too little charging removes it.
class ConnectorLimitListener final : public SessionWriteListener {
  public:
    explicit ConnectorLimitListener(const Clock& clock) : clock_(clock) {}
    void OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) override;

  private:
    const Clock& clock_;
};

// The learned rating of the session's connector from its history (without the session itself), given the
// facts its metadata gives; nullopt when metadata gives maxPowerKw or the history is too thin
// (analysis::LearnConnectorLimit). Never another tenant's.
std::optional<analysis::LearnedLimit> LoadLearnedLimit(storage::Transaction& tx, const storage::SessionRecord& session,
                                                       const domain::ConnectorFacts& metadata);

}  // namespace evni::api
