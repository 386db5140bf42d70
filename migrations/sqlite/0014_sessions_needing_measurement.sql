-- The statistics.data_quality job measures the sessions written since their last measurement (docs/statistics.md).
-- It used to find them by joining every session with its measurement on each run; a flag, set by a session write
-- that changes values or metadata and cleared by the measurement of that version, and a partial index holding
-- only the flagged sessions let it read just those.
ALTER TABLE sessions ADD COLUMN needs_measurement INTEGER NOT NULL DEFAULT 1;
UPDATE sessions SET needs_measurement = 0 WHERE EXISTS (
    SELECT 1 FROM session_measurements m WHERE m.session_pk = sessions.pk AND m.source_updated_at >= sessions.updated_at);
CREATE INDEX sessions_needing_measurement ON sessions (pk) WHERE needs_measurement = 1;
