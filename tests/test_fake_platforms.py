"""The fake platforms themselves, driven over raw HTTP: control API, fault switches, the ledger,
contract details (tokens, async publishing, quotas, error shapes) and concurrency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from herald_dev.fakeplatforms import FakeConfig, FakePlatforms

REPO = Path(__file__).resolve().parents[1]
APPID, SECRET = "wx_fake_test", "fake-test-secret"
WEIBO_TOKEN = "weibo-fake-token"
SAFE_URL = "https://herald.example.com/n/1"
T = (1.0, 3.0)


@pytest.fixture(scope="module")
def server():
    with FakePlatforms.start(
        wechat_accounts={APPID: SECRET},
        weibo_tokens={WEIBO_TOKEN: {"uid": "5000000777", "appkey": "k", "safe_domains": ["herald.example.com"]}},
        cms_sites={"blog": "blog-secret"},
    ) as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.reset()
    with server.state.lock:
        server.state.config = FakeConfig(publish_delay_seconds=0.2, token_grace_seconds=0.5)
    return server


@pytest.fixture
def http():
    with requests.Session() as s:
        yield s


def control(http, fake, method, path, payload=None, **params):
    response = http.request(method, f"{fake.base_url}/_fake/{path}", json=payload, params=params, timeout=T)
    return response.status_code, response.json()


def token(http, fake) -> str:
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    return http.get(fake.wechat_url + "token", params=params, timeout=T).json()["access_token"]


def wx(http, fake, path, access_token, payload, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    response = http.post(fake.wechat_url + path, params={"access_token": access_token}, data=data, timeout=T)
    assert response.status_code == 200  # WeChat answers 200, errors included
    return response.json()


def share(http, fake, text, timeout=T):
    return http.post(fake.weibo_url + "statuses/share.json", data={"access_token": WEIBO_TOKEN, "status": text}, timeout=timeout)


def new_draft(http, fake, access_token, ref="herald://post/a"):
    article = {"title": "标题", "content": "<p>内容</p>", "content_source_url": ref}
    return wx(http, fake, "draft/add", access_token, {"articles": [article]})["media_id"]


# --- control API and the ledger --------------------------------------------------------------------


def test_ledger_counts_publications_per_post_and_filters(fake, http):
    access = token(http, fake)
    for ref in ("herald://post/a", "herald://post/a", "herald://post/b"):
        wx(http, fake, "freepublish/submit", access, {"media_id": new_draft(http, fake, access, ref)})
    assert share(http, fake, f"微博 {SAFE_URL}").status_code == 200
    status, body = control(http, fake, "GET", "publications", post_ref="herald://post/a")
    assert status == 200 and len(body["publications"]) == 2  # a double post is visible
    entry = body["publications"][0]
    assert entry["platform"] == "wechat" and entry["account"] == APPID and entry["accepted_at"].endswith("+00:00")
    assert len(control(http, fake, "GET", "publications", platform="weibo")[1]["publications"]) == 1
    control(http, fake, "POST", "reset")
    assert control(http, fake, "GET", "publications")[1]["publications"] == []


def test_scheduled_fault_hits_only_the_requests_it_names(fake, http):
    status, _ = control(http, fake, "POST", "faults", {"kind": "http_5xx_burst", "count": 2, "after": 2, "platform": "weibo"})
    assert status == 200
    codes = [share(http, fake, f"第{i}条 {SAFE_URL}").status_code for i in range(5)]
    assert codes == [200, 200, 503, 503, 200]
    assert control(http, fake, "GET", "faults")[1]["faults"] == []
    assert len(fake.publications(platform="weibo")) == 3


def test_control_api_refuses_unknown_faults_settings_and_platform_mismatch(fake, http):
    assert control(http, fake, "POST", "faults", {"kind": "meteor"})[0] == 400
    assert control(http, fake, "POST", "faults", {"kind": "duplicate", "platform": "wechat"})[0] == 400
    assert control(http, fake, "POST", "config", {"no_such_setting": 1})[0] == 400
    status, config = control(http, fake, "POST", "config", {"latency_ms": 5})
    assert status == 200 and config["latency_ms"] == 5.0


def test_timeout_after_accept_records_then_holds_the_answer(fake, http):
    fake.inject("timeout_after_accept", platform="weibo", hold_seconds=1.0)
    with pytest.raises(requests.ReadTimeout):
        share(http, fake, f"已受理 {SAFE_URL}", timeout=(1.0, 0.3))
    assert [p["post_ref"] for p in fake.publications()] == [f"已受理 {SAFE_URL}"]


# --- WeChat contract details -----------------------------------------------------------------------


def test_a_new_token_invalidates_the_old_one_after_the_grace_period(fake, http):
    old = token(http, fake)
    new = token(http, fake)
    assert "media_id" in wx(http, fake, "draft/add", old, {"articles": [{"title": "t", "content": "c"}]})
    time.sleep(0.6)
    assert wx(http, fake, "draft/add", old, {"articles": [{"title": "t", "content": "c"}]})["errcode"] == 40001
    assert "media_id" in wx(http, fake, "draft/add", new, {"articles": [{"title": "t", "content": "c"}]})
    assert wx(http, fake, "draft/add", "short", {})["errcode"] == 40014


def test_expire_token_fault_mid_burst(fake, http):
    access = token(http, fake)
    fake.inject("expire_token", platform="wechat", after=2)
    codes = [wx(http, fake, "draft/add", access, {"articles": [{"title": "t", "content": "c"}]}).get("errcode", 0) for _ in range(4)]
    assert codes == [0, 0, 42001, 42001]


def test_freepublish_is_asynchronous(fake, http):
    access = token(http, fake)
    accepted = wx(http, fake, "freepublish/submit", access, {"media_id": new_draft(http, fake, access)})
    assert accepted["errcode"] == 0 and accepted["errmsg"] == "ok"
    first = wx(http, fake, "freepublish/get", access, {"publish_id": accepted["publish_id"]})
    assert first == {"publish_id": accepted["publish_id"], "publish_status": 1}
    time.sleep(0.25)
    done = wx(http, fake, "freepublish/get", access, {"publish_id": accepted["publish_id"]})
    assert done["publish_status"] == 0 and done["article_detail"]["count"] == 1 and done["fail_idx"] == []
    assert wx(http, fake, "freepublish/submit", access, {"media_id": "nope"})["errcode"] == 40007


def test_unicode_escapes_are_stored_literally_as_wechat_does(fake, http):
    access = token(http, fake)
    raw = json.dumps({"articles": [{"title": "中文", "content": "c"}]}, ensure_ascii=True).encode()
    media_id = wx(http, fake, "draft/add", access, None, raw=raw)["media_id"]
    publish_id = wx(http, fake, "freepublish/submit", access, {"media_id": media_id})["publish_id"]
    time.sleep(0.25)
    article_id = wx(http, fake, "freepublish/get", access, {"publish_id": publish_id})["article_id"]
    title = wx(http, fake, "freepublish/getarticle", access, {"article_id": article_id})["news_item"][0]["title"]
    assert title == "\\u4e2d\\u6587"


def test_mass_send_once_a_beijing_day_with_clientmsgid_memory(fake, http):
    access = token(http, fake)
    media_id = new_draft(http, fake, access)

    def send(clientmsgid):
        payload = {"filter": {"is_to_all": True}, "mpnews": {"media_id": media_id}, "msgtype": "mpnews",
                   "send_ignore_reprint": 0, "clientmsgid": clientmsgid}
        return wx(http, fake, "message/mass/sendall", access, payload)

    first = send("c1")
    assert first["errmsg"] == "send job submission success"
    assert send("c1")["errcode"] == 45066
    fake.advance_clock(61)
    assert send("c1") == {"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": first["msg_id"]}
    assert send("c2")["errcode"] == 45028
    fake.advance_clock(86400)  # the next Beijing day (the old token has expired meanwhile)
    access = token(http, fake)
    assert send("c2")["errcode"] == 0
    assert wx(http, fake, "message/mass/get", access, {"msg_id": first["msg_id"]})["msg_status"] == "SEND_SUCCESS"
    assert [p["post_ref"] for p in fake.publications(kind="mass_send")] == ["c1", "c2"]


def test_mass_api_minute_quota(fake, http):
    fake.configure(mass_api_per_minute=2)
    access = token(http, fake)
    media_id = new_draft(http, fake, access)
    payload = {"touser": "o1", "msgtype": "mpnews", "mpnews": {"media_id": media_id}}
    codes = [wx(http, fake, "message/mass/preview", access, payload)["errcode"] for _ in range(3)]
    assert codes == [0, 0, 45011]
    assert len(fake.previews()) == 2


def test_preview_goes_to_an_openid_or_a_wechat_id_which_wins_when_both_are_given(fake, http):
    access = token(http, fake)
    media_id = new_draft(http, fake, access)

    def preview(**to):
        return wx(http, fake, "message/mass/preview", access, {**to, "msgtype": "mpnews", "mpnews": {"media_id": media_id}})

    assert preview(touser="o-reviewer")["errmsg"] == "preview success"
    assert preview(towxname="reviewer_wx")["errcode"] == 0
    assert preview(touser="o-reviewer", towxname="reviewer_wx")["errcode"] == 0
    assert preview()["errcode"] == 40003
    assert preview(touser="", towxname="")["errcode"] == 40003
    assert [(p["openid"], p["towxname"]) for p in fake.previews()] == [
        ("o-reviewer", None), (None, "reviewer_wx"), (None, "reviewer_wx")]


# --- Weibo contract details ------------------------------------------------------------------------


def test_weibo_errors_are_http_errors_with_int_or_string_codes(fake, http):
    fake.configure(weibo_error_code_style="string")
    too_long = share(http, fake, "中" * 141 + SAFE_URL)
    assert too_long.status_code == 400 and too_long.json()["error_code"] == "20012"
    fake.configure(weibo_error_code_style="int")
    no_safe_url = share(http, fake, "没有安全域名 https://elsewhere.example.org/")
    assert no_safe_url.status_code == 400 and no_safe_url.json()["error_code"] == 10017
    assert no_safe_url.json()["request"] == "/2/statuses/share.json"
    bad_token = http.post(fake.weibo_url + "statuses/share.json", data={"access_token": "x", "status": SAFE_URL}, timeout=T)
    assert bad_token.status_code == 401


def test_weibo_counts_140_characters_its_own_way(fake, http):
    # 130 Chinese characters (260 units) and a link (20 units, however long): exactly 140.
    at_limit = share(http, fake, "中" * 130 + SAFE_URL + "/" + "x" * 100)
    assert at_limit.status_code == 200
    for over in ("中" * 131 + SAFE_URL, "中" * 130 + "a" + SAFE_URL, "😀" * 131 + " " + SAFE_URL):
        assert share(http, fake, over).json()["error_code"] in (20012, "20012")
    assert share(http, fake, "a" * 259 + " " + SAFE_URL).status_code == 200  # 259 + 1 + 20 = 280


def test_weibo_refuses_the_same_text_twice_in_a_row(fake, http):
    assert share(http, fake, f"一 {SAFE_URL}").status_code == 200
    assert share(http, fake, f"一 {SAFE_URL}").json()["error_code"] in (20019, "20019")
    assert share(http, fake, f"二 {SAFE_URL}").status_code == 200


def test_weibo_hourly_post_limit(fake, http):
    fake.configure(weibo_posts_per_hour=3)
    codes = [share(http, fake, f"第{i}条 {SAFE_URL}").status_code for i in range(4)]
    assert codes == [200, 200, 200, 403]
    fake.advance_clock(3601)
    assert share(http, fake, f"下一小时 {SAFE_URL}").status_code == 200


# --- CMS webhook -----------------------------------------------------------------------------------


def test_cms_refuses_unsigned_and_badly_signed_requests_with_401(fake, http):
    url = fake.cms_url("blog") + "/publish"
    now = str(int(fake.state.now().timestamp()))
    body = b'{"item": {"item_id": "x"}}'
    cases = [
        ({}, "signature malformed"),
        ({"X-Herald-Timestamp": now}, "signature malformed"),
        ({"X-Herald-Timestamp": "\u00b2", "X-Herald-Signature": "sha256=00"}, "signature malformed"),  # "²"
        ({"X-Herald-Timestamp": "1700000000", "X-Herald-Signature": "sha256=00"}, "signature stale"),
        ({"X-Herald-Timestamp": now, "X-Herald-Signature": "sha256=00"}, "signature forged"),
        ({"X-Herald-Timestamp": now, "X-Herald-Signature": "sha256=\u00e9"}, "signature forged"),  # "é"
    ]
    for headers, error in cases:
        response = http.post(url, data=body, headers=headers, timeout=T)
        assert (response.status_code, response.json()) == (401, {"error": error})
    assert fake.publications(platform="cms") == []


# --- concurrency and the command line -------------------------------------------------------------


def test_200_parallel_posts_with_latency_are_each_accepted_once(fake):
    fake.configure(latency_ms=50, weibo_posts_per_hour=1000)
    texts = [f"并发第{i}条 {SAFE_URL}?n={i}" for i in range(200)]

    def post(text):
        with requests.Session() as own:  # a Session is not shared across threads
            return share(own, fake, text, timeout=(5.0, 10.0)).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=100) as pool:
        codes = list(pool.map(post, texts))
    elapsed = time.monotonic() - started
    assert codes == [200] * 200
    refs = [p["post_ref"] for p in fake.publications(platform="weibo")]
    assert sorted(refs) == sorted(texts)  # every post once, none twice
    assert elapsed < 10, f"200 posts took {elapsed:.1f} s"


def test_command_line_server_starts_and_answers():
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "herald_dev.fakeplatforms", "--port", str(port)],
        cwd=REPO, env={"PYTHONPATH": os.pathsep.join([str(REPO / "include"), str(REPO / "dev")]), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE, text=True,
    )
    try:
        banner = process.stdout.readline()
        assert f"127.0.0.1:{port}" in banner and "demo-wechat-secret" not in banner
        assert requests.get(f"http://127.0.0.1:{port}/_fake/health", timeout=T).json() == {"ok": True}
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
