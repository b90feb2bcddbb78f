"""PUB-5, the weekly rule: every open account publishes at least ``min_items`` counting items each ISO week.

The rule as policy pack 000 (§4.4 and its Herald defaults) fixes it:

- weeks are Monday to Sunday on Asia/Shanghai dates; the week still running at the scan's as-of
  is not judged;
- the first judged week is the first full week after opening (the opening week counts only if the
  account opened on its Monday); ``closed_on`` is the last open day, so the closing week counts
  only if that day is its Sunday, and later weeks are not judged;
- a week in which the account was suspended at any moment is not judged;
- only items Herald logged (``dispatch``, ``manual_confirmation``) count; an item later deleted
  by the account's operators counts or not as ``count_deleted_by_user`` says, one banned by the
  platform as ``count_banned_by_platform`` says; items found on the platform that Herald never
  dispatched never count (they are PUB-1 findings); the same platform item logged twice counts once.

The whole scan runs in the database. ``refresh_presence`` recounts the window's weeks from the
publishing log into ``cadence_presence`` (one row per account and week) and ``cadence_week_bits`` (the
same weeks as bits, one row per account and block of 60 weeks). ``record_lapses`` judges the window from
the bits (``sql/cadence/weekly_judge.sql``), sets the judgement against what the scan last recorded
(``cadence_lapse_state``), composes the findings of the weeks that changed
(``sql/cadence/weekly_lapses_stage.sql``), resolves those of the weeks that no longer lapse, and keeps
the new record: one statement per policy pack for each step, however many accounts and weeks. A week
the record does not cover yet (``cadence_lapse_weeks``: a new database, findings cleared) is judged in
full, every lapse composed and every other finding of the week resolved, as ``full=True`` asks.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from functools import cache

from herald.cadence.labels import PLATFORM_LABELS, cite, week_label_zh
from herald.cadence.window import ScanWindow, week_label
from herald.db import Transaction, sql_text
from herald.findings import Scope, apply_stage, history_batch, open_stage
from herald.timeutil import require_aware, week_index_monday

RULE_ID = "PUB-5"
SEVERITY = "medium"
# Two weeks in a row without an update is an automatic fail for government new media
# (国办秘函〔2019〕19号), so a week whose previous week was missed too is reported as high. The
# previous week is always looked at, so a week-by-week backfill reports what a full-year scan does.
CONSECUTIVE_SEVERITY = "high"


def refresh_presence(tx: Transaction, window: ScanWindow, *, now: datetime) -> int:
    """Recount the window's weeks from the publishing log; return the (account, week) rows written."""
    if window.is_empty:
        return 0
    weeks = {"first_week": window.first_week, "last_week": window.last_week}
    tx.execute("cadence/presence_clear", **weeks)
    tx.execute("cadence/week_bits_clear", **weeks)
    written = tx.execute(
        "cadence/presence_refresh", from_at=window.start_at, to_at=window.end_at, now=require_aware(now, "now"),
    )
    tx.execute("cadence/week_bits_refresh", **weeks)
    tx.execute("cadence/presence_analyze")
    return written


def policies_in_use(tx: Transaction) -> list[str]:
    return [row["policy_id"] for row in tx.fetch("cadence/policies_in_use")]


