"""Failures reach someone (issue 13): a post refused at its second fails its task, notifies and is recorded (PUB-3).

Against the fake platforms (the fake Weibo refuses a status without a safe-domain link with 10017), the local
inbox of ``make up`` (an SMTP server and the WeCom / DingTalk robot webhooks) and PostgreSQL; and the queue-time
CON-7 check of the Weibo link against the safe domains of the account's connection.
"""

from __future__ import annotations

import asyncio
import email
import json
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
import requests

from builders import insert
from herald.cadence import notify
from herald.dispatch.channels.base import ClientUnavailable
from herald.dispatch.channels.routing import Channels
from herald.dispatch.connections import safe_domains_from_env
from herald.dispatch.dispatcher import dispatch_second, settle
from herald.dispatch.failures import RULE, report_failures
from herald.dispatch.stage import STAGED, stage_post
from herald.errors import ValidationError
from herald.platforms.weibo import WeiboClient
from herald.posts.approval import decide, progress, role_holders
from herald.posts.model import PostRequest
from herald.posts.queue import queue_post
from herald.timeutil import now_utc
from herald_dev.fakeplatforms import FakePlatforms
from herald_dev.fakeplatforms.inbox import LocalInbox
from test_dispatch_world import CATEGORY, CMS, SAFE_DOMAIN, WEIBO, FakeClients, dispatch_org, fake_accounts

pytestmark = pytest.mark.pg
GOOD = f"集团新能源项目投产 https://{SAFE_DOMAIN}/news/1"
OFF_DOMAIN = "集团新能源项目投产，详见 https://news.other-site.example.org/a/1"  # a link, not on the app's domain


@pytest.fixture(scope="module")
def server():
    with FakePlatforms.start(**fake_accounts()) as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.reset()
    return server


@pytest.fixture
def db(pg_db):
    dispatch_org(pg_db)
    # The competent department head held for the group (the digests' routing, sql/cadence/route_holders.sql).
    insert(pg_db, "role_assignments", assignment_id="RA-CDH-G", person_id="competent",
           role="competent_department_head", unit_id="G", valid_from_on=now_utc().date() - timedelta(days=400))
    return pg_db


@pytest.fixture
def inbox(tmp_path, monkeypatch):
    local = LocalInbox.start(tmp_path / "inbox", dingtalk_secret="SEC-local")
    for name, value in local.connections().items():
        monkeypatch.setenv(name, value)
    yield local
    local.stop()


class PlatformJudges(FakeClients):
    """Weibo clients without the safe domains: the fake platform itself judges the link (10017)."""

    def __init__(self, fake, *, unconfigured=(), **kwargs):
        super().__init__(fake, **kwargs)
        self.unconfigured = set(unconfigured)

    def client(self, platform, account_id):
        if account_id in self.unconfigured:
            raise ClientUnavailable(f"no connection for {platform} account {account_id}")
        if platform == "weibo" and (platform, account_id) not in self._clients:
            token, _ = self.weibo[account_id]
            self._clients[(platform, account_id)] = WeiboClient(self.fake.weibo_url, token, requests.Session(),
                                                                timeout=self.timeout)
        return super().client(platform, account_id)


def queue_and_approve(db, account_id: str, body: str, publish_at, title=None) -> str:
    requested = publish_at - timedelta(days=10)
    post_id = queue_post(db, PostRequest(account_id=account_id, author_id="author2", body=body, publish_at=publish_at,
                                         category=CATEGORY, source="集团新闻中心", title=title), now=requested)
    decided_at = requested + timedelta(hours=1)
    while True:
        with db.transaction() as tx:
            post = tx.fetch_one("posts/post", post_id=post_id)
            role = progress(post, tx.fetch("posts/approvals", post_id=post_id)).next_role
            if role is None:
                return post_id
            approver = next(h["person_id"] for h in role_holders(tx, account_id, role, decided_at.date())
                            if h["person_id"] != post["author_id"])
        decide(db, post_id=post_id, approver_id=approver, decision="approved", content_hash=post["content_hash"],
               via="cli", now=decided_at)


def kept(inbox, channel: str) -> list:
    return sorted(inbox.directory.glob(f"*-{channel}.*"))


