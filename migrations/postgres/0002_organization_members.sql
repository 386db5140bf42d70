-- Organization settings, members, invitations, personal access tokens and the audit log.
-- Mirrors migrations/sqlite/0002_organization_members.sql with native types.
CREATE TABLE organizations (
    tenant_id       text PRIMARY KEY REFERENCES tenants(id),
    id              text NOT NULL UNIQUE,
    name            text NOT NULL,
    phone           text,
    address         text,
    tax_id_type     text,
    tax_id_value    text,
    tariff_per_kwh  double precision,
    currency        text,
    time_zone       text NOT NULL DEFAULT 'UTC',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz
);
-- 32 lowercase hex digits, like SQLite's lower(hex(randomblob(16))).
INSERT INTO organizations (tenant_id, id, name, created_at)
    SELECT id, replace(gen_random_uuid()::text, '-', ''), name, created_at FROM tenants;

CREATE TABLE members (
    tenant_id   text NOT NULL REFERENCES tenants(id),
    user_id     text NOT NULL,
    email       text NOT NULL,
    role        text NOT NULL,
    joined_at   timestamptz NOT NULL,
    invited_by  text,
    PRIMARY KEY (tenant_id, user_id),
    UNIQUE (tenant_id, email)
);
CREATE INDEX members_by_joined ON members (tenant_id, joined_at, user_id);

CREATE TABLE invitations (
    id           text PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants(id),
    email        text NOT NULL,
    role         text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    invited_by   text NOT NULL,
    invited_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX invitations_by_tenant ON invitations (tenant_id, invited_at, id);
CREATE INDEX invitations_by_email ON invitations (tenant_id, email);

-- A key that belongs to a member (a personal access token) takes the member's current role.
ALTER TABLE api_keys ADD COLUMN member_id text;
CREATE INDEX api_keys_by_member ON api_keys (tenant_id, member_id);

CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    tenant_id    text NOT NULL,
    at           timestamptz NOT NULL,
    actor        text NOT NULL,
    action       text NOT NULL,
    target_type  text NOT NULL,
    target_id    text NOT NULL,
    details      jsonb
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, at DESC, id DESC);
