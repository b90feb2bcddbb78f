{% import "cadence/_week_bits.sql.j2" as bits with context %}
-- PUB-5 for the accounts of one policy pack: which of the weeks [report_from_week, last_week] lapse (fewer
-- than min_items counting items), per account and block of weeks, set against what the scan last recorded
-- (cadence_lapse_state), into cadence_judgement. Nothing is composed here: weekly_lapses_stage.sql writes the
-- findings of compose_bits, weekly_resolve_gone.sql resolves those of gone_bits.
--
-- A week is judged only if the account was open all of it (opened_on is the first open day: the opening
-- week counts only if that is its Monday; closed_on is the last open day: the closing week counts only if
-- that is its Sunday) and was not suspended at any moment of it (state_change 'suspended' until the next
-- state change, half-open; a current state 'suspended' without its event counts from the record's last
-- update). Day numbers are days since 1970-01-01, week = (day + 3) div 7, as in herald.timeutil. The
-- week before report_from_week (first_week) is judged only to tell a second missed week in a row
-- (high_bits, severity consecutive), so a week-by-week backfill reports what a full-year scan does.
--
-- Cost: one row per account and block (two for a year) from cadence_week_bits, whatever the rows of the
-- log; only with min_items above 1 are the presence rows counted instead. A finding is composed again only
-- where the judgement or the text's ingredients changed (compose_bits), or everywhere when :full.
--
-- :weeks holds [week_index, label] per week of [first_week, last_week]; :platform_labels [platform, Chinese
-- name] pairs; :basis_tail the policy's part of the text's ingredients (herald.cadence.weekly).
WITH weeks AS (
    SELECT week_index, label FROM {{ bits.window_weeks() }} AS w
),
blocks AS (
    -- The blocks the window touches: the first week's, and every block that starts within the window.
    -- (Selected rather than made DISTINCT, so the planner expects a few blocks, not a hundred.)
    SELECT {{ bits.block_of('week_index') }} AS block
    FROM weeks
    WHERE week_index = :first_week OR week_index % 60 = 0
),
platform_labels AS (
    {{ sql.json_array_rows(':platform_labels', ['platform', 'label']) }}
),
policy_accounts AS (
    SELECT a.account_id, a.state, a.updated_at,
           ({{ sql.epoch_days('a.opened_on') }} + 9) / 7 AS first_full_week,
           CASE WHEN a.closed_on IS NULL THEN NULL ELSE ({{ sql.epoch_days('a.closed_on') }} + 4) / 7 - 1 END
               AS last_full_week,
           a.name || {{ sql.unit_separator() }} || COALESCE(pl.label, a.platform) || {{ sql.unit_separator() }}
               || COALESCE(a.host_unit_id, '') || {{ sql.unit_separator() }} || :basis_tail AS basis
    FROM accounts a
    LEFT JOIN platform_labels pl ON pl.platform = a.platform
    WHERE a.policy_id = :policy_id AND a.opened_on IS NOT NULL
),
{% include "cadence/_state_changes.sql.j2" %},
suspensions AS (
    SELECT account_id,
           (({{ sql.epoch_seconds('occurred_at') }} + 28800) / 86400 + 3) / 7 AS first_week,
           CASE WHEN next_at IS NULL THEN CAST(:last_week AS INTEGER)
                ELSE (({{ sql.epoch_seconds('next_at') }} - 1 + 28800) / 86400 + 3) / 7 END AS last_week
    FROM state_changes
    WHERE new_state = 'suspended'
    UNION ALL
    SELECT a.account_id,
           (({{ sql.epoch_seconds('a.updated_at') }} + 28800) / 86400 + 3) / 7,
           CAST(:last_week AS INTEGER)
    FROM policy_accounts a
    WHERE a.state = 'suspended'
      AND NOT EXISTS (SELECT 1 FROM state_changes s
                      WHERE s.account_id = a.account_id AND s.next_at IS NULL AND s.new_state = 'suspended')
),
expected AS (
    -- The weeks each account is judged in, per block: its full weeks open, within the window.
    SELECT p.account_id, b.block,
           {{ bits.span(sql.larger('p.first_full_week', ':first_week'),
                        sql.smaller('COALESCE(p.last_full_week, :last_week)', ':last_week'), 'b.block') }} AS judged_bits
    FROM policy_accounts p
    CROSS JOIN blocks b
),
suspended AS (
    SELECT s.account_id, b.block,
           {{ sql.bit_or_agg(bits.span('s.first_week', 's.last_week', 'b.block')) }} AS suspended_bits
    FROM suspensions s
    CROSS JOIN blocks b
    GROUP BY s.account_id, b.block
),
logged AS (
    -- The weeks that met the policy (met_bits) and those that logged anything (logged_bits). One item a
    -- week: read off the week bits. More: counted from the presence rows.
    SELECT account_id, block,
           live_bits | CASE WHEN :count_deleted THEN deleted_bits ELSE 0 END
                     | CASE WHEN :count_banned THEN banned_bits ELSE 0 END AS met_bits,
           live_bits | deleted_bits | banned_bits | observed_bits AS logged_bits
    FROM cadence_week_bits
    WHERE block BETWEEN {{ bits.block_of(':first_week') }} AND {{ bits.block_of(':last_week') }}
      AND CAST(:min_items AS INTEGER) = 1
    UNION ALL
    SELECT account_id, {{ bits.block_of('week_index') }},
           {{ sql.bit_or_agg('CASE WHEN live_items + CASE WHEN :count_deleted THEN deleted_items ELSE 0 END
                                        + CASE WHEN :count_banned THEN banned_items ELSE 0 END >= :min_items
                                   THEN ' ~ bits.bit_of('week_index') ~ ' ELSE 0 END') }},
           {{ sql.bit_or_agg(bits.bit_of('week_index')) }}
    FROM cadence_presence
    WHERE week_index BETWEEN :first_week AND :last_week
      AND CAST(:min_items AS INTEGER) > 1
    GROUP BY account_id, {{ bits.block_of('week_index') }}
),
lapsing AS (
    SELECT e.account_id, e.block,
           e.judged_bits & ~COALESCE(l.met_bits, 0) & ~COALESCE(s.suspended_bits, 0) AS lapse_bits,
           COALESCE(l.logged_bits, 0) AS logged_bits,
           {{ bits.span(':report_from_week', ':last_week', 'e.block') }} AS report_bits
    FROM expected e
    LEFT JOIN logged l ON l.account_id = e.account_id AND l.block = e.block
    LEFT JOIN suspended s ON s.account_id = e.account_id AND s.block = e.block
    WHERE e.judged_bits <> 0
),
chained AS (
    -- carry: whether the last week of the account's previous block lapsed (a lapse in the block's first
    -- week after it is a second in a row).
    SELECT account_id, block, lapse_bits, logged_bits, report_bits,
           CASE WHEN LAG(block) OVER by_block = block - 1 THEN (LAG(lapse_bits) OVER by_block >> 59) & 1
                ELSE 0 END AS carry
    FROM lapsing
    WINDOW by_block AS (PARTITION BY account_id ORDER BY block)
),
judged AS (
    -- The report weeks that lapse, of them those after a lapsed week, and those that logged something.
    SELECT account_id, block,
           lapse_bits & report_bits AS lapse_bits,
           lapse_bits & ((lapse_bits << 1) | carry) & report_bits AS high_bits,
           lapse_bits & logged_bits & report_bits AS thin_bits
    FROM chained
    WHERE lapse_bits & report_bits <> 0
),
stored AS (
    SELECT s.account_id, s.block, s.lapse_bits, s.high_bits, s.thin_bits, s.stale_bits, s.basis
    FROM cadence_lapse_state s
    JOIN policy_accounts p ON p.account_id = s.account_id
    WHERE s.block BETWEEN {{ bits.block_of(':report_from_week') }} AND {{ bits.block_of(':last_week') }}
      AND (s.lapse_bits | s.stale_bits) <> 0
),
reopened AS (
    -- Resolved findings of weeks judged now: written again, so a week that lapses again reopens. (The
    -- window is matched through the week labels, not as a period range, so the lookup goes by state.)
    SELECT f.subject_id AS account_id, {{ bits.block_of('w.week_index') }} AS block,
           {{ sql.bit_or_agg(bits.bit_of('w.week_index')) }} AS reopen_bits
    FROM findings f
    JOIN weeks w ON w.label = f.period AND w.week_index >= :report_from_week
    WHERE f.state = 'resolved' AND f.rule_id = :rule_id AND f.subject_type = 'account'
    GROUP BY f.subject_id, {{ bits.block_of('w.week_index') }}
),
compared AS (
    SELECT COALESCE(j.account_id, s.account_id) AS account_id, COALESCE(j.block, s.block) AS block,
           COALESCE(j.lapse_bits, 0) AS new_lapse, COALESCE(j.high_bits, 0) AS new_high,
           COALESCE(j.thin_bits, 0) AS new_thin,
           COALESCE(s.lapse_bits, 0) AS old_lapse, COALESCE(s.high_bits, 0) AS old_high,
           COALESCE(s.thin_bits, 0) AS old_thin, COALESCE(s.stale_bits, 0) AS old_stale, s.basis AS old_basis
    FROM judged j
    FULL JOIN stored s ON s.account_id = j.account_id AND s.block = j.block
),
settled AS (
    SELECT c.*, p.basis,
           {{ bits.span(':report_from_week', ':last_week', 'c.block') }} AS report_bits,
           COALESCE(r.reopen_bits, 0) AS reopen_bits
    FROM compared c
    JOIN policy_accounts p ON p.account_id = c.account_id
    LEFT JOIN reopened r ON r.account_id = c.account_id AND r.block = c.block
),
next_state AS (
    SELECT account_id, block, report_bits, basis, new_lapse, old_lapse, old_high, old_thin, old_stale, old_basis,
           (old_lapse & ~report_bits) | new_lapse AS lapse_bits,
           (old_high & ~report_bits) | new_high AS high_bits,
           (old_thin & ~report_bits) | new_thin AS thin_bits,
           -- Findings outside the report weeks composed with other ingredients are written again when judged.
           (CASE WHEN old_basis <> basis THEN old_lapse | old_stale ELSE old_stale END) & ~report_bits AS stale_bits,
           new_lapse & CASE WHEN :full OR old_basis IS NULL OR old_basis <> basis THEN report_bits
                            ELSE {{ bits.differ('new_lapse', 'old_lapse') }} | {{ bits.differ('new_high', 'old_high') }} | new_thin | old_thin
                                 | old_stale | reopen_bits END AS compose_bits,
           old_lapse & report_bits & ~new_lapse AS gone_bits
    FROM settled
)
INSERT INTO cadence_judgement (policy_id, account_id, block, report_bits, lapse_bits, high_bits, thin_bits, stale_bits,
                               basis, compose_bits, gone_bits, state_changed)
SELECT :policy_id, account_id, block, report_bits, lapse_bits, high_bits, thin_bits, stale_bits, basis,
       compose_bits, gone_bits,
       CASE WHEN old_basis IS NULL OR old_basis <> basis OR lapse_bits <> old_lapse OR high_bits <> old_high
                 OR thin_bits <> old_thin OR stale_bits <> old_stale THEN 1 ELSE 0 END
FROM next_state
