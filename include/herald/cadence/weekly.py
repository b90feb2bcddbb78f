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

The whole scan runs in the database: ``refresh_presence`` recounts the window's weeks from the
publishing log into ``cadence_presence`` (one row per account and week), and ``stage_lapses``
judges the window against it and composes the findings (``sql/cadence/weekly_lapses_stage.sql``),
one statement per policy pack in use; ``herald.findings`` then applies them set-based.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from herald.cadence.labels import PLATFORM_LABELS, cite
from herald.cadence.window import ScanWindow, week_label
from herald.db import Transaction
from herald.findings import Scope
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
    tx.execute("cadence/presence_clear", first_week=window.first_week, last_week=window.last_week)
    written = tx.execute(
        "cadence/presence_refresh", from_at=window.start_at, to_at=window.end_at, now=require_aware(now, "now"),
    )
    tx.execute("cadence/presence_analyze")
    return written


def policies_in_use(tx: Transaction) -> list[str]:
    return [row["policy_id"] for row in tx.fetch("cadence/policies_in_use")]


def stage_lapses(tx: Transaction, window: ScanWindow, policy_for, *, detected_by: str) -> int:
    """Judge the window against ``cadence_presence`` and stage its PUB-5 findings (``herald.findings.open_stage``
    first); return the findings staged. One statement per policy pack: the judging, the Chinese summary and the
    evidence are all composed in the database."""
    if window.is_empty:
        return 0
    weeks = json.dumps([_week_row(week) for week in range(window.first_week - 1, window.last_week + 1)],
                       ensure_ascii=False)
    platform_labels = json.dumps(sorted(PLATFORM_LABELS.items()), ensure_ascii=False)
    staged = 0
    for policy_id in policies_in_use(tx):
        policy = policy_for(policy_id)
        cadence = policy.cadence
        if cadence.period != "iso_week" or cadence.starts != "first_full_week" or cadence.suspended_weeks != "exempt":
            raise ValueError(
                f"policy {policy_id}: cadence {cadence.period}/{cadence.starts}/{cadence.suspended_weeks} "
                "is not implemented by the cadence scan (iso_week/first_full_week/exempt)"
            )
        staged += tx.execute(
            "cadence/weekly_lapses_stage",
            policy_id=policy_id,
            first_week=window.first_week - 1,  # the week before, only to tell consecutive misses
            last_week=window.last_week,
            report_from_week=window.first_week,
            weeks=weeks,
            platform_labels=platform_labels,
            min_items=cadence.min_items,
            count_deleted=cadence.count_deleted_by_user,
            count_banned=cadence.count_banned_by_platform,
            rule_id=RULE_ID,
            severity=SEVERITY,
            consecutive_severity=CONSECUTIVE_SEVERITY,
            citation=cite(policy, "cadence", RULE_ID),
            clause_json=json.dumps(policy.clause("cadence"), ensure_ascii=False),
            policy_id_json=json.dumps(policy.policy_id, ensure_ascii=False),
            policy_sha256_json=json.dumps(policy.content_hash, ensure_ascii=False),
            detected_by=detected_by,
        )
    return staged


def _week_row(week: int) -> list:
    """What the findings say about a week: its index, ISO label, first and last day (ISO, then as 03月03日)."""
    monday = week_index_monday(week)
    sunday = monday + timedelta(days=6)
    return [week, week_label(week), monday.isoformat(), sunday.isoformat(), f"{monday:%m月%d日}", f"{sunday:%m月%d日}"]


def scope(window: ScanWindow) -> Scope:
    return Scope(rule_ids=(RULE_ID,), period_from=window.first_label, period_to=window.last_label)