def test_a_refused_post_fails_with_the_reason_and_the_other_post_of_its_second_is_published(db, fake, inbox):
    at = now_utc() + timedelta(seconds=1)
    refused = queue_and_approve(db, "WB-GROUP", OFF_DOMAIN, at)
    good = queue_and_approve(db, "WEB-GROUP", "<p>集团新能源项目顺利投产。</p>", at, title="新能源项目投产")
    channels = Channels(db, PlatformJudges(fake))
    for post_id in (refused, good):
        assert stage_post(db, post_id, channels, now=now_utc()) == STAGED
    results = {r.post_id: r for r in dispatch_second(db, [refused, good], channels)}
    assert results[refused].status == "failed" and results[good].status == "submitted"
    row = db.fetch_one("dispatch/post", post_id=refused)
    assert row["state"] == "failed"
    assert row["state_reason"].startswith("发布失败：微博拒绝（10017")
    assert "安全域名" in row["state_reason"]  # the platform's code in words
    assert fake.publications(platform="weibo") == []
    assert settle(db, good, channels)["state"] == "published"

    failures = report_failures(db, [refused, good], now=now_utc(), detected_by="test", deliver=notify.deliver)
    assert [(f.post_id, f.delivery) for f in failures] == [(refused, "sent")]
    assert "修改" in failures[0].notice.next_step  # a content refusal: fix the text, approve again
    # The author and the competent department: one email to both, one message in each robot group.
    (mail,) = kept(inbox, "email")
    message = email.message_from_bytes(mail.read_bytes())
    assert {a.strip() for a in message["To"].split(",")} == {"zhou.yunying@example.com", "wei.xingzheng@example.com"}
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject.startswith("【发布失败】华夏能源WB-GROUP：集团新能源项目投产") and "北京时间" in subject
    text = next(p for p in message.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "10017" in text and "下一步" in text and "周运营" in text
    for robot in ("wecom", "dingtalk"):
        (sent,) = kept(inbox, robot)
        assert "【发布失败】华夏能源WB-GROUP" in sent.read_text(encoding="utf-8")

    findings = [f for f in db.fetch("findings/open") if f["subject_id"] == refused]
    assert [(f["rule_id"], f["subject_type"], f["severity"]) for f in findings] == [(RULE, "post", "high")]
    assert json.loads(findings[0]["evidence"])["notice"] == "sent"
    # A re-run (a cleared task): the same finding, no second notice.
    again = report_failures(db, [refused, good], now=now_utc(), detected_by="test", deliver=notify.deliver)
    assert [f.delivery for f in again] == ["already_sent"]
    assert len(list(inbox.directory.iterdir())) == 3
    assert len([f for f in db.fetch("findings/all") if f["subject_id"] == refused]) == 1


def test_a_notice_that_could_not_be_sent_is_sent_by_the_next_run(db, fake, inbox, monkeypatch):
    at = now_utc() + timedelta(seconds=1)
    refused = queue_and_approve(db, "WB-GROUP", OFF_DOMAIN, at)
    channels = Channels(db, PlatformJudges(fake))
    stage_post(db, refused, channels, now=now_utc())
    dispatch_second(db, [refused], channels)
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_WECOM", json.dumps({"conn_type": "http",
                                                                 "extra": {"webhook_url": "http://127.0.0.1:9/x"}}))
    (first,) = report_failures(db, [refused], now=now_utc(), detected_by="test", deliver=notify.deliver)
    assert first.delivery.startswith("failed: RobotError")
    for name, value in inbox.connections().items():
        monkeypatch.setenv(name, value)
    (second,) = report_failures(db, [refused], now=now_utc(), detected_by="test", deliver=notify.deliver)
    assert second.delivery == "sent" and len(kept(inbox, "wecom")) == 1


def test_an_account_without_a_connection_fails_at_its_second_without_a_call(db, fake):
    at = now_utc() + timedelta(seconds=1)
    post_id = queue_and_approve(db, "WB-GROUP", GOOD, at)
    channels = Channels(db, PlatformJudges(fake, unconfigured={"WB-GROUP"}))
    assert stage_post(db, post_id, channels, now=now_utc()) == STAGED
    (result,) = dispatch_second(db, [post_id], channels)
    assert result.status == "failed" and "连接配置" in result.reason
    assert db.fetch("dispatch/attempts", post_id=post_id) == []  # provably no call
    (failure,) = report_failures(db, [post_id], now=now_utc(), detected_by="test")
    assert failure.delivery == "not_sent" and "配置该账号的连接" in failure.notice.next_step


