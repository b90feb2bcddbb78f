-- Comment watch (SEC-2, SEC-3; 003 §3.3.2-3.3.4): comments pulled from WeChat and Weibo, screened, and the
-- illegal or reputation-damaging ones escalated to the host unit's head and the competent department.
-- Portable DDL (PostgreSQL and SQLite); keys are assigned by the application.

-- Where each account's pull stopped: a Weibo account has one source ('to_me', the largest comment id seen);
-- a WeChat account one per watched article ('<msg_data_id>:<index>', how many comments were read).
CREATE TABLE comment_cursors (
    account_id   TEXT NOT NULL REFERENCES accounts (account_id),
    source_key   TEXT NOT NULL,
    high_water   TEXT NOT NULL,
    pulled_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (account_id, source_key)
);

-- Every comment pulled, once (comment_key = '<platform>:<account_id>:<platform comment id>'), with its screening.
CREATE TABLE comments (
    comment_key          TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL REFERENCES accounts (account_id),
    platform             TEXT NOT NULL,
    source_key           TEXT NOT NULL,
    platform_comment_id  TEXT NOT NULL,
    author_ref           TEXT,
    content              TEXT NOT NULL,
    commented_at         TIMESTAMP WITH TIME ZONE,
    pulled_at            TIMESTAMP WITH TIME ZONE NOT NULL,
    verdict              TEXT NOT NULL CHECK (verdict IN ('clean', 'negative', 'reputation', 'illegal')),
    is_negative          BOOLEAN NOT NULL,
    hits                 TEXT NOT NULL,
    lexicon_sha256       TEXT NOT NULL,
    record_sha256        TEXT NOT NULL
);
CREATE INDEX ix_comments_negative ON comments (account_id, is_negative, pulled_at);

-- One escalation per escalated comment or crisis finding (subject_key): recorded once, sent once per target.
CREATE TABLE comment_escalations (
    escalation_id    TEXT PRIMARY KEY,
    subject_key      TEXT NOT NULL UNIQUE,
    comment_key      TEXT REFERENCES comments (comment_key),
    finding_id       TEXT,
    account_id       TEXT NOT NULL REFERENCES accounts (account_id),
    host_unit_id     TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('illegal', 'reputation', 'crisis')),
    summary          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'sent')),
    evidence_path    TEXT,
    evidence_sha256  TEXT,
    detected_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    sent_at          TIMESTAMP WITH TIME ZONE,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT
);
CREATE INDEX ix_comment_escalations_state ON comment_escalations (state, detected_at);
CREATE INDEX ix_comment_escalations_account ON comment_escalations (account_id, detected_at);

-- What was delivered where: a message reached this target on this channel. Re-runs send only what is missing.
CREATE TABLE comment_deliveries (
    escalation_id  TEXT NOT NULL REFERENCES comment_escalations (escalation_id),
    audience       TEXT NOT NULL CHECK (audience IN ('host_unit', 'competent_department')),
    unit_id        TEXT NOT NULL,
    channel        TEXT NOT NULL,
    delivered_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (escalation_id, audience, unit_id, channel)
);
