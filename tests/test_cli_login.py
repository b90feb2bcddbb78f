"""The command line acts as a person only with that person's login (PUB-2, PUB-3; on PostgreSQL).

The HTTP door runs in process behind a real HTTP server (uvicorn on a free local port, in a thread): Herald's FastAPI
app mounted at ``/herald`` beside an ``/auth/token`` route that issues tokens, with the door's ``get_user`` mapping
a bearer token to its login (Airflow's own token check is what the api-server adds on top). The command line is
driven through ``herald.__main__.main`` exactly as ``python -m herald`` runs it.
"""

from __future__ import annotations

import io
import json
import secrets
import stat
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi import Body, FastAPI, HTTPException, Request

from builders import small_org

pytestmark = [pytest.mark.pg, pytest.mark.integrity]

PASSWORDS = {"li.xinxi": "xinxi-pw", "wang.buzhang": "buzhang-pw", "zhou.yunying": "yunying-pw"}
REQUEST = {"account_id": "WX-OFFICE", "title": "公司举办安全生产月活动", "body": "<p>本月公司各单位开展安全生产宣传活动。</p>",
           "category": "corporate_image", "source": "公司办公室"}


@pytest.fixture
def door(pg_db, pg_url, monkeypatch, tmp_path):
    """Herald's HTTP door on a real local port, signing people in by password; the session file under tmp_path."""
    import uvicorn
    from airflow.api_fastapi.core_api.security import get_user

    from herald_airflow import api as herald_api
    from herald_airflow import api_common

    small_org(pg_db)
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_DB", pg_url)
    monkeypatch.setenv("HERALD_SESSION_FILE", str(tmp_path / "home" / ".herald" / "session.json"))
    api_common.forget_database()
    tokens: dict[str, str] = {}
    server_app = FastAPI()

    @server_app.post("/auth/token", status_code=201)
    def issue_token(username: str = Body(), password: str = Body()) -> dict[str, str]:
        if PASSWORDS.get(username) != password:
            raise HTTPException(401, "Invalid credentials")
        token = secrets.token_urlsafe(24)
        tokens[token] = username
        return {"access_token": token}

    def user_from_bearer(request: Request) -> SimpleNamespace:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in tokens:
            raise HTTPException(401, "Not authenticated")
        login = tokens[token]
        return SimpleNamespace(get_name=lambda: login, get_id=lambda: login)  # what the door asks of a user

    herald_api.app.dependency_overrides[get_user] = user_from_bearer
    server_app.mount("/herald", herald_api.app)
    server = uvicorn.Server(uvicorn.Config(server_app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):  # until it listens (or its thread died), polled; no duration is asserted
        if server.started or not thread.is_alive():
            break
        time.sleep(0.05)
    assert server.started, "the in-process door did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    yield SimpleNamespace(api=f"http://127.0.0.1:{port}", db=pg_db, db_url=pg_url, tokens=tokens,
                          session=tmp_path / "home" / ".herald" / "session.json")
    server.should_exit = True
    thread.join(timeout=30)
    herald_api.app.dependency_overrides.clear()
    api_common.forget_database()


def _cli(capsys, *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    from herald.__main__ import main

    capsys.readouterr()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin) if stdin is not None else saved
    try:
        code = main(list(argv))
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return code, out, err


def _login(capsys, door, login: str) -> None:
    code, out, err = _cli(capsys, "login", "--api", door.api, "--user", login, "--password-stdin",
                          stdin=PASSWORDS[login] + "\n")
    assert code == 0, err
    assert login in out and door.api in out


