"""Websites and blogs: the CMS's signed webhook, idempotent by ``item_id = post_id``; a lost answer is read back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from herald.dispatch.channels.base import Channel, not_settled, pick
from herald.dispatch.model import Settlement
from herald.platforms.outcome import Outcome


class CmsChannel(Channel):
    """The signed webhook; publishing is idempotent by item_id (= post id)."""

    name = "cms"
    operation = "cms/publish"

    def submit(self, post, staged) -> Outcome:
        item = {"item_id": post["post_id"], "title": post.get("title") or "", "body": post["body"],
                "category": post.get("category"), "source": post.get("source"), "publish_at": post["publish_at"]}
        return self.client.publish(item)

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        return pick(outcome.data, "item_id", "url", "published_at")

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
        return not_settled(outcome)
