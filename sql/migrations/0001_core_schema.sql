-- Herald core schema, version 1. Portable DDL: runs unchanged on PostgreSQL and SQLite.
-- Keys are assigned by the application (no sequences), times are UTC ("*_at"),
-- calendar dates are "*_on", booleans are "is_*", JSON documents are TEXT.

CREATE TABLE org_units (
    unit_id        TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('group', 'subsidiary', 'department')),
    function_code  TEXT,               -- e.g. admin_center, gm_office, finance_center, publicity, office
    parent_id      TEXT REFERENCES org_units (unit_id),
    policy_id      TEXT NOT NULL DEFAULT '000',
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE people (
    person_id      TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    unit_id        TEXT NOT NULL REFERENCES org_units (unit_id),
    title          TEXT,
    office_phone   TEXT,
    mobile         TEXT,
    email          TEXT,
    is_active      BOOLEAN NOT NULL DEFAULT TRUE
);

-- Who holds which role (ORG-2), optionally scoped to a unit or an account, for a period.
CREATE TABLE role_assignments (
    assignment_id  TEXT PRIMARY KEY,
    person_id      TEXT NOT NULL REFERENCES people (person_id),
    role           TEXT NOT NULL,
    unit_id        TEXT REFERENCES org_units (unit_id),
    account_id     TEXT,
    valid_from_on  DATE NOT NULL,
    valid_to_on    DATE,
    CHECK (valid_to_on IS NULL OR valid_to_on >= valid_from_on)
);
CREATE INDEX ix_role_assignments_role ON role_assignments (role, unit_id, account_id);

-- Accounts with every field of the registration record (ACC-3, 003 §5.1).
CREATE TABLE accounts (
    account_id              TEXT PRIMARY KEY,
    platform                TEXT NOT NULL CHECK (platform IN (
                                'wechat', 'weibo', 'qq', 'website', 'blog', 'tieba', 'forum',
                                'mobile_newspaper', 'app', 'network_video', 'mobile_tv')),
    name                    TEXT NOT NULL,
    platform_account_id     TEXT,
    link                    TEXT,
    is_verified             BOOLEAN,
    verification_documents  TEXT,
    purpose                 TEXT,
    content_scope           TEXT,
    creating_unit_id        TEXT REFERENCES org_units (unit_id),
    host_unit_id            TEXT NOT NULL REFERENCES org_units (unit_id),
    supervising_leader_id   TEXT REFERENCES people (person_id),
    host_unit_opinion_by    TEXT REFERENCES people (person_id),
    host_unit_opinion_on    DATE,
    is_host_unit_sealed     BOOLEAN,
    competent_opinion_by    TEXT REFERENCES people (person_id),
    competent_opinion_on    DATE,
    level                   TEXT NOT NULL CHECK (level IN ('group', 'subordinate')),
    parent_account_id       TEXT REFERENCES accounts (account_id),
    state                   TEXT NOT NULL CHECK (state IN ('applied', 'active', 'suspended', 'deregistered')),
    opened_on               DATE,
    closed_on               DATE,
    policy_id               TEXT NOT NULL DEFAULT '000',
    created_at              TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at              TIMESTAMP WITH TIME ZONE NOT NULL,
    CHECK (level = 'group' OR parent_account_id IS NOT NULL)
);
CREATE INDEX ix_accounts_state ON accounts (state);

-- Administrators named on the registration record (name, phones and email live on people).
CREATE TABLE account_admins (
    account_id  TEXT NOT NULL REFERENCES accounts (account_id),
    person_id   TEXT NOT NULL REFERENCES people (person_id),
    PRIMARY KEY (account_id, person_id)
);

-- Account events: creation approval steps (ACC-2), filed changes (ACC-4), handovers (ACC-5), state changes.
CREATE TABLE account_events (
    event_id        TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (account_id),
    kind            TEXT NOT NULL CHECK (kind IN ('creation_step', 'change_filed', 'handover', 'state_change')),
    step            TEXT,               -- creation_step: the chain step; change_filed: the changed item
    decision        TEXT CHECK (decision IS NULL OR decision IN ('approved', 'rejected')),
    actor_id        TEXT REFERENCES people (person_id),
    from_person_id  TEXT REFERENCES people (person_id),
    to_person_id    TEXT REFERENCES people (person_id),
    new_state       TEXT,
    occurred_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    filed_at        TIMESTAMP WITH TIME ZONE,
    detail          TEXT
);
CREATE INDEX ix_account_events_account ON account_events (account_id, kind, occurred_at);

-- Posts queued for timed release (CON-1, CON-2, CON-10).
CREATE TABLE posts (
    post_id        TEXT PRIMARY KEY,
    release_id     TEXT,               -- a matrix release (PUB-7) groups posts over many accounts
    account_id     TEXT NOT NULL REFERENCES accounts (account_id),
    author_id      TEXT NOT NULL REFERENCES people (person_id),
    kind           TEXT NOT NULL DEFAULT 'article' CHECK (kind IN ('article', 'text', 'mass_send', 'page')),
    title          TEXT,
    body           TEXT NOT NULL,
    category       TEXT,
    source         TEXT,
    media          TEXT NOT NULL DEFAULT '[]',
    publish_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    urgency        TEXT NOT NULL DEFAULT 'regular' CHECK (urgency IN ('regular', 'urgent')),
    content_hash   TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN (
                       'awaiting_approval', 'approved', 'rejected', 'expired', 'dispatching',
                       'unconfirmed', 'published', 'failed', 'cancelled')),
    state_reason   TEXT,
    requested_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at     TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_posts_state_publish ON posts (state, publish_at);
