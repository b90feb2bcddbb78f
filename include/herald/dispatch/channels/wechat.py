"""WeChat official accounts: free publishing (draft, then freepublish) and mass send (draft, CON-9 preview, sendall).

Free publishing has no idempotency key: a submit whose ``publish_id`` was lost is found by
``freepublish/batchget``, every article carrying the post id in its ``content_source_url``. A mass send
carries ``clientmsgid = post_id``: within ``MASS_IDEMPOTENCY_WINDOW`` a repeated sendall is answered
with the original ``msg_id`` instead of sending again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from herald.dispatch.channels.base import Channel, Staged, StageFailed, not_settled, pick, timed
from herald.dispatch.model import Settlement
from herald.platforms.outcome import Outcome, OutcomeKind

DEFAULT_SOURCE_URL = "herald://post/{post_id}"
MASS_IDEMPOTENCY_WINDOW = timedelta(hours=24)


class WeChatArticleChannel(Channel):
    """Free publishing: draft/add before the second, freepublish/submit at it."""

    name = "wechat_article"
    operation = "freepublish/submit"

    def source_url(self, post_id: str) -> str:
        # A field cleared in the connection form arrives as null: the default then, as for a missing key.
        return (self.options.get("source_url_template") or DEFAULT_SOURCE_URL).format(post_id=post_id)

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
        outcome, call = timed("stage:draft/add", lambda: self.client.add_draft([self.article(post)]), self.clock)
        if not outcome.ok:
            raise StageFailed(outcome, "draft/add", [call])
        return Staged({"media_id": outcome.data["media_id"], "source_url": self.source_url(post["post_id"])}, [call])

    def submit(self, post, staged) -> Outcome:
        return self.client.submit(staged["media_id"])

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        return pick(outcome.data, "publish_id", "msg_data_id")

    def confirm(self, post, ref) -> Settlement:
        if not ref.get("publish_id"):
            return Settlement.pending("尚无 publish_id")
        outcome = self.client.get_publish(ref["publish_id"])
        if not outcome.ok:
            return not_settled(outcome)
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
                return not_settled(outcome)
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
        outcome, call = timed("preview", lambda: self.client.preview(staged.data["media_id"], openid), self.clock)
        staged.calls.append(call)
        if not outcome.ok:
            raise StageFailed(outcome, "mass/preview", staged.calls)
        staged.data["preview_msg_id"] = outcome.data.get("msg_id")
        return staged

    def submit(self, post, staged) -> Outcome:
        return self.client.mass_send(staged["media_id"], clientmsgid=post["post_id"])

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        return pick(outcome.data, "msg_id", "msg_data_id")

    def confirm(self, post, ref) -> Settlement:
        if not ref.get("msg_id"):
            return Settlement.pending("尚无 msg_id")
        outcome = self.client.get_mass(ref["msg_id"])
        if not outcome.ok:
            return not_settled(outcome)
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
