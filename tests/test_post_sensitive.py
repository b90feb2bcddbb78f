"""Sensitive topics (CON-5) and paid reposts (CON-6) as steps of a post's chain, on PostgreSQL.

A post marked (or screened) as a major event, emergency, social hot spot or sensitive topic gets the competent
department's authorisation step; a paid repost walks the creation chain's steps, answered by whoever answers that
step of an account application. Both are ordinary steps of the stored chain: bound to the content hash, voided by
an edit, and required by dispatch (PUB-1).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from builders import insert, small_org, snapshot
from herald.boundary import PostIn
from herald.boundary.refusals import parse_request
from herald.dispatch.claim import claim
from herald.errors import ValidationError
from herald.policy import load_policy
from herald.posts.approval import decide
from herald.posts.approval_requests import AskedStep, pending_steps, prepare_request
from herald.posts.lifecycle import edit_post, post_status
from herald.posts.marked import audit_rows
from herald.posts.model import PostRequest, content_hash
from herald.posts.queue import queue_post

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai, a working day
LATER = NOW + timedelta(days=8)
CREATION_000 = ["creation:applying_department", "creation:admin_center", "creation:gm_office", "creation:finance_center"]


@pytest.fixture
def org(pg_db):
    return _org(pg_db)


@pytest.fixture
def org_any(any_db):
    """The same organisation on PostgreSQL and on SQLite (the chain's SQL is one text for both)."""
    return _org(any_db)


def _org(pg_db):
    """small_org plus the group's departments that answer the creation chain of 000 (ACC-2), each with its head."""
    small_org(pg_db)
    for unit_id, name, function in (("G-ADMIN", "集团行政中心", "admin_center"), ("G-GMO", "总经办", "gm_office"),
                                    ("G-FIN", "财务中心", "finance_center")):
        insert(pg_db, "org_units", unit_id=unit_id, name=name, kind="department", parent_id="G", policy_id="000",
               function_code=function, created_at=datetime(2025, 1, 1, tzinfo=UTC))
    heads = {"g_head": ("褚集团", "G", "G"), "admin_head": ("韩行政", "G-ADMIN", "G-ADMIN"),
             "gmo_head": ("杨总经办", "G-GMO", "G-GMO"), "fin_head": ("秦财务", "G-FIN", "G-FIN")}
    for index, (person_id, (name, unit, held_for)) in enumerate(heads.items()):
        insert(pg_db, "people", person_id=person_id, name=name, unit_id=unit, login=person_id.replace("_", "."),
               is_active=True)
        insert(pg_db, "role_assignments", assignment_id=f"RA-H{index}", person_id=person_id, role="host_unit_head",
               unit_id=held_for, account_id=None, valid_from_on=date(2024, 1, 1))
    return pg_db


def _request(**overrides) -> PostRequest:
    base = dict(account_id="WX-GROUP", author_id="author2", title="集团召开年度工作会议",
                body="<p>集团召开年度工作会议，部署全年重点工作。</p>", category="business_promotion", source="集团行政中心",
                publish_at=LATER.isoformat())
    base.update(overrides)
    return PostRequest.from_mapping({k: v for k, v in base.items() if v is not None})


def _roles(db, post_id) -> list[str]:
    return [step["role"] for step in post_status(db, post_id)["chain"]]


def _approve(db, post_id, approver, when=NOW):
    return decide(db, post_id=post_id, approver_id=approver, decision="approved",
                  content_hash=post_status(db, post_id)["content_hash"], via="cli", now=when)


def test_a_marked_post_needs_the_competent_departments_authorisation_before_dispatch(org):
    post_id = queue_post(org, _request(sensitive_marks=["major_event"]), now=NOW)
    assert _roles(org, post_id) == ["competent_department_head", "supervising_leader"]
    status = post_status(org, post_id)
    assert status["sensitive_marks"] == ["major_event"]
    assert "CON-5" in status["chain"][0]["purpose"] and "重大事件" in status["chain"][0]["purpose"]

    # The supervising leader cannot sign in the competent department's place, and nothing is written.
    before = snapshot(org)
    with pytest.raises(ValidationError) as refused:
        _approve(org, post_id, "leader")
    assert ("approver_id", "CON-5") in [(v.field, v.rule_id) for v in refused.value.violations]
    assert snapshot(org) == before

    # Forced into "approved" without the authorisation (as a bad write would), dispatch refuses it (PUB-1).
    with org.engine.begin() as conn:
        import sqlalchemy as sa

        conn.execute(sa.text("UPDATE posts SET state = 'approved' WHERE post_id = :p"), {"p": post_id})
    refused_claim = claim(org, post_id, now=LATER)
    assert not refused_claim.claimed and "审批链未完成" in refused_claim.reason and "PUB-1" in refused_claim.reason
    assert post_status(org, post_id)["state"] == "failed"


def test_the_authorised_post_completes_and_an_edit_voids_both_signatures(org):
    post_id = queue_post(org, _request(sensitive_marks=["emergency", "social_hot_spot"]), now=NOW)
    assert _approve(org, post_id, "competent")["state"] == "awaiting_approval"
    assert _approve(org, post_id, "leader")["state"] == "approved"
    old_hash = post_status(org, post_id)["content_hash"]

    edited = edit_post(org, post_id, editor_id="author2", changes={"body": "<p>会议改期。</p>"}, now=NOW)
    assert edited["state"] == "awaiting_approval" and edited["content_hash"] != old_hash
    assert [s["status"] for s in post_status(org, post_id)["chain"]] == ["pending", "waiting"]
    with pytest.raises(ValidationError) as stale:
        decide(org, post_id=post_id, approver_id="competent", decision="approved", content_hash=old_hash, via="cli",
               now=NOW)
    assert ("content_hash", "PUB-1") in [(v.field, v.rule_id) for v in stale.value.violations]

    # Dropping the marks is a change of content too: the hash moves and the chain loses its step.
    marked_hash = post_status(org, post_id)["content_hash"]
    edited = edit_post(org, post_id, editor_id="author2", changes={"sensitive_marks": []}, now=NOW)
    assert edited["content_hash"] != marked_hash and edited["state"] == "awaiting_approval"
    assert _roles(org, post_id) == ["supervising_leader"]


def test_a_post_screened_as_sensitive_gets_the_step_without_a_mark(org):
    post_id = queue_post(org, _request(body="<p>关于近期突发事件的情况通报。</p>"), now=NOW)
    assert _roles(org, post_id) == ["competent_department_head", "supervising_leader"]
    status = post_status(org, post_id)
    assert status["sensitive_marks"] == []
    assert status["screening"]["chain_reasons"]["sensitive_terms"] == ["突发事件"]
    assert "命中“突发事件”" in status["chain"][0]["purpose"]
    # Routed to the competent department's head in Airflow's Required Actions (the HITL request).
    asked = AskedStep(post_id, status["content_hash"], 1)
    assert asked in pending_steps(org, NOW)
    request = prepare_request(org, asked, NOW)
    assert [u["id"] for u in request.assigned_users] == ["wei.xingzheng"]
    assert "本步事由" in request.body and "CON-5" in request.body
    assert _approve(org, post_id, "competent")["state"] == "awaiting_approval"
    assert _approve(org, post_id, "leader")["state"] == "approved"


def test_a_paid_repost_walks_the_creation_chain(org_any):
    org = org_any
    post_id = queue_post(org, _request(paid_repost=True, source="华夏能源报（付费转载）"), now=NOW)
    assert _roles(org, post_id) == [*CREATION_000, "supervising_leader"]
    status = post_status(org, post_id)
    assert [s["role_label"] for s in status["chain"][:4]] == [
        "申请部门（相关部门审批）（开通审批流程）", "集团行政中心（开通审批流程）", "总经办（开通审批流程）", "财务中心（开通审批流程）"]

    # Each creation step goes to whoever answers it for an account application (creation_approval).
    expected = ["g_head", "admin_head", "gmo_head", "fin_head", "leader"]
    for step_no, approver in enumerate(expected, start=1):
        asked = AskedStep(post_id, post_status(org, post_id)["content_hash"], step_no)
        request = prepare_request(org, asked, NOW)
        assert [u["id"] for u in request.assigned_users] == [org.fetch_one("posts/person", person_id=approver)["login"]]
        if step_no == 3:  # someone else's step is refused with the rule of the step
            with pytest.raises(ValidationError) as wrong:
                _approve(org, post_id, "fin_head")
            assert ("approver_id", "CON-6") in [(v.field, v.rule_id) for v in wrong.value.violations]
        result = _approve(org, post_id, approver)
    assert result["state"] == "approved"

    rows = audit_rows(org, "WX-GROUP", NOW, LATER + timedelta(days=1))
    assert [(r["rule_id"], r["role"], r["signed_by"]) for r in rows] == [
        ("CON-6", "creation:applying_department", "褚集团"), ("CON-6", "creation:admin_center", "韩行政"),
        ("CON-6", "creation:gm_office", "杨总经办"), ("CON-6", "creation:finance_center", "秦财务")]
    assert audit_rows(org, "WB-GROUP", NOW, LATER + timedelta(days=1)) == []


def test_a_sensitive_paid_repost_is_authorised_by_the_competent_departments_creation_step(org):
    """000's creation chain passes 集团行政中心, the competent department: that step is the authorisation too."""
    post_id = queue_post(org, _request(paid_repost=True, sensitive_marks=["sensitive_topic"]), now=NOW)
    assert _roles(org, post_id) == [*CREATION_000, "supervising_leader"]
    purposes = [s["purpose"] for s in post_status(org, post_id)["chain"]]
    assert "CON-5" in purposes[1] and "CON-6" in purposes[1] and "CON-5" not in purposes[0]
    for approver in ("g_head", "admin_head", "gmo_head", "fin_head", "leader"):
        result = _approve(org, post_id, approver)
    assert result["state"] == "approved"
    rows = audit_rows(org, None, NOW, LATER + timedelta(days=1))
    assert [r["rule_id"] for r in rows] == ["CON-6", "CON-5, CON-6", "CON-6", "CON-6"]


def test_a_rebuilt_chain_does_not_count_signatures_given_for_another_role(org):
    """Same content, new chain (the lexicon now screens it as sensitive): the old step-1 signature was for the
    supervising leader, not for the authorisation now at step 1, so the post waits again."""
    default = load_policy("000")
    lenient = dataclasses.replace(default, sensitive_topics=dataclasses.replace(default.sensitive_topics,
                                                                                screened_categories=()))
    post_id = queue_post(org, _request(body="<p>关于近期突发事件的情况通报。</p>"), now=NOW, policy_for=lambda _: lenient)
    assert _roles(org, post_id) == ["supervising_leader"]
    assert _approve(org, post_id, "leader")["state"] == "approved"

    edited = edit_post(org, post_id, editor_id="author2", changes={"publish_at": (LATER + timedelta(hours=1)).isoformat()},
                       now=NOW)
    assert edited["state"] == "awaiting_approval"
    status = post_status(org, post_id)
    assert [(s["role"], s["status"]) for s in status["chain"]] == [("competent_department_head", "pending"),
                                                                    ("supervising_leader", "waiting")]


def test_marks_are_part_of_the_content_hash_and_an_unmarked_hash_is_unchanged():
    plain = _request()
    marked = _request(sensitive_marks=["major_event"])
    paid = _request(paid_repost=True)
    assert len({content_hash(plain), content_hash(marked), content_hash(paid)}) == 3
    # Canonical order: the same marks in another order are the same content.
    assert content_hash(_request(sensitive_marks=["emergency", "major_event"])) == content_hash(
        _request(sensitive_marks=["major_event", "emergency"]))
    assert content_hash(plain) == content_hash(_request(sensitive_marks=[], paid_repost=False))


@pytest.mark.parametrize(("fields", "expected"), [
    ({"sensitive_marks": ["rumour"]}, [("sensitive_marks[0]", "CON-5")]),
    ({"sensitive_marks": ["major_event", "major_event"]}, [("sensitive_marks[1]", "CON-5")]),
    ({"sensitive_marks": "major_event"}, [("sensitive_marks", "CON-5")]),
    ({"paid_repost": "yes"}, [("paid_repost", "CON-6")]),
])
def test_bad_marks_are_refused_in_the_domain(fields, expected):
    with pytest.raises(ValidationError) as refused:
        _request(**fields)
    assert [(v.field, v.rule_id) for v in refused.value.violations] == expected
    assert all(v.message for v in refused.value.violations)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"sensitive_marks": ["hot"]}, ("sensitive_marks[0]", "CON-5", "取值“hot”无效")),
    ({"paid_repost": "true"}, ("paid_repost", "CON-6", "只能是 true 或 false")),
    ({"paid_repost": 1}, ("paid_repost", "CON-6", "只能是 true 或 false")),
])
def test_bad_marks_are_refused_at_the_door_in_chinese(fields, expected):
    document = {"account_id": "WX-GROUP", "body": "正文", "publish_at": LATER.isoformat(), **fields}
    with pytest.raises(ValidationError) as refused:
        parse_request(PostIn, json.dumps(document, ensure_ascii=False))
    field, rule, message = expected
    assert [(v.field, v.rule_id) for v in refused.value.violations] == [(field, rule)]
    assert message in refused.value.violations[0].message
    good = parse_request(PostIn, json.dumps({**document, "sensitive_marks": ["major_event"], "paid_repost": True}))
    assert good.to_domain(author_id="author2").sensitive_marks == ("major_event",)


