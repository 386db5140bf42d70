-- What each analysed session showed about its connector's power (docs/analysis.md "Learned connector limits"):
-- one row per session with enough charging minutes, behind the learned rating POWER_OVER_LIMIT uses when metadata
-- gives no maxPowerKw. connector_id is '' when the session names no connector. current_type: 'AC', 'DC' or ''
-- (unknown); phases: 1..3, 0 when unknown. Read newest first per connector.
CREATE TABLE connector_power_observations (
    session_pk         bigint PRIMARY KEY REFERENCES sessions(pk) ON DELETE CASCADE,
    tenant_id          text NOT NULL REFERENCES tenants(id),
    station_id         text NOT NULL,
    connector_id       text NOT NULL,
    sustained_peak_kw  double precision NOT NULL,
    current_type       text NOT NULL,
    phases             integer NOT NULL,
    observed_at        timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX connector_power_observations_by_connector
    ON connector_power_observations (tenant_id, station_id, connector_id, observed_at DESC, session_pk DESC);
