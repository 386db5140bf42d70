-- Anomalies workspace (docs/anomalies.md): one record per (session, category) kept in step with
-- re-analysis, with its issue (status, assignee), the issue's change history, the risk-score timeline,
-- per-session measurements for statistics and the data-quality snapshot of the background job.
CREATE TABLE anomaly_records (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL,
    session_pk         INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    session_id         TEXT NOT NULL,
    station_id         TEXT NOT NULL,
    connector_id       TEXT,
    evse_id            TEXT,
    category           TEXT NOT NULL,
    score              REAL NOT NULL,
    confidence         REAL NOT NULL,
    occurrences        INTEGER NOT NULL,
    occurred_at        INTEGER NOT NULL,
    occurred_until     INTEGER NOT NULL,
    ranges             TEXT NOT NULL,
    first_detected_at  INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    closed_at          INTEGER,
    issue_id           TEXT NOT NULL UNIQUE,
    issue_status       TEXT NOT NULL,
    assigned_to        TEXT,
    issue_updated_at   INTEGER NOT NULL,
    UNIQUE (session_pk, category)
);
CREATE INDEX anomaly_records_by_occurred ON anomaly_records (tenant_id, occurred_at DESC);
CREATE INDEX anomaly_records_by_score ON anomaly_records (tenant_id, score);
CREATE INDEX anomaly_records_by_session ON anomaly_records (tenant_id, session_id);
CREATE INDEX anomaly_records_by_connector ON anomaly_records (tenant_id, station_id, connector_id);
CREATE INDEX anomaly_records_by_status ON anomaly_records (tenant_id, issue_status);
CREATE INDEX anomaly_records_by_assignee ON anomaly_records (tenant_id, assigned_to);

CREATE TABLE anomaly_score_points (
    record_id         TEXT NOT NULL REFERENCES anomaly_records(id) ON DELETE CASCADE,
    at                INTEGER NOT NULL,
    tenant_id         TEXT NOT NULL,
    analysis_version  INTEGER NOT NULL,
    score             REAL NOT NULL,
    confidence        REAL NOT NULL,
    PRIMARY KEY (record_id, at)
) WITHOUT ROWID;

CREATE TABLE anomaly_issue_history (
    id             INTEGER PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    issue_id       TEXT NOT NULL,
    at             INTEGER NOT NULL,
    actor          TEXT NOT NULL,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    from_assignee  TEXT,
    to_assignee    TEXT
);
CREATE INDEX anomaly_issue_history_by_issue ON anomaly_issue_history (tenant_id, issue_id, at, id);

-- Measured by the statistics.data_quality job from the stored meter values (source_updated_at: the
-- session's updated_at when measured; a later write makes the row stale).
CREATE TABLE session_measurements (
    session_pk          INTEGER PRIMARY KEY REFERENCES sessions(pk) ON DELETE CASCADE,
    tenant_id           TEXT NOT NULL,
    source_updated_at   INTEGER NOT NULL,
    measured_at         INTEGER NOT NULL,
    energy_kwh          REAL,
    delivered_kwh       REAL,
    total_cost          REAL,
    tariff_per_kwh      REAL,
    has_duplicates      INTEGER NOT NULL,
    missing_measurands  INTEGER NOT NULL,
    reconstructed_soc   INTEGER NOT NULL,
    invalid_timestamps  INTEGER NOT NULL
);
CREATE INDEX session_measurements_by_tenant ON session_measurements (tenant_id);

CREATE TABLE data_quality_snapshots (
    tenant_id    TEXT PRIMARY KEY,
    computed_at  INTEGER NOT NULL,
    summary      TEXT NOT NULL
) WITHOUT ROWID;
