"""Shared set-up of the dispatch tests and benchmarks: a small org with operators, queued and approved
posts on WeChat, Weibo, a CMS website and a QQ group, and clients pointed at the fake platforms."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import requests

from builders import T0, insert, small_org
from herald.platforms.cms import CmsWebhookClient
from herald.platforms.tokens import MemoryTokenStore
from herald.platforms.wechat import WeChatClient
from herald.platforms.weibo import WeiboClient
from herald.posts.approval import decide, progress, role_holders
from herald.posts.model import PostRequest
from herald.posts.queue import queue_post
from herald.timeutil import now_utc

WECHAT = {"WX-GROUP": ("wx_group_app", "wx-group-secret-0001")}
WEIBO = {"WB-GROUP": ("wb-group-token-0001", "5000000101")}
CMS = {"WEB-GROUP": ("www", "cms-secret-0001")}
SAFE_DOMAIN = "herald.example.com"
CATEGORY = "business_promotion"
PREVIEW_OPENID = "o-reviewer-0001"


def dispatch_org(db) -> None:
    """small_org plus a website account and a designated operator (PUB-3) for every account."""
    small_org(db)
    insert(db, "accounts", account_id="WEB-GROUP", platform="website", name="华夏能源集团官网",
           platform_account_id="www", link="https://www.example.com", is_verified=True, purpose="对外宣传",
           content_scope="企业新闻", creating_unit_id="G", host_unit_id="G", supervising_leader_id="leader",
           host_unit_opinion_by="unit_head", host_unit_opinion_on=date(2024, 12, 1), is_host_unit_sealed=True,
           competent_opinion_by="competent", competent_opinion_on=date(2024, 12, 2), level="group",
           state="active", opened_on=date(2025, 1, 1), policy_id="000", created_at=T0, updated_at=T0)
    insert(db, "people", person_id="operator", name="林运营", unit_id="G", login="lin.yunying", is_active=True)
    for index, account in enumerate(("WX-GROUP", "WB-GROUP", "WEB-GROUP", "QQ-SUB")):
        insert(db, "role_assignments", assignment_id=f"OP{index}", person_id="operator", role="operator",
               account_id=account, valid_from_on=date(2024, 1, 1))


def body_for(platform: str, n: int, kind: str = "article") -> str:
    if platform == "weibo":
        return f"集团新能源项目第{n}期投产 https://{SAFE_DOMAIN}/news/{n}"
    if platform in ("wechat", "website", "blog") and kind in ("article", "page"):
        return f"<p>集团新能源项目第{n}期顺利投产，年发电量预计增加。</p>"
    return f"集团新能源项目第{n}期顺利投产，年发电量预计增加。"


def queue_approved(db, account_id: str, platform: str, publish_at: datetime, n: int = 1, kind: str = "article",
                   title: str | None = "新能源项目投产") -> str:
    """Queue a post requested ten days earlier (the lead time holds) and approve its whole chain."""
    requested = publish_at - timedelta(days=10)
    request = PostRequest(account_id=account_id, author_id="author2", body=body_for(platform, n, kind),
                          publish_at=publish_at, category=CATEGORY, source="集团新闻中心",
                          title=None if platform == "weibo" else title, kind=kind)
    post_id = queue_post(db, request, now=requested)
    decided_at = requested + timedelta(hours=1)
    while True:  # each step by the first holder of its role who is not the author
        with db.transaction() as tx:
            post = tx.fetch_one("posts/post", post_id=post_id)
            role = progress(post, tx.fetch("posts/approvals", post_id=post_id)).next_role
            if role is None:
                return post_id
            approver = next(h["person_id"] for h in role_holders(tx, account_id, role, decided_at.date())
                            if h["person_id"] != post["author_id"])
        decide(db, post_id=post_id, approver_id=approver, decision="approved", content_hash=post["content_hash"],
               via="cli", now=decided_at)


class FakeClients:
    """A ClientSource over the fake platforms (one client per account, one token holder per account)."""

    def __init__(self, fake, *, timeout=(1.0, 3.0), wechat=WECHAT, weibo=WEIBO, cms=CMS, options=None):
        self.fake = fake
        self.timeout = timeout
        self.wechat, self.weibo, self.cms = dict(wechat), dict(weibo), dict(cms)
        self._options = options or {}
        self._clients: dict[tuple[str, str], Any] = {}
        self.tokens = MemoryTokenStore()

    def client(self, platform: str, account_id: str):
        key = (platform, account_id)
        if key not in self._clients:
            session = requests.Session()
            if platform == "wechat":
                appid, secret = self.wechat[account_id]
                client = WeChatClient(self.fake.wechat_url, appid, secret, session, self.tokens, timeout=self.timeout)
            elif platform == "weibo":
                token, _ = self.weibo[account_id]
                client = WeiboClient(self.fake.weibo_url, token, session, safe_domains=[SAFE_DOMAIN],
                                     timeout=self.timeout)
            else:
                site, secret = self.cms[account_id]
                client = CmsWebhookClient(self.fake.cms_url(site), secret, session, timeout=self.timeout)
            self._clients[key] = client
        return self._clients[key]

    def options(self, platform: str, account_id: str) -> dict:
        base = {"preview_openid": PREVIEW_OPENID} if platform == "wechat" else {}
        return {**base, **self._options.get(account_id, {})}


def fake_accounts() -> dict:
    return {
        "wechat_accounts": {appid: secret for appid, secret in WECHAT.values()},
        "weibo_tokens": {token: {"uid": uid, "appkey": "k", "safe_domains": [SAFE_DOMAIN]}
                         for token, uid in WEIBO.values()},
        "cms_sites": {site: secret for site, secret in CMS.values()},
    }


def soon(seconds: float = 1.0) -> datetime:
    return now_utc() + timedelta(seconds=seconds)
