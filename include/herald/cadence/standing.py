"""The other standing rules the cadence pipeline scans over the same window as PUB-5.

- CON-9: more WeChat mass sends on an account in one Shanghai day than the policy allows.
- PUB-1 (with PUB-3): an item found on a platform that Herald never dispatched.
- CON-10: a post requested with less lead time than the policy demands (regular: calendar days
  before the publish time; urgent: whole Chinese working days between the request day and the
  publish day, the request day included).
- ACC-4: a change of an account filed more than the policy's working days after it happened
  (or not filed, once that many working days have passed at the scan's as-of).
- ACC-5: someone published on an account on a day without an operator assignment for it.

Selection and grouping run in SQL over the window; the working-day arithmetic runs in numpy over
all candidate rows at once. Periods: Shanghai days (``YYYY-MM-DD``) for CON-9, CON-10, PUB-1 and
ACC-4, ISO weeks for ACC-5, so a week-by-week backfill reports what a full-year scan does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np

from herald.cadence.labels import account_label, cite, person_label
from herald.cadence.window import ScanWindow, week_label
from herald.cadence.workdays import WorkdayCalendar, day_number, day_of_number
from herald.db import Transaction
from herald.findings import Finding, Scope
from herald.timeutil import format_shanghai, local_day

DAY_RULES = ("CON-9", "CON-10", "PUB-1", "ACC-4")
WEEK_RULES = ("ACC-5",)

CHANGE_LABELS = {"account_name": "账号名称", "management_team": "管理团队", "maintenance_method": "维护方式"}


def day_scope(window: ScanWindow) -> Scope:
    return Scope(rule_ids=DAY_RULES, period_from=window.first_day.isoformat(), period_to=window.last_day.isoformat())


def week_scope(window: ScanWindow) -> Scope:
    return Scope(rule_ids=WEEK_RULES, period_from=window.first_label, period_to=window.last_label)


def _day(number: Any) -> str:
    return day_of_number(int(number)).isoformat()


def mass_send_findings(tx: Transaction, window: ScanWindow, policy_for: Callable[[str], Any]) -> tuple[list[Finding], int]:
    policies = {pid: policy_for(pid) for pid in _policy_ids(tx)}
    fewest_allowed = min((p.mass_send.max_per_day for p in policies.values()), default=1)
    rows = tx.fetch("cadence/mass_send_days", from_at=window.start_at, to_at=window.end_at,
                    fewest_allowed=fewest_allowed)
    findings = []
    for row in rows:
        policy = policies[row["policy_id"]]
        allowed = policy.mass_send.max_per_day
        if row["mass_sends"] <= allowed:
            continue
        day = _day(row["day_number"])
        item_ids = sorted(row["item_ids"].split(","))
        findings.append(Finding(
            rule_id="CON-9", subject_type="account", subject_id=row["account_id"], period=day, severity="medium",
            summary=f"账号{account_label(row)}在{day}群发{row['mass_sends']}次，超过每日{allowed}次的限制"
                    f"（{cite(policy, 'mass_send', 'CON-9')}）。",
            evidence={"policy_id": policy.policy_id, "policy_sha256": policy.content_hash,
                      "clause": policy.clause("mass_send"), "day": day, "mass_sends": row["mass_sends"],
                      "max_per_day": allowed, "item_ids": item_ids, "host_unit_id": row["host_unit_id"]},
        ))
    return findings, len(rows)


def undispatched_findings(tx: Transaction, window: ScanWindow, policy_for: Callable[[str], Any]) -> tuple[list[Finding], int]:
    rows = tx.fetch("cadence/undispatched_items", from_at=window.start_at, to_at=window.end_at)
    findings = []
    for row in rows:
        policy = policy_for(row["policy_id"])
        day = _day(row["day_number"])
        findings.append(Finding(
            rule_id="PUB-1", subject_type="published_item", subject_id=row["item_id"], period=day, severity="high",
            summary=f"账号{account_label(row)}于{format_shanghai(row['published_at'])}出现一条未经Herald审批发布的信息"
                    f"（平台内容编号{row['platform_item_id'] or '未知'}），未走完审批流程、也非指定运营人员经Herald发布"
                    f"（{cite(policy, 'approval_chains', 'PUB-1、PUB-3')}）。",
            evidence={"policy_id": policy.policy_id, "policy_sha256": policy.content_hash,
                      "clause": policy.clause("approval_chains"), "related_rules": ["PUB-3"], "day": day,
                      "account_id": row["account_id"], "platform_item_id": row["platform_item_id"],
                      "url": row["url"], "published_at": row["published_at"], "host_unit_id": row["host_unit_id"]},
        ))
    return findings, len(rows)


def _calendar_for(*day_arrays: np.ndarray) -> WorkdayCalendar:
    days = np.concatenate([np.asarray(a, dtype=np.int64) for a in day_arrays])
    return WorkdayCalendar.covering(int(days.min()), int(days.max()))


def lead_time_findings(tx: Transaction, window: ScanWindow, policy_for: Callable[[str], Any]) -> tuple[list[Finding], int]:
    rows = tx.fetch("cadence/lead_times", from_at=window.start_at, to_at=window.end_at)
    if not rows:
        return [], 0
    policies = {pid: policy_for(pid) for pid in {r["policy_id"] for r in rows}}
    requested = np.array([r["requested_day"] for r in rows], dtype=np.int64)
    publish = np.array([r["publish_day"] for r in rows], dtype=np.int64)
    lead_seconds = np.array([r["lead_seconds"] for r in rows], dtype=np.int64)
    urgent = np.array([r["urgency"] == "urgent" for r in rows])
    regular_min_seconds = np.array([policies[r["policy_id"]].lead_time.regular_min_days * 86400 for r in rows])
    urgent_min_days = np.array([policies[r["policy_id"]].lead_time.urgent_min_working_days for r in rows])
    calendar = _calendar_for(requested, publish)
    working_days = calendar.workdays_from(requested, np.maximum(publish, requested))
    breach = np.where(urgent, working_days < urgent_min_days, lead_seconds < regular_min_seconds)
    findings = []
    for i in np.flatnonzero(breach):
        row, policy = rows[i], policies[rows[i]["policy_id"]]
        day = _day(publish[i])
        lead = timedelta(seconds=int(lead_seconds[i]))
        if urgent[i]:
            need = f"重要紧急信息应至少提前{policy.lead_time.urgent_min_working_days}个工作日提出，实际提前{int(working_days[i])}个工作日"
        else:
            need = f"常规信息应至少提前{policy.lead_time.regular_min_days}天提出，实际仅提前{_duration_zh(lead)}"
        findings.append(Finding(
            rule_id="CON-10", subject_type="post", subject_id=row["post_id"], period=day, severity="low",
            summary=f"账号{account_label(row)}的稿件{_post_title(row)}于{format_shanghai(row['requested_at'])}"
                    f"提出发布申请，计划{format_shanghai(row['publish_at'])}发布：{need}"
                    f"（{cite(policy, 'lead_time', 'CON-10')}）。",
            evidence={"policy_id": policy.policy_id, "policy_sha256": policy.content_hash,
                      "clause": policy.clause("lead_time"), "day": day, "urgency": row["urgency"],
                      "requested_at": row["requested_at"], "publish_at": row["publish_at"],
                      "lead_seconds": int(lead_seconds[i]), "working_days_ahead": int(working_days[i]),
                      "regular_min_days": policy.lead_time.regular_min_days,
                      "urgent_min_working_days": policy.lead_time.urgent_min_working_days,
                      "calendar_fallback": not bool(calendar.known(np.array([requested[i], publish[i]])).all()),
                      "account_id": row["account_id"], "host_unit_id": row["host_unit_id"]},
        ))
    return findings, len(rows)


def _post_title(row: dict[str, Any]) -> str:
    """《title》, or for a post without one (a Weibo text) the start of its text: “今天我们…”."""
    if row.get("title"):
        return f"《{row['title']}》"
    excerpt = " ".join((row.get("excerpt") or "").split())
    return f"“{excerpt[:20]}…”" if excerpt else "（无标题）"


def _duration_zh(lead: timedelta) -> str:
    if lead.total_seconds() < 0:
        return "0小时（申请晚于发布时间）"
    days, hours = lead.days, lead.seconds // 3600
    return f"{days}天{hours}小时" if days else f"{hours}小时"


def late_filing_findings(tx: Transaction, window: ScanWindow, policy_for: Callable[[str], Any]) -> tuple[list[Finding], int]:
    rows = tx.fetch("cadence/change_filings", from_at=window.start_at, to_at=window.end_at)
    if not rows:
        return [], 0
    policies = {pid: policy_for(pid) for pid in {r["policy_id"] for r in rows}}
    as_of_day = day_number(local_day(window.as_of))
    occurred = np.array([r["occurred_day"] for r in rows], dtype=np.int64)
    is_filed = np.array([r["filed_day"] is not None for r in rows])
    filed_or_now = np.array([r["filed_day"] if r["filed_day"] is not None else as_of_day for r in rows], dtype=np.int64)
    allowed = np.array([policies[r["policy_id"]].change_filing_working_days for r in rows])
    in_scope = np.array([r["step"] in policies[r["policy_id"]].change_filing_changes for r in rows])
    calendar = _calendar_for(occurred, filed_or_now)
    taken = calendar.workdays_after(occurred, np.maximum(filed_or_now, occurred))
    late = in_scope & (taken > allowed)
    findings = []
    for i in np.flatnonzero(late):
        row, policy = rows[i], policies[rows[i]["policy_id"]]
        day = _day(occurred[i])
        change = CHANGE_LABELS.get(row["step"], row["step"])
        when = (f"于{format_shanghai(row['filed_at'])}才书面备案，晚了{int(taken[i])}个工作日" if is_filed[i]
                else f"截至{format_shanghai(window.as_of)}已过{int(taken[i])}个工作日仍未书面备案")
        findings.append(Finding(
            rule_id="ACC-4", subject_type="account_event", subject_id=row["event_id"], period=day, severity="medium",
            summary=f"账号{account_label(row)}于{day}变更{change}，{when}；"
                    f"应在{int(allowed[i])}个工作日内备案（{cite(policy, 'change_filing', 'ACC-4')}）。",
            evidence={"policy_id": policy.policy_id, "policy_sha256": policy.content_hash,
                      "clause": policy.clause("change_filing"), "day": day, "change": row["step"],
                      "occurred_at": row["occurred_at"], "filed_at": row["filed_at"],
                      "working_days_taken": int(taken[i]), "working_days_allowed": int(allowed[i]),
                      "filed": bool(is_filed[i]),
                      "calendar_fallback": not bool(calendar.known(np.array([occurred[i], filed_or_now[i]])).all()),
                      "account_id": row["account_id"], "host_unit_id": row["host_unit_id"]},
        ))
    return findings, len(rows)


def unassigned_operator_findings(tx: Transaction, window: ScanWindow, policy_for: Callable[[str], Any]) -> tuple[list[Finding], int]:
    rows = tx.fetch("cadence/unassigned_operators", from_at=window.start_at, to_at=window.end_at)
    findings = []
    for row in rows:
        policy = policy_for(row["policy_id"])
        label = week_label(int(row["week_index"]))
        first, last = _day(row["first_day"]), _day(row["last_day"])
        days = first if first == last else f"{first}至{last}期间{row['days']}天"
        findings.append(Finding(
            rule_id="ACC-5", subject_type="account_operator", subject_id=f"{row['account_id']}/{row['operator_id']}",
            period=label, severity="high",
            summary=f"{person_label(row['operator_name'], row['operator_id'])}在{days}于账号{account_label(row)}"
                    f"发布了{row['items']}条信息，但当时并无该账号的运营人员指定和交接备案"
                    f"（{cite(policy, 'handover', 'ACC-5')}）。",
            evidence={"policy_id": policy.policy_id, "policy_sha256": policy.content_hash,
                      "clause": policy.clause("handover"), "week": label, "account_id": row["account_id"],
                      "operator_id": row["operator_id"], "first_day": first, "last_day": last,
                      "days": int(row["days"]), "items": int(row["items"]), "host_unit_id": row["host_unit_id"]},
        ))
    return findings, len(rows)


def _policy_ids(tx: Transaction) -> list[str]:
    return [row["policy_id"] for row in tx.fetch("cadence/policies_in_use")]


def standing_findings(tx: Transaction, window: ScanWindow,
                      policy_for: Callable[[str], Any]) -> tuple[list[Finding], list[Finding], dict[str, int]]:
    """(day-period findings, week-period findings, candidate rows read per rule) for the window."""
    if window.is_empty:
        return [], [], {}
    by_day: list[Finding] = []
    read: dict[str, int] = {}
    for rule_id, check in (("CON-9", mass_send_findings), ("PUB-1", undispatched_findings),
                           ("CON-10", lead_time_findings), ("ACC-4", late_filing_findings)):
        found, rows = check(tx, window, policy_for)
        by_day += found
        read[f"candidates:{rule_id}"] = rows
    by_week, rows = unassigned_operator_findings(tx, window, policy_for)
    read["candidates:ACC-5"] = rows
    return by_day, by_week, read
