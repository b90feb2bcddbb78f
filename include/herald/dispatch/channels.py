"""One Channel per publishing route: what is staged before the second, the one call at it, and the reads after.

``stage(post)`` runs before the publish second (draft/add, the CON-9 preview of a mass send, the
hand-off's checks); ``submit(post, staged)`` is the ONE call at the second; ``confirm(post, ref)`` and
``reconcile(post, staged, since)`` only read the platform. No method here sends a post twice:

- WeChat free publishing has no idempotency key, so a submit whose ``publish_id`` was lost is found by
  ``freepublish/batchget``: every article carries the post id in its ``content_source_url``.
- WeChat mass send carries ``clientmsgid = post_id``. Within 24 h the platform answers a repeated
  sendall with 45065 and the original ``msg_id`` (45066 within a minute) instead of sending again:
  that is the platform's designed way to settle a lost answer, and the only "repeat" Herald makes.
  After 24 h (``MASS_IDEMPOTENCY_WINDOW``) the repeat is no longer safe and reconciliation reports not found.
- Weibo: the share's status object is the proof; a lost answer is looked up in the user's timeline.
- CMS: idempotent by ``item_id = post_id``; a lost answer is read back with ``get_item``.
- Manual channels: the operator's confirmed link is the only evidence.

Which route a post takes is ``policy.channels[platform]`` (api / webhook / manual). Which client and
connection serve an account is the ``ClientSource``'s business (``herald_airflow.dispatch_clients``
reads Airflow connections ``herald_<platform>__<account>``, falling back to ``herald_<platform>``).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from herald.dispatch.model import Settlement, loads
from herald.errors import HeraldError, ValidationError
from herald.platforms import manual as manual_platform
from herald.platforms.outcome import Outcome, OutcomeKind
from herald.timeutil import now_utc, require_aware

DEFAULT_SOURCE_URL = "herald://post/{post_id}"
MASS_IDEMPOTENCY_WINDOW = timedelta(hours=24)
API_PLATFORMS = ("wechat", "weibo")
WEBHOOK_PLATFORMS = ("website", "blog")


class ClientSource(Protocol):
    """Where a channel gets the platform client and the per-account options of an account."""

    def client(self, platform: str, account_id: str) -> Any:
        """A WeChatClient, WeiboClient or CmsWebhookClient for the account."""

    def options(self, platform: str, account_id: str) -> dict[str, Any]:
        """Per-account options: ``preview_openid`` (WeChat mass send), ``source_url_template``,
        ``expected_hosts`` and ``confirmation_hours`` (manual channels)."""


class StageFailed(HeraldError):
    """Staging could not finish: the outcome says whether to retry later or to fail the post."""

    def __init__(self, outcome: Outcome, what: str, calls: list | None = None):
        super().__init__(f"{what}: {outcome}")
        self.outcome = outcome
        self.what = what
        self.calls = list(calls or [])  # the calls made before it stopped, kept as attempts


@dataclass(frozen=True)
class Call:
    """One platform call made while staging, kept as a dispatch attempt (CON-9 evidence for previews)."""

    operation: str
    outcome: Outcome
    started_at: datetime
    finished_at: datetime


@dataclass
class Staged:
    data: dict[str, Any] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)


def _timed(operation: str, call: Callable[[], Outcome], clock: Callable[[], datetime]) -> tuple[Outcome, Call]:
    started = clock()
    outcome = call()
    return outcome, Call(operation, outcome, started, clock())


class Channel(ABC):
    name = ""
    operation = ""  # the dispatch_attempts.operation of the submit
    is_mass_send = False

    def __init__(self, platform: str, account_id: str, clients: ClientSource | None,
                 clock: Callable[[], datetime] = now_utc):
        self.platform = platform
        self.account_id = account_id
        self.clients = clients
        self.clock = clock

    @property
    def client(self):
        return self.clients.client(self.platform, self.account_id)

    @property
    def options(self) -> dict[str, Any]:
        return self.clients.options(self.platform, self.account_id) if self.clients else {}

    def stage(self, post: Mapping[str, Any]) -> Staged:
        return Staged()

    @abstractmethod
    def submit(self, post: Mapping[str, Any], staged: Mapping[str, Any]) -> Outcome:
        """The one call at the publish second."""

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        """The platform ids in a submit's outcome (also from an unconfirmed one: 45065 adopts a msg_id)."""
        return {}

    @abstractmethod
    def confirm(self, post: Mapping[str, Any], ref: Mapping[str, Any]) -> Settlement:
        """Read-only: is the submitted item published, pending or failed?"""

    @abstractmethod
    def reconcile(self, post: Mapping[str, Any], staged: Mapping[str, Any], since: datetime) -> Settlement:
        """Read-only: find an item whose submit outcome is unknown, without sending again."""


