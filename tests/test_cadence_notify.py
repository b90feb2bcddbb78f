"""Early warning, digests per competent department and host unit, and the senders (SMTP, WeCom, DingTalk)."""

from __future__ import annotations

import email
import json
import socket
import threading
import urllib.parse
from datetime import UTC, date, datetime
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cadence_rows import ADMIN, GROUP, HOST, Rows, sh
from herald.cadence import notify
from herald.cadence.digest import Digest, Recipient, build_digests
from herald.cadence.scan import notify as notify_job
from herald.cadence.scan import scan_weekly
from herald.cadence.warning import Reminder, due_reminders
from herald.cadence.window import ScanWindow, week_of_label
from herald.ledger import TaskRun
from herald.policy import load_policy

THURSDAY = sh(2025, 3, 13, 7)  # 2025-W11, the policies' warning day


def test_thursday_reminders_for_accounts_with_nothing_published_or_scheduled(any_db):
    rows = Rows(any_db)
    for account in ("idle", "published", "scheduled", "next-week", "suspended", "banned-only"):
        rows.account(account, date(2025, 1, 6))
    rows.account("new", date(2025, 3, 12))  # opened on Wednesday: this week is not judged
    rows.item("published", sh(2025, 3, 11))
    rows.item("banned-only", sh(2025, 3, 11), status="banned")
    rows.post("scheduled", requested_at=sh(2025, 3, 1), publish_at=sh(2025, 3, 15, 10), state="approved")
    rows.post("next-week", requested_at=sh(2025, 3, 1), publish_at=sh(2025, 3, 17, 10), state="approved")
    rows.state_change("suspended", "suspended", sh(2025, 3, 10, 9))
    rows.state_change("suspended", "active", sh(2025, 3, 11, 9))
    with any_db.transaction() as tx:
        reminders = due_reminders(tx, THURSDAY, load_policy)
        assert due_reminders(tx, sh(2025, 3, 12, 7), load_policy) == []  # Wednesday: no warning day
    assert [r.account_id for r in reminders] == ["banned-only", "idle", "next-week"]
    assert reminders[0].week == "2025-W11" and reminders[0].deadline_on == "2025-03-16"
    assert "2025-03-16（周日）前完成发布" in reminders[0].text and "本周（2025年第11周）" in reminders[0].text


def _routing(rows: Rows) -> None:
    rows.role("p-admin", "competent_department_head", GROUP)  # held for the group, sits in 集团行政中心
    rows.role("p-head", "host_unit_head", HOST)


def test_digests_go_to_the_host_unit_and_its_competent_department(pg_db):
    rows = Rows(pg_db)
    _routing(rows)
    rows.account("idle", date(2025, 1, 6), name="品牌部微博")
    window = ScanWindow.complete_weeks(week_of_label("2025-W10"), week_of_label("2025-W10"), THURSDAY)
    scan_weekly(pg_db, TaskRun.manual("w", THURSDAY), window, now=THURSDAY)
    with pg_db.transaction() as tx:
        reminders = due_reminders(tx, THURSDAY, load_policy)
        digests = build_digests(tx, periods={"PUB-5": ("2025-W10", "2025-W10")}, reminders=reminders, as_of=THURSDAY)
    assert [(d.audience, d.unit_id, [r.person_id for r in d.recipients]) for d in digests] == [
        ("competent_department", ADMIN, ["p-admin"]), ("host_unit", HOST, ["p-head"])]
    text = digests[1].markdown()
    assert "未按周更新（PUB-5）1项" in text and "品牌部微博" in text and "2025年第10周" in text and "2025-W10" not in text
    assert "本周更新提醒（PUB-5）1个账号" in text
    assert digests[0].subject.startswith("【新媒体巡检】集团行政中心：1项待处理问题、1个账号本周待更新")


def test_notify_job_records_digests_in_the_ledger(pg_db):
    rows = Rows(pg_db)
    _routing(rows)
    rows.account("idle", date(2025, 1, 6))
    window = ScanWindow.for_interval(sh(2025, 3, 12, 7), THURSDAY, rescan_weeks=4)  # the run at Thursday 07:00
    sent = []
    entry = notify_job(pg_db, TaskRun.manual("notify", THURSDAY), window, send=lambda d: sent.extend(d) or ["ok"])
    assert entry.row_counts == {"reminders": 1, "token_notices": 0, "digests": 2} and len(sent) == 2
    assert entry.outputs["deliveries"] == ["ok"]


