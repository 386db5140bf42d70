-- The statistics.data_quality job measures the sessions written since their last measurement (docs/statistics.md).
-- It found them by joining every session with its measurement on each run, reading the whole sessions table every
-- few minutes. A session write now queues the session here (a no-op when it is queued already, so an append
-- writes nothing), and the job's measurement of the latest version takes it off.
CREATE TABLE sessions_to_measure (
    session_pk  BIGINT PRIMARY KEY REFERENCES sessions(pk) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL
);
INSERT INTO sessions_to_measure (session_pk, tenant_id)
    SELECT s.pk, s.tenant_id FROM sessions s LEFT JOIN session_measurements m ON m.session_pk = s.pk
    WHERE m.session_pk IS NULL OR m.source_updated_at < s.updated_at;
