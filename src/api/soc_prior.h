#pragma once

// The per-connector SoC prior of the server (docs/soc_prior.md): a session write listener that keeps the
// battery capacity history (table connector_soc_priors) in step with the sessions that report SoC, and the read
// that turns it into the reconstruction's prior for GET /v1/sessions/{id}.

#include <optional>
#include <string>

#include "analysis/soc_prior.h"
#include "api/session_listener.h"
#include "storage/store.h"
#include "util/time.h"

namespace evni::api {

// Records a session's direct capacity estimate (>= 2 usable SoC readings: energy / ΔSoC) per connector.
// Cheap on the write path: a write without SoC readings costs a scan of its values; an insert or replace with
// >= 2 SoC readings estimates from the values in hand (one pass) and writes one row. An append (or an upsert of an
// existing session) loads the session's values only when it completes the session (status completed or a stop
// reason: the final estimate) or brings SoC readings and takes the value count past a power of two (>= 8: an
// interim estimate for sessions never completed), so a session growing by appends is loaded about log2(n) + 1
// times in all (amortised O(1) per value), never per append.
class SocPriorListener final : public SessionWriteListener {
  public:
    explicit SocPriorListener(const Clock& clock) : clock_(clock) {}
    // The capacity estimate of a new session's values (std::optional<analysis::PriorObservation>).
    std::any Prepare(std::span<const domain::MeterValue> values) const override;
    void OnSessionWritten(storage::Transaction& tx, const SessionWrite& write) override;

  private:
    const Clock& clock_;
};

// The EV's maximum power request from session metadata `evMaxPowerKw` (a number or numeric string > 0, kW): ISO
// 15118 EVMaximumPowerLimit / OCPP 2.0.1 evMaxPower, the "same car model" key of the prior (SocOptions).
std::optional<double> EvMaxPowerFromMetadata(const std::optional<std::string>& metadata_json);

// The prior for a session's reconstruction: its connector's history (without the session itself) and, when that
// is thin, the tenant's other connectors (analysis::BuildSocPrior). Never another tenant's. nullopt without history.
// with_soc_reading: the session has a SoC reading; only then can the engine's "sessions like this one" match use the
// station's sessions, which are read only then.
std::optional<analysis::SocPrior> LoadSocPrior(storage::Transaction& tx, const storage::SessionRecord& session,
                                               bool with_soc_reading);

}  // namespace evni::api
