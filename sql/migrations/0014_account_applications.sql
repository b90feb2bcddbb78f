-- Account applications (issue 15: ACC-1, ACC-2, ACC-3): the registration form (备案登记表, 003 §5.1) filed through the
-- HTTP door, the command line or an Excel import, and its creation approval along the policy's creation chain.
--
-- Filing creates the account in state 'applied' with the form's fields (accounts keeps every registration field) and
-- one row here holding what the accounts table does not: who applied, through which door, the related departments,
-- the planned opening date, the policy (and its file hash) the application is judged by, and the chain expanded into
-- concrete steps (JSON: step number, step code and label, the role and the unit whose holder answers it). Each decision
-- is an account_events row of kind 'creation_step'; current_step_no moves only by compare-and-set, so two answers to
-- one step cannot both count. The account becomes 'active' (opened_on set) when the last step is approved; a
-- rejection ends the application and leaves the account 'applied', never opened.
CREATE TABLE account_applications (
    application_id     TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL UNIQUE REFERENCES accounts (account_id),
    applicant_id       TEXT NOT NULL REFERENCES people (person_id),
    applying_unit_id   TEXT NOT NULL REFERENCES org_units (unit_id),
    related_unit_ids   TEXT NOT NULL DEFAULT '[]',    -- JSON list of org_units ids (000 §3.2 相关部门)
    planned_opened_on  DATE,                          -- the form's 创建时间 as filed; opened_on is set on approval
    chain              TEXT NOT NULL,                 -- JSON: the expanded creation chain (herald.accounts.chain)
    current_step_no    INTEGER NOT NULL,              -- the step awaiting a decision (1-based); past the end when done
    state              TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    state_reason       TEXT,
    via                TEXT NOT NULL CHECK (via IN ('api', 'cli', 'import')),
    source_name        TEXT,                          -- an Excel import: the file name and SHA-256 of its bytes
    source_sha256      TEXT,
    policy_id          TEXT NOT NULL,
    policy_sha256      TEXT NOT NULL,
    submitted_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    decided_at         TIMESTAMP WITH TIME ZONE,
    updated_at         TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_account_applications_state ON account_applications (state, submitted_at);
