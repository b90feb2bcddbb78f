-- Complaints received through the accounts (SEC-4, 002 art.4: 客诉信息的受理、答复和回访) and the directory
-- sightings of the unauthorised-accounts scan (ACC-1, 000 §3.1, §3.3; 003 §1.4). Portable DDL (PostgreSQL, SQLite).
--
-- A complaint moves registered -> assigned -> answered -> followed_up; each step has a due time computed when the
-- clock starts, from the account's policy pack (section complaints), whose id and content hash are kept with it.
-- Every change of state is a row of complaint_events (append-only): who, when, through which door, and what.
CREATE TABLE complaints (
    complaint_id      TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (account_id),
    channel           TEXT NOT NULL CHECK (channel IN ('comment', 'message', 'phone', 'email', 'letter', 'other')),
    source_ref        TEXT,               -- the platform's id of the comment or message it came as, if any
    complainant       TEXT,
    contact           TEXT,
    content           TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('registered', 'assigned', 'answered', 'followed_up')),
    received_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    registered_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    registered_by     TEXT NOT NULL,      -- people.person_id, or the pipeline that registered it ("<dag>.<task>")
    assignee_id       TEXT REFERENCES people (person_id),
    assign_due_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    assigned_at       TIMESTAMP WITH TIME ZONE,
    answer_due_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    answered_at       TIMESTAMP WITH TIME ZONE,
    answer            TEXT,
    follow_up_due_at  TIMESTAMP WITH TIME ZONE,   -- set when the answer starts its clock
    followed_up_at    TIMESTAMP WITH TIME ZONE,
    follow_up_note    TEXT,
    outcome           TEXT CHECK (outcome IS NULL OR outcome IN ('satisfied', 'unsatisfied', 'unreachable')),
    policy_id         TEXT NOT NULL,
    policy_sha256     TEXT NOT NULL,
    updated_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    UNIQUE (account_id, source_ref)
);
CREATE INDEX ix_complaints_state ON complaints (state, answer_due_at);
CREATE INDEX ix_complaints_account ON complaints (account_id, received_at);

CREATE TABLE complaint_events (
    event_id      TEXT PRIMARY KEY,
    complaint_id  TEXT NOT NULL REFERENCES complaints (complaint_id),
    from_state    TEXT CHECK (from_state IS NULL OR from_state IN ('registered', 'assigned', 'answered', 'followed_up')),
    to_state      TEXT NOT NULL CHECK (to_state IN ('registered', 'assigned', 'answered', 'followed_up')),
    actor         TEXT NOT NULL,          -- people.person_id, or the pipeline
    via           TEXT NOT NULL CHECK (via IN ('api', 'cli', 'admin_override', 'pipeline')),
    detail        TEXT NOT NULL,          -- JSON: what the step recorded (assignee, answer, note, due times)
    os_user       TEXT,
    occurred_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_complaint_events_complaint ON complaint_events (complaint_id, occurred_at);

-- What the unauthorised-accounts scan saw in the platforms' search results: one row per platform account whose
-- name names or implies the company, registered or not, with when it was first and last seen.
CREATE TABLE directory_sightings (
    platform             TEXT NOT NULL,
    platform_account_id  TEXT NOT NULL,
    screen_name          TEXT NOT NULL,
    followers_count      INTEGER,
    matched_names        TEXT NOT NULL,   -- JSON array of the company names found in the screen name
    unit_id              TEXT REFERENCES org_units (unit_id),
    is_registered        BOOLEAN NOT NULL,
    first_seen_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    last_seen_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (platform, platform_account_id)
);

CREATE INDEX ix_accounts_directory_lookup ON accounts (platform, platform_account_id);
