-- evni schema v1: tenants, API keys, stations, sessions with compact meter value chunks, anomalies.
-- Timestamps are INTEGER milliseconds since the Unix epoch (UTC).
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    prefix       TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE stations (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    station_id  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, station_id)
) WITHOUT ROWID;

CREATE TABLE connectors (
    tenant_id     TEXT NOT NULL,
    station_id    TEXT NOT NULL,
    connector_id  TEXT NOT NULL,
    evse_id       TEXT,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, station_id, connector_id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, station_id)
) WITHOUT ROWID;

CREATE TABLE sessions (
    pk                 INTEGER PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    session_id         TEXT NOT NULL,
    station_id         TEXT NOT NULL,
    connector_id       TEXT,
    evse_id            TEXT,
    metadata           TEXT,
    client_status      TEXT,
    stop_reason        TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    started_at         INTEGER,
    ended_at           INTEGER,
    value_count        INTEGER NOT NULL DEFAULT 0,
    next_chunk         INTEGER NOT NULL DEFAULT 0,
    analyzed_at        INTEGER,
    analysis_failed    INTEGER NOT NULL DEFAULT 0,
    message            TEXT,
    is_anomaly         INTEGER,
    anomaly_score      REAL,
    anomaly_confidence REAL,
    is_incident        INTEGER,
    is_recurring       INTEGER,
    anomaly_count      INTEGER NOT NULL DEFAULT 0,
    analysis_version   INTEGER NOT NULL DEFAULT 0,
    analysis_state     BLOB,
    UNIQUE (tenant_id, session_id)
);
CREATE INDEX sessions_by_created ON sessions (tenant_id, created_at DESC, pk DESC);
CREATE INDEX sessions_by_station ON sessions (tenant_id, station_id, created_at DESC);
CREATE INDEX sessions_by_evse ON sessions (tenant_id, evse_id, created_at DESC);
CREATE INDEX sessions_by_started ON sessions (tenant_id, started_at);

-- Meter values: one row per received chunk, encoded compactly (see storage/meter_codec.h).
CREATE TABLE meter_chunks (
    session_pk   INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    tenant_id    TEXT NOT NULL,
    value_count  INTEGER NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (session_pk, seq)
) WITHOUT ROWID;

CREATE TABLE session_anomalies (
    id            INTEGER PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    session_pk    INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    station_id    TEXT NOT NULL,
    connector_id  TEXT,
    category      TEXT NOT NULL,
    occurrence    INTEGER NOT NULL,
    score         REAL NOT NULL,
    confidence    REAL NOT NULL,
    start_unit    INTEGER NOT NULL,
    end_unit      INTEGER NOT NULL,
    start_ts      INTEGER NOT NULL,
    end_ts        INTEGER NOT NULL,
    detected_at   INTEGER NOT NULL
);
CREATE INDEX session_anomalies_by_session ON session_anomalies (session_pk);
CREATE INDEX session_anomalies_by_connector ON session_anomalies (tenant_id, station_id, connector_id, category, start_ts);
