"""Chinese digests of the cadence findings and reminders: one per competent department and per host unit.

Routing follows the policies' ``notifications.route_roles``: each finding and reminder goes to the
head of the account's host unit (``host_unit_head`` held for that unit) and to the competent
department head whose assignment covers the host unit (``competent_department_head`` held for
the nearest enclosing unit: the group, a subsidiary, a department). A competent department's
digest gathers every unit it supervises. Acknowledged findings are left out: someone is on them.

A digest is titled by its unit's name as people know it (``labels.unit_label``: 集团办公室, not 办公室); where one
unit gets both digests, the competent department's says so (集团办公室（主管部门）). Each finding ends with its
number, which ``python -m herald findings ack|resolve`` and the HTTP door take.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from herald.cadence.labels import RULE_TITLES, unit_label
from herald.cadence.warning import Reminder, TokenNotice
from herald.db import Transaction
from herald.timeutil import format_shanghai, local_day

MAX_LINES_PER_SECTION = 20  # a robot message has a size limit; the full list is in Herald
AUDIENCE_LABELS = {"competent_department": "主管部门", "host_unit": "主办单位"}
HOW_TO_ANSWER = ("请相关负责人及时处理。已在处理的问题，请在Herald的“待办发现”页面或用命令"
                 "“python -m herald findings ack 问题编号 --reason 理由”标记为“已确认”；"
                 "已整改的用“findings resolve”标记为“已解决”。")


@dataclass(frozen=True)
class Recipient:
    person_id: str
    name: str
    email: str | None


@dataclass
class Digest:
    audience: str  # competent_department | host_unit
    unit_id: str
    unit_name: str
    recipients: tuple[Recipient, ...]
    as_of: datetime
    findings: list[dict[str, Any]] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    token_notices: list[TokenNotice] = field(default_factory=list)
    title: str = ""  # what the digest is called (build_digests sets it): the unit's name, told apart if need be

    @property
    def subject(self) -> str:
        return (f"【新媒体巡检】{self.title or self.unit_name}：{len(self.findings)}项待处理问题、"
                f"{len(self.reminders)}个账号本周待更新（{local_day(self.as_of).isoformat()}）")

    def sections(self) -> list[tuple[str, list[str]]]:
        by_rule: dict[str, list[str]] = defaultdict(list)
        for finding in self.findings:
            number = f"（问题编号{finding['finding_id']}）" if finding.get("finding_id") else ""
            by_rule[finding["rule_id"]].append(finding["summary"] + number)
        sections = [(f"{RULE_TITLES.get(rule, rule)}（{rule}）{len(lines)}项", lines)
                    for rule, lines in sorted(by_rule.items())]
        if self.reminders:
            sections.append((f"本周更新提醒（PUB-5）{len(self.reminders)}个账号", [r.text for r in self.reminders]))
        if self.token_notices:
            sections.append((f"平台授权即将到期{len(self.token_notices)}个账号", [t.text for t in self.token_notices]))
        return sections

    def markdown(self) -> str:
        lines = [f"## {self.subject}",
                 f"截至{format_shanghai(self.as_of)}，{AUDIENCE_LABELS[self.audience]}{self.unit_name}名下："]
        for title, items in self.sections():
            lines.append(f"### {title}")
            lines += [f"- {item}" for item in items[:MAX_LINES_PER_SECTION]]
            if len(items) > MAX_LINES_PER_SECTION:
                lines.append(f"- ……另有{len(items) - MAX_LINES_PER_SECTION}项，请在Herald中查看完整清单。")
        lines.append(HOW_TO_ANSWER)
        return "\n".join(lines)

    def html(self) -> str:
        parts = [f"<h2>{html.escape(self.subject)}</h2>",
                 f"<p>截至{html.escape(format_shanghai(self.as_of))}，{AUDIENCE_LABELS[self.audience]}"
                 f"{html.escape(self.unit_name)}名下：</p>"]
        for title, items in self.sections():
            parts.append(f"<h3>{html.escape(title)}</h3><ul>")
            parts += [f"<li>{html.escape(item)}</li>" for item in items]
            parts.append("</ul>")
        parts.append(f"<p>{html.escape(HOW_TO_ANSWER)}</p>")
        return "\n".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {"audience": self.audience, "unit_id": self.unit_id, "recipients": [r.person_id for r in self.recipients],
                "findings": [f["finding_id"] for f in self.findings], "reminders": [r.account_id for r in self.reminders],
                "token_notices": [t.account_id for t in self.token_notices]}


class Router:
    """Who supervises a host unit: its own head, and the competent department covering it."""

    def __init__(self, units: Iterable[Mapping[str, Any]], holders: Iterable[Mapping[str, Any]]):
        self.units = {u["unit_id"]: u for u in units}
        self.holders: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
        for holder in holders:
            self.holders[(holder["role"], holder["for_unit_id"])].append(holder)

    def unit_name(self, unit_id: str) -> str:
        """The unit's name told apart from its namesakes (集团办公室, 华夏新能源科技综合办公室)."""
        return unit_label(unit_id, self.units)

    def host_unit(self, host_unit_id: str) -> tuple[str, list[Mapping[str, Any]]]:
        return host_unit_id, self.holders.get(("host_unit_head", host_unit_id), [])

    def competent_department(self, host_unit_id: str) -> tuple[str, list[Mapping[str, Any]]] | None:
        """The department of the competent head assigned for the nearest unit enclosing the host unit."""
        unit_id, seen = host_unit_id, set()
        while unit_id and unit_id not in seen:
            seen.add(unit_id)
            heads = self.holders.get(("competent_department_head", unit_id))
            if heads:
                return heads[0]["person_unit_id"], heads
            unit_id = self.units.get(unit_id, {}).get("parent_id")
        return None


