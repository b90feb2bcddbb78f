-- Timed release (issue 4): what is staged before the second, the platform's ids stored right after
-- the call, and the hand-offs of manual channels.

-- The platform's ids of the accepted submission (JSON: publish_id, msg_id, idstr, item_id ...),
-- written before anything else once the platform answers; NULL while the outcome is unknown.
ALTER TABLE posts ADD COLUMN platform_ref TEXT;
-- A retryable outcome (system busy, quota, stale token) sends the post back to 'approved' with the
-- time before which it must not be tried again; NULL means "at publish_at".
ALTER TABLE posts ADD COLUMN dispatch_not_before_at TIMESTAMP WITH TIME ZONE;

-- Everything prepared before the publish second (draft media_id, preview, checks passed), bound to
-- the content hash it was prepared for: the claim at the second acts only if the hash still matches.
CREATE TABLE dispatch_staging (
    post_id       TEXT PRIMARY KEY REFERENCES posts (post_id),
    content_hash  TEXT NOT NULL,
    channel       TEXT NOT NULL,               -- wechat_article, wechat_mass, weibo, cms, manual
    operator_id   TEXT REFERENCES people (person_id),   -- the designated operator (PUB-3)
    staged        TEXT NOT NULL,               -- JSON from the channel's stage()
    staged_at     TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Manual channels (QQ groups, Tieba, forums): the operator is handed the item at its time and
-- confirms the published link before the deadline; a missed deadline is a finding.
CREATE TABLE manual_handoffs (
    post_id          TEXT PRIMARY KEY REFERENCES posts (post_id),
    operator_id      TEXT NOT NULL REFERENCES people (person_id),
    handoff          TEXT NOT NULL,            -- JSON of herald.platforms.manual.Handoff
    handed_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    deadline_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    confirmed_link   TEXT,
    confirmed_by     TEXT REFERENCES people (person_id),
    confirmed_at     TIMESTAMP WITH TIME ZONE,
    is_late          BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX ix_manual_handoffs_open ON manual_handoffs (confirmed_at, deadline_at);
CREATE INDEX ix_dispatch_attempts_post ON dispatch_attempts (post_id, attempt_no);
