"""Escalations (SEC-2, SEC-3): messages to the host unit's head and the competent department, each sent once.

Routing is the digests' (``herald.cadence.digest.Router``): the head of the account's host unit
(``host_unit_head``) and the competent department covering it (``competent_department_head``), on every channel
of the policy's ``notifications.channels`` (email, WeCom and DingTalk group robots, through the same senders as
the digests). One message per (audience, unit, channel) gathers the escalations of a cycle, at most
``MAX_PER_MESSAGE`` to a message so a robot's size limit never cuts one off.

Exactly-once bookkeeping: ``comment_deliveries`` keeps each (escalation, audience, unit, channel) delivered, in
its own transaction right after the channel accepted the message; a re-run sends only what is missing, and an
escalation becomes ``sent`` (``sent_at``) when every target has it on every channel. A channel that fails is
noted on its escalations (``attempts``, ``last_error``) and tried again next cycle; the other channels go on.
The one window left is a crash between a channel's acceptance and the delivery row: that message goes out again.
"""

from __future__ import annotations

import html
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from herald.cadence.digest import AUDIENCE_LABELS, Recipient, Router
from herald.db import Database
from herald.timeutil import format_shanghai, local_day, now_utc

log = logging.getLogger(__name__)

MAX_PER_MESSAGE = 10
KIND_LABELS = {"illegal": "违法信息", "reputation": "有损公司声誉", "crisis": "舆情危机"}
PLATFORM_LABELS = {"wechat": "微信公众号", "weibo": "微博"}
HOW_TO_HANDLE = ("依据《新媒体建设与管理办法》3.3.2、3.3.3，请主办单位负责人和宣传部第一时间妥善处理"
                 "（删除或回复、向平台举报）；舆情危机由宣传部统筹，统一发声。证据已存档，校验值见各条。")

# send(channel kind, connection id, message) delivers one message or raises.
Sender = Callable[[str, str, "EscalationMessage"], Any]


@dataclass
class EscalationMessage:
    """One message to one unit's people; duck-types the digest the senders of ``herald.cadence.notify`` take."""

    audience: str
    unit_id: str
    unit_name: str
    recipients: tuple[Recipient, ...]
    as_of: datetime
    items: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.unit_name

    @property
    def subject(self) -> str:
        kinds = "、".join(KIND_LABELS[k] for k in sorted({i["kind"] for i in self.items}))
        return f"【评论监测】{self.unit_name}：{len(self.items)}条需立即处理（{kinds}）"

    def lines(self) -> list[str]:
        out = []
        for item in self.items:
            platform = PLATFORM_LABELS.get(item["platform"], item["platform"])
            rule = "SEC-3" if item["kind"] == "crisis" else "SEC-2"
            seal = f"；证据校验值{item['evidence_sha256'][:16]}" if item.get("evidence_sha256") else ""
            number = f"；问题编号{item['finding_id']}" if item.get("finding_id") else ""
            out.append(f"[{KIND_LABELS[item['kind']]}]{item['account_name']}（{platform}）：{item['summary']}"
                       f"（{rule}{number}{seal}）")
        return out

    def markdown(self) -> str:
        lines = [f"## {self.subject}",
                 f"截至{format_shanghai(self.as_of)}，{AUDIENCE_LABELS[self.audience]}{self.unit_name}名下账号："]
        lines += [f"- {line}" for line in self.lines()]
        lines.append(HOW_TO_HANDLE)
        return "\n".join(lines)

    def html(self) -> str:
        parts = [f"<h2>{html.escape(self.subject)}</h2>",
                 f"<p>截至{html.escape(format_shanghai(self.as_of))}，{AUDIENCE_LABELS[self.audience]}"
                 f"{html.escape(self.unit_name)}名下账号：</p><ul>"]
        parts += [f"<li>{html.escape(line)}</li>" for line in self.lines()]
        parts.append(f"</ul><p>{html.escape(HOW_TO_HANDLE)}</p>")
        return "\n".join(parts)


