-- Models (docs/models.md): the tenant's fine-tuned models of the session engine and the fine-tune
-- jobs that made them. The built-in base model is not a row. At most one model per tenant is active
-- (none: the base model is); its threshold decides isAnomaly on the tenant's session writes.
CREATE TABLE models (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    base_model    TEXT NOT NULL,
    status        TEXT NOT NULL,
    threshold     REAL NOT NULL,
    metrics       TEXT NOT NULL,
    description   TEXT,
    fine_tune_id  TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX models_by_tenant ON models (tenant_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX models_one_active ON models (tenant_id) WHERE status = 'active';

CREATE TABLE model_fine_tunes (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    base_model_id  TEXT NOT NULL,
    name           TEXT NOT NULL,
    config         TEXT NOT NULL,
    status         TEXT NOT NULL,
    result_model_id TEXT,
    error_message  TEXT,
    created_at     INTEGER NOT NULL,
    started_at     INTEGER,
    completed_at   INTEGER
);
CREATE INDEX model_fine_tunes_by_tenant ON model_fine_tunes (tenant_id, created_at DESC);
