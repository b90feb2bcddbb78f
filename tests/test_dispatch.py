"""Timed release (PUB-1, PUB-3, PUB-4) as plain functions on PostgreSQL against the fake platforms.

Every test ends with the two promises of timed release: each post is published exactly once (counted in
the fake platform's own ledger) or failed with its reason, and no post is left without a state and reason.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from herald.dispatch import dispatcher
from herald.dispatch.channels.routing import Channels
from herald.dispatch.claim import claim
from herald.dispatch.dispatcher import dispatch_post, settle
from herald.dispatch.manual import confirm_manual, missed_deadlines
from herald.dispatch.reconcile import reconcile_post, reconcile_unsettled
from herald.dispatch.stage import STAGED, stage_due, stage_post
from herald.errors import ValidationError
from herald.posts.lifecycle import edit_post
from herald.timeutil import now_utc
from herald_dev.fakeplatforms import FakeConfig, FakePlatforms
from test_dispatch_world import (
    PREVIEW_OPENID,
    FakeClients,
    dispatch_org,
    fake_accounts,
    queue_approved,
    soon,
)

pytestmark = pytest.mark.pg
FAKE_CONFIG = dict(publish_delay_seconds=0.05, hold_seconds=1.5, clientmsgid_retry_window_seconds=0.2)


@pytest.fixture(scope="module")
def server():
    with FakePlatforms.start(**fake_accounts()) as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.reset()
    with server.state.lock:
        server.state.config = FakeConfig(**FAKE_CONFIG)
    return server


@pytest.fixture
def db(any_db):
    """PostgreSQL in production and tests; SQLite in make demo: dispatch is checked on both."""
    dispatch_org(any_db)
    return any_db


@pytest.fixture
def channels(db, fake):
    return Channels(db, FakeClients(fake, timeout=(1.0, 1.0)))


def post(db, post_id):
    return db.fetch_one("dispatch/post", post_id=post_id)


def ledger_count(fake, post_id, platform, body=None):
    """Publications of the post in the fake's own record (Weibo records the text, the others the post id)."""
    if platform == "weibo":
        return len(fake.publications(platform="weibo", post_ref=body))
    if platform == "wechat":
        return len([p for p in fake.publications(platform="wechat") if p["post_ref"] in (post_id, f"herald://post/{post_id}")])
    return len(fake.publications(platform="cms", post_ref=post_id))


def assert_settled_once(db, fake, post_ids):
    """Published exactly once (fake ledger + one published_items row) or failed with a reason; nothing else."""
    for post_id in post_ids:
        row = post(db, post_id)
        assert row["state_reason"], f"{post_id} has no reason"
        count = ledger_count(fake, post_id, row["platform"], row["body"])
        if row["state"] == "published":
            assert count == 1, f"{post_id} published {count} times"
            assert db.fetch_one("dispatch/published_item_of_post", post_id=post_id) is not None
        else:
            assert row["state"] == "failed", f"{post_id} left in {row['state']}: {row['state_reason']}"
            assert count == 0


def stage_and_dispatch(db, channels, post_ids):
    for post_id in post_ids:
        assert stage_post(db, post_id, channels, now=now_utc()) == STAGED
    return [dispatch_post(db, post_id, channels) for post_id in post_ids]


