-- Queue and approve (issue 3): each post keeps the approval chain it was queued under, its
-- screening result and the policy file it was judged by; people can be mapped to Airflow logins
-- so the HTTP door knows who is deciding.
ALTER TABLE posts ADD COLUMN approval_chain TEXT NOT NULL DEFAULT '[]';
ALTER TABLE posts ADD COLUMN screening TEXT NOT NULL DEFAULT '{}';
ALTER TABLE posts ADD COLUMN policy_id TEXT NOT NULL DEFAULT '000';
ALTER TABLE posts ADD COLUMN policy_sha256 TEXT;
ALTER TABLE people ADD COLUMN login TEXT;
CREATE UNIQUE INDEX ux_people_login ON people (login);
