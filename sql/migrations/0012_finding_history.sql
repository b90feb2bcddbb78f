-- The history of each finding (issue 13): every change of its state, who made it, when, why and through which
-- door. Append-only: Herald only ever inserts here (sql/findings/history_*.sql); a row is never updated or deleted,
-- so auditors can read how a finding was handled after the finding itself has moved on.
--
-- A person's change (acknowledge, resolve) names the person (actor = people.person_id) and the reason they gave;
-- a scan's change (resolved because no longer seen, reopened because seen again) names the scan that made it
-- (actor = the detector, "<dag_id>.<task_id>") and gives no reason. A finding's first detection is not a row
-- here: it is the finding's own first_detected_at. No foreign key to findings: the history outlives a finding
-- deleted with its world (the demo), and a scan writes it in the same set-based statements as the findings.
CREATE TABLE finding_history (
    history_id   TEXT PRIMARY KEY,
    finding_id   TEXT NOT NULL,
    from_state   TEXT NOT NULL CHECK (from_state IN ('open', 'acknowledged', 'resolved')),
    to_state     TEXT NOT NULL CHECK (to_state IN ('open', 'acknowledged', 'resolved')),
    actor        TEXT NOT NULL,               -- people.person_id, or the scan's detector
    via          TEXT NOT NULL CHECK (via IN ('api', 'cli', 'page', 'admin_override', 'scan')),
    reason       TEXT,                        -- required of people, NULL for scans
    os_user      TEXT,                        -- the operating-system user of a direct-database override
    occurred_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_finding_history_finding ON finding_history (finding_id, occurred_at);
