-- evni schema v1 (PostgreSQL): tenants, API keys, stations, sessions with compact meter value chunks,
-- anomalies. Mirrors migrations/sqlite/0001_init.sql with native types; the application sends and
-- reads timestamps as binary timestamptz, so epoch milliseconds round-trip exactly.
CREATE TABLE tenants (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id           text PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants(id),
    prefix       text NOT NULL UNIQUE,
    secret_hash  text NOT NULL,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    role         text NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at, id);

CREATE TABLE stations (
    tenant_id   text NOT NULL REFERENCES tenants(id),
    station_id  text NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, station_id)
);

CREATE TABLE connectors (
    tenant_id     text NOT NULL,
    station_id    text NOT NULL,
    connector_id  text NOT NULL,
    evse_id       text,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, station_id, connector_id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, station_id)
);

CREATE TABLE sessions (
    pk                 bigserial PRIMARY KEY,
    tenant_id          text NOT NULL REFERENCES tenants(id),
    session_id         text NOT NULL,
    station_id         text NOT NULL,
    connector_id       text,
    evse_id            text,
    metadata           jsonb,
    client_status      text CHECK (client_status IN ('completed', 'invalid')),
    stop_reason        text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    started_at         timestamptz,
    ended_at           timestamptz,
    value_count        bigint NOT NULL DEFAULT 0,
    next_chunk         bigint NOT NULL DEFAULT 0,
    analyzed_at        timestamptz,
    analysis_failed    boolean NOT NULL DEFAULT false,
    message            text,
    is_anomaly         boolean,
    anomaly_score      double precision,
    anomaly_confidence double precision,
    is_incident        boolean,
    is_recurring       boolean,
    anomaly_count      bigint NOT NULL DEFAULT 0,
    analysis_version   bigint NOT NULL DEFAULT 0,
    analysis_state     bytea,
    -- Named: a concurrent insert of the same session violates it and is retried (see pg_store.cpp).
    CONSTRAINT sessions_tenant_session_key UNIQUE (tenant_id, session_id)
);
-- GET /v1/sessions sorts by (created_at DESC, pk DESC) and filters by station, EVSE, anomaly flag,
-- minimum score and confidence, and a date range over coalesce(started_at, created_at).
CREATE INDEX sessions_by_created ON sessions (tenant_id, created_at DESC, pk DESC);
CREATE INDEX sessions_by_station ON sessions (tenant_id, station_id, created_at DESC, pk DESC);
CREATE INDEX sessions_by_evse ON sessions (tenant_id, evse_id, created_at DESC, pk DESC);
CREATE INDEX sessions_by_anomaly ON sessions (tenant_id, is_anomaly, created_at DESC, pk DESC);
CREATE INDEX sessions_by_score ON sessions (tenant_id, anomaly_score);
CREATE INDEX sessions_by_confidence ON sessions (tenant_id, anomaly_confidence);
CREATE INDEX sessions_by_started ON sessions (tenant_id, (coalesce(started_at, created_at)));

-- Meter values: one row per received chunk, encoded compactly (see storage/meter_codec.h).
CREATE TABLE meter_chunks (
    session_pk   bigint NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    seq          bigint NOT NULL,
    tenant_id    text NOT NULL,
    value_count  integer NOT NULL,
    data         bytea NOT NULL,
    PRIMARY KEY (session_pk, seq)
);
-- The chunk encoding is already dense (varint deltas, a string dictionary): skip pglz attempts.
ALTER TABLE meter_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE session_anomalies (
    id            bigserial PRIMARY KEY,
    tenant_id     text NOT NULL,
    session_pk    bigint NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    station_id    text NOT NULL,
    connector_id  text,
    category      text NOT NULL,
    occurrence    integer NOT NULL,
    score         double precision NOT NULL,
    confidence    double precision NOT NULL,
    start_unit    bigint NOT NULL,
    end_unit      bigint NOT NULL,
    start_ts      timestamptz NOT NULL,
    end_ts        timestamptz NOT NULL,
    detected_at   timestamptz NOT NULL
);
CREATE INDEX session_anomalies_by_session ON session_anomalies (session_pk, occurrence);
CREATE INDEX session_anomalies_by_connector
    ON session_anomalies (tenant_id, station_id, connector_id, category, start_ts);
