"""Early warnings: accounts that risk missing the running week (PUB-5), and authorisations about to lapse.

An account is reminded when, at the run's instant, the running week is one it will be judged on
(opened before it, not closing before its Sunday, active and not suspended so far this week), it
has published nothing that counts since Monday and nothing approved is scheduled before Sunday
ends. Reminders are messages, not findings: the week is not over, so nothing is violated yet.

A platform authorisation (Weibo OAuth and the like, from ``platform_tokens``) that lapses within
``TOKEN_NOTICE_DAYS`` is announced the same way: once it lapses the account cannot publish and
would miss its weeks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from herald.cadence.labels import account_label, week_label_zh
from herald.cadence.window import week_label, week_of_instant
from herald.db import Transaction
from herald.timeutil import format_shanghai, require_aware, shanghai, shanghai_midnight_utc, week_index_monday

TOKEN_NOTICE_DAYS = 7


@dataclass(frozen=True)
class Reminder:
    account_id: str
    name: str
    platform: str
    host_unit_id: str
    policy_id: str
    week: str
    deadline_on: str  # the Sunday the week ends on

    @property
    def text(self) -> str:
        account = account_label({"name": self.name, "platform": self.platform, "account_id": self.account_id})
        return (f"账号{account}本周（{week_label_zh(self.week)}）尚未发布信息，也没有已审批待发布的稿件；"
                f"请在{self.deadline_on}（周日）前完成发布，以免违反每周至少更新一次的要求（规则PUB-5）。")

    def as_dict(self) -> dict[str, str]:
        return {"account_id": self.account_id, "host_unit_id": self.host_unit_id, "policy_id": self.policy_id,
                "week": self.week, "deadline_on": self.deadline_on}


def due_reminders(tx: Transaction, as_of: datetime, policy_for: Callable[[str], Any]) -> list[Reminder]:
    """Reminders for the accounts whose policy warns on ``as_of``'s Shanghai weekday (none on other days)."""
    as_of = require_aware(as_of, "as_of")
    weekday = shanghai(as_of).isoweekday()
    week = week_of_instant(as_of)
    monday = week_index_monday(week)
    reminders = []
    for row in tx.fetch("cadence/policies_in_use"):
        policy = policy_for(row["policy_id"])
        cadence = policy.cadence
        if cadence.early_warning_weekday != weekday:
            continue
        candidates = tx.fetch(
            "cadence/warning_candidates", policy_id=policy.policy_id, week=week, as_of=as_of,
            week_start_at=shanghai_midnight_utc(monday), week_end_at=shanghai_midnight_utc(monday + timedelta(days=7)),
            count_deleted=cadence.count_deleted_by_user, count_banned=cadence.count_banned_by_platform,
        )
        reminders += [
            Reminder(c["account_id"], c["name"], c["platform"], c["host_unit_id"], policy.policy_id, week_label(week),
                     (monday + timedelta(days=6)).isoformat())
            for c in candidates
        ]
    return reminders


@dataclass(frozen=True)
class TokenNotice:
    account_id: str
    name: str
    platform: str
    host_unit_id: str
    expires_at: datetime

    @property
    def text(self) -> str:
        account = account_label({"name": self.name, "platform": self.platform, "account_id": self.account_id})
        return (f"账号{account}的平台授权将于{format_shanghai(self.expires_at)}到期，"
                f"请主管部门及时重新授权，以免无法发布。")

    def as_dict(self) -> dict[str, str]:
        return {"account_id": self.account_id, "host_unit_id": self.host_unit_id, "expires_at": self.expires_at.isoformat()}


def expiring_tokens(tx: Transaction, as_of: datetime, *, within_days: int = TOKEN_NOTICE_DAYS) -> list[TokenNotice]:
    """Authorisations that lapse before ``as_of`` + ``within_days`` (already lapsed ones included)."""
    until = require_aware(as_of, "as_of") + timedelta(days=within_days)
    return [TokenNotice(r["account_id"], r["name"], r["platform"], r["host_unit_id"], r["expires_at"])
            for r in tx.fetch("cadence/expiring_tokens", until_at=until)]
