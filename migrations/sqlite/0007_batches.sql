-- Batch uploads (POST /v1/sessions/batch, docs/batch.md): one row per batch, one row per session of
-- it. A pending item keeps its session (fields as JSON without meterValues, the values in the meter
-- chunk encoding) until a batch job writes it through the Sessions service; the item's outcome is
-- recorded in that same transaction, so an item is processed exactly once.
CREATE TABLE batches (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    status        TEXT NOT NULL,           -- pending until completed; completed, completed_with_errors, failed
    total         INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    completed_at  INTEGER
);
CREATE INDEX batches_by_tenant ON batches (tenant_id, created_at);

CREATE TABLE batch_items (
    batch_id      TEXT NOT NULL,
    idx           INTEGER NOT NULL,        -- position in the request's "sessions" array
    tenant_id     TEXT NOT NULL,
    session_id    TEXT,                    -- as sent (null when it was not a string)
    station_id    TEXT,
    state         TEXT NOT NULL,           -- pending, done, failed
    fields        TEXT,                    -- pending: the session object without meterValues
    meter_values  BLOB,                    -- pending: the meter values (meter chunk encoding); null: none sent
    error         TEXT,                    -- failed: why
    processed_at  INTEGER,
    PRIMARY KEY (batch_id, idx)
);
CREATE INDEX batch_items_pending ON batch_items (batch_id, idx) WHERE state = 'pending';
