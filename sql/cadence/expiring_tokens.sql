-- Platform authorisations that lapse before the given instant and that a person must renew
-- (WeChat's client-credential token is refreshed by the pipeline itself and is left out).
-- Never selects the token itself (SEC-1).
SELECT t.platform, t.account_key, t.expires_at, a.account_id, a.name, a.host_unit_id
FROM platform_tokens t
JOIN accounts a ON a.platform = t.platform AND a.platform_account_id = t.account_key
WHERE t.expires_at IS NOT NULL AND t.expires_at < :until_at
  AND t.platform <> 'wechat'
  AND a.state IN ('active', 'suspended')
ORDER BY t.expires_at, a.account_id
