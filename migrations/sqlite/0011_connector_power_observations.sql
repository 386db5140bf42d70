-- What each analysed session showed about its connector's power (docs/analysis.md "Learned connector limits"):
-- one row per session with enough charging minutes, behind the learned rating POWER_OVER_LIMIT uses when metadata
-- gives no maxPowerKw. connector_id is '' when the session names no connector. current_type: 'AC', 'DC' or ''
-- (unknown); phases: 1..3, 0 when unknown. Read newest first per connector.
CREATE TABLE connector_power_observations (
    session_pk         INTEGER PRIMARY KEY REFERENCES sessions(pk) ON DELETE CASCADE,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    station_id         TEXT NOT NULL,
    connector_id       TEXT NOT NULL,
    sustained_peak_kw  REAL NOT NULL,
    current_type       TEXT NOT NULL,
    phases             INTEGER NOT NULL,
    observed_at        INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX connector_power_observations_by_connector
    ON connector_power_observations (tenant_id, station_id, connector_id, observed_at DESC, session_pk DESC);
