"""PUB-7, the coordinated matrix: one official item queued on many registered accounts as one release.

Each account gets its own post (the platform's variant of the item, its own approval chain by the account's
level), all stored under one release id, or none at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from builders import small_org
from herald.errors import ValidationError
from herald.posts.approval import decide
from herald.posts.lifecycle import post_status
from herald.posts.model import ReleaseRequest
from herald.posts.queue import queue_release

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai, a working day
LATER = NOW + timedelta(days=8)
ACCOUNTS = ("WB-GROUP", "WB-SUB", "WX-GROUP", "QQ-SUB")  # all under pack 000: two levels, three platforms
WEIBO_TEXT = "集团品牌日今天开幕，欢迎关注 https://example.com/brand"
QQ_TEXT = "集团品牌日今天开幕，欢迎转发"  # QQ takes plain text only
ARTICLE = "<p>集团品牌日活动全文</p>"


@pytest.fixture
def org(sqlite_db):
    small_org(sqlite_db)
    return sqlite_db


def _release(account_ids=ACCOUNTS) -> ReleaseRequest:
    from herald.policy import load_policy

    category = next(iter(load_policy("000").content.categories))
    return ReleaseRequest(
        account_ids=tuple(account_ids),
        base={"author_id": "author2", "title": "集团品牌日", "body": ARTICLE, "category": category,
              "source": "集团行政中心", "publish_at": LATER.isoformat()},
        variants={"weibo": {"title": None, "body": WEIBO_TEXT}, "qq": {"title": None, "body": QQ_TEXT}},
    )


def _post_count(db) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM posts")).scalar_one()


def test_pub_7_a_release_is_one_post_per_account_under_one_release_id(org):
    release_id, post_ids = queue_release(org, _release(), now=NOW)

    rows = [org.fetch_one("posts/post", post_id=p) for p in post_ids]
    assert [r["account_id"] for r in rows] == list(ACCOUNTS) and len(set(post_ids)) == len(ACCOUNTS)
    assert {r["release_id"] for r in rows} == {release_id}
    bodies = {r["account_id"]: r["body"] for r in rows}
    assert bodies == {"WB-GROUP": WEIBO_TEXT, "WB-SUB": WEIBO_TEXT, "QQ-SUB": QQ_TEXT,  # each platform's variant
                      "WX-GROUP": ARTICLE}  # the base item where no variant is given
    statuses = [post_status(org, p) for p in post_ids]
    chains = {status["account_id"]: [step["role"] for step in status["chain"]] for status in statuses}
    assert chains == {
        "WB-GROUP": ["supervising_leader"],
        "WX-GROUP": ["supervising_leader"],
        "WB-SUB": ["supervising_leader", "upper_platform_manager"],
        "QQ-SUB": ["supervising_leader", "upper_platform_manager"],
    }
    assert _post_count(org) == len(ACCOUNTS)


def test_pub_7_each_post_of_a_release_is_approved_on_its_own(org):
    _, post_ids = queue_release(org, _release(), now=NOW)
    group, subordinate = post_ids[0], post_ids[1]

    status = post_status(org, group)
    decide(org, post_id=group, approver_id="leader", decision="approved", content_hash=status["content_hash"],
           via="cli", now=NOW)

    assert post_status(org, group)["state"] == "approved"
    assert [s["status"] for s in post_status(org, subordinate)["chain"]] == ["pending", "waiting"]
    assert {post_status(org, p)["state"] for p in post_ids[1:]} == {"awaiting_approval"}


def test_pub_7_a_release_without_accounts_is_refused(org):
    with pytest.raises(ValidationError) as refused:
        queue_release(org, _release(account_ids=()), now=NOW)

    assert [(v.field, v.rule_id) for v in refused.value.violations] == [("account_ids", "PUB-7")]
    assert _post_count(org) == 0


def test_pub_7_one_bad_account_stores_no_post_of_the_release(org):
    with pytest.raises(ValidationError) as refused:
        queue_release(org, _release(account_ids=("WB-GROUP", "NO-SUCH", "WX-GROUP")), now=NOW)

    assert [(v.field, v.rule_id) for v in refused.value.violations] == [("accounts[1].account_id", "ACC-1")]
    assert _post_count(org) == 0