def _pick(data: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: str(data[k]) for k in keys if data.get(k) not in (None, "")}


def _not_settled(outcome: Outcome) -> Settlement:
    return Settlement.pending(f"平台查询暂未成功（{outcome}），稍后再查")


# --- WeChat ---------------------------------------------------------------------------------------


class WeChatArticleChannel(Channel):
    """Free publishing: draft/add before the second, freepublish/submit at it."""

    name = "wechat_article"
    operation = "freepublish/submit"

    def source_url(self, post_id: str) -> str:
        return self.options.get("source_url_template", DEFAULT_SOURCE_URL).format(post_id=post_id)

    def article(self, post: Mapping[str, Any]) -> dict[str, Any]:
        article = {
            "title": post.get("title") or "",
            "content": post["body"],
            "content_source_url": self.source_url(post["post_id"]),
            "need_open_comment": 0,
            "only_fans_can_comment": 0,
        }
        media = json.loads(post.get("media") or "[]")
        thumb = next((m.get("wechat_media_id") for m in media if m.get("wechat_media_id")), None)
        if thumb:  # cover images are uploaded when media is staged; its permanent media id rides along
            article["thumb_media_id"] = thumb
        if post.get("source"):
            article["author"] = post["source"]
        return article

    def stage(self, post: Mapping[str, Any]) -> Staged:
        outcome, call = _timed("stage:draft/add", lambda: self.client.add_draft([self.article(post)]), self.clock)
        if not outcome.ok:
            raise StageFailed(outcome, "draft/add", [call])
        return Staged({"media_id": outcome.data["media_id"], "source_url": self.source_url(post["post_id"])}, [call])

    def submit(self, post, staged) -> Outcome:
        return self.client.submit(staged["media_id"])

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        return _pick(outcome.data, "publish_id", "msg_data_id")

    def confirm(self, post, ref) -> Settlement:
        if not ref.get("publish_id"):
            return Settlement.pending("尚无 publish_id")
        outcome = self.client.get_publish(ref["publish_id"])
        if not outcome.ok:
            return _not_settled(outcome)
        data = outcome.data
        if data["state"] == "published":
            url = next((u for u in data.get("article_urls") or [] if u), None)
            return Settlement.published(url, data.get("article_id"), None, str(ref["publish_id"]))
        if data["state"] in ("publishing", "unknown"):
            return Settlement.pending("微信发布任务处理中")
        return Settlement.failed(f"微信发布失败：publish_status={data['state']}，fail_idx={data.get('fail_idx') or []}")

    def reconcile(self, post, staged, since) -> Settlement:
        wanted = staged.get("source_url") or self.source_url(post["post_id"])
        offset = 0
        while True:
            outcome = self.client.list_published(offset, 20)
            if not outcome.ok:
                return _not_settled(outcome)
            items = outcome.data.get("item") or []
            for item in items:
                news = (item.get("content") or {}).get("news_item") or []
                if any(n.get("content_source_url") == wanted for n in news):
                    url = next((n.get("url") for n in news if n.get("content_source_url") == wanted), None)
                    published_at = datetime.fromtimestamp(int(item.get("update_time") or 0), tz=since.tzinfo)
                    # The list is newest first: once items predate the first submit, the post is not there.
                    return Settlement.published(url, str(item["article_id"]), published_at,
                                                ref={"article_id": str(item["article_id"])})
            oldest = min((int(i.get("update_time") or 0) for i in items), default=0)
            offset += len(items)
            if not items or offset >= int(outcome.data.get("total_count") or 0) or oldest < since.timestamp() - 60:
                return Settlement.not_found(f"微信已发布列表中没有原文链接为 {wanted} 的文章")