def channel_sender(target_for: Callable[[str], Any] | None = None) -> Sender:
    """A sender over ``herald.cadence.notify``: email through Airflow's SMTP connection, robots by webhook.
    ``target_for(conn_id)`` gives a robot's URL and secret (default: the Airflow connection)."""
    from herald.cadence import notify

    targets: dict[str, Any] = {}

    def target(conn_id: str):
        if conn_id not in targets:
            targets[conn_id] = (target_for or notify.robot_target)(conn_id)
        return targets[conn_id]

    def send(kind: str, conn_id: str, message: EscalationMessage) -> Any:
        if kind == "email":
            return notify.send_email(message, conn_id=conn_id)
        if kind == "wecom_robot":
            return notify.send_wecom(message, target(conn_id))
        if kind == "dingtalk_robot":
            return notify.send_dingtalk(message, target(conn_id))
        raise notify.RobotError(f"channel {kind!r} is not supported")

    return send


def _targets(router: Router, host_unit_id: str) -> list[tuple[str, str, list[Mapping[str, Any]]]]:
    targets = [("host_unit", *router.host_unit(host_unit_id))]
    competent = router.competent_department(host_unit_id)
    if competent:
        targets.append(("competent_department", *competent))
    return targets


def deliver_pending(db: Database, send: Sender, channels: Mapping[str, str], *, now: datetime,
                    clock: Callable[[], datetime] = now_utc, max_rows: int = 5000) -> dict[str, int]:
    """Send every pending escalation to each target on each channel not yet delivered; return counts.
    ``now`` dates the messages and picks the role holders; ``clock`` stamps deliveries and ``sent_at``."""
    with db.transaction() as tx:
        pending = tx.fetch("comments/pending_escalations", max_rows=max_rows)
        if not pending:
            return {"messages": 0, "delivered": 0, "failed_messages": 0, "sent": 0}
        ids = json.dumps([p["escalation_id"] for p in pending])
        done = {(d["escalation_id"], d["audience"], d["unit_id"], d["channel"])
                for d in tx.fetch("comments/deliveries_of", ids=ids)}
        router = Router(tx.fetch("cadence/org_units"), tx.fetch("cadence/route_holders", day=local_day(now)))
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    holders_of: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    expected: dict[str, set[tuple[str, str, str]]] = {}
    for item in pending:
        wanted = set()
        for audience, unit_id, holders in _targets(router, item["host_unit_id"]):
            holders_of[(audience, unit_id)] = holders
            for channel in channels:
                wanted.add((audience, unit_id, channel))
                if (item["escalation_id"], audience, unit_id, channel) not in done:
                    groups[(audience, unit_id, channel)].append(item)
        expected[item["escalation_id"]] = wanted
    counts = {"messages": 0, "delivered": 0, "failed_messages": 0, "sent": 0}
    delivered = {(e, a, u, c) for e, a, u, c in done}
    for (audience, unit_id, channel), items in sorted(groups.items()):
        holders = holders_of[(audience, unit_id)]
        recipients = tuple(Recipient(h["person_id"], h["name"], h["email"]) for h in holders)
        for start in range(0, len(items), MAX_PER_MESSAGE):
            chunk = items[start:start + MAX_PER_MESSAGE]
            message = EscalationMessage(audience, unit_id, router.unit_name(unit_id), recipients, now, list(chunk))
            try:
                send(channel, channels[channel], message)
            except Exception as exc:  # noted on the escalations and retried next cycle; other channels go on
                counts["failed_messages"] += 1
                error = f"{channel}/{unit_id}: {type(exc).__name__}: {exc}"[:500]
                log.warning("comment escalation not delivered: %s", error)
                with db.transaction() as tx:
                    for item in chunk:
                        tx.execute("comments/note_failure", escalation_id=item["escalation_id"], error=error)
                continue
            counts["messages"] += 1
            rows = [{"escalation_id": i["escalation_id"], "audience": audience, "unit_id": unit_id,
                     "channel": channel, "delivered_at": clock()} for i in chunk]
            with db.transaction() as tx:
                tx.execute_many("comments/insert_delivery", rows)
            counts["delivered"] += len(rows)
            delivered.update((i["escalation_id"], audience, unit_id, channel) for i in chunk)
    finished = [e for e, wanted in expected.items() if all((e, *w) in delivered for w in wanted)]
    if finished:
        with db.transaction() as tx:
            for escalation_id in finished:
                counts["sent"] += tx.execute("comments/mark_sent", escalation_id=escalation_id, now=clock())
    return counts


def escalation_rows(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows for ``comments/insert_escalation`` with every column named (optional ones as None)."""
    columns = ("escalation_id", "subject_key", "comment_key", "finding_id", "account_id", "host_unit_id", "kind",
               "summary", "evidence_path", "evidence_sha256", "detected_at")
    return [{c: item.get(c) for c in columns} for item in items]
