-- The durable job queue (docs/jobs.md), webhooks and their delivery records (docs/webhooks.md).
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL,              -- pending, done, failed
    attempts     INTEGER NOT NULL DEFAULT 0, -- claims so far; also the lease's fencing token
    run_at       INTEGER NOT NULL,           -- pending: claimable from then (due time, or lease expiry)
    lease_until  INTEGER,                    -- set while claimed
    dedupe_key   TEXT,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'pending';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state <> 'pending';
CREATE UNIQUE INDEX jobs_dedupe ON jobs (tenant_id, kind, dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE webhooks (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id),
    url                  TEXT NOT NULL,
    description          TEXT,
    events               TEXT NOT NULL,      -- JSON array of event types
    enabled              INTEGER NOT NULL,
    secret               BLOB NOT NULL,      -- nonce || crypto_secretbox(secret) under the server key
    previous_secret      BLOB,               -- the secret before the last rotation (grace period)
    previous_expires_at  INTEGER,
    failure_count        INTEGER NOT NULL DEFAULT 0,
    disabled_at          INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX webhooks_by_tenant ON webhooks (tenant_id, created_at);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    webhook_id       TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    body             TEXT NOT NULL,          -- the event as sent, frozen at emit time
    status           TEXT NOT NULL,          -- pending, delivered, failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    http_status      INTEGER,
    error            TEXT,
    created_at       INTEGER NOT NULL,
    last_attempt_at  INTEGER,
    next_attempt_at  INTEGER,
    completed_at     INTEGER
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (tenant_id, webhook_id, created_at);
CREATE INDEX webhook_deliveries_completed ON webhook_deliveries (completed_at) WHERE completed_at IS NOT NULL;
