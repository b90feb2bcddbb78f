"""The platform clients against the local fake platforms (a real HTTP server on 127.0.0.1).

Covers each outcome class, the token holder, 45065 adoption, 20032 and read timeouts as
unconfirmed, connect errors as retry, webhook signatures, the manual hand-off and SEC-1
redaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest
import requests

from herald.errors import ValidationError
from herald.platforms import cms, manual
from herald.platforms.outcome import OutcomeKind, classify_wechat, classify_weibo, seconds_to_next_shanghai_day
from herald.platforms.tokens import DatabaseTokenStore, IssuedToken, MemoryTokenStore
from herald.platforms.wechat import WeChatClient
from herald.platforms.weibo import WeiboClient, weibo_length
from herald_dev.fakeplatforms import FakeConfig, FakePlatforms, comments

APPID, SECRET = "wx_test_account", "test-wechat-secret-0001"
WEIBO_TOKEN = "weibo-token-0001"
CMS_SECRET = "cms-secret-0001"
TEST_CONFIG = dict(publish_delay_seconds=0.05, token_grace_seconds=60, clientmsgid_retry_window_seconds=0.2, hold_seconds=1.5)
FAST = (1.0, 3.0)


@pytest.fixture(scope="module")
def server():
    with FakePlatforms.start(
        wechat_accounts={APPID: SECRET},
        weibo_tokens={WEIBO_TOKEN: {"uid": "5000000042", "appkey": "k", "safe_domains": ["herald.example.com"]}},
        cms_sites={"www": CMS_SECRET},
    ) as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.reset()
    with server.state.lock:
        server.state.config = FakeConfig(**TEST_CONFIG)
    return server


@pytest.fixture
def session():
    with requests.Session() as s:
        yield s


def wechat(fake, session, store=None, timeout=FAST, secret=SECRET, appid=APPID):
    return WeChatClient(fake.wechat_url, appid, secret, session, store or MemoryTokenStore(), timeout=timeout)


def article(ref: str = "herald://post/p1", title: str = "集团新闻：年度安全生产会议召开") -> dict:
    return {"title": title, "author": "行政中心", "content": "<p>会议要求……</p>", "content_source_url": ref}


def draft(client) -> str:
    outcome = client.add_draft([article()])
    assert outcome.ok, outcome
    return outcome.data["media_id"]


# --- classification tables -----------------------------------------------------------------

NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 in Beijing


@pytest.mark.parametrize(
    "errcode, kind",
    [
        (0, OutcomeKind.OK),
        (-1, OutcomeKind.RETRY),
        (40001, OutcomeKind.REFRESH_TOKEN),
        (40014, OutcomeKind.REFRESH_TOKEN),
        (42001, OutcomeKind.REFRESH_TOKEN),
        (40013, OutcomeKind.CONFIG_ERROR),
        (48001, OutcomeKind.CONFIG_ERROR),
        (40164, OutcomeKind.CONFIG_ERROR),
        (61004, OutcomeKind.CONFIG_ERROR),
        (40007, OutcomeKind.FAILED),
        (53503, OutcomeKind.FAILED),
        (53504, OutcomeKind.FAILED),
        (53505, OutcomeKind.FAILED),
        (45002, OutcomeKind.VALIDATION),
        (45009, OutcomeKind.WAIT_QUOTA),
        (45011, OutcomeKind.WAIT_QUOTA),
        (45028, OutcomeKind.WAIT_QUOTA),
        (45065, OutcomeKind.UNCONFIRMED),
        (45066, OutcomeKind.UNCONFIRMED),
        (99999, OutcomeKind.FAILED),
    ],
)
def test_wechat_errcodes_follow_the_contract_table(errcode, kind):
    assert classify_wechat({"errcode": errcode, "errmsg": "x"}, NOW).kind is kind


def test_wechat_quota_waits_until_beijing_midnight_and_45065_adopts_the_msg_id():
    assert classify_wechat({"errcode": 45028, "errmsg": "x"}, NOW).retry_after_seconds == 30 * 60
    assert classify_wechat({"errcode": 45011, "errmsg": "x"}, NOW).retry_after_seconds == 60
    adopted = classify_wechat({"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": 3147494522})
    assert adopted.data == {"msg_id": 3147494522}
    assert classify_wechat({"media_id": "m"}).ok  # some success bodies carry no errcode
    assert seconds_to_next_shanghai_day(datetime(2026, 3, 2, 16, 0, tzinfo=UTC)) == 86400


@pytest.mark.parametrize(
    "status, code, kind",
    [
        (500, 10001, OutcomeKind.RETRY),
        (503, "10009", OutcomeKind.RETRY),
        (403, 10023, OutcomeKind.WAIT_QUOTA),
        (403, "10022", OutcomeKind.WAIT_QUOTA),
        (400, 20016, OutcomeKind.WAIT_QUOTA),
        (400, 20006, OutcomeKind.VALIDATION),
        (400, "20012", OutcomeKind.VALIDATION),
        (400, 20017, OutcomeKind.UNCONFIRMED),
        (400, 20019, OutcomeKind.UNCONFIRMED),
        (400, 20111, OutcomeKind.UNCONFIRMED),
        (400, "20032", OutcomeKind.UNCONFIRMED),
        (400, 20018, OutcomeKind.FAILED),
        (400, 20021, OutcomeKind.FAILED),
        (401, 21327, OutcomeKind.CONFIG_ERROR),
        (401, "21315", OutcomeKind.CONFIG_ERROR),
        (401, 21330, OutcomeKind.CONFIG_ERROR),
    ],
)
def test_weibo_error_codes_follow_the_contract_table_int_or_string(status, code, kind):
    body = {"request": "/2/statuses/share.json", "error_code": code, "error": "x"}
    outcome = classify_weibo(status, body, NOW)
    assert outcome.kind is kind and outcome.code == str(code)


def test_weibo_without_error_code():
    assert classify_weibo(200, {"idstr": "1"}).ok
    assert classify_weibo(503, None).kind is OutcomeKind.RETRY
    assert classify_weibo(504, None).kind is OutcomeKind.UNCONFIRMED  # a gateway timeout: may have posted


def test_attempt_outcome_fits_dispatch_attempts_check():
    assert classify_wechat({"errcode": 40013}).attempt_outcome == "failed"
    assert classify_wechat({"errcode": 45065}).attempt_outcome == "unconfirmed"


# --- WeChat against the fake -------------------------------------------------------------------


def test_draft_submit_publish_and_read_back_in_utf8(fake, session):
    client = wechat(fake, session)
    submitted = client.submit(draft(client))
    assert submitted.ok and submitted.data["publish_id"].isdigit()
    first = client.get_publish(submitted.data["publish_id"])
    assert first.ok and first.data["state"] == "publishing" and not first.data["is_final"]
    fake.advance_clock(1)
    done = client.get_publish(submitted.data["publish_id"])
    assert done.data["state"] == "published" and done.data["article_urls"][0].startswith("https://mp.weixin.qq.com/s/")
    news = client.get_article(done.data["article_id"]).data["news_item"][0]
    assert news["title"] == "集团新闻：年度安全生产会议召开"  # sent as UTF-8, not \u escapes
    assert news["url"] == done.data["article_urls"][0]
    assert len(fake.publications(post_ref="herald://post/p1")) == 1


def test_draft_limits_are_checked_before_sending(fake, session):
    client = wechat(fake, session)
    refused = client.add_draft([article(title="标" * 33)])
    assert refused.kind is OutcomeKind.VALIDATION and "标题" in refused.message
    assert fake.state.request_counts["wechat:draft/add"] == 0


def test_expired_token_is_refreshed_once_and_the_call_succeeds(fake, session):
    client = wechat(fake, session)
    media_id = draft(client)
    fake.inject("expire_token", path="freepublish/submit")
    outcome = client.submit(media_id)
    assert outcome.ok, outcome
    assert fake.state.request_counts["wechat:token"] == 2
    assert fake.state.request_counts["wechat:freepublish/submit"] == 2
    assert len(fake.publications(kind="freepublish")) == 1  # the refused request published nothing


def test_one_token_holder_per_account(fake, session):
    shared = MemoryTokenStore()
    first, second = wechat(fake, session, shared), wechat(fake, session, shared)
    assert first.add_draft([article()]).ok and second.add_draft([article()]).ok
    assert fake.state.request_counts["wechat:token"] == 1


def test_a_second_holder_knocks_out_the_first_after_the_grace_period(fake, session):
    first, rogue = wechat(fake, session), wechat(fake, session)
    assert first.add_draft([article()]).ok
    assert rogue.add_draft([article()]).ok  # fetches its own token: the first one now has 60 s left
    assert first.add_draft([article()]).ok  # within the grace period
    fake.advance_clock(61)
    recovered = first.add_draft([article()])  # 40001 "not latest": refreshed once, then fine
    assert recovered.ok
    assert fake.state.request_counts["wechat:token"] == 3


@pytest.mark.parametrize("appid, secret, code", [(APPID, "wrong-secret", "40001"), ("wx_unknown", SECRET, "40013")])
def test_bad_credentials_are_configuration_errors(fake, session, appid, secret, code):
    outcome = wechat(fake, session, appid=appid, secret=secret).add_draft([article()])
    assert outcome.kind is OutcomeKind.CONFIG_ERROR and outcome.code == code


@pytest.mark.parametrize(
    "fault, code, kind",
    [("quota", "45009", OutcomeKind.WAIT_QUOTA), ("system_busy", "-1", OutcomeKind.RETRY)],
)
def test_platform_faults_are_classified(fake, session, fault, code, kind):
    client = wechat(fake, session)
    media_id = draft(client)
    fake.inject(fault, platform="wechat")
    outcome = client.submit(media_id)
    assert (outcome.kind, outcome.code) == (kind, code)
    assert fake.publications(platform="wechat") == []


def test_mass_send_preview_then_once_a_day_and_45065_adopts_the_original(fake, session):
    client = wechat(fake, session)
    media_id = draft(client)
    assert client.preview(media_id, "reviewer-openid").ok
    sent = client.mass_send(media_id, "post-p1-mass")
    assert sent.ok
    too_fast = client.mass_send(media_id, "post-p1-mass")
    assert too_fast.kind is OutcomeKind.UNCONFIRMED and too_fast.code == "45066"
    fake.advance_clock(1)
    again = client.mass_send(media_id, "post-p1-mass")  # e.g. a reconciliation after a lost answer
    assert again.kind is OutcomeKind.UNCONFIRMED and again.code == "45065"
    assert again.data["msg_id"] == sent.data["msg_id"]
    assert client.get_mass(again.data["msg_id"]).data["msg_status"] == "SEND_SUCCESS"
    other = client.mass_send(media_id, "post-p2-mass")
    assert other.kind is OutcomeKind.WAIT_QUOTA and other.code == "45028" and other.retry_after_seconds > 0
    assert [p["post_ref"] for p in fake.publications(kind="mass_send")] == ["post-p1-mass"]
    assert [p["media_id"] for p in fake.previews()] == [media_id]


def test_clientmsgid_longer_than_64_bytes_is_refused_locally(fake, session):
    outcome = wechat(fake, session).mass_send("m", "长" * 22)  # 66 bytes in UTF-8
    assert outcome.kind is OutcomeKind.VALIDATION and fake.state.request_counts["wechat:message/mass/sendall"] == 0


def test_read_timeout_after_sending_is_unconfirmed_and_the_platform_did_publish(fake, session):
    client = wechat(fake, session, timeout=(1.0, 0.3))
    media_id = draft(client)
    fake.inject("timeout_after_accept", path="freepublish/submit", hold_seconds=1.0)
    outcome = client.submit(media_id)
    assert outcome.kind is OutcomeKind.UNCONFIRMED and outcome.code == "no_response"
    assert len(fake.publications(kind="freepublish")) == 1  # so a blind resubmit would double-post


def test_read_timeout_on_a_read_is_simply_retried(fake, session):
    client = wechat(fake, session, timeout=(1.0, 0.3))
    publish_id = client.submit(draft(client)).data["publish_id"]
    fake.inject("timeout_after_accept", path="freepublish/get", hold_seconds=1.0)
    assert client.get_publish(publish_id).kind is OutcomeKind.RETRY


def test_connection_refused_is_retry_and_leaks_no_secret(session):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = WeChatClient(f"http://127.0.0.1:{port}/cgi-bin/", APPID, SECRET, session, MemoryTokenStore(), timeout=FAST)
    outcome = client.add_draft([article()])
    assert outcome.kind is OutcomeKind.RETRY and outcome.code == "connect_error"
    assert SECRET not in outcome.message and "secret=***" in outcome.message


def test_http_503_burst_is_retry(fake, session):
    client = wechat(fake, session)
    media_id = draft(client)
    fake.inject("http_5xx_burst", path="freepublish/submit", count=2)
    assert client.submit(media_id).kind is OutcomeKind.RETRY
    assert client.submit(media_id).kind is OutcomeKind.RETRY
    assert client.submit(media_id).ok
    assert len(fake.publications(kind="freepublish")) == 1


def test_tokens_and_secrets_never_reach_the_logs(fake, session, caplog):
    announced = []
    client = WeChatClient(fake.wechat_url, APPID, SECRET, session, MemoryTokenStore(), timeout=FAST, on_token=announced.append)
    with caplog.at_level(logging.DEBUG):
        assert client.add_draft([article()]).ok
    token = announced[0]
    assert "access_token=***" in caplog.text  # urllib3 logged the URL, redacted
    assert token not in caplog.text and SECRET not in caplog.text
    assert token not in repr(client) and SECRET not in repr(client)


# --- token stores --------------------------------------------------------------------------------


def test_database_token_store_adopts_a_newer_token_and_survives_fetch_errors(any_db):
    store = DatabaseTokenStore(any_db)
    now = datetime.now(UTC)
    assert store.current("wechat", APPID, now) is None
    fetched = []

    def fetch():
        fetched.append(1)
        return IssuedToken(f"token-{len(fetched)}", now + timedelta(hours=2))

    assert store.refresh("wechat", APPID, None, fetch, now) == "token-1"
    assert store.current("wechat", APPID, now) == "token-1"
    # A worker holding an older stale token adopts token-1 instead of fetching again.
    assert store.refresh("wechat", APPID, "token-0", fetch, now) == "token-1" and len(fetched) == 1
    assert store.refresh("wechat", APPID, "token-1", fetch, now) == "token-2"

    def broken():
        raise ConnectionError("platform down")

    with pytest.raises(ConnectionError):
        store.refresh("wechat", APPID, "token-2", broken, now)
    assert store.current("wechat", APPID, now) == "token-2"  # a transient error is not a dead token
    assert store.current("wechat", APPID, now + timedelta(hours=2)) is None  # expiring: refresh first


# --- Weibo ---------------------------------------------------------------------------------------


def weibo(fake, session, timeout=FAST):
    return WeiboClient(fake.weibo_url, WEIBO_TOKEN, session, safe_domains=["herald.example.com"], timeout=timeout)


@pytest.mark.parametrize(
    "text, length",
    [
        ("中" * 140, 140),
        ("中" * 141, 141),
        ("a" * 280, 140),
        ("a" * 281, 141),
        ("abc", 2),
        ("看 https://herald.example.com/a/very/long/path/that/still/counts/as/ten", 12),
        ("中" * 130 + "https://herald.example.com/x", 140),
        ("中" * 131 + "https://herald.example.com/x", 141),
    ],
)
def test_weibo_length_rule_from_the_contract(text, length):
    assert weibo_length(text) == length


def test_share_keeps_idstr_beyond_javascript_integers(fake, session):
    outcome = weibo(fake, session).share("集团发布年度报告 https://herald.example.com/r/2026", rip="10.0.0.8")
    assert outcome.ok
    assert outcome.data["idstr"] == str(outcome.data["id"]) and int(outcome.data["idstr"]) > 2**53


def test_share_refuses_overlong_text_and_foreign_links_before_sending(fake, session):
    client = weibo(fake, session)
    assert client.share("中" * 141 + " https://herald.example.com/").code == "20012"
    assert client.share("看这里 https://elsewhere.example.org/").code == "10017"
    assert client.share("#话题# https://herald.example.com/").code == "10017"
    assert client.share("图 https://herald.example.com/", pic=b"not an image").code == "20005"
    assert fake.state.request_counts["weibo:statuses/share.json"] == 0


def test_share_with_a_picture_is_multipart(fake, session):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    outcome = weibo(fake, session).share("附图 https://herald.example.com/p", pic=png)
    assert outcome.ok and outcome.data.get("original_pic")


def test_20032_is_unconfirmed_and_the_timeline_settles_it(fake, session):
    client = weibo(fake, session)
    text = "延迟发布测试 https://herald.example.com/d"
    fake.inject("weibo_20032")
    outcome = client.share(text)
    assert outcome.kind is OutcomeKind.UNCONFIRMED and outcome.code == "20032"
    timeline = client.user_timeline().data["statuses"]
    assert [s["text"] for s in timeline] == [text]  # published: reconciliation finds it, never reposts
    assert len(fake.publications(post_ref=text)) == 1


@pytest.mark.parametrize(
    "fault, code, kind",
    [
        ("duplicate", "20019", OutcomeKind.UNCONFIRMED),
        ("quota", "10023", OutcomeKind.WAIT_QUOTA),
        ("system_busy", "10009", OutcomeKind.RETRY),
        ("expire_token", "21327", OutcomeKind.CONFIG_ERROR),
        ("http_5xx_burst", "http_503", OutcomeKind.RETRY),
    ],
)
def test_weibo_faults_are_classified(fake, session, fault, code, kind):
    fake.inject(fault, platform="weibo")
    outcome = weibo(fake, session).share("故障注入 https://herald.example.com/f")
    assert (outcome.kind, outcome.code) == (kind, code)
    assert fake.publications(platform="weibo") == []


def test_weibo_read_timeout_after_sending_is_unconfirmed(fake, session):
    fake.inject("timeout_after_accept", platform="weibo", hold_seconds=1.0)
    outcome = weibo(fake, session, timeout=(1.0, 0.3)).share("超时 https://herald.example.com/t")
    assert outcome.kind is OutcomeKind.UNCONFIRMED
    assert len(fake.publications(platform="weibo")) == 1


def test_token_info_gives_an_expiry_time(fake, session):
    info = weibo(fake, session).get_token_info()
    assert info.ok and info.data["uid"] == "5000000042" and info.data["expires_at"] > datetime.now(UTC)


# --- CMS webhook ---------------------------------------------------------------------------------


def test_wechat_list_comments_pages_a_thread_and_clamps_the_count(fake, session):
    comments.reset(fake.state)
    comments.plant(fake.state, [{"platform": "wechat", "account": APPID, "msg_data_id": "2247483650", "content": f"评论{i}"}
                                for i in range(3)])
    client = wechat(fake, session)
    first = client.list_comments("2247483650", index=0, begin=0, count=2)
    assert first.ok and first.data["total"] == 3 and [c["content"] for c in first.data["comment"]] == ["评论0", "评论1"]
    rest = client.list_comments(2247483650, begin=2, count=500)  # above the platform's 50: clamped, not 88010
    assert rest.ok and [c["content"] for c in rest.data["comment"]] == ["评论2"]
    missing = client.list_comments("2247483651")
    assert not missing.ok and missing.code == "88001"


def test_weibo_comments_to_me_since_id_then_the_token_is_revoked(fake, session):
    comments.reset(fake.state)
    planted = comments.plant(fake.state, [{"platform": "weibo", "account": "5000000042", "content": text}
                                          for text in ("第一条评论", "第二条评论")])
    client = weibo(fake, session)
    listed = client.comments_to_me(count=500)  # above the platform's 200: clamped, not 10017
    assert listed.ok and [c["text"] for c in listed.data["comments"]] == ["第二条评论", "第一条评论"]
    newer = client.comments_to_me(since_id=planted[0]["platform_comment_id"])
    assert [c["idstr"] for c in newer.data["comments"]] == [planted[1]["platform_comment_id"]]
    kept = dict(fake.state.weibo_tokens)
    try:
        revoked = client.revoke_token()
        assert revoked.ok and revoked.data["token_sha256"] == hashlib.sha256(WEIBO_TOKEN.encode()).hexdigest()
        after = client.comments_to_me()
        assert after.kind is OutcomeKind.CONFIG_ERROR and after.code == "21332"
    finally:
        with fake.state.lock:
            fake.state.weibo_tokens.update(kept)


def test_cms_publish_is_signed_idempotent_and_readable(fake, session):
    client = cms.CmsWebhookClient(fake.cms_url("www"), CMS_SECRET, session, timeout=FAST)
    first = client.publish({"item_id": "post-7", "title": "新闻标题", "body": "正文"})
    again = client.publish({"item_id": "post-7", "title": "新闻标题", "body": "正文"})
    assert first.ok and not first.data["duplicate"]
    assert again.ok and again.data["duplicate"] and again.data["url"] == first.data["url"]
    assert client.get_item("post-7").data["url"] == first.data["url"]
    assert client.get_item("missing").code == "http_404"
    assert len(fake.publications(platform="cms", post_ref="post-7")) == 1


def test_cms_wrong_secret_is_a_configuration_error(fake, session):
    outcome = cms.CmsWebhookClient(fake.cms_url("www"), "not-the-secret", session, timeout=FAST).publish({"item_id": "x"})
    assert outcome.kind is OutcomeKind.CONFIG_ERROR and outcome.code == "http_401"
    assert fake.publications(platform="cms") == []


def test_verify_signature_refuses_forged_stale_future_and_malformed():
    body = json.dumps({"item": {"item_id": "1"}}).encode()
    now = 1_700_000_000
    # printf '%s' '1700000000.{"item": {"item_id": "1"}}' | openssl dgst -sha256 -hmac cms-secret-0001
    signature = "sha256=7d238b46d9cc192fd26377529a0863c8ded2dd9542e64f7f0994716c79b2d468"
    assert cms.sign(CMS_SECRET, str(now), body) == signature
    assert cms.verify_signature(CMS_SECRET, str(now), body, signature, now + 299) == cms.VALID
    assert cms.verify_signature(CMS_SECRET, str(now), body + b" ", signature, now) == cms.FORGED
    assert cms.verify_signature("other", str(now), body, signature, now) == cms.FORGED
    assert cms.verify_signature(CMS_SECRET, str(now), body, signature, now + 301) == cms.STALE
    assert cms.verify_signature(CMS_SECRET, str(now), body, signature, now - 301) == cms.STALE
    assert cms.verify_signature(CMS_SECRET, str(now), body, "md5=abc", now) == cms.MALFORMED
    assert cms.verify_signature(CMS_SECRET, None, body, signature, now) == cms.MALFORMED


def test_fake_cms_refuses_a_replayed_request(fake, session):
    body = json.dumps({"request_id": "r1", "item": {"item_id": "replayed"}}).encode()
    timestamp = str(int(fake.state.now().timestamp()))
    headers = {cms.TIMESTAMP_HEADER: timestamp, cms.SIGNATURE_HEADER: cms.sign(CMS_SECRET, timestamp, body)}
    url = fake.cms_url("www") + "/publish"
    assert session.post(url, data=body, headers=headers, timeout=FAST).status_code == 200
    assert session.post(url, data=body, headers=headers, timeout=FAST).status_code == 409
    stale = str(int(fake.state.now().timestamp()) - 600)
    old = {cms.TIMESTAMP_HEADER: stale, cms.SIGNATURE_HEADER: cms.sign(CMS_SECRET, stale, body)}
    assert session.post(url, data=body, headers=old, timeout=FAST).json() == {"error": "signature stale"}
    assert len(fake.publications(platform="cms")) == 1


# --- manual channels -----------------------------------------------------------------------------

PUBLISH_AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def handoff(**overrides):
    fields = dict(
        post_id="p9", account_id="acc-tieba", platform="tieba", operator_id="op-1",
        title="贴吧公告", body="正文", publish_at=PUBLISH_AT,
    )
    return manual.make_handoff(**{**fields, **overrides})


def test_manual_handoff_and_confirmation():
    item = handoff()
    assert item.deadline_at == PUBLISH_AT + manual.DEFAULT_CONFIRMATION_WINDOW
    assert "2026-03-02 10:00:00 (北京时间)" in item.instructions()
    ok = manual.check_confirmation(item, "https://tieba.baidu.com/p/8899", "op-1", PUBLISH_AT + timedelta(hours=1))
    assert ok.link == "https://tieba.baidu.com/p/8899" and not ok.is_late
    late = manual.check_confirmation(item, "https://tieba.baidu.com/p/8899", "op-1", PUBLISH_AT + timedelta(hours=5))
    assert late.is_late
    assert manual.is_overdue(item, PUBLISH_AT + timedelta(hours=5)) and not manual.is_overdue(item, PUBLISH_AT)


@pytest.mark.parametrize(
    "link, operator, field",
    [
        ("https://evil.example.com/tieba.baidu.com/p/1", "op-1", "link"),
        ("ftp://tieba.baidu.com/p/1", "op-1", "link"),
        ("tieba.baidu.com/p/1", "op-1", "link"),
        ("https://tieba.baidu.com/p/1", "op-2", "confirmed_by"),
    ],
)
def test_manual_confirmation_refusals_name_the_field(link, operator, field):
    with pytest.raises(ValidationError) as refused:
        manual.check_confirmation(handoff(), link, operator, PUBLISH_AT + timedelta(hours=1))
    assert [v.field for v in refused.value.violations] == [field]


def test_a_forum_needs_its_host_configured():
    with pytest.raises(ValidationError) as refused:
        handoff(platform="forum")
    assert refused.value.violations[0].field == "expected_hosts"
    forum = handoff(platform="forum", expected_hosts=["bbs.example.com"])
    assert manual.check_confirmation(forum, "http://bbs.example.com/t/1", "op-1", PUBLISH_AT).link


# --- Airflow hooks -------------------------------------------------------------------------------


def test_hooks_build_clients_from_connections(fake, monkeypatch):
    connection = {"conn_type": "herald_wechat", "host": fake.wechat_url, "login": APPID, "password": SECRET,
                  "extra": {"token_store": "memory", "read_timeout": 5}}
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_WECHAT_TEST", json.dumps(connection))
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_WEIBO_TEST", json.dumps(
        {"conn_type": "herald_weibo", "host": fake.weibo_url, "password": WEIBO_TOKEN,
         "extra": {"safe_domains": ["herald.example.com"]}}))
    from airflow.sdk.log import redact

    from herald_airflow.platform_hooks import WeChatHook, WeiboHook

    client = WeChatHook("herald_wechat_test").get_client()
    assert client.timeout == (3.05, 5.0)
    assert client.add_draft([article()]).ok
    fetched_token = fake.state.current_token[(APPID, "basic")]
    masked = redact(f"secret {SECRET} token {fetched_token}")  # what a task log line would show
    assert SECRET not in masked and fetched_token not in masked
    assert WeiboHook("herald_weibo_test").get_client().share("钩子 https://herald.example.com/h").ok


def test_hook_sessions_read_proxy_settings_once_unless_a_proxy_is_configured(monkeypatch):
    from herald_airflow.platform_hooks import WeiboHook

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert WeiboHook.session().trust_env is False  # nothing to honour: no scan of the environment per call
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    assert WeiboHook.session().trust_env is True  # requests honours the proxy and no_proxy per request
