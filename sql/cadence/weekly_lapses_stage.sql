{% import "cadence/_week_bits.sql.j2" as bits with context %}
-- PUB-5: the findings of the weeks cadence_judgement marks for composing (compose_bits, from
-- weekly_judge.sql) for the accounts of one policy pack, written into findings_stage (id, summary,
-- evidence) for findings/upsert to apply. One statement per policy pack, however many findings.
--
-- A lapsed week that logged items that did not count has a cadence_presence row whose counts the finding
-- cites; any other lapsed week logged nothing. The severity is :consecutive_severity where the week
-- before lapsed too (high_bits).
--
-- :weeks holds one [week_index, label, start_on, end_on, start "MM月DD日", end "MM月DD日", "YYYY年第W周"] per
-- week of the window, labelled by herald.cadence.window; :platform_labels [platform, Chinese name] pairs.
-- The text is Chinese throughout, with full-width punctuation, the account as herald.cadence.labels.account_label
-- writes it and the clause cited once (:citation, from herald.cadence.labels.cite).
-- Evidence is the JSON herald.findings writes for findings made in Python (keys sorted, ", " and ": "
-- separators); the *_json parameters are values already encoded as JSON.
WITH weeks AS (
    SELECT CAST(week_index AS INTEGER) AS week_index, label, label_zh, start_md, end_md,
           {{ sql.json_quote('label') }} || ', "week_end_on": ' || {{ sql.json_quote('end_on') }}
               || ', "week_start_on": ' || {{ sql.json_quote('start_on') }} AS evidence_tail
    FROM ({{ sql.json_array_rows(':weeks', ['week_index', 'label', 'start_on', 'end_on', 'start_md', 'end_md',
                                            'label_zh']) }}) AS w
),
platform_labels AS (
    {{ sql.json_array_rows(':platform_labels', ['platform', 'label']) }}
),
lapses AS (
    SELECT j.account_id, w.week_index,
           CASE WHEN {{ bits.has('j.high_bits', 'w.week_index') }} THEN 1 ELSE 0 END AS previous_missed,
           COALESCE(p.live_items, 0) AS live_items,
           COALESCE(p.deleted_items, 0) AS deleted_items,
           COALESCE(p.banned_items, 0) AS banned_items,
           COALESCE(p.observed_items, 0) AS observed_items
    FROM cadence_judgement j
    JOIN weeks w ON {{ bits.block_of('w.week_index') }} = j.block AND {{ bits.has('j.compose_bits', 'w.week_index') }}
    LEFT JOIN cadence_presence p ON p.account_id = j.account_id AND p.week_index = w.week_index
    WHERE j.policy_id = :policy_id AND j.compose_bits <> 0
),
reported AS (
    SELECT l.account_id, l.week_index, l.live_items, l.deleted_items, l.banned_items, l.observed_items,
           l.live_items + CASE WHEN :count_deleted THEN l.deleted_items ELSE 0 END
                        + CASE WHEN :count_banned THEN l.banned_items ELSE 0 END AS counted_items,
           l.previous_missed,
           CASE WHEN l.banned_items > 0 AND NOT :count_banned THEN '、' || l.banned_items || '条被平台屏蔽' ELSE '' END
           || CASE WHEN l.deleted_items > 0 AND NOT :count_deleted THEN '、' || l.deleted_items || '条已被删除' ELSE '' END
           || CASE WHEN l.observed_items > 0 THEN '、' || l.observed_items || '条未经Herald审批发布' ELSE '' END
               AS not_counted
    FROM lapses l
),
subjects AS MATERIALIZED (
    -- What every finding of an account repeats, composed once per account (lapsing ones only).
    SELECT a.account_id,
           '账号' || a.name || '（' || COALESCE(pl.label, a.platform) || '，' || a.account_id || '）在' AS summary_head,
           {{ sql.json_quote('a.host_unit_id') }} AS host_unit_json,
           CAST(:rule_id AS TEXT) || {{ sql.unit_separator() }} || 'account' || {{ sql.unit_separator() }}
               || a.account_id || {{ sql.unit_separator() }} AS key_head
    FROM accounts a
    LEFT JOIN platform_labels pl ON pl.platform = a.platform
    WHERE a.account_id IN (SELECT account_id FROM lapses)
)
INSERT INTO findings_stage (finding_id, rule_id, subject_type, subject_id, period, severity, summary, evidence,
                            detected_by)
SELECT 'F-' || substr({{ sql.sha256_hex('s.key_head || w.label') }}, 1, 24),
       :rule_id, 'account', r.account_id, w.label,
       CASE WHEN r.previous_missed = 1 THEN :consecutive_severity ELSE :severity END,
       s.summary_head || w.label_zh || '（' || w.start_md || '至' || w.end_md || '）'
       || '仅发布' || r.counted_items || '条计入更新的信息，少于每周' || CAST(:min_items AS INTEGER) || '条'
       || CASE WHEN r.not_counted <> '' THEN '；该周另有' || substr(r.not_counted, 2) || '，均不计入' ELSE '' END
       || CASE WHEN r.previous_missed = 1 THEN '；上一周也未达标，已连续两周未更新' ELSE '' END
       || '（' || :citation || '）。',
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