def _request_file(tmp_path, **changes) -> str:
    path = tmp_path / f"request-{secrets.token_hex(4)}.json"
    publish_at = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0).isoformat()
    path.write_text(json.dumps({**REQUEST, "publish_at": publish_at, **changes}, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_login_queue_and_approve_act_as_the_signed_in_person(door, tmp_path, capsys):
    _login(capsys, door, "li.xinxi")
    mode = stat.S_IMODE(door.session.stat().st_mode)
    assert mode == 0o600, oct(mode)
    saved = json.loads(door.session.read_text(encoding="utf-8"))
    assert saved["api"] == door.api and saved["username"] == "li.xinxi" and saved["token"] in door.tokens

    code, out, err = _cli(capsys, "post", "queue", _request_file(tmp_path))
    assert code == 0, err
    post_id = out.strip()
    post = door.db.fetch_one("posts/post", post_id=post_id)
    assert post["author_id"] == "author"  # li.xinxi's person, from the login, not from the request

    _login(capsys, door, "wang.buzhang")
    code, out, err = _cli(capsys, "post", "approve", post_id, "--content-hash", post["content_hash"])
    assert code == 0, err
    assert json.loads(out)["step_no"] == 1
    [signed] = door.db.fetch("posts/approvals", post_id=post_id)
    assert (signed["approver_id"], signed["via"]) == ("dept_head", "api")

    code, out, err = _cli(capsys, "post", "show", post_id)
    assert code == 0, err
    assert json.loads(out)["decisions"][0]["approver_name"] == "王部长"

    code, out, err = _cli(capsys, "logout")
    assert code == 0 and not door.session.exists()


def test_refusals_from_the_door_are_printed_as_local_ones_with_exit_2(door, tmp_path, capsys):
    _login(capsys, door, "zhou.yunying")
    code, _, err = _cli(capsys, "post", "queue", _request_file(tmp_path, author_id="author"))
    assert code == 2
    assert err.startswith("herald: 已拒绝") and "author_id [PUB-3]: 不能以他人名义提交信息" in err
    code, _, err = _cli(capsys, "post", "queue", _request_file(tmp_path, account_id="NO-SUCH"))
    assert code == 2 and "account_id [ACC-1]" in err

    _login(capsys, door, "li.xinxi")
    code, out, _ = _cli(capsys, "post", "queue", _request_file(tmp_path))
    post_id = out.strip()
    content_hash = door.db.fetch_one("posts/post", post_id=post_id)["content_hash"]
    code, _, err = _cli(capsys, "post", "approve", post_id, "--content-hash", content_hash)
    assert code == 2 and "approver_id [PUB-2]: 提交人不得审批自己提交的信息" in err
    code, _, err = _cli(capsys, "dispatch", "confirm-manual", post_id, "--link", "https://qun.qq.com/p/1")
    assert code == 2 and "post_id [PUB-3]" in err and "人工发布交接" in err
    assert door.db.fetch("posts/approvals", post_id=post_id) == []


def test_an_idempotency_key_is_sent_as_the_header(door, tmp_path, capsys):
    _login(capsys, door, "li.xinxi")
    request, key = _request_file(tmp_path), "5f0c2a8e-3b1d-4c6a-9e7f-2d8b1a4c6e90"
    first = _cli(capsys, "post", "queue", request, "--idempotency-key", key)
    again = _cli(capsys, "post", "queue", request, "--idempotency-key", key)
    assert first[0] == again[0] == 0 and first[1] == again[1]
    assert "未重复执行" in again[2]
    with door.db.engine.connect() as conn:
        import sqlalchemy as sa

        assert conn.execute(sa.text("SELECT count(*) FROM posts")).scalar() == 1


def test_without_a_session_or_a_server_the_command_line_says_what_to_do(door, tmp_path, capsys):
    code, _, err = _cli(capsys, "post", "show", "P-1")
    assert code == 2 and "请先登录：python -m herald login" in err

    _login(capsys, door, "li.xinxi")
    door.tokens.clear()  # the api-server no longer accepts the token (expired, or the secret changed)
    code, _, err = _cli(capsys, "post", "queue", _request_file(tmp_path))
    assert code == 2 and "请先登录：python -m herald login" in err

    code, _, err = _cli(capsys, "login", "--api", door.api, "--user", "li.xinxi", "--password-stdin", stdin="wrong\n")
    assert code == 2 and "--user [PUB-3]: 登录失败" in err and "wrong" not in err

    saved = json.loads(door.session.read_text(encoding="utf-8"))
    door.session.write_text(json.dumps({**saved, "api": "http://127.0.0.1:9"}), encoding="utf-8")  # nothing listens
    code, _, err = _cli(capsys, "post", "show", "P-1")
    assert code == 2 and "无法连接 Herald 服务（http://127.0.0.1:9）" in err and "Traceback" not in err

    assert _cli(capsys, "logout")[0] == 0 and not door.session.exists()
    assert "没有登录" in _cli(capsys, "logout")[1]


def test_acting_in_another_name_is_gone(door, tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        _cli(capsys, "post", "approve", "P-1", "--as", "dept_head", "--content-hash", "0" * 64)
    assert exited.value.code == 2
    code, _, err = _cli(capsys, "post", "approve", "P-1", "--as-person", "dept_head", "--content-hash", "0" * 64)
    assert code == 2 and "--as-person [PUB-3]: --as-person 只能与 --admin-override 一起使用" in err
    code, _, err = _cli(capsys, "--db", door.db_url, "post", "queue", _request_file(tmp_path), "--admin-override",
                        "--as-person", "author")
    assert code == 2 and "--override-reason [PUB-3]" in err
    code, _, err = _cli(capsys, "--db", door.db_url, "post", "queue", _request_file(tmp_path), "--admin-override",
                        "--as-person", "author", "--override-reason", "   ")
    assert code == 2 and "--override-reason" in err
    code, _, err = _cli(capsys, "--db", door.db_url, "post", "queue", _request_file(tmp_path), "--admin-override",
                        "--override-reason", "补录")
    assert code == 2 and "--as-person [PUB-3]" in err
    assert door.db.fetch("findings/all") == []


def test_an_administrator_override_is_recorded_in_the_history_and_as_a_finding(door, tmp_path, capsys):
    import getpass

    override = ("--admin-override", "--override-reason", "服务中断期间补录纸质审批单")
    code, out, err = _cli(capsys, "--db", door.db_url, "post", "queue", _request_file(tmp_path), *override,
                          "--as-person", "author")
    assert code == 0, err
    post_id = out.strip()
    content_hash = door.db.fetch_one("posts/post", post_id=post_id)["content_hash"]
    code, out, err = _cli(capsys, "--db", door.db_url, "post", "approve", post_id, "--content-hash", content_hash,
                          *override, "--as-person", "dept_head")
    assert code == 0, err
    [signed] = door.db.fetch("posts/approvals", post_id=post_id)
    assert (signed["approver_id"], signed["via"]) == ("dept_head", "cli")

    history = door.db.fetch("posts/post_events", post_id=post_id)
    marks = [e for e in history if e["reason"].startswith("管理员越权操作")]
    assert [e["actor_id"] for e in marks] == ["author", "dept_head"]
    who = getpass.getuser()
    assert all(f"操作系统用户“{who}”" in e["reason"] and "服务中断期间补录纸质审批单" in e["reason"] for e in marks)
    assert "王部长（dept_head）" in marks[1]["reason"] and f"herald post approve {post_id}" in marks[1]["reason"]

    findings = [f for f in door.db.fetch("findings/all") if f["rule_id"] == "PUB-3"]
    assert len(findings) == 2 and {f["subject_id"] for f in findings} == {post_id}
    summary = next(f["summary"] for f in findings if "post approve" in f["summary"])
    assert who in summary and "服务中断期间补录纸质审批单" in summary and post_id in summary and "王部长" in summary

    # A refused override leaves no mark and no finding (one transaction with the action).
    code, _, err = _cli(capsys, "--db", door.db_url, "post", "approve", post_id, "--content-hash", content_hash,
                        *override, "--as-person", "dept_head")
    assert code == 2 and "PUB-2" in err
    assert len([f for f in door.db.fetch("findings/all") if f["rule_id"] == "PUB-3"]) == 2

    code, out, err = _cli(capsys, "--db", door.db_url, "post", "show", post_id, *override)
    assert code == 0 and json.loads(out)["post_id"] == post_id
