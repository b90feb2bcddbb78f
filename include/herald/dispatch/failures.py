"""When an approved post does not go out, people learn it the same minute: a finding and a notice.

A post fails at its second (the platform refused it, its connection is missing, its retries ran out),
at staging, or in reconciliation (unconfirmed past the settle window). ``report_failures`` looks at the
given posts in the database: for each one in state 'failed' it

1. composes a notice in Chinese (account, title, publish time in Shanghai, the reason in words, what to
   do next) for the post's author and the competent department's heads (the digests' routing:
   ``competent_department_head`` held for the nearest unit enclosing the account's host unit), and sends it
   on every channel of the post's policy (``notifications.channels``: email, WeCom and DingTalk robots,
   through ``herald.cadence.notify``);
2. records a finding under PUB-3 keyed by the post (rule, 'post', post id, the Shanghai day of its publish
   time), with the notice's delivery in its evidence.

PUB-3, not PUB-1: publishing is the designated operator's duty in the competent department (PUB-3) and
Herald publishes on that operator's behalf; a release refused at its second is that publication not
happening, which the competent department must take up. PUB-1 day findings also belong to the daily
cadence scan's scope, which resolves the PUB-1 findings of its days it did not report itself.

Idempotent: a re-run (a cleared task, a retry) finds the finding with its notice sent and sends nothing
again; a notice that could not be sent is tried again on the next run. The finding is written after the
sending, so a crash in between sends the notice again rather than never.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from herald.cadence.digest import Recipient, Router
from herald.db import Database
from herald.findings import Finding, finding_id, record_event_findings
from herald.posts.policies import default_policy_for
from herald.timeutil import format_shanghai, local_day, require_aware

RULE = "PUB-3"
SUBJECT = "post"
SEVERITY = "high"
AUDIENCE = "post_failure"
SENT = "sent"

PLATFORM_NAMES = {"weibo": "微博", "wechat": "微信公众号", "website": "网站", "blog": "博客"}
# The platforms' codes in words (platform-contracts.md); the platform's own text is kept beside them.
CODE_WORDS = {
    ("weibo", "10017"): "正文参数不合规：须包含本账号应用安全域名下的链接，分享接口也不接受 #话题#",
    ("weibo", "10008"): "参数错误",
    ("weibo", "20012"): "正文超过 140 字",
    ("weibo", "20005"): "图片格式不受支持",
    ("weibo", "20006"): "图片过大",
    ("weibo", "20008"): "正文为空",
    ("weibo", "20018"): "内容需平台人工审核",
    ("weibo", "10023"): "账号发布频率超限",
    ("wechat", "45009"): "当日接口调用次数已用完",
    ("wechat", "45028"): "当月群发次数已用完",
    ("wechat", "53503"): "草稿未通过平台发布检查",
}
# What to do next, by the kind of the last attempt's outcome (herald.platforms.outcome.OutcomeKind values).
NEXT_STEPS = {
    "validation": "内容不符合平台要求：请提交人按上述原因修改（微博正文须含本账号应用安全域名下的链接），修改后重新走审批并排期发布。",
    "config_error": "账号的平台授权或连接配置有误：请主管部门检查该账号的 Airflow 连接（凭据、授权、IP 白名单），处理后再重新排期发布。",
    "retry": "平台多次暂时不可用，均未受理：请确认平台恢复后重新排期发布。",
    "refresh_token": "平台多次拒绝访问令牌：请主管部门检查账号授权后重新排期发布。",
    "wait_quota": "平台发布额度已用完：请改到额度恢复后的时间重新排期发布。",
    "unconfirmed": "提交结果未能确认：请先登录平台核实该信息是否已发出；确未发出的再重新排期发布（系统不会自动重发，以免重复发布）。",
    "missing_client": "该账号没有可用的平台连接配置：请主管部门在 Airflow 中配置该账号的连接后重新排期发布。",
}
DEFAULT_NEXT_STEP = "请主管部门查看原因，必要时修改内容或联系平台处理后重新排期发布（系统不会自动重发）。"


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def refusal_words(platform: str, code: str | None, message: str) -> str:
    """The platform's refusal for people: code, the platform's text, and the code in words where known."""
    words = CODE_WORDS.get((platform, code or ""))
    parts = [p for p in (code, message) if p]
    said = "：".join(parts) if parts else "未说明原因"
    return f"{said}——{words}" if words and words not in said else said


@dataclass(frozen=True)
class FailureNotice:
    """One failed post's notice; shaped like a digest (subject, markdown, html, recipients) for the senders."""

    post_id: str
    account_name: str
    platform: str
    title: str
    publish_at: datetime
    author_name: str
    reason: str
    next_step: str
    unit_id: str
    recipients: tuple[Recipient, ...] = ()
    audience: str = AUDIENCE

    @property
    def subject(self) -> str:
        return f"【发布失败】{self.account_name}：{self.title}（原定{format_shanghai(self.publish_at)}）"

    def lines(self) -> list[tuple[str, str]]:
        return [("账号", f"{self.account_name}（{platform_name(self.platform)}）"),
                ("信息", f"{self.title}（{self.post_id}）"),
                ("原定发布时间", format_shanghai(self.publish_at)),
                ("提交人", self.author_name),
                ("失败原因", self.reason),
                ("下一步", self.next_step)]

    def markdown(self) -> str:
        body = "\n".join(f"- **{label}**：{value}" for label, value in self.lines())
        return f"## {self.subject}\n已审批的信息未能发布，平台上没有这条信息。\n{body}"

    def html(self) -> str:
        items = "".join(f"<li><b>{html.escape(label)}</b>：{html.escape(value)}</li>" for label, value in self.lines())
        return (f"<h2>{html.escape(self.subject)}</h2><p>已审批的信息未能发布，平台上没有这条信息。</p>"
                f"<ul>{items}</ul>")


