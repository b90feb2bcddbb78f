-- Cadence scan at scale (issue 6, PUB-5): the weeks of cadence_presence as bit sets, and what the
-- scan last recorded as PUB-5 findings, so a rescan judges from one row per account and block of
-- weeks and composes only the findings that changed. Blocks are 60 weeks: block = week_index / 60,
-- bit n = week block * 60 + n (sql/cadence/_week_bits.sql.j2); 60 bits keep clear of the sign bit.

-- Per account and block: the weeks with at least one item of each class in cadence_presence, kept
-- with it by the refresh (sql/cadence/week_bits_*).
CREATE TABLE cadence_week_bits (
    account_id     TEXT NOT NULL,
    block          INTEGER NOT NULL,
    live_bits      BIGINT NOT NULL,
    deleted_bits   BIGINT NOT NULL,
    banned_bits    BIGINT NOT NULL,
    observed_bits  BIGINT NOT NULL,
    PRIMARY KEY (account_id, block)
);

-- The presence already counted. cadence_presence holds one row per account and week, so each week's
-- bit comes from one row and the sum of the bits is their union on both engines. (No modulo operator: the
-- migrator hands the file to the driver as it is, and psycopg2 would take its sign for a placeholder.)
INSERT INTO cadence_week_bits (account_id, block, live_bits, deleted_bits, banned_bits, observed_bits)
SELECT account_id, week_index / 60,
       SUM(CASE WHEN live_items > 0 THEN CAST(1 AS BIGINT) << (week_index - week_index / 60 * 60) ELSE 0 END),
       SUM(CASE WHEN deleted_items > 0 THEN CAST(1 AS BIGINT) << (week_index - week_index / 60 * 60) ELSE 0 END),
       SUM(CASE WHEN banned_items > 0 THEN CAST(1 AS BIGINT) << (week_index - week_index / 60 * 60) ELSE 0 END),
       SUM(CASE WHEN observed_items > 0 THEN CAST(1 AS BIGINT) << (week_index - week_index / 60 * 60) ELSE 0 END)
FROM cadence_presence
GROUP BY account_id, week_index / 60;

-- Per account and block: the weeks whose PUB-5 finding the scan last wrote as open (lapse_bits), of
-- them those of consecutive severity (high_bits), those that logged items that did not count
-- (thin_bits: their evidence carries the counts, so they are composed again each time), those composed
-- before the account's or policy's text last changed (stale_bits), and that text's ingredients (basis:
-- name, platform, host unit, policy and its parameters, detector).
CREATE TABLE cadence_lapse_state (
    account_id   TEXT NOT NULL,
    block        INTEGER NOT NULL,
    lapse_bits   BIGINT NOT NULL,
    high_bits    BIGINT NOT NULL,
    thin_bits    BIGINT NOT NULL,
    stale_bits   BIGINT NOT NULL,
    basis        TEXT NOT NULL,
    PRIMARY KEY (account_id, block)
);

-- The weeks for which cadence_lapse_state mirrors the PUB-5 findings (a scan judged them). A week not
-- here (a new database, findings cleared) is judged in full: every lapse composed, every other
-- finding of the week resolved.
CREATE TABLE cadence_lapse_weeks (
    week_index   INTEGER PRIMARY KEY
);