def record_lapses(tx: Transaction, window: ScanWindow, policy_for, *, detected_by: str, now: datetime,
                  full: bool = False) -> dict[str, int]:
    """Judge the window's weeks and bring their PUB-5 findings in line; return the counts: ``lapses`` (open
    after the scan), ``composed`` (findings written or confirmed), ``resolved``, ``full`` (1 if judged in full).
    """
    counts = {"lapses": 0, "composed": 0, "resolved": 0, "full": int(full)}
    if window.is_empty:
        return counts
    tx.fetch("cadence/lapse_lock")
    report = {"first_week": window.first_week, "last_week": window.last_week}
    full = full or tx.scalar("cadence/lapse_weeks_covered", **report) < len(window.weeks())
    counts["full"] = int(full)
    shared = {
        "first_week": window.first_week - 1,  # the week before, only to tell consecutive misses
        "last_week": window.last_week,
        "weeks": json.dumps([_week_row(week) for week in range(window.first_week - 1, window.last_week + 1)],
                            ensure_ascii=False),
        "platform_labels": json.dumps(sorted(PLATFORM_LABELS.items()), ensure_ascii=False),
        "rule_id": RULE_ID,
    }
    policies = {policy_id: _policy_params(policy_for(policy_id), detected_by, tx.dialect)
                for policy_id in policies_in_use(tx)}
    tx.execute("cadence/judgement_create")
    tx.execute("cadence/judgement_clear")
    for params in policies.values():
        tx.execute("cadence/weekly_judge", **shared, **params, report_from_week=window.first_week, full=full)
    tx.execute("cadence/judgement_analyze")
    open_stage(tx)
    for params in policies.values():
        tx.execute("cadence/weekly_lapses_stage", **shared, **params, detected_by=detected_by)
    applied = apply_stage(tx, scope=scope(window) if full else None, now=now, detected_by=detected_by)
    counts["composed"] = applied["reported"]
    counts["resolved"] = applied["resolved"]
    if full:
        tx.execute("cadence/findings_analyze")
    else:
        tx.execute("cadence/weekly_history_gone", weeks=shared["weeks"], rule_id=RULE_ID, now=now,
                   batch=history_batch(), actor=detected_by)
        counts["resolved"] += tx.execute("cadence/weekly_resolve_gone", weeks=shared["weeks"], rule_id=RULE_ID,
                                         now=now)
    tx.execute("cadence/lapse_state_record")
    tx.execute("cadence/lapse_weeks_record", weeks=shared["weeks"], **report)
    counts["lapses"] = int(tx.scalar("cadence/judgement_lapses"))
    return counts


def _policy_params(policy, detected_by: str, dialect: str) -> dict:
    """What the judging and composing statements take from a policy pack. ``basis_tail`` stands for every
    ingredient of the findings' text other than the account's: when it changes, the findings are written again."""
    cadence = policy.cadence
    if cadence.period != "iso_week" or cadence.starts != "first_full_week" or cadence.suspended_weeks != "exempt":
        raise ValueError(
            f"policy {policy.policy_id}: cadence {cadence.period}/{cadence.starts}/{cadence.suspended_weeks} "
            "is not implemented by the cadence scan (iso_week/first_full_week/exempt)"
        )
    params = {
        "policy_id": policy.policy_id,
        "min_items": cadence.min_items,
        "count_deleted": cadence.count_deleted_by_user,
        "count_banned": cadence.count_banned_by_platform,
        "severity": SEVERITY,
        "consecutive_severity": CONSECUTIVE_SEVERITY,
        "citation": cite(policy, "cadence", RULE_ID),
        "clause_json": json.dumps(policy.clause("cadence"), ensure_ascii=False),
        "policy_id_json": json.dumps(policy.policy_id, ensure_ascii=False),
        "policy_sha256_json": json.dumps(policy.content_hash, ensure_ascii=False),
    }
    ingredients = json.dumps([params, detected_by, _composing_sql_sha256(dialect)], ensure_ascii=False, sort_keys=True)
    return {**params, "basis_tail": hashlib.sha256(ingredients.encode()).hexdigest()}


@cache
def _composing_sql_sha256(dialect: str) -> str:
    """A new version of the statement that writes the findings' text makes every finding due to be written again."""
    return hashlib.sha256(sql_text("cadence/weekly_lapses_stage", dialect).encode()).hexdigest()


def _week_row(week: int) -> list:
    """What the findings say about a week: its index, ISO label, first and last day (ISO, then as 03月03日), and
    the label people read (2025年第10周)."""
    monday = week_index_monday(week)
    sunday = monday + timedelta(days=6)
    label = week_label(week)
    return [week, label, monday.isoformat(), sunday.isoformat(), f"{monday:%m月%d日}", f"{sunday:%m月%d日}",
            week_label_zh(label)]


def scope(window: ScanWindow) -> Scope:
    return Scope(rule_ids=(RULE_ID,), period_from=window.first_label, period_to=window.last_label)