@dataclass
class Failure:
    """What was reported about one failed post: its notice, the finding and where the notice went."""

    notice: FailureNotice
    finding_id: str
    delivery: str  # sent | already_sent | not_sent | failed: <why>
    log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def post_id(self) -> str:
        return self.notice.post_id

    def line(self) -> str:
        """The log line for the post (Chinese, as people read it)."""
        return (f"发布失败：{self.notice.account_name}《{self.notice.title}》（{self.post_id}，原定"
                f"{format_shanghai(self.notice.publish_at)}）：{self.notice.reason}")


def _title(row: Mapping[str, Any]) -> str:
    if row.get("title"):
        return str(row["title"])
    body = " ".join(str(row.get("body") or "").split())
    return body[:30] + ("…" if len(body) > 30 else "")


def next_step(row: Mapping[str, Any]) -> str:
    """What to do next, from the last attempt's outcome kind (or the reason when no call was made)."""
    response = json.loads(row["last_response"]) if row.get("last_response") else {}
    kind = response.get("kind") or row.get("last_outcome")
    if row.get("last_outcome") is None and "连接" in (row.get("state_reason") or ""):
        kind = "missing_client"
    return NEXT_STEPS.get(kind or "", DEFAULT_NEXT_STEP)


def _notice(row: Mapping[str, Any], router: Router) -> FailureNotice:
    recipients: dict[str, Recipient] = {}
    if row.get("author_id"):
        recipients[row["author_id"]] = Recipient(row["author_id"], row.get("author_name") or row["author_id"],
                                                 row.get("author_email"))
    competent = router.competent_department(row["host_unit_id"]) if row.get("host_unit_id") else None
    unit_id = row.get("host_unit_id") or ""
    if competent:
        unit_id, holders = competent
        for holder in holders:
            recipients.setdefault(holder["person_id"], Recipient(holder["person_id"], holder["name"], holder["email"]))
    return FailureNotice(
        post_id=row["post_id"], account_name=row["account_name"], platform=row["platform"], title=_title(row),
        publish_at=row["publish_at"], author_name=row.get("author_name") or row.get("author_id") or "",
        reason=row.get("state_reason") or "未记录原因", next_step=next_step(row), unit_id=unit_id,
        recipients=tuple(recipients.values()),
    )


def _finding(row: Mapping[str, Any], notice: FailureNotice, delivery: str) -> Finding:
    summary = (f"账号{notice.account_name}已审批的信息《{notice.title}》（{notice.post_id}）未能在"
               f"{format_shanghai(notice.publish_at)}发布：{notice.reason}。{notice.next_step}")
    evidence = {"account_id": row["account_id"], "host_unit_id": row.get("host_unit_id"),
                "publish_at": notice.publish_at.isoformat(), "content_hash": row.get("content_hash"),
                "reason": notice.reason, "last_error_code": row.get("last_error_code"),
                "notified": [r.person_id for r in notice.recipients], "notice": delivery}
    return Finding(RULE, SUBJECT, notice.post_id, local_day(notice.publish_at).isoformat(), SEVERITY, summary, evidence)


Deliver = Callable[[list[Any], Mapping[str, str]], list[dict[str, Any]]]


def report_failures(db: Database, post_ids: Sequence[str], *, now: datetime, detected_by: str,
                    deliver: Deliver | None = None,
                    policy_for: Callable[[str], Any] = default_policy_for) -> list[Failure]:
    """Notify and record every failed post among ``post_ids``; return one ``Failure`` per failed post.

    ``deliver(notices, channels)`` sends (``herald.cadence.notify.deliver``); without it nothing is sent and
    the finding says so (a later run with a sender sends it). A channel that fails leaves the notice to be
    sent again by the next run; the other posts and channels are still served.
    """
    now = require_aware(now, "now")
    if not post_ids:
        return []
    rows = db.fetch("dispatch/failed_posts", post_ids=json.dumps(list(dict.fromkeys(post_ids))))
    if not rows:
        return []
    day = local_day(now)
    router = Router(db.fetch("cadence/org_units"), db.fetch("cadence/route_holders", day=day))
    keys = {row["post_id"]: finding_id(RULE, SUBJECT, row["post_id"], local_day(row["publish_at"]).isoformat())
            for row in rows}
    known = {r["finding_id"]: json.loads(r["evidence"] or "{}")
             for r in db.fetch("notify/findings_by_ids", finding_ids=json.dumps(list(keys.values())))}
    failures: list[Failure] = []
    findings: list[Finding] = []
    for row in rows:
        notice = _notice(row, router)
        previous = known.get(keys[row["post_id"]], {}).get("notice")
        failure = Failure(notice, keys[row["post_id"]], "already_sent" if previous == SENT else "not_sent")
        if previous != SENT and deliver is not None:
            channels = dict(policy_for(row["policy_id"]).notifications.channels)
            try:
                failure.log = deliver([notice], channels)
                failure.delivery = SENT
            except Exception as exc:  # kept in the finding; the next run tries again
                failure.delivery = f"failed: {type(exc).__name__}: {exc}"[:500]
        findings.append(_finding(row, notice, SENT if failure.delivery == "already_sent" else failure.delivery))
        failures.append(failure)
    with db.transaction() as tx:
        record_event_findings(tx, findings, detected_by=detected_by, now=now)
    return failures


def failed_ids(results: Iterable[Mapping[str, Any]]) -> list[str]:
    """The post ids whose result (a dispatch or reconciliation result) says 'failed'."""
    return [r["post_id"] for r in results if r.get("status") == "failed" or r.get("state") == "failed"]
