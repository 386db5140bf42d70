-- Models (docs/models.md): mirrors migrations/sqlite/0012_models.sql with native types.
CREATE TABLE models (
    id            text PRIMARY KEY,
    tenant_id     text NOT NULL,
    name          text NOT NULL,
    version       text NOT NULL,
    base_model    text NOT NULL,
    status        text NOT NULL,
    threshold     double precision NOT NULL,
    metrics       text NOT NULL,
    description   text,
    fine_tune_id  text,
    created_at    timestamptz NOT NULL
);
CREATE INDEX models_by_tenant ON models (tenant_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX models_one_active ON models (tenant_id) WHERE status = 'active';

CREATE TABLE model_fine_tunes (
    id              text PRIMARY KEY,
    tenant_id       text NOT NULL,
    base_model_id   text NOT NULL,
    name            text NOT NULL,
    config          text NOT NULL,
    status          text NOT NULL,
    result_model_id text,
    error_message   text,
    created_at      timestamptz NOT NULL,
    started_at      timestamptz,
    completed_at    timestamptz
);
CREATE INDEX model_fine_tunes_by_tenant ON model_fine_tunes (tenant_id, created_at DESC);
