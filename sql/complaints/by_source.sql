-- The complaint already registered for this comment or message of the account (one per source).
SELECT complaint_id
FROM complaints
WHERE account_id = :account_id AND source_ref = :source_ref
