-- The accounts whose comments are watched (SEC-2): active WeChat and Weibo accounts, with where they report.
SELECT a.account_id, a.platform, a.name, a.platform_account_id, a.host_unit_id, a.policy_id
FROM accounts a
WHERE a.state = 'active' AND a.platform IN ('wechat', 'weibo')
ORDER BY a.account_id
