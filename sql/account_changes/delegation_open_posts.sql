-- Posts queued under a delegation that are not yet on their way to the platform.
SELECT dp.post_id, p.state
FROM delegation_posts dp
JOIN posts p ON p.post_id = dp.post_id
WHERE dp.delegation_id = :delegation_id AND p.state IN ('awaiting_approval', 'approved')
ORDER BY dp.post_id
