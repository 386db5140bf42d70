-- The durable job queue (docs/jobs.md), webhooks and their delivery records (docs/webhooks.md).
-- Mirrors migrations/sqlite/0003_jobs_webhooks.sql with native types.
CREATE TABLE jobs (
    id           bigserial PRIMARY KEY,
    tenant_id    text NOT NULL,
    kind         text NOT NULL,
    payload      text NOT NULL,
    state        text NOT NULL,
    attempts     bigint NOT NULL DEFAULT 0,
    run_at       timestamptz NOT NULL,
    lease_until  timestamptz,
    dedupe_key   text,
    last_error   text,
    created_at   timestamptz NOT NULL,
    finished_at  timestamptz
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'pending';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state <> 'pending';
CREATE UNIQUE INDEX jobs_dedupe ON jobs (tenant_id, kind, dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE webhooks (
    id                   text PRIMARY KEY,
    tenant_id            text NOT NULL REFERENCES tenants(id),
    url                  text NOT NULL,
    description          text,
    events               text NOT NULL,
    enabled              boolean NOT NULL,
    secret               bytea NOT NULL,
    previous_secret      bytea,
    previous_expires_at  timestamptz,
    failure_count        bigint NOT NULL DEFAULT 0,
    disabled_at          timestamptz,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX webhooks_by_tenant ON webhooks (tenant_id, created_at);

CREATE TABLE webhook_deliveries (
    id               text PRIMARY KEY,
    tenant_id        text NOT NULL,
    webhook_id       text NOT NULL,
    event_id         text NOT NULL,
    event_type       text NOT NULL,
    body             text NOT NULL,
    status           text NOT NULL,
    attempts         bigint NOT NULL DEFAULT 0,
    http_status      bigint,
    error            text,
    created_at       timestamptz NOT NULL,
    last_attempt_at  timestamptz,
    next_attempt_at  timestamptz,
    completed_at     timestamptz
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (tenant_id, webhook_id, created_at);
CREATE INDEX webhook_deliveries_completed ON webhook_deliveries (completed_at) WHERE completed_at IS NOT NULL;
