-- Row counts of every table the demo world fills.
SELECT (SELECT COUNT(*) FROM org_units) AS org_units,
       (SELECT COUNT(*) FROM people) AS people,
       (SELECT COUNT(*) FROM role_assignments) AS role_assignments,
       (SELECT COUNT(*) FROM accounts) AS accounts,
       (SELECT COUNT(*) FROM account_admins) AS account_admins,
       (SELECT COUNT(*) FROM account_events) AS account_events,
       (SELECT COUNT(*) FROM posts) AS posts,
       (SELECT COUNT(*) FROM post_events) AS post_events,
       (SELECT COUNT(*) FROM approval_steps) AS approval_steps,
       (SELECT COUNT(*) FROM dispatch_attempts) AS dispatch_attempts,
       (SELECT COUNT(*) FROM published_items) AS published_items,
       (SELECT COUNT(*) FROM world_ground_truth) AS world_ground_truth
