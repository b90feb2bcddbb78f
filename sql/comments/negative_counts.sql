-- Negative comments per account since :since (SEC-3 surge): by the platform's time, else the time pulled.
SELECT account_id, COUNT(*) AS negatives,
       MIN(COALESCE(commented_at, pulled_at)) AS first_at, MAX(COALESCE(commented_at, pulled_at)) AS last_at
FROM comments
WHERE is_negative AND COALESCE(commented_at, pulled_at) >= :since
GROUP BY account_id
HAVING COUNT(*) >= :threshold
ORDER BY account_id
