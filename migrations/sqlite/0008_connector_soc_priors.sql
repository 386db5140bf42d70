-- Battery capacity history per connector, behind the SoC reconstruction's prior (docs/soc_prior.md): one row
-- per session whose reported SoC readings gave a direct capacity estimate (energy / ΔSoC). connector_id is ''
-- when the session names no connector. Read newest first per connector (and per tenant as the fallback).
CREATE TABLE connector_soc_priors (
    session_pk     INTEGER PRIMARY KEY REFERENCES sessions(pk) ON DELETE CASCADE,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    station_id     TEXT NOT NULL,
    connector_id   TEXT NOT NULL,
    peak_power_kw  REAL NOT NULL,
    capacity_kwh   REAL NOT NULL,
    weight         REAL NOT NULL,
    observed_at    INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX connector_soc_priors_by_connector
    ON connector_soc_priors (tenant_id, station_id, connector_id, observed_at DESC, session_pk DESC);
CREATE INDEX connector_soc_priors_by_tenant ON connector_soc_priors (tenant_id, observed_at DESC, session_pk DESC);
