-- SESSION_OVERLAP reads the other sessions on the same connector that started in a bounded window before the
-- session's end (docs/analysis.md). Without this index each analysing write read every session of the station.
CREATE INDEX sessions_by_connector_started ON sessions (tenant_id, station_id, connector_id, started_at);
