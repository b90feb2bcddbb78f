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

The counting runs in the database: ``refresh_presence`` recounts the window's weeks from the
publishing log into ``cadence_presence`` (one row per account and week), and ``weekly_lapses``
judges the window against it, one query per policy pack in use.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from herald.cadence.labels import account_label, cite
from herald.cadence.window import ScanWindow, week_label
from herald.db import Transaction
from herald.findings import Finding, Scope
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
    return tx.execute(
        "cadence/presence_refresh", from_at=window.start_at, to_at=window.end_at, now=require_aware(now, "now"),
    )


def policies_in_use(tx: Transaction) -> list[str]:
    return [row["policy_id"] for row in tx.fetch("cadence/policies_in_use")]


def weekly_lapses(tx: Transaction, window: ScanWindow, policy_for) -> list[Finding]:
    """The PUB-5 findings of the window, judged against ``cadence_presence``."""
    if window.is_empty:
        return []
    findings: list[Finding] = []
    for policy_id in policies_in_use(tx):
        policy = policy_for(policy_id)
        cadence = policy.cadence
        if cadence.period != "iso_week" or cadence.starts != "first_full_week" or cadence.suspended_weeks != "exempt":
            raise ValueError(
                f"policy {policy_id}: cadence {cadence.period}/{cadence.starts}/{cadence.suspended_weeks} "
                "is not implemented by the cadence scan (iso_week/first_full_week/exempt)"
            )
        rows = tx.fetch(
            "cadence/weekly_lapses",
            policy_id=policy_id,
            first_week=window.first_week - 1,  # the week before, only to tell consecutive misses
            last_week=window.last_week,
            min_items=cadence.min_items,
            count_deleted=cadence.count_deleted_by_user,
            count_banned=cadence.count_banned_by_platform,
        )
        findings.extend(lapse_findings(rows, policy, first_week=window.first_week))
    return findings


def counted_items(row: dict[str, Any], cadence) -> int:
    return (row["live_items"] + (row["deleted_items"] if cadence.count_deleted_by_user else 0)
            + (row["banned_items"] if cadence.count_banned_by_platform else 0))


def lapse_findings(rows: Iterable[dict[str, Any]], policy, *, first_week: int) -> list[Finding]:
    """One finding per (account, week >= first_week) row of ``weekly_lapses`` (ordered by account, week)."""
    cadence = policy.cadence
    clause = policy.clause("cadence")
    findings = []
    previous: tuple[str, int] | None = None
    for row in rows:
        account_id, week = row["account_id"], int(row["week_index"])
        previous_missed = previous == (account_id, week - 1)
        previous = (account_id, week)
        if week < first_week:
            continue
        monday = week_index_monday(week)
        label = week_label(week)
        counted = counted_items(row, cadence)
        not_counted = []
        if row["banned_items"] and not cadence.count_banned_by_platform:
            not_counted.append(f"{row['banned_items']}条被平台屏蔽")
        if row["deleted_items"] and not cadence.count_deleted_by_user:
            not_counted.append(f"{row['deleted_items']}条已被删除")
        if row["observed_items"]:
            not_counted.append(f"{row['observed_items']}条未经Herald审批发布")
        summary = (
            f"账号{account_label(row)}"
            f"在{label}({monday:%m月%d日}至{monday + timedelta(days=6):%m月%d日})"
            f"仅发布{counted}条计入更新的信息,少于每周{cadence.min_items}条"
            + (f";该周另有{'、'.join(not_counted)},均不计入" if not_counted else "")
            + (";上一周也未达标,已连续两周未更新" if previous_missed else "")
            + f"({cite(policy, 'cadence', RULE_ID)})。"
        )
        findings.append(
            Finding(
                rule_id=RULE_ID,
                subject_type="account",
                subject_id=account_id,
                period=label,
                severity=CONSECUTIVE_SEVERITY if previous_missed else SEVERITY,
                summary=summary,
                evidence={
                    "policy_id": policy.policy_id,
                    "policy_sha256": policy.content_hash,
                    "clause": clause,
                    "week": label,
                    "week_start_on": monday.isoformat(),
                    "week_end_on": (monday + timedelta(days=6)).isoformat(),
                    "host_unit_id": row["host_unit_id"],
                    "min_items": cadence.min_items,
                    "counted_items": counted,
                    "live_items": row["live_items"],
                    "deleted_by_user_items": row["deleted_items"],
                    "banned_items": row["banned_items"],
                    "platform_observed_items": row["observed_items"],
                    "previous_week_missed": previous_missed,
                    "source": "cadence_presence (from published_items)",
                },
            )
        )
    return findings


def scope(window: ScanWindow) -> Scope:
    return Scope(rule_ids=(RULE_ID,), period_from=window.first_label, period_to=window.last_label)