def _digest() -> Digest:
    reminder = Reminder("acct-1", "测试微博", "weibo", HOST, "000", "2025-W11", "2025-03-16")
    return Digest("host_unit", HOST, "品牌部", (Recipient("p-head", "王五", "head@example.cn"),), THURSDAY,
                  findings=[{"finding_id": "F-1", "rule_id": "PUB-5", "summary": "账号测试微博在2025-W10未更新。"}],
                  reminders=[reminder])


class _Robot(BaseHTTPRequestHandler):
    received: list = []
    answer = {"errcode": 0, "errmsg": "ok"}

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, json.loads(body)))
        payload = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    _Robot.received = []
    _Robot.answer = {"errcode": 0, "errmsg": "ok"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Robot
    server.shutdown()
    server.server_close()


def test_dingtalk_signature_matches_the_reference_vector():
    # printf '1700000000000\nSECexample' | openssl dgst -sha256 -hmac SECexample -binary | base64, URL-encoded
    # by hand; more vectors, checked against the fake robot too, in test_reference_vectors.py.
    assert notify.dingtalk_sign("SECexample", 1700000000000) == "uroalHrWHORz59talE1o26b8HuX2kOp8WlAN91F9Pj0%3D"
    url = notify.dingtalk_url(notify.RobotTarget("https://oapi.dingtalk.com/robot/send?access_token=t", "SECexample"),
                              1700000000000)
    assert url == ("https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000"
                   "&sign=uroalHrWHORz59talE1o26b8HuX2kOp8WlAN91F9Pj0%3D")
    assert notify.dingtalk_url(notify.RobotTarget("https://oapi.dingtalk.com/robot/send?access_token=t"),
                               1700000000000) == "https://oapi.dingtalk.com/robot/send?access_token=t"


def test_wecom_and_dingtalk_robots_receive_markdown_digests(robot):
    base, handler = robot
    digest = _digest()
    notify.send_wecom(digest, notify.RobotTarget(f"{base}/cgi-bin/webhook/send?key=k"))
    notify.send_dingtalk(digest, notify.RobotTarget(f"{base}/robot/send?access_token=t", "SECs"), clock=lambda: 1700000000.0)
    (wecom_path, wecom), (ding_path, ding) = handler.received
    assert wecom_path == "/cgi-bin/webhook/send?key=k" and wecom["msgtype"] == "markdown"
    assert "本周更新提醒" in wecom["markdown"]["content"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(ding_path).query)
    assert query["timestamp"] == ["1700000000000"]
    # printf '1700000000000\nSECs' | openssl dgst -sha256 -hmac SECs -binary | base64 ("+" and "/": URL-encoded)
    assert query["sign"] == ["QctQ8LsgUStgrOAjr2NlM5V69/qUDsUkrO+77Q7gCv8="]
    assert ding["markdown"]["title"] == digest.subject


def test_a_robot_that_refuses_raises(robot):
    base, handler = robot
    handler.answer = {"errcode": 310000, "errmsg": "sign not match"}
    with pytest.raises(notify.RobotError, match="310000"):
        notify.send_dingtalk(_digest(), notify.RobotTarget(f"{base}/robot/send", "SECs"))


def test_wecom_content_is_cut_to_its_byte_limit():
    digest = _digest()
    digest.findings = [{"finding_id": f"F-{n}", "rule_id": "PUB-5", "summary": "很长的问题描述" * 30} for n in range(20)]
    content = notify.wecom_payload(digest)["markdown"]["content"]
    assert len(content.encode("utf-8")) <= notify.WECOM_MARKDOWN_MAX_BYTES and content.endswith("在Herald中查看)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_email_goes_through_the_airflow_smtp_provider(monkeypatch):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_HERALD_SMTP_TEST", json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": port,
            "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "herald@example.cn", "retry_limit": 0}}))
        to = notify.send_email(_digest(), conn_id="herald_smtp_test")
    finally:
        controller.stop()
    assert to == ["head@example.cn"]
    (recipients, content), = inbox.messages
    assert recipients == ["head@example.cn"]
    message = email.message_from_bytes(content)
    assert str(make_header(decode_header(message["Subject"]))).startswith("【新媒体巡检】品牌部：1项待处理问题")
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "账号测试微博在2025-W10未更新" in html


def test_deliver_tries_every_channel_and_reports_failures(robot):
    base, handler = robot
    targets = {"herald_wecom": notify.RobotTarget(f"{base}/wecom"), "herald_dingtalk": notify.RobotTarget("http://127.0.0.1:9/x")}
    with pytest.raises(notify.RobotError, match="dingtalk_robot/u-host"):
        notify.deliver([_digest()], {"wecom_robot": "herald_wecom", "dingtalk_robot": "herald_dingtalk"},
                       target_for=targets.__getitem__)
    assert [path for path, _ in handler.received] == ["/wecom"]


def test_authorisations_about_to_lapse_are_announced_without_reading_the_token(any_db):
    from herald.cadence.warning import expiring_tokens

    rows = Rows(any_db)
    _routing(rows)
    rows.account("wb", date(2025, 1, 6))
    rows.execute("UPDATE accounts SET platform_account_id = 'uid-1' WHERE account_id = 'wb'")
    rows.account("wx", date(2025, 1, 6), platform="wechat")
    rows.execute("UPDATE accounts SET platform_account_id = 'appid-1' WHERE account_id = 'wx'")
    soon = datetime(2025, 3, 18, tzinfo=UTC)
    for platform, key in (("weibo", "uid-1"), ("wechat", "appid-1")):  # WeChat refreshes its own token
        rows.insert("platform_tokens", platform=platform, account_key=key, access_token="secret-value", expires_at=soon)
    with any_db.transaction() as tx:
        notices = expiring_tokens(tx, THURSDAY)
        assert expiring_tokens(tx, THURSDAY, within_days=1) == []
        digests = build_digests(tx, periods={}, reminders=[], as_of=THURSDAY, token_notices=notices)
    assert [n.account_id for n in notices] == ["wb"]
    assert "平台授权即将到期1个账号" in digests[0].markdown() and "secret-value" not in digests[0].markdown()


def test_the_local_inbox_of_make_up_keeps_what_every_channel_sends(tmp_path, monkeypatch):
    from herald_dev.fakeplatforms.inbox import LocalInbox

    inbox = LocalInbox.start(tmp_path / "inbox", dingtalk_secret="SEC-local")
    try:
        for name, value in inbox.connections().items():
            monkeypatch.setenv(name, value)
        log = notify.deliver([_digest()], {"email": "herald_smtp", "wecom_robot": "herald_wecom",
                                           "dingtalk_robot": "herald_dingtalk"})
        assert [entry["status"] for entry in log] == ["sent", "sent", "sent"]
        kept = sorted(p.name.split("-", 1)[1] for p in inbox.directory.iterdir())
        assert kept == ["dingtalk.json", "email.eml", "wecom.json"]
        wecom = json.loads(next(inbox.directory.glob("*-wecom.json")).read_text(encoding="utf-8"))
        assert "品牌部" in wecom["markdown"]["content"]
        # A DingTalk robot refuses a message whose signature was made with another secret.
        with pytest.raises(notify.RobotError, match="310000"):
            notify.send_dingtalk(_digest(), notify.RobotTarget(
                notify.robot_target("herald_dingtalk").url, "another-secret"))
    finally:
        inbox.stop()
    assert len(list(inbox.directory.iterdir())) == 3
    again = LocalInbox.start(tmp_path / "inbox", dingtalk_secret="SEC-local")  # the next `make up`
    try:
        for name, value in again.connections().items():
            monkeypatch.setenv(name, value)
        notify.deliver([_digest()], {"wecom_robot": "herald_wecom"})
    finally:
        again.stop()
    assert sorted(p.name[:4] for p in again.directory.iterdir()) == ["0001", "0002", "0003", "0004"]
