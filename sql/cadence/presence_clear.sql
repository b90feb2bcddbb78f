-- Forget the presence of the weeks about to be recounted from the publishing log.
DELETE FROM cadence_presence
WHERE week_index BETWEEN :first_week AND :last_week
