"""Idempotency keys (issue 12, item 3): the same request sent twice made two posts; with a key it does the work once.

Domain functions on both engines, the HTTP door (``Idempotency-Key``) and the CLI (``--idempotency-key``) on
PostgreSQL.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from builders import small_org, table_snapshot
from herald.boundary import PostIn, parse_request
from herald.errors import ValidationError
from herald.idempotency import KEY_TTL, InProgress, check_key, fingerprint, once
from herald.posts.model import PostRequest
from herald.posts.queue import queue_post

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai, a working day
KEY = "5f0c2a8e-3b1d-4c6a-9e7f-2d8b1a4c6e90"
REQUEST = {"account_id": "WX-OFFICE", "author_id": "author", "title": "公司举办安全生产月活动",
           "body": "<p>本月公司各单位开展安全生产宣传活动。</p>", "category": "corporate_image", "source": "公司办公室",
           "publish_at": (NOW + timedelta(days=10)).isoformat()}


def _count(db, table: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()  # test helper: fixed table names


def _queue(db, key: str | None = KEY, *, now: datetime = NOW, **changes):
    """``herald post queue`` as the domain sees it: the parsed request, queued once per key."""
    parsed = PostIn.model_validate({**REQUEST, **changes})
    request = PostRequest.from_mapping(parsed.model_dump(exclude_unset=True))
    return once(db, key=key, actor="author", operation="herald post queue", request=parsed, now=now, status=201,
                run=lambda joined: queue_post(joined, request, now=now))


@pytest.fixture
def org(any_db):
    small_org(any_db)
    return any_db


def test_a_repeated_request_makes_one_post_and_gets_the_first_answer(org):
    first = _queue(org)
    again = _queue(org)
    assert (first.status, first.replayed) == (201, False)
    assert (again.status, again.body, again.replayed) == (201, first.body, True)
    assert _count(org, "posts") == 1 and _count(org, "idempotency_keys") == 1
    assert _queue(org, key=None).body != first.body  # without a key the bug's behaviour: a second post
    assert _count(org, "posts") == 2


def test_the_same_key_for_another_request_is_refused_and_writes_nothing(org):
    _queue(org)
    before = table_snapshot(org)
    with pytest.raises(ValidationError) as refused:
        _queue(org, title="另一条信息")
    [violation] = refused.value.violations
    assert (violation.field, violation.rule_id) == ("Idempotency-Key", "格式") and not violation.message.isascii()
    with pytest.raises(ValidationError):  # the same body under another operation is another request too
        once(org, key=KEY, actor="author", operation="herald post release", request=PostIn.model_validate(REQUEST),
             now=NOW, run=lambda joined: pytest.fail("a refused key must not run"))
    assert table_snapshot(org) == before


def test_keys_belong_to_one_person(org):
    _queue(org)
    other = once(org, key=KEY, actor="author2", operation="herald post queue", request={"n": 1}, now=NOW,
                 run=lambda joined: {"ran": True})
    assert (other.body, other.replayed) == ({"ran": True}, False)


def test_a_refused_request_is_not_remembered_so_the_corrected_one_goes_through(org):
    before = table_snapshot(org)
    with pytest.raises(ValidationError) as refused:
        _queue(org, account_id="NO-SUCH")
    assert "account_id" in [v.field for v in refused.value.violations]
    assert table_snapshot(org) == before
    corrected = _queue(org)
    assert not corrected.replayed and _count(org, "posts") == 1


def test_a_failure_after_the_work_rolls_back_the_post_with_its_key(org):
    """The post and its key share one transaction: a crash between them leaves neither, and the retry runs."""
    parsed = PostIn.model_validate(REQUEST)
    request = PostRequest.from_mapping(parsed.model_dump(exclude_unset=True))

    def queue_then_crash(joined):
        queue_post(joined, request, now=NOW)
        if org.dialect == "postgresql":  # (SQLite: a second connection would wait for this one's write lock)
            assert _count(org, "posts") == 0  # not visible outside before the commit
        raise RuntimeError("connection lost")

    before = table_snapshot(org)
    with pytest.raises(RuntimeError):
        once(org, key=KEY, actor="author", operation="herald post queue", request=parsed, now=NOW, run=queue_then_crash)
    assert table_snapshot(org) == before
    assert not _queue(org).replayed and _count(org, "posts") == 1


def test_keys_expire_after_24_hours_and_old_rows_are_pruned(org):
    first = _queue(org)
    assert _queue(org, now=NOW + KEY_TTL - timedelta(seconds=1)).replayed
    once(org, key="other-key", actor="author", operation="herald post queue", request={}, now=NOW,
         run=lambda joined: "ok")
    later = _queue(org, now=NOW + KEY_TTL + timedelta(seconds=1))  # documented: after 24 h the request runs again
    assert not later.replayed and later.body != first.body
    assert _count(org, "posts") == 2
    assert _count(org, "idempotency_keys") == 1  # "other-key" was past its time: pruned when the new key was stored


@pytest.mark.parametrize("key", ["", "k" * 256, "幂等键", "line\nbreak", "tab\tkey", "del\x7f"])
def test_malformed_keys_are_refused_before_anything_runs(sqlite_db, key):
    before = table_snapshot(sqlite_db)
    with pytest.raises(ValidationError) as refused:
        once(sqlite_db, key=key, actor="author", operation="POST /posts", request={}, now=NOW,
             run=lambda joined: pytest.fail("a malformed key must not run"))
    assert refused.value.violations[0].field == "Idempotency-Key"
    assert table_snapshot(sqlite_db) == before


def test_keys_of_printable_ascii_up_to_255_characters_are_accepted():
    assert check_key("k" * 255) == "k" * 255
    assert check_key(" !~") == " !~"


def test_the_fingerprint_is_of_the_parsed_request_not_its_bytes():
    spaced = json.dumps(REQUEST, indent=4, ensure_ascii=True)
    reordered = json.dumps(dict(reversed(list(REQUEST.items()))), ensure_ascii=False, separators=(",", ":"))
    assert fingerprint(parse_request(PostIn, spaced)) == fingerprint(parse_request(PostIn, reordered))
    assert fingerprint(parse_request(PostIn, {**REQUEST, "title": "另一条"})) != fingerprint(
        parse_request(PostIn, spaced))


@pytest.mark.pg
def test_a_duplicate_while_the_first_is_running_is_refused_as_in_progress_on_postgresql(pg_db):
    small_org(pg_db)
    seen = []

    def queue_and_meet_the_duplicate(joined):
        with pytest.raises(InProgress) as busy:
            _queue(pg_db)  # another connection, same person and key, while this one has not committed
        seen.append(busy.value.violations[0])
        parsed = PostIn.model_validate(REQUEST)
        return queue_post(joined, PostRequest.from_mapping(parsed.model_dump(exclude_unset=True)), now=NOW)

    parsed = PostIn.model_validate(REQUEST)
    first = once(pg_db, key=KEY, actor="author", operation="herald post queue", request=parsed, now=NOW,
                 status=201, run=queue_and_meet_the_duplicate)
    assert seen[0].message == "同一幂等键的请求正在处理，请稍后重试"
    assert _queue(pg_db).body == first.body and _count(pg_db, "posts") == 1


def test_a_duplicate_on_sqlite_waits_for_the_first_and_gets_its_answer(sqlite_db):
    small_org(sqlite_db)
    started, release, answers = threading.Event(), threading.Event(), {}
    parsed = PostIn.model_validate(REQUEST)
    request = PostRequest.from_mapping(parsed.model_dump(exclude_unset=True))

    def slow(joined):
        post_id = queue_post(joined, request, now=NOW)
        started.set()
        release.wait(timeout=60)
        return post_id

    first = threading.Thread(target=lambda: answers.setdefault("first", once(
        sqlite_db, key=KEY, actor="author", operation="herald post queue", request=parsed, now=NOW, run=slow)))
    first.start()
    assert started.wait(timeout=60)
    duplicate = threading.Thread(target=lambda: answers.setdefault("duplicate", _queue(sqlite_db)))
    duplicate.start()
    release.set()
    first.join(timeout=60)
    duplicate.join(timeout=60)
    assert answers["duplicate"].replayed and answers["duplicate"].body == answers["first"].body
    assert _count(sqlite_db, "posts") == 1


# --- the HTTP door (PostgreSQL) ------------------------------------------------------------------------------------

PUBLISH = (datetime.now(UTC) + timedelta(days=9)).replace(microsecond=0)


def _post_body() -> dict:
    from herald.policy import load_policy

    return {"account_id": "WB-GROUP", "body": "集团年会 https://example.com/meeting", "source": "集团行政中心",
            "category": next(iter(load_policy("000").content.categories)), "publish_at": PUBLISH.isoformat()}


@pytest.mark.pg
@pytest.mark.integrity
def test_http_the_same_post_sent_twice_with_a_key_makes_one_post(api, pg_db):
    client, body = api("zhou.yunying"), _post_body()
    first = client.post("/posts", json=body, headers={"Idempotency-Key": KEY})
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    # the same request in other bytes: other spacing and key order
    again = client.post("/posts", content=json.dumps(dict(reversed(list(body.items()))), indent=2).encode(),
                        headers={"Idempotency-Key": KEY, "content-type": "application/json"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert _count(pg_db, "posts") == 1


@pytest.mark.pg
@pytest.mark.integrity
def test_http_the_same_key_with_another_body_is_422_and_writes_nothing(api, pg_db):
    client, body = api("zhou.yunying"), _post_body()
    assert client.post("/posts", json=body, headers={"Idempotency-Key": KEY}).status_code == 201
    before = table_snapshot(pg_db)
    other = client.post("/posts", json={**body, "body": "集团年会改期 https://example.com/meeting"},
                        headers={"Idempotency-Key": KEY})
    assert other.status_code == 422, other.text
    [violation] = other.json()["violations"]
    assert (violation["field"], violation["rule_id"]) == ("Idempotency-Key", "格式")
    assert "另一个请求" in violation["message"]
    assert table_snapshot(pg_db) == before


@pytest.mark.pg
@pytest.mark.integrity
def test_http_malformed_key_is_422_and_writes_nothing(api, pg_db):
    before = table_snapshot(pg_db)
    response = api("zhou.yunying").post("/posts", json=_post_body(), headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 422 and response.json()["violations"][0]["field"] == "Idempotency-Key"
    assert table_snapshot(pg_db) == before


@pytest.mark.pg
@pytest.mark.integrity
def test_http_a_refused_request_then_the_corrected_one_with_the_same_key(api, pg_db):
    client, body = api("zhou.yunying"), _post_body()
    refused = client.post("/posts", json={**body, "account_id": "NO-SUCH"}, headers={"Idempotency-Key": KEY})
    assert refused.status_code == 422 and refused.json()["violations"][0]["field"] == "account_id"
    corrected = client.post("/posts", json=body, headers={"Idempotency-Key": KEY})
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected.headers
    assert _count(pg_db, "posts") == 1


@pytest.mark.pg
@pytest.mark.integrity
def test_http_a_duplicate_while_the_first_is_running_is_409(api, pg_db):
    with pg_db.transaction() as tx:  # the first request, still running: it holds its key's lock
        assert tx.scalar("idempotency/lock", actor="author2", idempotency_key=KEY)
        busy = api("zhou.yunying").post("/posts", json=_post_body(), headers={"Idempotency-Key": KEY})
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
    assert busy.json()["violations"][0]["message"] == "同一幂等键的请求正在处理，请稍后重试"
    assert _count(pg_db, "posts") == 0


@pytest.mark.pg
@pytest.mark.integrity
def test_http_a_decision_and_an_edit_repeated_are_done_once(api, pg_db):
    created = api("zhou.yunying").post("/posts", json=_post_body()).json()
    post_id, content_hash = created["post_id"], created["content_hash"]
    decision = {"decision": "approved", "content_hash": content_hash}
    first = api("wu.zhuguan").post(f"/posts/{post_id}/decisions", json=decision, headers={"Idempotency-Key": KEY})
    again = api("wu.zhuguan").post(f"/posts/{post_id}/decisions", json=decision, headers={"Idempotency-Key": KEY})
    assert first.status_code == again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true" and again.content == first.content
    assert len(pg_db.fetch("posts/approvals", post_id=post_id)) == 1
    # the same key on another post is another request
    assert api("wu.zhuguan").post("/posts/OTHER/decisions", json=decision,
                                  headers={"Idempotency-Key": KEY}).status_code == 422
    change = {"body": "集团年会改在下午 https://example.com/meeting"}
    edited = api("zhou.yunying").patch(f"/posts/{post_id}", json=change, headers={"Idempotency-Key": "edit-1"})
    events = len(pg_db.fetch("posts/post_events", post_id=post_id))
    replayed = api("zhou.yunying").patch(f"/posts/{post_id}", json=change, headers={"Idempotency-Key": "edit-1"})
    assert edited.status_code == replayed.status_code == 200 and replayed.content == edited.content
    assert len(pg_db.fetch("posts/post_events", post_id=post_id)) == events


@pytest.mark.pg
@pytest.mark.integrity
def test_http_the_openapi_schema_shows_the_header_on_every_changing_route(api):
    paths = api("zhou.yunying").get("/openapi.json").json()["paths"]
    for path, method in [("/posts", "post"), ("/releases", "post"), ("/posts/{post_id}/decisions", "post"),
                         ("/posts/{post_id}", "patch")]:
        headers = {p["name"]: p for p in paths[path][method]["parameters"] if p["in"] == "header"}
        assert headers["Idempotency-Key"]["description"] and not headers["Idempotency-Key"]["required"]


# --- the CLI (PostgreSQL) ------------------------------------------------------------------------------------------

# The CLI on the database directly is an administrator's override (the signed-in way: tests/test_cli_login.py).
OVERRIDE = ("--admin-override", "--override-reason", "测试：管理员补录")
AS_AUTHOR = (*OVERRIDE, "--as-person", "author")


def _cli(pg_url, *argv) -> int:
    from herald.__main__ import main

    return main(["--db", pg_url, *argv])


def _request_file(db, folder):
    small_org(db)
    request = folder / "post.json"
    request.write_text(json.dumps({**REQUEST, "publish_at": (datetime.now(UTC) + timedelta(days=10)).isoformat()}),
                       encoding="utf-8")
    return request


@pytest.mark.pg
def test_cli_the_same_post_queued_twice_with_a_key_makes_one_post(pg_db, pg_url, tmp_path, capsys):
    request = _request_file(pg_db, tmp_path)
    assert _cli(pg_url, "post", "queue", str(request), *AS_AUTHOR, "--idempotency-key", KEY) == 0
    first = capsys.readouterr().out
    assert _cli(pg_url, "post", "queue", str(request), *AS_AUTHOR, "--idempotency-key", KEY) == 0
    again = capsys.readouterr()
    assert again.out == first and "未重复执行" in again.err
    assert _count(pg_db, "posts") == 1

    request.write_text(json.dumps({**REQUEST, "title": "另一条信息"}), encoding="utf-8")
    assert _cli(pg_url, "post", "queue", str(request), *AS_AUTHOR, "--idempotency-key", KEY) == 2
    assert "--idempotency-key [格式]" in capsys.readouterr().err
    assert _cli(pg_url, "post", "queue", str(request), *AS_AUTHOR, "--idempotency-key", "幂等键") == 2
    assert _count(pg_db, "posts") == 1


@pytest.mark.pg
def test_cli_an_approval_repeated_with_a_key_is_recorded_once(pg_db, pg_url, tmp_path, capsys):
    request = _request_file(pg_db, tmp_path)
    assert _cli(pg_url, "post", "queue", str(request), *AS_AUTHOR) == 0
    post_id = capsys.readouterr().out.strip()
    content_hash = pg_db.fetch_one("posts/post", post_id=post_id)["content_hash"]
    argv = ("post", "approve", post_id, "--content-hash", content_hash, "--idempotency-key", KEY, *OVERRIDE,
            "--as-person", "dept_head")
    assert _cli(pg_url, *argv) == 0
    first = capsys.readouterr().out
    assert _cli(pg_url, *argv) == 0
    assert capsys.readouterr().out == first
    assert len(pg_db.fetch("posts/approvals", post_id=post_id)) == 1
