"""Which channel a post takes: the route its account's policy names for the platform (api / webhook / manual)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from herald.dispatch.channels.base import Channel, ClientSource
from herald.dispatch.channels.cms import CmsChannel
from herald.dispatch.channels.manual import ManualChannel
from herald.dispatch.channels.wechat import WeChatArticleChannel, WeChatMassChannel
from herald.dispatch.channels.weibo import WeiboChannel
from herald.dispatch.model import loads
from herald.errors import HeraldError
from herald.posts.policies import default_policy_for
from herald.timeutil import now_utc

API_PLATFORMS = ("wechat", "weibo")
WEBHOOK_PLATFORMS = ("website", "blog")


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
        self.db = db
        self.clients = clients
        self.policy_for = policy_for or default_policy_for
        self.clock = clock

    def for_post(self, post: Mapping[str, Any]) -> Channel:
        return channel_for(post, self.policy_for(post["policy_id"]), self.clients, self.db, self.clock)
