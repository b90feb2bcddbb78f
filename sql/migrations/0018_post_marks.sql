-- Sensitive topics (CON-5) and paid reposts (CON-6), issue 15: what the author marked at queueing, kept with the
-- post so that an edit rebuilds the same chain. The marks are part of the content hash (herald.posts.model), so a
-- change of marks voids earlier signatures like any change of content. The extra steps themselves live in
-- posts.approval_chain with the others and are signed in approval_steps, bound to the content hash.
ALTER TABLE posts ADD COLUMN sensitive_marks TEXT NOT NULL DEFAULT '[]';
ALTER TABLE posts ADD COLUMN is_paid_repost BOOLEAN NOT NULL DEFAULT FALSE;
