-- Platform account ids Herald knows (applied, active or suspended accounts: the registry check judges their
-- approval); a deregistered account still on the platform is not authorised any more.
SELECT account_id, platform, platform_account_id
FROM accounts
WHERE platform_account_id IS NOT NULL
  AND state IN ('applied', 'active', 'suspended')
  AND platform IN ({{ sql.json_text_elements(':platforms') }})
ORDER BY account_id