CREATE INDEX ix_posts_account ON posts (account_id, publish_at);

-- Every state change of a post, with why: nothing waits without a reason.
CREATE TABLE post_events (
    event_id    TEXT PRIMARY KEY,
    post_id     TEXT NOT NULL REFERENCES posts (post_id),
    state       TEXT NOT NULL,
    reason      TEXT,
    actor_id    TEXT,
    occurred_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_post_events_post ON post_events (post_id, occurred_at);

-- Approval decisions, each bound to the content hash the approver saw (PUB-1, PUB-2).
CREATE TABLE approval_steps (
    step_id       TEXT PRIMARY KEY,
    post_id       TEXT NOT NULL REFERENCES posts (post_id),
    chain         TEXT NOT NULL,
    step_no       INTEGER NOT NULL,
    role          TEXT NOT NULL,
    approver_id   TEXT NOT NULL REFERENCES people (person_id),
    decision      TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    reason        TEXT,
    via           TEXT NOT NULL CHECK (via IN ('cli', 'api', 'hitl', 'import')),
    content_hash  TEXT NOT NULL,
    decided_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    UNIQUE (post_id, content_hash, step_no)
);

-- Every platform call and its outcome.
CREATE TABLE dispatch_attempts (
    attempt_id     TEXT PRIMARY KEY,
    post_id        TEXT NOT NULL REFERENCES posts (post_id),
    attempt_no     INTEGER NOT NULL,
    operation      TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN (
                       'ok', 'retry', 'refresh_token', 'wait_quota', 'failed', 'unconfirmed')),
    error_code     TEXT,
    error_message  TEXT,
    response       TEXT,
    started_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at    TIMESTAMP WITH TIME ZONE,
    UNIQUE (post_id, attempt_no)
);

-- The publishing log: what went out, where, and the platform's later view of it.
CREATE TABLE published_items (
    item_id              TEXT PRIMARY KEY,
    post_id              TEXT UNIQUE REFERENCES posts (post_id),
    account_id           TEXT NOT NULL REFERENCES accounts (account_id),
    platform             TEXT NOT NULL,
    origin               TEXT NOT NULL CHECK (origin IN ('dispatch', 'manual_confirmation', 'platform_observed')),
    platform_item_id     TEXT,
    platform_publish_id  TEXT,
    url                  TEXT,
    operator_id          TEXT REFERENCES people (person_id),
    is_mass_send         BOOLEAN NOT NULL DEFAULT FALSE,
    published_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    confirmed_at         TIMESTAMP WITH TIME ZONE,
    platform_status      TEXT NOT NULL DEFAULT 'live' CHECK (platform_status IN (
                             'live', 'deleted_by_user', 'banned', 'unknown')),
    status_checked_at    TIMESTAMP WITH TIME ZONE
);
CREATE INDEX ix_published_items_account_time ON published_items (account_id, published_at);

-- The archive index (PUB-4); one row per archived bundle, chained per day by the archive pipeline.
CREATE TABLE archive_index (
    item_id          TEXT PRIMARY KEY REFERENCES published_items (item_id),
    bundle_path      TEXT NOT NULL,
    manifest_sha256  TEXT NOT NULL,
    archived_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    index_on         DATE NOT NULL
);

-- Findings, keyed by rule, subject and period: re-runs update, never duplicate.
CREATE TABLE findings (
    finding_id         TEXT PRIMARY KEY,
    rule_id            TEXT NOT NULL,
    subject_type       TEXT NOT NULL,
    subject_id         TEXT NOT NULL,
    period             TEXT NOT NULL,
    severity           TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    summary            TEXT NOT NULL,
    evidence           TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    detected_by        TEXT NOT NULL,
    first_detected_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    last_detected_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    resolved_at        TIMESTAMP WITH TIME ZONE,
    UNIQUE (rule_id, subject_type, subject_id, period)
);
CREATE INDEX ix_findings_state ON findings (state, rule_id);

-- What each pipeline task read and wrote; kept for auditors after Airflow's own history is cleaned.
CREATE TABLE pipeline_ledger (
    ledger_id            TEXT PRIMARY KEY,
    dag_id               TEXT NOT NULL,
    run_id               TEXT NOT NULL,
    task_id              TEXT NOT NULL,
    try_number           INTEGER NOT NULL,
    data_interval_start_at TIMESTAMP WITH TIME ZONE,
    data_interval_end_at   TIMESTAMP WITH TIME ZONE,
    inputs               TEXT NOT NULL,
    outputs              TEXT NOT NULL,
    row_counts           TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('success', 'failed')),
    started_at           TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    UNIQUE (dag_id, run_id, task_id, try_number)
);

-- Deliberate violations planted by the demo world generator: the tests' ground truth.
CREATE TABLE world_ground_truth (
    rule_id      TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    period       TEXT NOT NULL,
    description  TEXT NOT NULL,
    PRIMARY KEY (rule_id, subject_id, period)
);
