-- Stations: merged metadata, aggregates kept by the session write listener (api/station_aggregates.h), anomaly
-- counts per category and connector, and the station model's results per station and UTC day.
ALTER TABLE stations ADD COLUMN metadata TEXT;
ALTER TABLE stations ADD COLUMN total_sessions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stations ADD COLUMN anomalous_sessions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stations ADD COLUMN max_score REAL;
ALTER TABLE stations ADD COLUMN latest_score REAL;
ALTER TABLE stations ADD COLUMN latest_score_at INTEGER;
ALTER TABLE stations ADD COLUMN last_anomaly_at INTEGER;
ALTER TABLE stations ADD COLUMN last_activity_at INTEGER;

ALTER TABLE connectors ADD COLUMN metadata TEXT;
ALTER TABLE connectors ADD COLUMN total_sessions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connectors ADD COLUMN anomalous_sessions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connectors ADD COLUMN max_score REAL;
ALTER TABLE connectors ADD COLUMN latest_score REAL;
ALTER TABLE connectors ADD COLUMN latest_score_at INTEGER;
ALTER TABLE connectors ADD COLUMN last_anomaly_at INTEGER;

-- Anomalies per category; connector_id '' for sessions that name no connector.
CREATE TABLE station_category_counts (
    tenant_id     TEXT NOT NULL,
    station_id    TEXT NOT NULL,
    connector_id  TEXT NOT NULL,
    category      TEXT NOT NULL,
    anomalies     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, station_id, connector_id, category)
) WITHOUT ROWID;

-- One station model result per station and UTC day (day = epoch ms of its midnight).
CREATE TABLE station_days (
    tenant_id     TEXT NOT NULL,
    station_id    TEXT NOT NULL,
    day           INTEGER NOT NULL,
    inference_id  TEXT NOT NULL,
    analyzed_at   INTEGER NOT NULL,
    is_anomaly    INTEGER NOT NULL,
    day_score     REAL NOT NULL,
    anomaly_type  TEXT,
    expected_kwh  REAL NOT NULL,
    actual_kwh    REAL NOT NULL,
    details       TEXT NOT NULL,
    timeline      TEXT NOT NULL,
    markers       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, station_id, day)
) WITHOUT ROWID;

CREATE INDEX stations_by_activity ON stations (last_activity_at);
CREATE INDEX sessions_by_station_started ON sessions (tenant_id, station_id, started_at);

-- Aggregates of the sessions stored before this migration.
UPDATE stations SET
    total_sessions = (SELECT count(*) FROM sessions s WHERE s.tenant_id = stations.tenant_id AND s.station_id = stations.station_id),
    anomalous_sessions = (SELECT count(*) FROM sessions s WHERE s.tenant_id = stations.tenant_id AND s.station_id = stations.station_id AND s.is_anomaly = 1),
    max_score = (SELECT max(anomaly_score) FROM sessions s WHERE s.tenant_id = stations.tenant_id AND s.station_id = stations.station_id),
    latest_score = (SELECT anomaly_score FROM sessions s WHERE s.tenant_id = stations.tenant_id AND s.station_id = stations.station_id AND s.analyzed_at IS NOT NULL ORDER BY s.analyzed_at DESC, s.pk DESC LIMIT 1),
    latest_score_at = (SELECT max(analyzed_at) FROM sessions s WHERE s.tenant_id = stations.tenant_id AND s.station_id = stations.station_id),
    last_anomaly_at = (SELECT max(coalesce(started_at, created_at)) FROM sessions s WHERE s.tenant_id = stations.tenant_id AND s.station_id = stations.station_id AND s.is_anomaly = 1),
    last_activity_at = (SELECT max(coalesce(ended_at, started_at, created_at)) FROM sessions s WHERE s.tenant_id = stations.tenant_id AND s.station_id = stations.station_id);
UPDATE connectors SET
    total_sessions = (SELECT count(*) FROM sessions s WHERE s.tenant_id = connectors.tenant_id AND s.station_id = connectors.station_id AND s.connector_id = connectors.connector_id),
    anomalous_sessions = (SELECT count(*) FROM sessions s WHERE s.tenant_id = connectors.tenant_id AND s.station_id = connectors.station_id AND s.connector_id = connectors.connector_id AND s.is_anomaly = 1),
    max_score = (SELECT max(anomaly_score) FROM sessions s WHERE s.tenant_id = connectors.tenant_id AND s.station_id = connectors.station_id AND s.connector_id = connectors.connector_id),
    latest_score = (SELECT anomaly_score FROM sessions s WHERE s.tenant_id = connectors.tenant_id AND s.station_id = connectors.station_id AND s.connector_id = connectors.connector_id AND s.analyzed_at IS NOT NULL ORDER BY s.analyzed_at DESC, s.pk DESC LIMIT 1),
    latest_score_at = (SELECT max(analyzed_at) FROM sessions s WHERE s.tenant_id = connectors.tenant_id AND s.station_id = connectors.station_id AND s.connector_id = connectors.connector_id),
    last_anomaly_at = (SELECT max(coalesce(started_at, created_at)) FROM sessions s WHERE s.tenant_id = connectors.tenant_id AND s.station_id = connectors.station_id AND s.connector_id = connectors.connector_id AND s.is_anomaly = 1);
INSERT INTO station_category_counts (tenant_id, station_id, connector_id, category, anomalies)
    SELECT a.tenant_id, a.station_id, coalesce(a.connector_id, ''), a.category, count(*)
    FROM session_anomalies a GROUP BY a.tenant_id, a.station_id, coalesce(a.connector_id, ''), a.category;