def test_the_run_fails_without_retry_after_everything_is_stored_and_the_second_still_emits_its_items(db, pg_url, fake, inbox, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from herald_airflow.dispatch_operator import PUBLISHED_ITEMS, DispatchSecondOperator
    from herald_airflow.dispatch_trigger import DispatchAtTrigger

    monkeypatch.setenv("AIRFLOW_CONN_HERALD_DB", pg_url)
    token, _ = WEIBO["WB-GROUP"]  # no safe_domains registered: the platform refuses at the second
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_WEIBO__WB_GROUP", json.dumps(
        {"conn_type": "herald_weibo", "host": fake.weibo_url, "password": token}))
    site, secret = CMS["WEB-GROUP"]
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_CMS", json.dumps(
        {"conn_type": "herald_cms", "host": fake.cms_url(site), "password": secret}))
    publish_at = (now_utc() + timedelta(seconds=3)).replace(microsecond=0)
    refused = queue_and_approve(db, "WB-GROUP", OFF_DOMAIN, publish_at)
    good = queue_and_approve(db, "WEB-GROUP", "<p>集团新能源项目顺利投产。</p>", publish_at, title="新能源项目投产")
    from herald_airflow.dispatch_clients import ConnectionClients

    for post_id in (refused, good):
        assert stage_post(db, post_id, Channels(db, ConnectionClients()), now=now_utc()) == STAGED

    async def first_event():
        async for event in DispatchAtTrigger(publish_at.isoformat(), [refused, good]).run():
            return event.payload

    payload = asyncio.run(first_event())
    operator = DispatchSecondOperator(task_id="dispatch_second", publish_at=publish_at.isoformat(),
                                      post_ids=[refused, good], confirm_seconds=5.0)

    class Outlet:
        extra: dict = {}

    context = {"outlet_events": {PUBLISHED_ITEMS: Outlet()}}
    from herald_airflow.dispatch_failures import fail_on_lines

    outcome = operator.execute_complete(context, payload)  # the second's task succeeds: its asset event goes out
    assert context["outlet_events"][PUBLISHED_ITEMS].extra["item_ids"] == outcome["item_ids"] != []
    with pytest.raises(AirflowFailException, match="发布失败：华夏能源WB-GROUP.*微博拒绝（10017"):
        fail_on_lines(outcome["failed"], "本分钟发布")  # what the DAG's failed_posts task does with the outcomes
    assert db.fetch_one("dispatch/post", post_id=good)["state"] == "published"  # unaffected
    assert len(kept(inbox, "email")) == 1
    assert [f["rule_id"] for f in db.fetch("findings/open") if f["subject_id"] == refused] == [RULE]
    # The task run again (a person cleared it): nothing is sent twice, the task fails again with the reason.
    again = asyncio.run(first_event())
    assert {r["status"] for r in again["results"]} == {"not_claimed"}
    with pytest.raises(AirflowFailException, match="10017"):
        fail_on_lines(operator.execute_complete(context, again)["failed"], "本分钟发布")
    assert len(kept(inbox, "email")) == 1 and len(fake.publications()) == 1


def test_queueing_refuses_a_weibo_link_off_the_safe_domains_of_the_connection(db):
    at = now_utc() + timedelta(days=10)
    request = PostRequest(account_id="WB-GROUP", author_id="author2", body=OFF_DOMAIN, publish_at=at,
                          category=CATEGORY, source="集团新闻中心")
    domains = {"WB-GROUP": (SAFE_DOMAIN,)}
    lookup = lambda account_id, platform: domains.get(account_id)  # noqa: E731
    with pytest.raises(ValidationError) as refused:
        queue_post(db, request, now=now_utc(), safe_domains_for=lookup)
    assert [(v.field, v.rule_id) for v in refused.value.violations] == [("body", "CON-7")]
    assert SAFE_DOMAIN in refused.value.violations[0].message
    # Unknown domains (no connection): only the presence of a link is checked, as before.
    assert queue_post(db, request, now=now_utc(), safe_domains_for=lambda a, p: None)
    assert queue_post(db, PostRequest(**{**request.__dict__, "body": GOOD}), now=now_utc(), safe_domains_for=lookup)
    # No link at all: one violation, not the same one twice.
    with pytest.raises(ValidationError) as bare:
        queue_post(db, PostRequest(**{**request.__dict__, "body": "集团新能源项目投产"}), now=now_utc(),
                   safe_domains_for=lookup)
    assert [(v.field, v.rule_id) for v in bare.value.violations] == [("body", "CON-7")]


def test_safe_domains_come_from_the_accounts_connection_else_the_shared_one():
    own = json.dumps({"conn_type": "herald_weibo", "password": "t", "extra": {"safe_domains": "a.example.cn\nb.example.cn"}})
    shared = json.dumps({"conn_type": "herald_weibo", "password": "t", "extra": {"safe_domains": ["herald.example.com"]}})
    env = {"AIRFLOW_CONN_HERALD_WEIBO__WB_GROUP": own, "AIRFLOW_CONN_HERALD_WEIBO": shared}
    assert safe_domains_from_env("WB-GROUP", "weibo", env) == ("a.example.cn", "b.example.cn")
    assert safe_domains_from_env("WB-SUB", "weibo", env) == ("herald.example.com",)
    assert safe_domains_from_env("WB-SUB", "weibo", {}) is None
    assert safe_domains_from_env("WX-GROUP", "wechat", env) is None
    uri = "herald-weibo://:t@api.weibo.com/?__extra__=" + requests.utils.quote(json.dumps({"safe_domains": ["x.cn"]}))
    assert safe_domains_from_env("WB-GROUP", "weibo", {"AIRFLOW_CONN_HERALD_WEIBO__WB_GROUP": uri}) == ("x.cn",)


def test_the_api_servers_lookup_reads_the_connection_through_the_secrets_chain(monkeypatch):
    from herald_airflow.platform_hooks import safe_domains_for

    for name in ("AIRFLOW_CONN_HERALD_WEIBO", "AIRFLOW_CONN_HERALD_WEIBO__WB_GROUP"):
        monkeypatch.delenv(name, raising=False)
    assert safe_domains_for("WB-GROUP", "weibo") is None  # no connection anywhere in the chain: not known
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_WEIBO", json.dumps(
        {"conn_type": "herald_weibo", "password": "t", "extra": {"safe_domains": ["herald.example.com"]}}))
    assert safe_domains_for("WB-GROUP", "weibo") == ("herald.example.com",)
    assert safe_domains_for("WX-GROUP", "wechat") is None