class WeChatMassChannel(WeChatArticleChannel):
    """Mass send: draft/add and the CON-9 preview before the second, sendall (clientmsgid = post id) at it."""

    name = "wechat_mass"
    operation = "mass/sendall"
    is_mass_send = True

    def stage(self, post: Mapping[str, Any]) -> Staged:
        staged = super().stage(post)
        openid = self.options.get("preview_openid")
        if not openid:
            raise StageFailed(Outcome(OutcomeKind.CONFIG_ERROR, "preview_openid",
                                      "未配置预览接收人 preview_openid，无法在群发前预览（CON-9）"), "preview",
                              staged.calls)
        outcome, call = _timed("preview", lambda: self.client.preview(staged.data["media_id"], openid), self.clock)
        staged.calls.append(call)
        if not outcome.ok:
            raise StageFailed(outcome, "mass/preview", staged.calls)
        staged.data["preview_msg_id"] = outcome.data.get("msg_id")
        return staged

    def submit(self, post, staged) -> Outcome:
        return self.client.mass_send(staged["media_id"], clientmsgid=post["post_id"])

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        return _pick(outcome.data, "msg_id", "msg_data_id")

    def confirm(self, post, ref) -> Settlement:
        if not ref.get("msg_id"):
            return Settlement.pending("尚无 msg_id")
        outcome = self.client.get_mass(ref["msg_id"])
        if not outcome.ok:
            return _not_settled(outcome)
        status = outcome.data.get("msg_status")
        if status == "SEND_SUCCESS":
            return Settlement.published(None, str(ref["msg_id"]), None, ref.get("msg_data_id"))
        if status == "SENDING":
            return Settlement.pending("群发任务发送中")
        return Settlement.failed(f"微信群发失败：msg_status={status}")

    def reconcile(self, post, staged, since) -> Settlement:
        if self.clock() - since > MASS_IDEMPOTENCY_WINDOW:
            return Settlement.not_found("clientmsgid 已超过 24 小时幂等期，无法安全核实")
        # The platform's idempotency: the same clientmsgid within 24 h returns the original msg_id (45065).
        outcome = self.client.mass_send(staged["media_id"], clientmsgid=post["post_id"])
        ref = self.ref_of(outcome)
        if ref.get("msg_id"):
            settled = self.confirm(post, ref)
            return Settlement(**{**settled.__dict__, "ref": ref})
        if outcome.kind is OutcomeKind.UNCONFIRMED:  # 45066: the first request is still being handled
            return Settlement.pending(f"群发请求仍在处理：{outcome}")
        return Settlement.not_found(f"按 clientmsgid 核实未找到群发记录：{outcome}")


# --- Weibo ----------------------------------------------------------------------------------------


def _weibo_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
        except ValueError:
            return None


def _weibo_settlement(status: Mapping[str, Any]) -> Settlement:
    uid = str((status.get("user") or {}).get("idstr") or (status.get("user") or {}).get("id") or "")
    idstr = str(status.get("idstr") or status.get("id"))
    mid = str(status.get("mid") or idstr)
    url = f"https://weibo.com/{uid}/{mid}" if uid else None
    return Settlement.published(url, idstr, _weibo_time(status.get("created_at")), ref={"idstr": idstr, "uid": uid})


class WeiboChannel(Channel):
    """statuses/share at the second; the returned status object is the confirmation."""

    name = "weibo"
    operation = "statuses/share"

    def submit(self, post, staged) -> Outcome:
        return self.client.share(post["body"])

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        ref = _pick(outcome.data, "idstr", "mid", "created_at")
        user = outcome.data.get("user") or {}
        if user.get("idstr") or user.get("id"):
            ref["uid"] = str(user.get("idstr") or user.get("id"))
        return ref

    def confirm(self, post, ref) -> Settlement:
        if not ref.get("idstr"):
            return Settlement.pending("尚无微博 id")
        return _weibo_settlement({"idstr": ref["idstr"], "mid": ref.get("mid"), "created_at": ref.get("created_at"),
                                  "user": {"idstr": ref.get("uid")}})

    def reconcile(self, post, staged, since) -> Settlement:
        outcome = self.client.user_timeline(count=100)
        if not outcome.ok:
            return _not_settled(outcome)
        for status in outcome.data.get("statuses") or []:
            created = _weibo_time(status.get("created_at"))
            if status.get("text") == post["body"] and (created is None or created >= since - timedelta(minutes=5)):
                return _weibo_settlement(status)
        return Settlement.not_found("微博时间线中没有正文相同的新微博")


# --- CMS ------------------------------------------------------------------------------------------


class CmsChannel(Channel):
    """The signed webhook; publishing is idempotent by item_id (= post id)."""

    name = "cms"
    operation = "cms/publish"

    def submit(self, post, staged) -> Outcome:
        item = {"item_id": post["post_id"], "title": post.get("title") or "", "body": post["body"],
                "category": post.get("category"), "source": post.get("source"), "publish_at": post["publish_at"]}
        return self.client.publish(item)

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        return _pick(outcome.data, "item_id", "url", "published_at")

    def confirm(self, post, ref) -> Settlement:
        if ref.get("url"):
            published = ref.get("published_at")
            return Settlement.published(ref["url"], ref.get("item_id") or post["post_id"],
                                        datetime.fromisoformat(published) if published else None)
        return self.reconcile(post, {}, self.clock())

    def reconcile(self, post, staged, since) -> Settlement:
        outcome = self.client.get_item(post["post_id"])
        if outcome.ok:
            ref = self.ref_of(outcome)
            published = ref.get("published_at")
            return Settlement.published(ref.get("url"), ref.get("item_id"),
                                        datetime.fromisoformat(published) if published else None, ref=ref)
        if outcome.code == "http_404":
            return Settlement.not_found("网站 CMS 中没有该条目")
        return _not_settled(outcome)


