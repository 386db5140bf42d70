-- Explain and ask (docs/explain.md): cached explanations and the per-session question log.
-- One cached explanation per (session, lang, style); it is served only while analysis_version and
-- facts_digest still match the session, so a new analysis invalidates it.
CREATE TABLE session_explanations (
    session_pk        INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    lang              TEXT NOT NULL,
    style             TEXT NOT NULL,
    tenant_id         TEXT NOT NULL,
    analysis_version  INTEGER NOT NULL,
    facts_digest      TEXT NOT NULL,
    explanation       TEXT NOT NULL,
    provider          TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (session_pk, lang, style)
) WITHOUT ROWID;

-- Every question asked about a session and the answer given (audit).
CREATE TABLE session_questions (
    id          INTEGER PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    session_pk  INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    asked_at    INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    question    TEXT NOT NULL,
    lang        TEXT NOT NULL,
    intent      TEXT NOT NULL,
    answer      TEXT NOT NULL,
    provider    TEXT NOT NULL,
    answered    INTEGER NOT NULL
);
CREATE INDEX session_questions_by_session ON session_questions (session_pk, asked_at DESC, id DESC);
