"""The corpus of bad requests (tests/data/bad_requests/<family>.json), each through its doors, refused as recorded.

A case names its request (``post``, ``release``, ``edit``, ``decision``), its doors (``cli``: ``python -m herald``
in process; ``http``: the FastAPI door through a TestClient), its input (``post``: changes to a post the small
organisation may queue; ``document``: a JSON object; ``text``: the request's text; ``base64``: its bytes) and what
it must answer (``expect``: the HTTP status, the violations as (field, rule) pairs that must be among those named,
a phrase of the message; the CLI exits 2 on a refusal, 0 otherwise; ``expect.cli`` / ``expect.http`` override per
door). Either door: no traceback, no 5xx, every violation readable, and a refused request leaves every table as it
was. A case with ``pending`` is a strict xfail: when the check lands, it passes and the mark must go.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from builders import small_org, table_snapshot
from door_fuzz import assert_readable, good_post

pytestmark = [pytest.mark.pg, pytest.mark.integrity]

CORPUS = Path(__file__).resolve().parent / "data" / "bad_requests"
MISSING_POST = "P-NO-SUCH-POST"
ROUTES = {
    "post": ("POST", "/posts", ["post", "queue"]),
    "release": ("POST", "/releases", ["post", "release"]),
    "edit": ("PATCH", f"/posts/{MISSING_POST}", ["post", "edit", MISSING_POST]),
    "decision": ("POST", f"/posts/{MISSING_POST}/decisions", None),
}
# The CLI names a request it could not read after its file; the HTTP door calls it the request.
CLI_FIELDS = {"请求": {"请求", "请求文件"}}
CLI_VIOLATION = re.compile(r"^  - (.*?) \[([^\]]+)\]: (.*)$")


def _cases():
    for manifest in sorted(CORPUS.glob("*.json")):
        family = manifest.stem
        for case in json.loads(manifest.read_text(encoding="utf-8"))["cases"]:
            for door in case["doors"]:
                marks = [pytest.mark.xfail(reason=case["pending"], strict=True)] if case.get("pending") else []
                yield pytest.param(case, door, id=f"{family}/{case['id']}/{door}", marks=marks)


def expand(value: Any) -> Any:
    """The manifests' three macros: ``{"$repeat": [text or list, n]}``, ``{"$concat": [parts]}``, and
    ``{"$days_ahead": n}`` (09:00 Shanghai, n days from now)."""
    if isinstance(value, dict):
        if "$repeat" in value:
            unit, times = value["$repeat"]
            return unit * times
        if "$concat" in value:
            return "".join(expand(part) for part in value["$concat"])
        if "$days_ahead" in value:
            day = datetime.now(UTC) + timedelta(days=value["$days_ahead"])
            return day.replace(hour=1, minute=0, second=0, microsecond=0).isoformat()
        return {key: expand(item) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item) for item in value]
    return value


def request_bytes(case: dict[str, Any], changes: dict[str, Any] | None = None) -> bytes:
    if changes is not None or "post" in case:
        return json.dumps(good_post(**expand(changes if changes is not None else case["post"])),
                          ensure_ascii=False).encode("utf-8")
    if "document" in case:
        return json.dumps(expand(case["document"]), ensure_ascii=False).encode("utf-8")
    if "text" in case:
        return expand({"$concat": case["text"]} if isinstance(case["text"], list) else case["text"]).encode("utf-8")
    return base64.b64decode(case["base64"])


def expectation(case: dict[str, Any], door: str) -> dict[str, Any]:
    expected = {key: value for key, value in case["expect"].items() if key not in ("cli", "http")}
    return {**expected, **case["expect"].get(door, {})}


@pytest.fixture(scope="module")
def corpus_db(pg_template):
    """One PostgreSQL database of the small organisation for the whole corpus (each case compares its own snapshots)."""
    import sqlalchemy as sa

    from herald.db import Database, normalise_url

    admin_url = os.environ.get("HERALD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"herald_test_{os.getpid()}_corpus_{uuid.uuid4().hex[:8]}"  # the pid: conftest clears it if we crash
    admin = sa.create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    url = f"{admin_url.rpartition('/')[0]}/{name}"
    db = Database(url)
    people = {person_id: login for person_id, (_, _, login) in small_org(db)["people"].items()}
    yield db, people, url
    db.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="module")
def http_door(corpus_db):
    """The HTTP door in process on the corpus database; ``signed_in[0]`` is the Airflow login of each request."""
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    from herald_airflow import api as herald_api
    from herald_airflow import api_common

    _, _, url = corpus_db
    signed_in = ["zhou.yunying"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_HERALD_DB", url)
        api_common.forget_database()
        herald_api.app.dependency_overrides[get_user] = lambda: SimpleNamespace(get_name=lambda: signed_in[0],
                                                                                get_id=lambda: signed_in[0])
        yield TestClient(herald_api.app, raise_server_exceptions=False), signed_in
        herald_api.app.dependency_overrides.clear()
        api_common.forget_database()


def _key(case: dict[str, Any], door: str) -> str | None:
    return f"{expand(case['idempotency_key'])}-{door}" if "idempotency_key" in case else None


def call_http(http_door, case, data: bytes, login: str, caplog) -> tuple[int, Any, str]:
    client, signed_in = http_door
    signed_in[0] = login
    method, path, _ = ROUTES[case["request"]]
    headers = {"content-type": "application/json", **case.get("headers", {})}
    if _key(case, "http"):
        headers["Idempotency-Key"] = _key(case, "http")
    response = client.request(method, path, content=data, headers=headers)
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
    assert response.status_code < 500, f"{response.text}\n{caplog.text}"  # the log holds the trace
    assert "Traceback" not in response.text
    return response.status_code, body, response.headers.get("Idempotent-Replayed", "")


def call_cli(db, folder: Path, case, data: bytes) -> tuple[int, str, str]:
    from herald.__main__ import main

    _, _, argv = ROUTES[case["request"]]
    path = folder / "request.json"
    path.write_bytes(data)
    extra = ["--idempotency-key", _key(case, "cli")] if _key(case, "cli") else []
    # Directly on the database, so as an administrator's override in the name of the author the request names
    # (the signed-in way through the HTTP door: tests/test_cli_login.py).
    extra += ["--admin-override", "--override-reason", "测试：坏请求语料", "--as-person", _author_named(data)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--db", db.url, *argv, str(path), *extra])
    assert code != 1 and "Traceback" not in err.getvalue(), err.getvalue()
    return code, out.getvalue(), err.getvalue()


def _author_named(data: bytes) -> str:
    """The author a request names (``author_id`` or ``base.author_id``), when it is a readable id; else author2."""
    from herald.boundary.models import ID_PATTERN

    try:
        document = json.loads(data)
    except (ValueError, RecursionError):  # unreadable or absurdly deep: the CLI refuses it before any author counts
        return "author2"
    base = document.get("base") if isinstance(document, dict) else None
    named = (document.get("author_id") if isinstance(document, dict) else None) or (
        base.get("author_id") if isinstance(base, dict) else None)
    return named if isinstance(named, str) and re.match(ID_PATTERN, named) else "author2"


def _login(case: dict[str, Any], people: dict[str, str]) -> str:
    author = (expand(case.get("post") or {}).get("author_id") or "author2") if "post" in case else "author2"
    return case.get("login") or people.get(author, "zhou.yunying")


def _named(found: list[tuple[str, str]], expected: list[list[str]], door: str) -> list[list[str]]:
    """The expected (field, rule) pairs the refusal did not name."""
    fields = CLI_FIELDS if door == "cli" else {}
    return [[field, rule] for field, rule in expected
            if not any(rule == got_rule and got_field in fields.get(field, {field}) for got_field, got_rule in found)]


def test_the_corpus_covers_every_family_and_each_case_its_doors():
    families = {manifest.stem: json.loads(manifest.read_text(encoding="utf-8")) for manifest in CORPUS.glob("*.json")}
    assert set(families) == {"files_and_encodings", "types", "times", "characters", "sizes", "policy_rules", "repeats",
                             "lookalikes"}
    for family, manifest in families.items():
        ids = [case["id"] for case in manifest["cases"]]
        assert ids and len(ids) == len(set(ids)), family
        for case in manifest["cases"]:
            inputs = {"post", "document", "text", "base64"} & set(case)
            assert len(inputs) == 1 and case["request"] in ROUTES and case["doors"], case["id"]
            assert set(case["doors"]) <= ({"http"} if ROUTES[case["request"]][2] is None else {"cli", "http"}), case["id"]


@pytest.mark.parametrize("case, door", list(_cases()))
def test_each_bad_request_is_refused_as_recorded(corpus_db, http_door, tmp_path, caplog, case, door):
    db, people, _ = corpus_db
    expected = expectation(case, door)
    data = request_bytes(case)
    first = None
    if "before" in case:
        before_data = data if case["before"] == "same" else request_bytes(case, case["before"])
        first = (call_http(http_door, case, before_data, _login(case, people), caplog) if door == "http"
                 else call_cli(db, tmp_path, case, before_data))
        assert first[0] in (200, 201, 0), first
    snapshot = table_snapshot(db)

    if door == "http":
        status, body, replayed = call_http(http_door, case, data, _login(case, people), caplog)
        assert status == expected["status"], body
        refused = status >= 400
        violations = body["violations"] if refused else []
        if expected.get("replayed"):
            assert (body, replayed) == (first[1], "true")
        if expected.get("route"):
            assert body["screening"]["route"] == expected["route"]
    else:
        code, stdout, stderr = call_cli(db, tmp_path, case, data)
        refused = expected["status"] >= 400
        assert code == (2 if refused else 0), stderr
        violations = [dict(zip(("field", "rule_id", "message"), m.groups()))
                      for m in map(CLI_VIOLATION.match, stderr.splitlines()) if m]
        if expected.get("replayed"):
            assert stdout == first[1]
        if expected.get("route"):
            from herald.posts.lifecycle import post_status

            assert post_status(db, stdout.strip())["screening"]["route"] == expected["route"]

    if refused:
        assert_readable(violations, case["id"])
        found = [(v["field"], v["rule_id"]) for v in violations]
        assert not _named(found, expected.get("violations", []), door), found
        if "message" in expected:
            assert any(expected["message"] in v["message"] for v in violations), violations
    if refused or expected.get("replayed"):
        assert table_snapshot(db) == snapshot