def test_a_policy_without_the_sections_refuses_such_posts_and_stores_nothing(org):
    default = load_policy("000")
    bare = dataclasses.replace(default, sensitive_topics=None, paid_repost=None)
    before = snapshot(org)
    with pytest.raises(ValidationError) as refused:
        queue_post(org, _request(sensitive_marks=["emergency"], paid_repost=True), now=NOW, policy_for=lambda _: bare)
    assert [(v.field, v.rule_id) for v in refused.value.violations] == [("sensitive_marks", "CON-5"),
                                                                         ("paid_repost", "CON-6")]
    assert snapshot(org) == before


@pytest.mark.pg
def test_the_queue_form_and_the_json_door_take_the_marks(api, pg_db):
    import re

    client = api("zhou.yunying")
    due = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)  # the door judges lead time by the clock
    page = client.get("/pages/queue").text
    assert 'name="mark_major_event"' in page and 'name="paid_repost"' in page and "重大事件" in page
    tokens = dict(re.findall(r'<input type="hidden" name="(csrf_token|idempotency_key)" value="([^"]*)"', page))
    form = {"account_id": "WB-GROUP", "title": "", "body": "集团年会将于下周举行 https://example.com/meeting",
            "category": "business_promotion", "source": "集团行政中心", "publish_at": (due + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
            "urgency": "regular", "kind": "article"}
    bad = client.post("/pages/queue", data={**tokens, **form, "mark_rumour": "true"}, follow_redirects=False)
    assert bad.status_code == 422 and "CON-5" in bad.text and "取值“rumour”无效" in bad.text
    answer = client.post("/pages/queue", data={**tokens, **form, "mark_emergency": "true", "paid_repost": "true"},
                         follow_redirects=False)
    assert answer.status_code == 303, re.findall(r"<li>(.*?)</li>", answer.text)
    post_id = answer.headers["location"].rstrip("/").rsplit("/", 1)[-1]
    assert post_status(pg_db, post_id)["sensitive_marks"] == ["emergency"]
    assert _roles(pg_db, post_id) == [*CREATION_000, "supervising_leader"]
    shown = client.get(f"/pages/posts/{post_id}").text
    assert "提交人标记：突发事件、转载付费信息" in shown and "总经办（开通审批流程）" in shown and "CON-6" in shown

    door = client.post("/posts", json={**form, "publish_at": due.isoformat(), "sensitive_marks": ["major_event"]})
    assert door.status_code == 201, door.text
    assert _roles(pg_db, door.json()["post_id"]) == ["competent_department_head", "supervising_leader"]


def test_the_competent_head_held_for_a_unit_covers_the_units_below_it_nearest_first(org):
    """ORG-2, as the digests route: the holder for the nearest unit enclosing the host unit is asked."""
    from herald.posts.approval import role_holders

    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    insert(org, "org_units", unit_id="SUB-MKT", name="市场营销部", kind="department", parent_id="SUB", policy_id="002",
           function_code="business", created_at=t0)
    insert(org, "accounts", account_id="WB-MKT", platform="weibo", name="华夏能源销售市场部微博", host_unit_id="SUB-MKT",
           level="group", state="active", policy_id="002", created_at=t0, updated_at=t0)
    with org.engine.begin() as conn:
        import sqlalchemy as sa

        conn.execute(sa.text("DELETE FROM role_assignments WHERE role = 'competent_department_head'"))
    for index, (person_id, unit_id) in enumerate((("admin_head", "G"), ("ent_head", "SUB"))):
        insert(org, "role_assignments", assignment_id=f"RA-C{index}", person_id=person_id,
               role="competent_department_head", unit_id=unit_id, account_id=None, valid_from_on=date(2024, 1, 1))
    on = date(2026, 3, 2)
    with org.transaction() as tx:
        assert [h["person_id"] for h in role_holders(tx, "WB-MKT", "competent_department_head", on)] == ["ent_head"]
        assert [h["person_id"] for h in role_holders(tx, "WX-GROUP", "competent_department_head", on)] == ["admin_head"]
        assert role_holders(tx, "WB-MKT", "unit_head", on) == []  # other roles stay exact: held for SUB, not SUB-MKT


def test_the_packs_sections_are_checked(tmp_path):
    """A paid repost's steps are creation_chain steps in its order with an approver; the authoriser is a defined role."""
    from herald.policy import PolicyError
    from herald.policy.loader import PACKS_DIR

    text = (PACKS_DIR / "000.yaml").read_text(encoding="utf-8")
    assert "  steps: [applying_department, admin_center, gm_office, finance_center]\n" in text
    bad = text.replace("  steps: [applying_department, admin_center, gm_office, finance_center]\n",
                       "  steps: [gm_office, admin_center, press_office]\n")
    bad = bad.replace("  authorising_role: competent_department_head\n", "  authorising_role: press_spokesman\n")
    path = tmp_path / "000.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    text = str(refused.value)
    assert "paid_repost.steps[1]" in text and "before the previous step" in text
    assert "paid_repost.steps[2]" in text and "'press_office' is not a creation_chain step" in text
    assert "sensitive_topics.authorising_role" in text and "press_spokesman" in text
