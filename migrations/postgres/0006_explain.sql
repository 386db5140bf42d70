-- Explain and ask (docs/explain.md): cached explanations and the per-session question log.
-- Mirrors migrations/sqlite/0006_explain.sql with native types.
CREATE TABLE session_explanations (
    session_pk        bigint NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    lang              text NOT NULL,
    style             text NOT NULL,
    tenant_id         text NOT NULL,
    analysis_version  bigint NOT NULL,
    facts_digest      text NOT NULL,
    explanation       text NOT NULL,
    provider          text NOT NULL,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (session_pk, lang, style)
);

CREATE TABLE session_questions (
    id          bigserial PRIMARY KEY,
    tenant_id   text NOT NULL,
    session_pk  bigint NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    asked_at    timestamptz NOT NULL,
    actor       text NOT NULL,
    question    text NOT NULL,
    lang        text NOT NULL,
    intent      text NOT NULL,
    answer      text NOT NULL,
    provider    text NOT NULL,
    answered    boolean NOT NULL
);
CREATE INDEX session_questions_by_session ON session_questions (session_pk, asked_at DESC, id DESC);
