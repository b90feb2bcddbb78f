SELECT pe.person_id, pe.name, pe.office_phone, pe.mobile, pe.email
FROM account_admins aa
JOIN people pe ON pe.person_id = aa.person_id
WHERE aa.account_id = :account_id
ORDER BY pe.person_id