def settle_until_done(db, channels, post_ids, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [settle(db, p, channels)["state"] for p in post_ids]
        if all(s in ("published", "failed") for s in states):
            return states
        time.sleep(0.05)
    return states


def test_end_to_end_wechat_weibo_cms_and_a_manual_channel(db, fake, channels):
    at = soon(1)
    ids = {
        "wechat": queue_approved(db, "WX-GROUP", "wechat", at, 1),
        "weibo": queue_approved(db, "WB-GROUP", "weibo", at, 2),
        "cms": queue_approved(db, "WEB-GROUP", "website", at, 3),
        "qq": queue_approved(db, "QQ-SUB", "qq", at, 4),
    }
    planned = stage_due(db, channels, now=now_utc(), horizon=timedelta(minutes=1))
    assert planned["counts"] == {STAGED: 4}
    assert sorted(sum(planned["seconds"].values(), [])) == sorted(ids.values())
    # Before the second only a draft exists: nothing is published.
    assert fake.publications() == []
    results = [dispatch_post(db, p, channels) for p in ids.values()]
    assert [r.status for r in results] == ["submitted"] * 4
    assert post(db, ids["wechat"])["platform_ref"] and "publish_id" in post(db, ids["wechat"])["platform_ref"]

    states = settle_until_done(db, channels, [ids["wechat"], ids["weibo"], ids["cms"]])
    assert states == ["published"] * 3
    assert settle(db, ids["qq"], channels)["state"] == "unconfirmed"
    handoff = db.fetch_one("dispatch/handoff", post_id=ids["qq"])
    assert handoff["operator_id"] == "operator"
    with pytest.raises(ValidationError) as wrong_host:
        confirm_manual(db, ids["qq"], link="https://evil.example.net/x", person_id="operator", now=now_utc())
    assert wrong_host.value.violations[0].rule_id == "PUB-4"
    with pytest.raises(ValidationError):
        confirm_manual(db, ids["qq"], link="https://qun.qq.com/post/1", person_id="author", now=now_utc())
    confirmed = confirm_manual(db, ids["qq"], link="https://qun.qq.com/post/1", person_id="operator", now=now_utc())
    assert confirmed["state"] == "published" and not confirmed["is_late"]

    items = {p: db.fetch_one("dispatch/published_item_of_post", post_id=p) for p in ids.values()}
    assert items[ids["wechat"]]["url"].startswith("https://mp.weixin.qq.com/s/")
    assert items[ids["weibo"]]["platform_item_id"].isdigit() and int(items[ids["weibo"]]["platform_item_id"]) > 2**53
    assert items[ids["cms"]]["url"].endswith(f"{ids['cms']}.html")
    assert items[ids["qq"]]["origin"] == "manual_confirmation" and items[ids["qq"]]["url"] == "https://qun.qq.com/post/1"
    assert {i["operator_id"] for i in items.values()} == {"operator"}
    # Confirming again changes nothing (the confirmation is safe to retry).
    assert settle(db, ids["wechat"], channels)["item_id"] == items[ids["wechat"]]["item_id"]
    assert_settled_once(db, fake, [ids["wechat"], ids["weibo"], ids["cms"]])
    history = [e["state"] for e in db.fetch("posts/post_events", post_id=ids["weibo"])]
    assert history[-3:] == ["dispatching", "unconfirmed", "published"]


def test_mass_send_previews_before_the_second_and_uses_the_post_id_as_clientmsgid(db, fake, channels):
    post_id = queue_approved(db, "WX-GROUP", "wechat", soon(2), 5, kind="mass_send")
    assert stage_post(db, post_id, channels, now=now_utc()) == STAGED
    attempts = db.fetch("dispatch/attempts", post_id=post_id)
    assert [a["operation"] for a in attempts] == ["stage:draft/add", "preview"]
    assert fake.previews()[0]["openid"] == PREVIEW_OPENID
    # The worker dies right after the platform accepted: the msg_id is lost.
    original = dispatcher.store_outcomes
    dispatcher.store_outcomes = lambda *a, **k: (_ for _ in ()).throw(SystemExit("killed"))
    try:
        with pytest.raises(SystemExit):
            dispatch_post(db, post_id, channels)
    finally:
        dispatcher.store_outcomes = original
    assert post(db, post_id)["state"] == "dispatching"
    time.sleep(0.3)  # past 45066's retry window: the platform now answers 45065 with the original msg_id
    reconcile_post(db, post_id, channels, now=now_utc())
    time.sleep(0.1)
    assert settle(db, post_id, channels)["state"] == "published"
    assert len(fake.publications(kind="mass_send", post_ref=post_id)) == 1
    assert db.fetch_one("dispatch/published_item_of_post", post_id=post_id)["is_mass_send"] is True


def test_claim_is_one_conditional_update_and_refuses_stale_content(db, fake, channels):
    post_id = queue_approved(db, "WB-GROUP", "weibo", soon(60), 6)
    assert stage_post(db, post_id, channels, now=now_utc()) == STAGED
    barrier = threading.Barrier(4)
    results = []

    def contender():
        barrier.wait()
        results.append(claim(db, post_id, now=now_utc()).claimed)

    threads = [threading.Thread(target=contender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]

    other = queue_approved(db, "WB-GROUP", "weibo", soon(60), 7)
    assert stage_post(db, other, channels, now=now_utc()) == STAGED
    edit_post(db, other, editor_id="author2", changes={"body": "改过的正文 https://herald.example.com/x"},
              now=now_utc() - timedelta(days=9))
    refused = dispatch_post(db, other, channels)
    assert refused.status == "not_claimed" and post(db, other)["state"] == "awaiting_approval"
    assert fake.publications() == []


def test_worker_killed_between_submit_and_storing_the_id_is_reconciled_by_reading(db, fake, channels, monkeypatch):
    at = soon(1)
    ids = [queue_approved(db, "WX-GROUP", "wechat", at, 8), queue_approved(db, "WB-GROUP", "weibo", at, 9),
           queue_approved(db, "WEB-GROUP", "website", at, 10)]
    for p in ids:
        assert stage_post(db, p, channels, now=now_utc()) == STAGED

    def killed(*args, **kwargs):
        raise SystemExit("worker killed before storing the platform's ids")

    monkeypatch.setattr(dispatcher, "store_outcomes", killed)
    for p in ids:
        with pytest.raises(SystemExit):
            dispatch_post(db, p, channels)
    monkeypatch.undo()
    assert [post(db, p)["state"] for p in ids] == ["dispatching"] * 3
    assert all(a["outcome"] == "unconfirmed" for p in ids for a in db.fetch("dispatch/attempts", post_id=p)
               if a["operation"] != "stage:draft/add")
    # A re-run of the same second (e.g. a restarted triggerer) must not submit again.
    assert {dispatch_post(db, p, channels).status for p in ids} == {"not_claimed"}
    time.sleep(0.1)  # the fake finishes the WeChat publish
    results = reconcile_unsettled(db, channels, now=now_utc() + timedelta(minutes=1))
    assert {r["state"] for r in results} == {"published"}
    assert_settled_once(db, fake, ids)
    assert "found_by" in post(db, ids[0])["platform_ref"]


def test_timeout_after_the_platform_accepted_is_unconfirmed_then_found(db, fake, channels):
    at = soon(1)
    ids = [queue_approved(db, "WX-GROUP", "wechat", at, 11), queue_approved(db, "WB-GROUP", "weibo", at, 12),
           queue_approved(db, "WEB-GROUP", "website", at, 13)]
    fake.inject("timeout_after_accept", count=3, path="freepublish/submit")
    fake.inject("timeout_after_accept", count=1, path="statuses/share")
    fake.inject("timeout_after_accept", count=1, path="publish", platform="cms")
    results = stage_and_dispatch(db, channels, ids)
    assert [r.status for r in results] == ["unconfirmed"] * 3
    assert all(post(db, p)["platform_ref"] is None for p in ids)
    time.sleep(0.1)
    reconcile_unsettled(db, channels, now=now_utc() + timedelta(minutes=1))
    assert_settled_once(db, fake, ids)


def test_5xx_burst_and_quota_send_the_post_back_with_a_reason_and_nothing_published(db, fake, channels):
    burst = queue_approved(db, "WB-GROUP", "weibo", soon(1), 14)
    fake.inject("http_5xx_burst", count=2, path="statuses/share")
    assert stage_and_dispatch(db, channels, [burst])[0].status == "retry_later"
    row = post(db, burst)
    assert row["state"] == "approved" and "503" in row["state_reason"] and row["dispatch_not_before_at"]
    # The planner picks it up again after the retry time; the second 503, then success.
    later = row["dispatch_not_before_at"] + timedelta(seconds=1)
    assert dispatch_post(db, burst, channels).status == "retry_later"
    assert stage_due(db, channels, now=later + timedelta(minutes=5), horizon=timedelta(0))["counts"] == {"already_staged": 1}
    assert dispatch_post(db, burst, channels).status == "submitted"
    assert settle(db, burst, channels)["state"] == "published"
    assert_settled_once(db, fake, [burst])

    quota = queue_approved(db, "WEB-GROUP", "website", soon(1), 15)
    fake.inject("quota", platform="cms", count=1)
    assert stage_and_dispatch(db, channels, [quota])[0].status == "retry_later"
    row = post(db, quota)
    assert row["state"] == "approved" and "429" in row["state_reason"]
    assert (row["dispatch_not_before_at"] - now_utc()).total_seconds() > 50  # Retry-After: 60
    assert fake.publications(platform="cms") == []


def test_expired_token_mid_burst(db, fake, channels):
    wechat = [queue_approved(db, "WX-GROUP", "wechat", soon(1), n) for n in (16, 17, 18)]
    weibo = [queue_approved(db, "WB-GROUP", "weibo", soon(1), n) for n in (19, 20)]
    for p in wechat + weibo:
        assert stage_post(db, p, channels, now=now_utc()) == STAGED
    fake.inject("expire_token", platform="wechat", path="freepublish/submit", after=1)
    fake.inject("expire_token", platform="weibo", path="statuses/share", after=1)
    results = {p: dispatch_post(db, p, channels) for p in wechat + weibo}
    # WeChat: the client fetches a fresh token and repeats the refused call; Weibo: re-authorise, never retry.
    assert [results[p].status for p in wechat] == ["submitted"] * 3
    assert [results[p].status for p in weibo] == ["submitted", "failed"]
    assert "re-authorisation" in post(db, weibo[1])["state_reason"]
    settle_until_done(db, channels, wechat + weibo)
    assert_settled_once(db, fake, wechat + weibo)


def test_weibo_20032_is_confirmed_from_the_timeline_and_a_refused_duplicate_fails_after_the_window(db, fake, channels):
    delayed, duplicate = queue_approved(db, "WB-GROUP", "weibo", soon(1), 21), queue_approved(db, "WB-GROUP", "weibo", soon(1), 22)
    fake.inject("weibo_20032", count=1)
    assert stage_and_dispatch(db, channels, [delayed])[0].status == "unconfirmed"
    fake.inject("duplicate", count=1)
    assert stage_and_dispatch(db, channels, [duplicate])[0].status == "unconfirmed"
    reconcile_unsettled(db, channels, now=now_utc() + timedelta(minutes=1))
    assert post(db, delayed)["state"] == "published"
    assert post(db, duplicate)["state"] == "unconfirmed" and "核实" in post(db, duplicate)["state_reason"]
    reconcile_unsettled(db, channels, now=now_utc() + timedelta(minutes=15))
    row = post(db, duplicate)
    assert row["state"] == "failed" and "不会自动重发" in row["state_reason"]
    assert_settled_once(db, fake, [delayed, duplicate])


def test_a_claim_without_a_call_goes_back_to_approved_and_is_sent_once(db, fake, channels):
    post_id = queue_approved(db, "WEB-GROUP", "website", soon(1), 23)
    assert stage_post(db, post_id, channels, now=now_utc()) == STAGED
    assert claim(db, post_id, now=now_utc()).claimed  # ... and the triggerer died before the write-ahead row
    reconcile_unsettled(db, channels, now=now_utc() + timedelta(minutes=1))
    assert post(db, post_id)["state"] == "approved"
    assert dispatch_post(db, post_id, channels).status == "submitted"
    settle(db, post_id, channels)
    assert_settled_once(db, fake, [post_id])


def test_a_missed_manual_deadline_is_a_finding_and_a_late_link_is_still_filed(db, fake, channels):
    post_id = queue_approved(db, "QQ-SUB", "qq", soon(1), 24)
    stage_and_dispatch(db, channels, [post_id])
    handoff = db.fetch_one("dispatch/handoff", post_id=post_id)
    assert missed_deadlines(db, now=handoff["deadline_at"] - timedelta(minutes=1), detected_by="test") == []
    assert missed_deadlines(db, now=handoff["deadline_at"] + timedelta(minutes=1), detected_by="test") == [post_id]
    findings = [f for f in db.fetch("findings/open") if f["subject_id"] == post_id]
    assert [f["rule_id"] for f in findings] == ["PUB-4"]
    assert "逾期" in post(db, post_id)["state_reason"] and post(db, post_id)["state"] == "unconfirmed"
    late = confirm_manual(db, post_id, link="https://qun.qq.com/p/9", person_id="operator",
                          now=handoff["deadline_at"] + timedelta(hours=1))
    assert late == {"post_id": post_id, "state": "published", "link": "https://qun.qq.com/p/9", "is_late": True}


def test_dispatch_refuses_without_a_designated_operator_or_a_complete_chain(db, fake, channels):
    post_id = queue_approved(db, "WB-GROUP", "weibo", soon(1), 25)
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM role_assignments WHERE role = 'operator' AND account_id = 'WB-GROUP'"))
    assert stage_post(db, post_id, channels, now=now_utc()) == "failed"
    assert "PUB-3" in post(db, post_id)["state_reason"]

    other = queue_approved(db, "WEB-GROUP", "website", soon(1), 26)
    assert stage_post(db, other, channels, now=now_utc()) == STAGED
    with db.engine.begin() as conn:  # a signature removed behind Herald's back
        conn.execute(sa.text("DELETE FROM approval_steps WHERE post_id = :p"), {"p": other})
    assert dispatch_post(db, other, channels).status == "not_claimed"
    assert post(db, other)["state"] == "failed" and "PUB-1" in post(db, other)["state_reason"]
    assert fake.publications() == []


def test_the_operator_confirms_a_manual_item_from_the_command_line(db, fake, channels, capsys):
    from herald.__main__ import main

    # Directly on the database, so as an administrator's override in the operator's name (tests/test_cli_login.py
    # drives the signed-in way through the HTTP door).
    override = ("--admin-override", "--override-reason", "测试：经办人补录", "--as-person", "operator")

    post_id = queue_approved(db, "QQ-SUB", "qq", soon(1), 27)
    stage_and_dispatch(db, channels, [post_id])
    assert main(["--db", db.url, "dispatch", "confirm-manual", post_id, "--link", "ftp://x", *override]) == 2
    assert "PUB-4" in capsys.readouterr().err
    assert main(["--db", db.url, "dispatch", "confirm-manual", post_id, "--link", "https://qun.qq.com/p/1",
                 *override]) == 0
    assert '"state": "published"' in capsys.readouterr().out
