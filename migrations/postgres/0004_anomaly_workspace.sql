-- Anomalies workspace. Mirrors migrations/sqlite/0004_anomaly_workspace.sql with native types.
CREATE TABLE anomaly_records (
    id                 text PRIMARY KEY,
    tenant_id          text NOT NULL,
    session_pk         bigint NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    session_id         text NOT NULL,
    station_id         text NOT NULL,
    connector_id       text,
    evse_id            text,
    category           text NOT NULL,
    score              double precision NOT NULL,
    confidence         double precision NOT NULL,
    occurrences        bigint NOT NULL,
    occurred_at        timestamptz NOT NULL,
    occurred_until     timestamptz NOT NULL,
    ranges             text NOT NULL,
    first_detected_at  timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    closed_at          timestamptz,
    issue_id           text NOT NULL UNIQUE,
    issue_status       text NOT NULL,
    assigned_to        text,
    issue_updated_at   timestamptz NOT NULL,
    UNIQUE (session_pk, category)
);
CREATE INDEX anomaly_records_by_occurred ON anomaly_records (tenant_id, occurred_at DESC);
CREATE INDEX anomaly_records_by_score ON anomaly_records (tenant_id, score);
CREATE INDEX anomaly_records_by_session ON anomaly_records (tenant_id, session_id);
CREATE INDEX anomaly_records_by_connector ON anomaly_records (tenant_id, station_id, connector_id);
CREATE INDEX anomaly_records_by_status ON anomaly_records (tenant_id, issue_status);
CREATE INDEX anomaly_records_by_assignee ON anomaly_records (tenant_id, assigned_to);

CREATE TABLE anomaly_score_points (
    record_id         text NOT NULL REFERENCES anomaly_records(id) ON DELETE CASCADE,
    at                timestamptz NOT NULL,
    tenant_id         text NOT NULL,
    analysis_version  bigint NOT NULL,
    score             double precision NOT NULL,
    confidence        double precision NOT NULL,
    PRIMARY KEY (record_id, at)
);

CREATE TABLE anomaly_issue_history (
    id             bigserial PRIMARY KEY,
    tenant_id      text NOT NULL,
    issue_id       text NOT NULL,
    at             timestamptz NOT NULL,
    actor          text NOT NULL,
    from_status    text,
    to_status      text NOT NULL,
    from_assignee  text,
    to_assignee    text
);
CREATE INDEX anomaly_issue_history_by_issue ON anomaly_issue_history (tenant_id, issue_id, at, id);

CREATE TABLE session_measurements (
    session_pk          bigint PRIMARY KEY REFERENCES sessions(pk) ON DELETE CASCADE,
    tenant_id           text NOT NULL,
    source_updated_at   timestamptz NOT NULL,
    measured_at         timestamptz NOT NULL,
    energy_kwh          double precision,
    delivered_kwh       double precision,
    total_cost          double precision,
    tariff_per_kwh      double precision,
    has_duplicates      bigint NOT NULL,
    missing_measurands  bigint NOT NULL,
    reconstructed_soc   bigint NOT NULL,
    invalid_timestamps  bigint NOT NULL
);
CREATE INDEX session_measurements_by_tenant ON session_measurements (tenant_id);

CREATE TABLE data_quality_snapshots (
    tenant_id    text PRIMARY KEY,
    computed_at  timestamptz NOT NULL,
    summary      text NOT NULL
);
