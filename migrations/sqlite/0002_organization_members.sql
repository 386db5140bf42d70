-- Organization settings, members, invitations, personal access tokens and the audit log.
CREATE TABLE organizations (
    tenant_id       TEXT PRIMARY KEY REFERENCES tenants(id),
    id              TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    phone           TEXT,
    address         TEXT,
    tax_id_type     TEXT,
    tax_id_value    TEXT,
    tariff_per_kwh  REAL,
    currency        TEXT,
    time_zone       TEXT NOT NULL DEFAULT 'UTC',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER
);
INSERT INTO organizations (tenant_id, id, name, created_at)
    SELECT id, lower(hex(randomblob(16))), name, created_at FROM tenants;

CREATE TABLE members (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    user_id     TEXT NOT NULL,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL,
    joined_at   INTEGER NOT NULL,
    invited_by  TEXT,
    PRIMARY KEY (tenant_id, user_id),
    UNIQUE (tenant_id, email)
) WITHOUT ROWID;

CREATE TABLE invitations (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    email        TEXT NOT NULL,
    role         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    invited_by   TEXT NOT NULL,
    invited_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    accepted_at  INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX invitations_by_tenant ON invitations (tenant_id, invited_at);

-- A key that belongs to a member (a personal access token) takes the member's current role.
ALTER TABLE api_keys ADD COLUMN member_id TEXT;
CREATE INDEX api_keys_by_member ON api_keys (tenant_id, member_id);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    details      TEXT
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, at DESC, id DESC);
