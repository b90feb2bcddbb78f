"""Queue and approve (PUB-1, PUB-2, CON-1..CON-10): checks at queue time, chains, hash-bound signatures, expiry, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from builders import small_org, snapshot
from herald.errors import ValidationError
from herald.posts.approval import decide
from herald.posts.lifecycle import edit_post, expire_due, post_status
from herald.posts.model import PostRequest, ReleaseRequest
from herald.posts.queue import queue_post, queue_release

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai, a working day
LATER = NOW + timedelta(days=8)

def _request(**overrides) -> PostRequest:
    base = dict(account_id="WX-OFFICE", author_id="author", title="公司举办安全生产月活动",
                body="<p>本月公司各单位开展安全生产宣传活动。</p>", category="corporate_image", source="公司办公室",
                publish_at=LATER.isoformat())
    base.update(overrides)
    return PostRequest.from_mapping({k: v for k, v in base.items() if v is not None})


_snapshot = snapshot


@pytest.fixture
def org(sqlite_db):
    small_org(sqlite_db)
    return sqlite_db


def _category(db, account="WX-OFFICE") -> str:
    from herald.policy import load_policy

    row = db.fetch_one("posts/account_for_post", account_id=account)
    policy_id = row["policy_id"] if row else "000"
    return next(iter(load_policy(policy_id).content.categories))


def _approve_all(db, post_id, people, via="cli", when=NOW):
    for person in people:
        status = post_status(db, post_id)
        result = decide(db, post_id=post_id, approver_id=person, decision="approved",
                        content_hash=status["content_hash"], via=via, now=when)
    return result


def test_a_post_walks_the_001_chain_through_both_doors_and_an_edit_voids_it(org):
    post_id = queue_post(org, _request(category=_category(org)), now=NOW)
    status = post_status(org, post_id)
    assert status["state"] == "awaiting_approval"
    assert [s["role"] for s in status["chain"]] == ["department_head", "office_proofreader", "confidentiality_head",
                                                    "main_leader"]
    _approve_all(org, post_id, ["dept_head", "proofreader"], via="cli")
    result = _approve_all(org, post_id, ["secrecy", "main_leader"], via="api")
    assert result["state"] == "approved"
    old_hash = post_status(org, post_id)["content_hash"]

    edited = edit_post(org, post_id, editor_id="author", changes={"body": "<p>活动延期至下周。</p>"}, now=NOW)
    assert edited["state"] == "awaiting_approval" and edited["content_hash"] != old_hash
    status = post_status(org, post_id)
    assert [s["status"] for s in status["chain"]] == ["pending", "waiting", "waiting", "waiting"]
    with pytest.raises(ValidationError) as stale:
        decide(org, post_id=post_id, approver_id="dept_head", decision="approved", content_hash=old_hash, via="cli",
               now=NOW)
    assert [(v.field, v.rule_id) for v in stale.value.violations] == [("content_hash", "PUB-1")]
    assert _approve_all(org, post_id, ["dept_head", "proofreader", "secrecy", "main_leader"])["state"] == "approved"
    history = [h["state"] for h in post_status(org, post_id)["history"]]
    assert history.count("approved") == 2 and history[-1] == "approved"


def test_000_subordinate_chain_needs_the_upper_platform_manager(org):
    post_id = queue_post(org, _request(account_id="WB-SUB", author_id="author2", title=None, body="集团新品发布会今日举行 https://example.com/launch",
                                       category=_category(org, "WB-SUB")), now=NOW)
    assert [s["role"] for s in post_status(org, post_id)["chain"]] == ["supervising_leader", "upper_platform_manager"]
    assert _approve_all(org, post_id, ["leader", "upper"])["state"] == "approved"


def test_self_approval_forged_approver_and_rejection_without_reason_are_refused(org):
    post_id = queue_post(org, _request(account_id="WB-GROUP", author_id="leader", title=None, body="集团年度工作会议召开 https://example.com/meeting",
                                       category=_category(org, "WB-GROUP")), now=NOW)
    content_hash = post_status(org, post_id)["content_hash"]
    before = _snapshot(org)
    with pytest.raises(ValidationError) as own:
        decide(org, post_id=post_id, approver_id="leader", decision="approved", content_hash=content_hash, via="cli", now=NOW)
    assert ("approver_id", "PUB-2") in [(v.field, v.rule_id) for v in own.value.violations]
    assert any("自己" in v.message for v in own.value.violations)
    with pytest.raises(ValidationError) as forged:
        decide(org, post_id=post_id, approver_id="outsider", decision="approved", content_hash=content_hash, via="api", now=NOW)
    assert [(v.field, v.rule_id) for v in forged.value.violations] == [("approver_id", "PUB-2")]
    with pytest.raises(ValidationError) as no_reason:
        decide(org, post_id=post_id, approver_id="competent", decision="rejected", content_hash=content_hash, via="cli", now=NOW)
    assert ("reason", "PUB-2") in [(v.field, v.rule_id) for v in no_reason.value.violations]
    assert _snapshot(org) == before


def test_rejection_carries_its_reason_and_resubmission_restarts(org):
    post_id = queue_post(org, _request(account_id="WX-SUB", author_id="author2", category=_category(org, "WX-SUB")), now=NOW)
    content_hash = post_status(org, post_id)["content_hash"]
    result = decide(org, post_id=post_id, approver_id="unit_head", decision="rejected", content_hash=content_hash,
                    via="cli", reason="数据来源需核实", now=NOW)
    assert result["state"] == "rejected" and "数据来源需核实" in result["reason"]
    edited = edit_post(org, post_id, editor_id="author2", changes={"source": "华夏能源销售有限公司市场部"}, now=NOW)
    assert edited["state"] == "awaiting_approval"


def test_an_unapproved_post_expires_visibly_with_a_finding(org):
    post_id = queue_post(org, _request(category=_category(org)), now=NOW)
    assert expire_due(org, now=LATER - timedelta(seconds=1), detected_by="test") == []
    assert expire_due(org, now=LATER, detected_by="test") == [post_id]
    status = post_status(org, post_id)
    assert status["state"] == "expired" and "过期" in status["reason"]
    findings = org.fetch("findings/open")
    assert [(f["rule_id"], f["subject_id"]) for f in findings] == [("PUB-1", post_id)]
    assert expire_due(org, now=LATER, detected_by="test") == []  # idempotent


def test_confidential_hit_routes_to_the_confidentiality_step(org):
    body = "本季度内部经济技术指标暂不公开，请勿外传。绝密"
    post_id = queue_post(org, _request(account_id="WB-GROUP", author_id="author2", title=None, body=body[-20:] + " https://example.com/q1",
                                       category=_category(org, "WB-GROUP")), now=NOW)
    status = post_status(org, post_id)
    assert status["screening"]["route"] == "confidentiality_review"
    assert [s["role"] for s in status["chain"]] == ["competent_department_head", "supervising_leader"]


def test_matrix_release_with_variants_is_all_or_nothing(org):
    category = _category(org, "WB-GROUP")
    release = ReleaseRequest(
        account_ids=("WB-GROUP", "WX-GROUP", "QQ-SUB"),
        base={"author_id": "author2", "title": "集团品牌日", "body": "<p>集团品牌日活动全文</p>", "category": category,
              "source": "集团行政中心", "publish_at": LATER.isoformat()},
        variants={"weibo": {"title": None, "body": "集团品牌日今天开幕 https://example.com/brand"},
                  "qq": {"title": None, "body": "集团品牌日今天开幕，欢迎转发"}},
    )
    release_id, post_ids = queue_release(org, release, now=NOW)
    assert len(post_ids) == 3
    bodies = {post_status(org, p)["account_id"]: org.fetch_one("posts/post", post_id=p)["body"] for p in post_ids}
    assert bodies["WB-GROUP"].startswith("集团品牌日今天开幕") and bodies["WX-GROUP"].startswith("<p>")

    before = _snapshot(org)
    bad = ReleaseRequest(("WB-GROUP", "NO-SUCH", "WB-SUSPENDED"), release.base, release.variants)
    with pytest.raises(ValidationError) as refused:
        queue_release(org, bad, now=NOW)
    fields = {(v.field, v.rule_id) for v in refused.value.violations}
    assert ("accounts[1].account_id", "ACC-1") in fields and ("accounts[2].account_id", "ACC-1") in fields
    assert _snapshot(org) == before


LONG_WEIBO = "集" * 141
GAMBLING = "欢迎参加网络赌博活动"


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"account_id": None}, ("account_id", "ACC-1")),
        ({"body": ""}, ("body", "CON-1")),
        ({"publish_at": "2026-03-10 09:00"}, ("publish_at", "CON-10")),
        ({"publish_at": "next tuesday"}, ("publish_at", "CON-10")),
        ({"account_id": "NO-SUCH"}, ("account_id", "ACC-1")),
        ({"account_id": "WB-SUSPENDED", "title": None}, ("account_id", "ACC-1")),
        ({"author_id": "ghost"}, ("author_id", "PUB-3")),
        ({"category": None}, ("category", "CON-1")),
        ({"category": "lottery"}, ("category", "CON-1")),
        ({"source": " "}, ("source", "CON-2")),
        ({"account_id": "WB-GROUP", "title": None, "body": LONG_WEIBO}, ("body", "CON-7")),
        ({"media": [{"kind": "image", "filename": "a.png", "size_bytes": 2_000_000, "sha256": "0" * 64}]}, ("media[0]", "CON-8")),
        ({"media": [{"kind": "video", "filename": "a.mp4", "size_bytes": 600 * 2**20, "sha256": "0" * 64}]}, ("media[0]", "CON-8")),
        ({"publish_at": (NOW + timedelta(days=2)).isoformat()}, ("publish_at", "CON-10")),
        ({"kind": "mass_send", "account_id": "WB-GROUP"}, ("kind", "CON-9")),
        ({"body": GAMBLING}, ("body", "CON-4")),
        ({"body": "<p><a href=\"&#106;avascript:steal()\">点我</a></p>"}, ("body", "CON-4")),
        ({"title": "<script>alert(1)</script>"}, ("title", "CON-4")),
        ({"body": "<p onclick=\"steal()\">点我</p>"}, ("body", "CON-4")),
        ({"category": "<b>x</b>"}, ("category", "CON-4")),
        ({"colour": "red"}, ("colour", "CON-1")),
    ],
)
def test_bad_input_is_refused_naming_field_and_rule_with_nothing_written(org, overrides, expected):
    if "category" not in overrides:
        overrides = {"category": _category(org, overrides.get("account_id") or "WX-OFFICE"), **overrides}
    before = _snapshot(org)
    with pytest.raises(ValidationError) as refused:
        request = PostRequest.from_mapping({k: v for k, v in {
            "account_id": "WX-OFFICE", "author_id": "author", "title": "标题", "body": "<p>正文</p>",
            "source": "公司办公室", "publish_at": LATER.isoformat(), **overrides}.items() if v is not None})
        queue_post(org, request, now=NOW)
    found = [(v.field.split(".")[0] if v.field.startswith("media") else v.field, v.rule_id) for v in refused.value.violations]
    field, rule = expected
    assert any(f.startswith(field) and r == rule for f, r in found), refused.value.violations
    assert all(v.message for v in refused.value.violations)
    assert _snapshot(org) == before


def test_every_violation_is_reported_at_once(org):
    with pytest.raises(ValidationError) as refused:
        queue_post(org, _request(category="nope", source="", body=GAMBLING,
                                 publish_at=(NOW + timedelta(days=1)).isoformat()), now=NOW)
    rules = {v.rule_id for v in refused.value.violations}
    assert {"CON-1", "CON-2", "CON-4", "CON-10"} <= rules


def test_gambling_hit_names_the_term_and_its_position(org):
    with pytest.raises(ValidationError) as refused:
        queue_post(org, _request(category=_category(org), body="欢迎参加网 络 賭 博活动"), now=NOW)
    message = next(v.message for v in refused.value.violations if v.rule_id == "CON-4")
    assert "赌博" in message and "第" in message
