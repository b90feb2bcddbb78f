"""The comment watch (SEC-2, SEC-3): pull through the fake platforms, screen, escalate once, surge findings."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from builders import insert, small_org
from herald.archive.bundle import MARKER, check_bundle
from herald.archive.store import LocalStore
from herald.cadence.notify import RobotTarget
from herald.comments import WatchSettings, comment_watch_records, run_cycle, watch
from herald.comments.escalate import channel_sender
from herald.platforms.tokens import MemoryTokenStore
from herald.platforms.wechat import WeChatClient
from herald.platforms.weibo import WeiboClient
from herald.timeutil import local_day
from herald_dev.fakeplatforms.comments import plant
from herald_dev.fakeplatforms.inbox import DINGTALK_TOKEN, WECOM_KEY, LocalInbox
from herald_dev.fakeplatforms.server import FakePlatforms

WECHAT = {"wx-sub-appid": "wx-sub-secret"}
WEIBO = {"tok-wb-sub": {"uid": "7000000001", "appkey": "k", "safe_domains": ["herald.example.com"]},
         "tok-wb-group": {"uid": "7000000002", "appkey": "k", "safe_domains": ["herald.example.com"]}}
ACCOUNT_OF = {"WB-SUB": ("weibo", "tok-wb-sub"), "WB-GROUP": ("weibo", "tok-wb-group"), "WX-SUB": ("wechat", "wx-sub-appid")}
MSG_DATA_ID = "2247000123"
CHANNELS = {"wecom_robot": "herald_wecom", "dingtalk_robot": "herald_dingtalk"}
DINGTALK_SECRET = "SECtest-comment-watch"
ILLEGAL = "这里有在线赌博网站，日赚千元"
REPUTATION = "你们就是黑心企业，拖欠工资"
CLEAN = "支持！新能源项目做得很好"


@pytest.fixture
def stack(request, tmp_path):
    db = request.getfixturevalue(getattr(request, "param", "pg_db"))
    small_org(db)
    insert(db, "role_assignments", assignment_id="RA-HEAD", person_id="unit_head", role="host_unit_head", unit_id="SUB",
           valid_from_on=date(2024, 1, 1))
    insert(db, "role_assignments", assignment_id="RA-COMP", person_id="competent", role="competent_department_head",
           unit_id="G", valid_from_on=date(2024, 1, 1))
    insert(db, "published_items", item_id="PI-WX-1", account_id="WX-SUB", platform="wechat", origin="platform_observed",
           platform_item_id="A1", platform_publish_id=MSG_DATA_ID, published_at=datetime.now(UTC) - timedelta(days=1),
           is_mass_send=True)
    fake = FakePlatforms.start(wechat_accounts=dict(WECHAT), weibo_tokens=dict(WEIBO))
    inbox = LocalInbox.start(tmp_path / "inbox", dingtalk_secret=DINGTALK_SECRET)
    session = requests.Session()
    tokens = MemoryTokenStore()

    def clients(platform, account_id):
        kind, credential = ACCOUNT_OF[account_id]  # KeyError: no connection for the account
        if kind == "weibo":
            return WeiboClient(fake.weibo_url, credential, session, timeout=(2, 5))
        return WeChatClient(fake.wechat_url, credential, WECHAT[credential], session, tokens, timeout=(2, 5))

    targets = {"herald_wecom": RobotTarget(f"{inbox.robots_url}/cgi-bin/webhook/send?key={WECOM_KEY}"),
               "herald_dingtalk": RobotTarget(f"{inbox.robots_url}/robot/send?access_token={DINGTALK_TOKEN}",
                                              DINGTALK_SECRET)}
    store = LocalStore(tmp_path / "archive")
    env = {"db": db, "fake": fake, "inbox": inbox, "clients": clients, "store": store,
           "send": channel_sender(targets.__getitem__), "settings": WatchSettings(surge_threshold=3)}
    yield env
    inbox.stop()
    fake.stop()


def cycle(env, **overrides):
    kwargs = {"settings": env["settings"], "store": env["store"], "send": env["send"], "channels": CHANNELS, **overrides}
    return run_cycle(env["db"], env["clients"], **kwargs)


def inbox_messages(env) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(env["inbox"].directory.glob("*.json"))]


def rows(db, sql: str, **params) -> list[dict]:
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def plant_weibo(env, uid: str, *texts: str) -> list[dict]:
    return plant(env["fake"].state, [{"platform": "weibo", "account": uid, "content": t} for t in texts])


@pytest.mark.parametrize("stack", ["pg_db", "sqlite_db"], indirect=True)
def test_pull_screen_escalate_once_and_never_again(stack):
    env = stack
    plant_weibo(env, "7000000001", CLEAN, REPUTATION)
    plant(env["fake"].state, [{"platform": "wechat", "account": "wx-sub-appid", "msg_data_id": MSG_DATA_ID,
                               "content": ILLEGAL}])
    report = cycle(env)
    assert (report.new_comments, report.escalations, report.source_errors) == (3, 2, [])
    verdicts = {r["content"]: r["verdict"] for r in rows(env["db"], "SELECT content, verdict FROM comments")}
    assert verdicts == {CLEAN: "clean", REPUTATION: "reputation", ILLEGAL: "illegal"}
    escalations = rows(env["db"], "SELECT * FROM comment_escalations ORDER BY kind")
    assert [(e["kind"], e["account_id"], e["state"]) for e in escalations] == [
        ("illegal", "WX-SUB", "sent"), ("reputation", "WB-SUB", "sent")]
    # SUB's head and the competent department (G) on both robots: four messages, each naming both comments
    messages = inbox_messages(env)
    assert len(messages) == 4
    texts = [json.dumps(m, ensure_ascii=False) for m in messages]
    assert all("赌博" in t and "黑心企业" in t for t in texts)
    assert sum("主管部门" in t for t in texts) == 2
    # the evidence bundle is committed and verifies against the recorded seal
    for e in escalations:
        names = [name[len(e["evidence_path"]) + 1:] for name in env["store"].list_files(e["evidence_path"])]
        files = {name: env["store"].read(f"{e['evidence_path']}/{name}") for name in names}
        assert MARKER in files and "data/platform_record.json" in files
        assert check_bundle(e["evidence_path"], names, files, expected_marker_sha256=e["evidence_sha256"]).ok
    # a re-run reads nothing new and sends nothing again
    again = cycle(env)
    assert (again.new_comments, again.escalations, again.delivery.get("messages", 0)) == (0, 0, 0)
    assert len(inbox_messages(env)) == 4
    assert len(rows(env["db"], "SELECT * FROM comment_deliveries")) == 8


def test_pull_is_incremental_per_source(stack):
    env = stack
    plant_weibo(env, "7000000001", CLEAN, CLEAN + "1")
    cycle(env)
    marks = {(r["account_id"], r["source_key"]): r["high_water"] for r in rows(env["db"], "SELECT * FROM comment_cursors")}
    assert int(marks[("WB-SUB", "to_me")]) > 4_900_000_000_000_000
    requests_before = dict(env["fake"].state.request_counts)
    planted = plant_weibo(env, "7000000001", CLEAN + "2")
    report = cycle(env)
    assert report.new_comments == 1 and report.pulled == 1  # since_id: the old two are not even read again
    marks = {(r["account_id"], r["source_key"]): r["high_water"] for r in rows(env["db"], "SELECT * FROM comment_cursors")}
    assert marks[("WB-SUB", "to_me")] == planted[0]["platform_comment_id"]
    assert env["fake"].state.request_counts["weibo:comments/to_me.json"] > requests_before["weibo:comments/to_me.json"]


def test_wechat_offsets_survive_many_pages(stack):
    env = stack
    plant(env["fake"].state, [{"platform": "wechat", "account": "wx-sub-appid", "msg_data_id": MSG_DATA_ID,
                               "content": f"{CLEAN}{i}"} for i in range(120)])
    assert cycle(env).new_comments == 120
    plant(env["fake"].state, [{"platform": "wechat", "account": "wx-sub-appid", "msg_data_id": MSG_DATA_ID,
                               "content": ILLEGAL}])
    report = cycle(env)
    assert (report.new_comments, report.escalations) == (1, 1)  # the overlap re-read stores nothing twice
    mark = rows(env["db"], "SELECT high_water FROM comment_cursors WHERE account_id = 'WX-SUB'")[0]["high_water"]
    assert mark == "121"


def test_surge_opens_one_crisis_finding(stack):
    env = stack
    plant_weibo(env, "7000000002", "网传公司要倒闭", "公司倒闭了吗", "震惊！", "据传欠薪")
    report = cycle(env)
    assert report.crises == 1
    findings = rows(env["db"], "SELECT * FROM findings WHERE rule_id = 'SEC-3'")
    assert [(f["subject_id"], f["state"]) for f in findings] == [("WB-GROUP", "open")]
    assert "4条负面评论" in findings[0]["summary"]
    crisis = rows(env["db"], "SELECT * FROM comment_escalations WHERE kind = 'crisis'")
    assert len(crisis) == 1 and crisis[0]["state"] == "sent" and crisis[0]["finding_id"] == findings[0]["finding_id"]
    # the surge goes on: still one finding, one crisis escalation
    plant_weibo(env, "7000000002", "小道消息：裁员", "疯传要破产了", "震惊")
    assert cycle(env).crises == 0
    assert len(rows(env["db"], "SELECT * FROM findings WHERE rule_id = 'SEC-3'")) == 1
    assert len(rows(env["db"], "SELECT * FROM comment_escalations WHERE kind = 'crisis'")) == 1


def test_a_failing_channel_is_retried_without_resending_the_others(stack):
    env = stack
    calls = []
    real = env["send"]

    def flaky(kind, conn_id, message):
        calls.append(kind)
        if kind == "dingtalk_robot" and calls.count("dingtalk_robot") <= 2:
            raise ConnectionError("robot unreachable")
        return real(kind, conn_id, message)

    plant_weibo(env, "7000000001", REPUTATION)
    first = cycle(env, send=flaky)
    assert first.delivery["failed_messages"] == 2 and first.delivery["sent"] == 0
    escalation = rows(env["db"], "SELECT state, attempts, last_error FROM comment_escalations")[0]
    assert escalation["state"] == "pending" and escalation["attempts"] == 2 and "robot unreachable" in escalation["last_error"]
    assert len(inbox_messages(env)) == 2  # WeCom reached both units
    second = cycle(env, send=flaky)
    assert second.delivery["messages"] == 2 and second.delivery["sent"] == 1
    assert calls.count("wecom_robot") == 2  # never sent again
    assert len(inbox_messages(env)) == 4


def test_watch_escalates_a_seeded_illegal_comment_within_its_deadline(stack):
    env = stack
    settings = WatchSettings(poll_seconds=1, run_seconds=30)
    stop = threading.Event()
    planted: list[dict] = []

    def on_cycle(report):
        if not planted:
            planted.extend(plant(env["fake"].state, [{"platform": "wechat", "account": "wx-sub-appid",
                                                       "msg_data_id": MSG_DATA_ID, "content": ILLEGAL}]))
        elif report.delivery.get("sent"):
            stop.set()

    totals = watch(env["db"], env["clients"], settings=settings, store=env["store"], send=env["send"],
                   channels=CHANNELS, stop=stop, on_cycle=on_cycle)
    assert totals["escalations"] == 1
    sent = rows(env["db"], "SELECT sent_at FROM comment_escalations WHERE kind = 'illegal'")[0]["sent_at"]
    arrived = datetime.fromisoformat(planted[0]["arrived_at"])
    assert sent - arrived <= timedelta(minutes=WatchSettings().escalate_within_minutes)
    assert any(ILLEGAL[:6] in json.dumps(m, ensure_ascii=False) for m in inbox_messages(env))


def test_audit_records_per_account_and_group(stack):
    env = stack
    plant_weibo(env, "7000000001", REPUTATION)
    plant_weibo(env, "7000000002", "网传公司要倒闭", "公司倒闭了吗", "震惊！")
    cycle(env)
    year = local_day(datetime.now(UTC)).year
    with env["db"].transaction() as tx:
        group = comment_watch_records(tx, None, year)
        one = comment_watch_records(tx, "WB-SUB", year)
        earlier = comment_watch_records(tx, None, year - 1)
    # WB-SUB's comment and two of WB-GROUP's damage the company's name; the third is only negative; one surge
    assert group["crises"]["row_count"] == 1 and group["escalations"]["row_count"] == 4
    assert sorted(r["kind"] for r in group["escalations"]["rows"]) == ["crisis", "reputation", "reputation", "reputation"]
    assert all(r["state"] == "sent" and r["sent_at"] is not None for r in group["escalations"]["rows"])
    assert [r["account_id"] for r in one["escalations"]["rows"]] == ["WB-SUB"]
    assert one["crises"]["row_count"] == 0 and earlier["escalations"]["row_count"] == 0


def test_fake_comment_apis_answer_like_the_platforms(stack):
    fake = stack["fake"]
    token = requests.get(fake.wechat_url + "token", params={"grant_type": "client_credential", "appid": "wx-sub-appid",
                                                            "secret": "wx-sub-secret"}, timeout=5).json()["access_token"]
    url = fake.wechat_url + "comment/list"
    body = {"msg_data_id": MSG_DATA_ID, "index": 0, "begin": 0, "count": 51, "type": 0}
    assert requests.post(url, params={"access_token": token}, json=body, timeout=5).json()["errcode"] == 88010
    body["count"] = 10
    assert requests.post(url, params={"access_token": token}, json=body, timeout=5).json()["errcode"] == 88001
    plant(fake.state, [{"platform": "wechat", "account": "wx-sub-appid", "msg_data_id": MSG_DATA_ID, "content": "好"}])
    answer = requests.post(url, params={"access_token": token}, json=body, timeout=5).json()
    assert answer["errcode"] == 0 and answer["total"] == 1
    assert set(answer["comment"][0]) == {"user_comment_id", "openid", "create_time", "content", "comment_type"}
    weibo = requests.get(fake.weibo_url + "comments/to_me.json", params={"access_token": "tok-wb-sub", "count": 500},
                         timeout=5)
    assert weibo.status_code == 400 and int(weibo.json()["error_code"]) == 10017
    show = requests.get(fake.weibo_url + "comments/show.json", params={"access_token": "tok-wb-sub"}, timeout=5)
    assert int(show.json()["error_code"]) == 10016
    planted = requests.post(fake.base_url + "/_fake/comments", json={"comments": [
        {"platform": "weibo", "account": "7000000001", "content": "评论一"}]}, timeout=5).json()["planted"]
    listed = requests.get(fake.weibo_url + "comments/to_me.json", params={"access_token": "tok-wb-sub"}, timeout=5).json()
    assert listed["total_number"] == 1 and listed["comments"][0]["idstr"] == planted[0]["platform_comment_id"]
    assert len(listed["comments"][0]["idstr"]) == 16


def test_a_complaint_in_the_comments_is_registered_once(stack):
    env = stack
    plant_weibo(env, "7000000001", "我要投诉你们的客服，三天没人回电话")
    assert cycle(env).complaints == 1
    assert cycle(env).complaints == 0
    rows_ = rows(env["db"], "SELECT account_id, channel, source_ref FROM complaints")
    assert [(r["account_id"], r["channel"]) for r in rows_] == [("WB-SUB", "comment")]
    assert rows_[0]["source_ref"].startswith("weibo:WB-SUB:")
