-- Audit pack (ACC-3): the administrators named on each account's registration record, by name.
SELECT aa.account_id, p.person_id, p.name, p.title, p.unit_id
FROM account_admins aa
JOIN people p ON p.person_id = aa.person_id
WHERE (:account_id IS NULL OR aa.account_id = :account_id)
ORDER BY aa.account_id, p.person_id
