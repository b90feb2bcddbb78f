-- Filing days with entries and no sealed index document yet, up to a given day.
SELECT DISTINCT ai.index_on
FROM archive_index ai
LEFT JOIN archive_days d ON d.index_on = ai.index_on
WHERE d.index_on IS NULL
  AND ai.index_on <= :through
ORDER BY ai.index_on
