-- Batch uploads (docs/batch.md). Mirrors migrations/sqlite/0007_batches.sql with native types.
CREATE TABLE batches (
    id            text PRIMARY KEY,
    tenant_id     text NOT NULL REFERENCES tenants(id),
    status        text NOT NULL,
    total         bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    completed_at  timestamptz
);
CREATE INDEX batches_by_tenant ON batches (tenant_id, created_at);

CREATE TABLE batch_items (
    batch_id      text NOT NULL,
    idx           bigint NOT NULL,
    tenant_id     text NOT NULL,
    session_id    text,
    station_id    text,
    state         text NOT NULL,
    fields        text,
    meter_values  bytea,
    error         text,
    processed_at  timestamptz,
    PRIMARY KEY (batch_id, idx)
);
CREATE INDEX batch_items_pending ON batch_items (batch_id, idx) WHERE state = 'pending';
