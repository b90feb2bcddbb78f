-- Changes, handovers and delegated access (issue 15, items 4 and 5). Portable DDL (PostgreSQL and SQLite).
--
-- ACC-4: each change of an account's name, management team or maintenance method, with its effective day, the
-- working-day deadline of its written filing and the filing itself. The change's account_events row
-- ('change_filed', filed_at NULL until filed) is what the cadence scan's standing ACC-4 rule judges; this table keeps
-- what the event row has no column for.
CREATE TABLE account_changes (
    change_id      TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (account_id),
    event_id       TEXT NOT NULL UNIQUE REFERENCES account_events (event_id),
    change_kind    TEXT NOT NULL CHECK (change_kind IN ('account_name', 'management_team', 'maintenance_method')),
    old_value      TEXT,
    new_value      TEXT NOT NULL,
    effective_on   DATE NOT NULL,
    deadline_on    DATE NOT NULL,                -- the last working day the filing is in time
    reported_by    TEXT NOT NULL REFERENCES people (person_id),
    reported_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    filed_by       TEXT REFERENCES people (person_id),
    filed_at       TIMESTAMP WITH TIME ZONE,
    filing_ref     TEXT,
    handover_id    TEXT,                         -- a management-team change filed by a handover
    policy_id      TEXT NOT NULL,
    policy_sha256  TEXT NOT NULL
);
CREATE INDEX ix_account_changes_account ON account_changes (account_id, effective_on);

-- ACC-5: a handover of an account's operator post, filed with the competent department (its receipt).
CREATE TABLE account_handovers (
    handover_id     TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (account_id),
    event_id        TEXT NOT NULL UNIQUE REFERENCES account_events (event_id),
    from_person_id  TEXT REFERENCES people (person_id),
    to_person_id    TEXT NOT NULL REFERENCES people (person_id),
    effective_on    DATE NOT NULL,
    receipt_ref     TEXT NOT NULL,
    receipt_by      TEXT NOT NULL REFERENCES people (person_id),
    receipt_on      DATE NOT NULL,
    filed_by        TEXT NOT NULL REFERENCES people (person_id),
    filed_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    policy_id       TEXT NOT NULL,
    policy_sha256   TEXT NOT NULL
);
CREATE INDEX ix_account_handovers_account ON account_handovers (account_id, effective_on);

-- SEC-1 / ACC-5: the rotation of an account's platform credential after a handover. Never the credential itself:
-- a fingerprint (first 12 hex digits of the new token's SHA-256) shows that it changed.
CREATE TABLE credential_rotations (
    rotation_id    TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (account_id),
    handover_id    TEXT REFERENCES account_handovers (handover_id),
    platform       TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'not_applicable')),
    method         TEXT,
    fingerprint    TEXT,
    detail         TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    requested_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at    TIMESTAMP WITH TIME ZONE
);
CREATE INDEX ix_credential_rotations_state ON credential_rotations (state, requested_at);

-- PUB-6 (002 art.12): a unit's time-boxed publishing rights on a Weibo account for an interactive or live activity.
CREATE TABLE delegations (
    delegation_id    TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (account_id),
    unit_id          TEXT NOT NULL REFERENCES org_units (unit_id),
    activity_kind    TEXT NOT NULL CHECK (activity_kind IN ('interactive', 'live')),
    title            TEXT NOT NULL,
    window_start_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    window_end_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('applied', 'granted', 'rejected', 'revoked', 'expired')),
    applied_by       TEXT NOT NULL REFERENCES people (person_id),
    applied_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    decided_by       TEXT REFERENCES people (person_id),
    decided_at       TIMESTAMP WITH TIME ZONE,
    ended_by         TEXT REFERENCES people (person_id),  -- NULL when the window ran out (automatic)
    ended_at         TIMESTAMP WITH TIME ZONE,
    reason           TEXT,
    policy_id        TEXT NOT NULL,
    policy_sha256    TEXT NOT NULL,
    updated_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    CHECK (window_end_at > window_start_at)
);
CREATE INDEX ix_delegations_state_end ON delegations (state, window_end_at);
CREATE INDEX ix_delegations_account ON delegations (account_id, window_start_at);

CREATE TABLE delegation_people (
    delegation_id  TEXT NOT NULL REFERENCES delegations (delegation_id),
    person_id      TEXT NOT NULL REFERENCES people (person_id),
    PRIMARY KEY (delegation_id, person_id)
);

-- Every state change of a delegation, with who and why (NULL actor: Herald's scheduled revocation).
CREATE TABLE delegation_events (
    event_id       TEXT PRIMARY KEY,
    delegation_id  TEXT NOT NULL REFERENCES delegations (delegation_id),
    state          TEXT NOT NULL,
    actor_id       TEXT REFERENCES people (person_id),
    reason         TEXT,
    occurred_at    TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_delegation_events_delegation ON delegation_events (delegation_id, occurred_at);

-- Posts queued under a delegation (a delegated unit's people may queue only inside its window).
CREATE TABLE delegation_posts (
    post_id        TEXT PRIMARY KEY REFERENCES posts (post_id),
    delegation_id  TEXT NOT NULL REFERENCES delegations (delegation_id)
);
CREATE INDEX ix_delegation_posts_delegation ON delegation_posts (delegation_id);