def _recipients(holders: Iterable[Mapping[str, Any]]) -> tuple[Recipient, ...]:
    return tuple(Recipient(h["person_id"], h["name"], h["email"]) for h in holders)


def build_digests(tx: Transaction, *, periods: Mapping[str, tuple[str, str]], reminders: Iterable[Reminder],
                  as_of: datetime, token_notices: Iterable[TokenNotice] = ()) -> list[Digest]:
    """Digests of the open findings of ``periods`` (rule -> (from, to)), reminders and notices, per recipient unit."""
    router = Router(tx.fetch("cadence/org_units"), tx.fetch("cadence/route_holders", day=local_day(as_of)))
    digests: dict[tuple[str, str], Digest] = {}

    def route(host_unit_id: str) -> list[Digest]:
        targets = [("host_unit", *router.host_unit(host_unit_id))]
        competent = router.competent_department(host_unit_id)
        if competent:
            targets.append(("competent_department", *competent))
        out = []
        for audience, unit_id, holders in targets:
            key = (audience, unit_id)
            if key not in digests:
                digests[key] = Digest(audience, unit_id, router.unit_name(unit_id), _recipients(holders), as_of)
            out.append(digests[key])
        return out

    for rule_id, (period_from, period_to) in periods.items():
        for finding in tx.fetch("cadence/digest_findings", rule_id=rule_id, period_from=period_from, period_to=period_to):
            host_unit_id = json.loads(finding["evidence"]).get("host_unit_id")
            for digest in route(host_unit_id) if host_unit_id else []:
                digest.findings.append(finding)
    for reminder in reminders:
        for digest in route(reminder.host_unit_id):
            digest.reminders.append(reminder)
    for notice in token_notices:
        for digest in route(notice.host_unit_id):
            digest.token_notices.append(notice)
    made = [d for _, d in sorted(digests.items()) if d.findings or d.reminders or d.token_notices]
    both = {d.unit_id for d in made if d.audience == "host_unit"} & {d.unit_id for d in made if d.audience != "host_unit"}
    for d in made:
        d.title = d.unit_name + (f"（{AUDIENCE_LABELS[d.audience]}）" if d.unit_id in both and d.audience != "host_unit"
                                 else "")
    return made
