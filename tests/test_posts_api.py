"""The HTTP door (Airflow api-server plugin) and the CLI door share one record (PUB-1, PUB-2; on PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from builders import small_org

pytestmark = [pytest.mark.pg, pytest.mark.integrity]

NOW = datetime.now(UTC)
PUBLISH = (NOW + timedelta(days=9)).replace(microsecond=0)


# The CLI on the database directly is an administrator's override (the signed-in way: tests/test_cli_login.py).
OVERRIDE = ("--admin-override", "--override-reason", "测试：管理员补录")


def _cli(pg_url, *argv) -> int:
    from herald.__main__ import main

    return main(["--db", pg_url, *argv])


def test_matrix_release_through_the_api_then_the_001_chain_through_both_doors(api, pg_db, pg_url, capsys):
    from herald.policy import load_policy

    category = next(iter(load_policy("001").content.categories))
    response = api("li.xinxi").post("/releases", json={
        "account_ids": ["WX-OFFICE", "WB-GROUP"],
        "base": {"title": "公司开放日", "body": "<p>公司开放日活动介绍</p>", "category": category,
                 "source": "公司办公室", "publish_at": PUBLISH.isoformat()},
        "variants": {"weibo": {"title": None, "body": "公司开放日欢迎参观 https://example.com/open",
                               "category": next(iter(load_policy("000").content.categories))}},
    })
    assert response.status_code == 201, response.text
    post_ids = response.json()["post_ids"]
    wechat_post = next(p for p in post_ids if pg_db.fetch_one("posts/post", post_id=p)["account_id"] == "WX-OFFICE")
    status = api("li.xinxi").get(f"/posts/{wechat_post}").json()
    assert status["screening"]["route"] is None and status["state"] == "awaiting_approval"
    content_hash = status["content_hash"]

    # step 1 through the API, step 2 through the CLI, steps 3-4 through the API
    assert api("wang.buzhang").post(f"/posts/{wechat_post}/decisions",
                                   json={"decision": "approved", "content_hash": content_hash}).status_code == 200
    assert _cli(pg_url, "post", "approve", wechat_post, "--content-hash", content_hash, *OVERRIDE,
                "--as-person", "proofreader") == 0
    for login in ("qian.baomi", "sun.zong"):
        reply = api(login).post(f"/posts/{wechat_post}/decisions", json={"decision": "approved", "content_hash": content_hash})
        assert reply.status_code == 200, reply.text
    assert api("li.xinxi").get(f"/posts/{wechat_post}").json()["state"] == "approved"
    doors = [d["via"] for d in api("li.xinxi").get(f"/posts/{wechat_post}").json()["decisions"]]
    assert doors == ["api", "cli", "api", "api"]

    # an edit through the API voids every signature; the CLI sees it at once
    edited = api("li.xinxi").patch(f"/posts/{wechat_post}", json={"body": "<p>开放日改为下午举行</p>"})
    assert edited.status_code == 200 and edited.json()["state"] == "awaiting_approval"
    capsys.readouterr()
    assert _cli(pg_url, "post", "show", wechat_post, *OVERRIDE) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "awaiting_approval" and shown["content_hash"] != content_hash
    new_hash = shown["content_hash"]
    for login in ("wang.buzhang", "zhao.hegao", "qian.baomi", "sun.zong"):
        assert api(login).post(f"/posts/{wechat_post}/decisions",
                               json={"decision": "approved", "content_hash": new_hash}).status_code == 200
    assert api("li.xinxi").get(f"/posts/{wechat_post}").json()["state"] == "approved"


def test_api_refuses_forgery_and_unknown_users_with_422(api, pg_db):
    from herald.policy import load_policy

    category = next(iter(load_policy("000").content.categories))
    body = {"account_id": "WB-GROUP", "body": "集团年会 https://example.com/meeting", "category": category, "source": "集团行政中心",
            "publish_at": PUBLISH.isoformat()}
    forged = api("li.xinxi").post("/posts", json={**body, "author_id": "leader"})
    assert forged.status_code == 422
    assert forged.json()["violations"][0]["field"] == "author_id"
    unknown = api("nobody").post("/posts", json=body)
    assert unknown.status_code == 422 and unknown.json()["violations"][0]["rule_id"] == "PUB-3"
    created = api("zhou.yunying").post("/posts", json=body)
    assert created.status_code == 201
    post_id, content_hash = created.json()["post_id"], created.json()["content_hash"]
    in_name_of_other = api("zhou.yunying").post(f"/posts/{post_id}/decisions", json={
        "decision": "approved", "content_hash": content_hash, "approver_id": "leader"})
    assert in_name_of_other.status_code == 422
    assert pg_db.fetch("posts/approvals", post_id=post_id) == []


def test_cli_refusal_prints_every_violation_and_exits_2(pg_db, pg_url, tmp_path, capsys):
    small_org(pg_db)
    request = tmp_path / "post.json"
    request.write_text(json.dumps({"account_id": "NO-SUCH", "author_id": "author", "body": "x",
                                   "publish_at": PUBLISH.isoformat()}), encoding="utf-8")
    assert _cli(pg_url, "post", "queue", str(request), *OVERRIDE, "--as-person", "author") == 2
    err = capsys.readouterr().err
    assert "account_id [ACC-1]" in err