# --- manual channels ------------------------------------------------------------------------------


class ManualChannel(Channel):
    """QQ groups, Tieba, forums: hand the item to the designated operator, who confirms the link."""

    name = "manual"
    operation = "manual/handoff"

    def __init__(self, platform, account_id, clients, db, clock=now_utc):
        super().__init__(platform, account_id, clients, clock)
        self.db = db

    def handoff(self, post: Mapping[str, Any], operator_id: str) -> manual_platform.Handoff:
        options = self.options
        window = timedelta(hours=float(options.get("confirmation_hours", 4)))
        return manual_platform.make_handoff(
            post_id=post["post_id"], account_id=post["account_id"], platform=self.platform, operator_id=operator_id,
            title=post.get("title") or "", body=post["body"], publish_at=require_aware(post["publish_at"], "publish_at"),
            expected_hosts=options.get("expected_hosts"), window=window,
            media=tuple(json.dumps(m, ensure_ascii=False) for m in json.loads(post.get("media") or "[]")),
        )

    def stage(self, post: Mapping[str, Any]) -> Staged:
        try:
            handoff = self.handoff(post, post.get("operator_id") or "")
        except ValidationError as error:
            raise StageFailed(Outcome(OutcomeKind.CONFIG_ERROR, "manual", "；".join(v.message for v in error.violations)),
                              "manual hand-off") from error
        return Staged({"expected_hosts": list(handoff.expected_hosts), "deadline_at": handoff.deadline_at.isoformat()})

    def submit(self, post, staged) -> Outcome:
        from herald.dispatch.manual import hand_off

        handoff = self.handoff(post, post["operator_id"])
        hand_off(self.db, handoff, now=self.clock())
        return Outcome(OutcomeKind.OK, None, handoff.instructions(),
                       data={"handed_to": handoff.operator_id, "deadline_at": handoff.deadline_at.isoformat()})

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        return _pick(outcome.data, "handed_to", "deadline_at")

    def confirm(self, post, ref) -> Settlement:
        row = self.db.fetch_one("dispatch/handoff", post_id=post["post_id"])
        if row is None:
            return Settlement.not_found("没有交接记录")
        if row["confirmed_at"] is None:
            return Settlement.pending(f"等待经办人回填发布链接（期限 {row['deadline_at'].isoformat()}）")
        return Settlement.published(row["confirmed_link"], row["confirmed_link"], row["confirmed_at"],
                                    operator_id=row["confirmed_by"])

    def reconcile(self, post, staged, since) -> Settlement:
        return self.confirm(post, {})


# --- which channel ----------------------------------------------------------------------------------


def route_of(policy, platform: str) -> str:
    """api | webhook | manual, from the account's policy (ORG-1 already refuses platforms it does not know)."""
    route = policy.channels.get(platform)
    if route is None:
        raise HeraldError(f"policy {policy.policy_id} names no channel for platform {platform!r}")
    return route


def channel_for(post: Mapping[str, Any], policy, clients: ClientSource | None, db,
                clock: Callable[[], datetime] = now_utc) -> Channel:
    platform = post["platform"]
    route = route_of(policy, platform)
    if route == "manual":
        return ManualChannel(platform, post["account_id"], clients, db, clock)
    if route == "api" and platform == "wechat":
        cls = WeChatMassChannel if post["kind"] == "mass_send" else WeChatArticleChannel
        return cls(platform, post["account_id"], clients, clock)
    if route == "api" and platform == "weibo":
        return WeiboChannel(platform, post["account_id"], clients, clock)
    if route == "webhook":
        return CmsChannel(platform, post["account_id"], clients, clock)
    raise HeraldError(f"no API client for platform {platform!r} (route {route}); make it a manual channel in the policy")


def staged_of(post: Mapping[str, Any]) -> dict[str, Any]:
    return loads(post.get("staged"))


class Channels:
    """Builds the channel of each post from its account's policy; ``clients`` serves the API channels."""

    def __init__(self, db, clients: ClientSource | None, *, policy_for: Callable[[str], Any] | None = None,
                 clock: Callable[[], datetime] = now_utc):
        from herald.posts.queue import _default_policy_for

        self.db = db
        self.clients = clients
        self.policy_for = policy_for or _default_policy_for
        self.clock = clock

    def for_post(self, post: Mapping[str, Any]) -> Channel:
        return channel_for(post, self.policy_for(post["policy_id"]), self.clients, self.db, self.clock)
