-- PUB-5: the weeks in [first_week, last_week] in which an account of the given policy published
-- fewer than min_items counting items, judged against cadence_presence and written as findings
-- (id, summary, evidence) into findings_stage for findings/upsert to apply. Nothing leaves the
-- database per row: one statement per policy pack, however many accounts and weeks.
--
-- A week is judged only if the account was open all of it (opened_on is the first open day: the
-- opening week counts only if that is its Monday; closed_on is the last open day: the closing week
-- counts only if that is its Sunday) and was not suspended at any moment of it (state_change
-- 'suspended' until the next state change, half-open; a current state 'suspended' without its event
-- counts from the record's last update). Day numbers are days since 1970-01-01, week = (day + 3) div 7,
-- as in herald.timeutil. The week before report_from_week is judged only to tell a second missed
-- week in a row (severity :consecutive_severity), so a week-by-week backfill reports what a
-- full-year scan does.
--
-- Cost: one pass over the window's presence rows, aggregated per account (met); only the accounts
-- with a lapse are then spelled out week by week (short, missing), so at scale the work follows
-- the lapses, not accounts x weeks. The MATERIALIZED CTEs keep PostgreSQL from folding those steps
-- back into an (accounts x weeks) join it misestimates.
--
-- :weeks holds one [week_index, label, start_on, end_on, start "MM月DD日", end "MM月DD日"] per week
-- of [first_week, last_week], labelled by herald.cadence.window; :platform_labels [platform, Chinese
-- name] pairs. Evidence is the JSON herald.findings writes for findings made in Python (keys sorted,
-- ", " and ": " separators); the *_json parameters are values already encoded as JSON.
WITH weeks AS (
    SELECT CAST(week_index AS INTEGER) AS week_index, label, start_md, end_md,
           {{ sql.json_quote('label') }} || ', "week_end_on": ' || {{ sql.json_quote('end_on') }}
               || ', "week_start_on": ' || {{ sql.json_quote('start_on') }} AS evidence_tail
    FROM ({{ sql.json_array_rows(':weeks', ['week_index', 'label', 'start_on', 'end_on', 'start_md', 'end_md']) }}) AS w
),
platform_labels AS (
    {{ sql.json_array_rows(':platform_labels', ['platform', 'label']) }}
),
policy_accounts AS (
    SELECT account_id, state, updated_at,
           ({{ sql.epoch_days('opened_on') }} + 9) / 7 AS first_full_week,
           CASE WHEN closed_on IS NULL THEN NULL ELSE ({{ sql.epoch_days('closed_on') }} + 4) / 7 - 1 END AS last_full_week
    FROM accounts
    WHERE policy_id = :policy_id AND opened_on IS NOT NULL
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
judged AS (
    -- Each account's judged weeks within the window, [lo_week, hi_week], and the first of them that is
    -- reported (report_lo_week).
    SELECT account_id, lo_week, hi_week,
           CASE WHEN lo_week > :report_from_week THEN lo_week ELSE :report_from_week END AS report_lo_week
    FROM (SELECT account_id,
                 CASE WHEN first_full_week > :first_week THEN first_full_week ELSE :first_week END AS lo_week,
                 CASE WHEN last_full_week < :last_week THEN last_full_week ELSE :last_week END AS hi_week
          FROM policy_accounts) AS spans
),
blocks AS (
    -- The window in blocks of 60 weeks (one block for a year): a block's weeks are the bits of one integer.
    SELECT (week_index - :first_week) / 60 AS block, MIN(week_index) AS block_lo, MAX(week_index) AS block_hi
    FROM weeks
    GROUP BY (week_index - :first_week) / 60
),
met AS (
    -- The weeks with enough counting items, per account and block (bit n: week block_lo + n; presence
    -- has one row per account and week, so each bit comes from one row).
    SELECT account_id, (week_index - :first_week) / 60 AS block,
           {{ sql.bit_or_agg('CAST(1 AS BIGINT) << ((week_index - :first_week) % 60)') }} AS week_bits
    FROM cadence_presence
    WHERE week_index BETWEEN :first_week AND :last_week
      AND live_items + CASE WHEN :count_deleted THEN deleted_items ELSE 0 END
          + CASE WHEN :count_banned THEN banned_items ELSE 0 END >= :min_items
    GROUP BY account_id, (week_index - :first_week) / 60
),
thin AS MATERIALIZED (
    -- Weeks logged with too few counting items: what such a lapse's finding says was logged (a week
    -- without a presence row logged nothing).
    SELECT account_id, week_index, live_items, deleted_items, banned_items, observed_items
    FROM cadence_presence
    WHERE week_index BETWEEN :first_week AND :last_week
      AND live_items + CASE WHEN :count_deleted THEN deleted_items ELSE 0 END
          + CASE WHEN :count_banned THEN banned_items ELSE 0 END < :min_items
),
short AS MATERIALIZED (
    -- The blocks in which an account has a reported week without enough items, with the block's bits.
    -- A block without one has all its reported weeks met, so its last week never makes the next
    -- block's first a second miss in a row.
    SELECT r.account_id, r.block, r.lo_week, r.hi_week, COALESCE(m.week_bits, 0) AS week_bits
    FROM (SELECT j.account_id, j.lo_week, j.hi_week, b.block, b.block_lo,
                 CASE WHEN j.report_lo_week > b.block_lo THEN j.report_lo_week ELSE b.block_lo END AS from_week,
                 CASE WHEN j.hi_week < b.block_hi THEN j.hi_week ELSE b.block_hi END AS to_week
          FROM judged j CROSS JOIN blocks b) AS r
    LEFT JOIN met m ON m.account_id = r.account_id AND m.block = r.block
    WHERE r.from_week <= r.to_week
      AND (COALESCE(m.week_bits, 0) & (((CAST(1 AS BIGINT) << (r.to_week - r.from_week + 1)) - 1) << (r.from_week - r.block_lo)))
          <> (((CAST(1 AS BIGINT) << (r.to_week - r.from_week + 1)) - 1) << (r.from_week - r.block_lo))
),
missing AS (
    SELECT s.account_id, w.week_index
    FROM short s
    JOIN weeks w ON w.week_index BETWEEN s.lo_week AND s.hi_week
                AND (w.week_index - :first_week) / 60 = s.block
                AND ((s.week_bits >> ((w.week_index - :first_week) % 60)) & 1) = 0
),
lapses AS (
    SELECT m.account_id, m.week_index,
           COALESCE(p.live_items, 0) AS live_items,
           COALESCE(p.deleted_items, 0) AS deleted_items,
           COALESCE(p.banned_items, 0) AS banned_items,
           COALESCE(p.observed_items, 0) AS observed_items,
           LAG(m.week_index) OVER (PARTITION BY m.account_id ORDER BY m.week_index) AS lapse_before
    FROM missing m
    LEFT JOIN thin p ON p.account_id = m.account_id AND p.week_index = m.week_index
    WHERE NOT EXISTS (SELECT 1 FROM suspensions s
                      WHERE s.account_id = m.account_id AND m.week_index BETWEEN s.first_week AND s.last_week)
),
reported AS (
    SELECT l.account_id, l.week_index, l.live_items, l.deleted_items, l.banned_items, l.observed_items,
           l.live_items + CASE WHEN :count_deleted THEN l.deleted_items ELSE 0 END
                        + CASE WHEN :count_banned THEN l.banned_items ELSE 0 END AS counted_items,
           CASE WHEN l.lapse_before = l.week_index - 1 THEN 1 ELSE 0 END AS previous_missed,
           CASE WHEN l.banned_items > 0 AND NOT :count_banned THEN '、' || l.banned_items || '条被平台屏蔽' ELSE '' END
           || CASE WHEN l.deleted_items > 0 AND NOT :count_deleted THEN '、' || l.deleted_items || '条已被删除' ELSE '' END
           || CASE WHEN l.observed_items > 0 THEN '、' || l.observed_items || '条未经Herald审批发布' ELSE '' END
               AS not_counted
    FROM lapses l
    WHERE l.week_index >= :report_from_week
),
subjects AS MATERIALIZED (
    -- What every finding of an account repeats, composed once per account (lapsing ones only).
    SELECT a.account_id,
           '账号' || a.name || '(' || COALESCE(pl.label, a.platform) || ', ' || a.account_id || ')在' AS summary_head,
           {{ sql.json_quote('a.host_unit_id') }} AS host_unit_json,
           CAST(:rule_id AS TEXT) || {{ sql.unit_separator() }} || 'account' || {{ sql.unit_separator() }}
               || a.account_id || {{ sql.unit_separator() }} AS key_head
    FROM accounts a
    LEFT JOIN platform_labels pl ON pl.platform = a.platform
    WHERE a.account_id IN (SELECT account_id FROM short)
)
INSERT INTO findings_stage (finding_id, rule_id, subject_type, subject_id, period, severity, summary, evidence,
                            detected_by)
SELECT 'F-' || substr({{ sql.sha256_hex('s.key_head || w.label') }}, 1, 24),
       :rule_id, 'account', r.account_id, w.label,
       CASE WHEN r.previous_missed = 1 THEN :consecutive_severity ELSE :severity END,
       s.summary_head || w.label || '(' || w.start_md || '至' || w.end_md || ')'
       || '仅发布' || r.counted_items || '条计入更新的信息,少于每周' || CAST(:min_items AS INTEGER) || '条'
       || CASE WHEN r.not_counted <> '' THEN ';该周另有' || substr(r.not_counted, 2) || ',均不计入' ELSE '' END
       || CASE WHEN r.previous_missed = 1 THEN ';上一周也未达标,已连续两周未更新' ELSE '' END
       || '(' || :citation || ')。',
       '{"banned_items": ' || r.banned_items
       || ', "clause": ' || :clause_json
       || ', "counted_items": ' || r.counted_items
       || ', "deleted_by_user_items": ' || r.deleted_items
       || ', "host_unit_id": ' || s.host_unit_json
       || ', "live_items": ' || r.live_items
       || ', "min_items": ' || CAST(:min_items AS INTEGER)
       || ', "platform_observed_items": ' || r.observed_items
       || ', "policy_id": ' || :policy_id_json
       || ', "policy_sha256": ' || :policy_sha256_json
       || ', "previous_week_missed": ' || CASE WHEN r.previous_missed = 1 THEN 'true' ELSE 'false' END
       || ', "source": "cadence_presence (from published_items)"'
       || ', "week": ' || w.evidence_tail || '}',
       :detected_by
FROM reported r
JOIN subjects s ON s.account_id = r.account_id
JOIN weeks w ON w.week_index = r.week_index
