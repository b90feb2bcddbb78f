"""Delegated access for activities (PUB-6, 002 art.12) on PostgreSQL: apply, grant, use inside, refused outside, revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from builders import insert, small_org, table_snapshot
from herald.accounts import delegations
from herald.errors import ValidationError
from herald.posts.model import PostRequest
from herald.posts.queue import queue_post

NOW = datetime(2026, 5, 6, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, a Wednesday
START, END = NOW + timedelta(hours=1), NOW + timedelta(hours=9)


@pytest.fixture
def org(pg_db):
    small_org(pg_db)
    insert(pg_db, "people", person_id="sub_staff", name="沈活动", unit_id="SUB", login="shen.huodong", is_active=True)
    return pg_db


def post(author: str, publish_at: datetime) -> PostRequest:
    return PostRequest(account_id="WB-GROUP", author_id=author, body="直播进行中：欢迎参与安全知识有奖问答 https://herald.example.com/live",
                       publish_at=publish_at, category="image", source="销售公司", kind="text", urgency="urgent")


def rows(db, sql):
    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql)).all()


def granted(db) -> str:
    made = delegations.apply(db, "WB-GROUP", unit_id="SUB", activity_kind="live", title="安全知识直播", window_start_at=START,
                             window_end_at=END, people=["sub_staff", "outsider"], applied_by="sub_staff", now=NOW)
    assert made["state"] == "applied"
    assert delegations.decide(db, made["delegation_id"], approver_id="competent", decision="granted", now=NOW)["state"] == "granted"
    return made["delegation_id"]


def test_a_granted_delegation_accepts_its_people_only_inside_the_window(org):
    from herald.posts.policies import default_policy_for

    policy = default_policy_for("000")
    category = next(iter(policy.content.categories))
    delegation_id = granted(org)
    inside = START + timedelta(minutes=30)

    def request(author, at):
        return PostRequest(account_id="WB-GROUP", author_id=author, body="活动进行中：欢迎参与安全知识有奖问答 https://herald.example.com/live",
                           publish_at=at, category=category, source="华夏能源销售有限公司", kind="text", urgency="urgent")

    # Before the window opens nothing is accepted, even for a publish time inside it.
    with pytest.raises(ValidationError) as early:
        delegations.queue_delegated_post(org, delegation_id, request("sub_staff", inside), now=NOW)
    assert ("delegation_id", "PUB-6") in {(v.field, v.rule_id) for v in early.value.violations}
    # Inside: accepted, linked to the delegation, on the account's regular approval chain.
    during = START + timedelta(minutes=5)
    post_id = delegations.queue_delegated_post(org, delegation_id, request("sub_staff", inside), now=during)
    assert rows(org, f"SELECT delegation_id FROM delegation_posts WHERE post_id = '{post_id}'") == [(delegation_id,)]
    assert rows(org, f"SELECT state, author_id, policy_id FROM posts WHERE post_id = '{post_id}'") == [
        ("awaiting_approval", "sub_staff", "000")]
    # A publish time outside the window, someone not named, and the regular queue: refused.
    with pytest.raises(ValidationError) as outside:
        delegations.queue_delegated_post(org, delegation_id, request("sub_staff", END + timedelta(minutes=1)), now=during)
    assert [(v.field, v.rule_id) for v in outside.value.violations] == [("publish_at", "PUB-6")]
    with pytest.raises(ValidationError) as not_named:
        delegations.queue_delegated_post(org, delegation_id, request("unit_head", inside), now=during)
    assert [(v.field, v.rule_id) for v in not_named.value.violations] == [("author_id", "PUB-6")]
    with pytest.raises(ValidationError) as regular:
        queue_post(org, request("sub_staff", inside), now=during)
    assert ("author_id", "PUB-2") in {(v.field, v.rule_id) for v in regular.value.violations}
    # After the window: the scheduled revocation expires it (once), the delegates' role ends that day.
    assert delegations.revoke_expired(org, now=END - timedelta(seconds=1)) == []
    assert delegations.revoke_expired(org, now=END) == [delegation_id]
    assert delegations.revoke_expired(org, now=END + timedelta(minutes=5)) == []
    status = delegations.delegation_status(org, delegation_id)
    assert status["state"] == "expired" and status["ended_by"] is None
    assert [e["state"] for e in status["events"]] == ["applied", "granted", "expired"]
    assert rows(org, f"SELECT state FROM posts WHERE post_id = '{post_id}'") == [("cancelled",)]
    with pytest.raises(ValidationError) as after:
        delegations.queue_delegated_post(org, delegation_id, request("sub_staff", inside), now=END + timedelta(minutes=1))
    assert ("delegation_id", "PUB-6") in {(v.field, v.rule_id) for v in after.value.violations}


def test_the_approver_revokes_early_and_only_the_approver(org):
    delegation_id = granted(org)
    with pytest.raises(ValidationError) as not_approver:
        delegations.revoke(org, delegation_id, revoked_by="sub_staff", reason="活动取消", now=START)
    assert [(v.field, v.rule_id) for v in not_approver.value.violations] == [("revoked_by", "PUB-6")]
    assert delegations.revoke(org, delegation_id, revoked_by="competent", reason="活动取消", now=START)["state"] == "revoked"
    assert rows(org, f"SELECT ended_by, state FROM delegations WHERE delegation_id = '{delegation_id}'") == [("competent", "revoked")]
    assert delegations.revoke_expired(org, now=END) == []  # revoked is not expired again
    with pytest.raises(ValidationError):
        delegations.revoke(org, delegation_id, revoked_by="competent", reason="再次", now=START)


def test_applications_are_refused_with_field_and_rule_and_nothing_stored(org):
    before = table_snapshot(org)
    with pytest.raises(ValidationError) as refused:
        delegations.apply(org, "WB-GROUP", unit_id="SUB", activity_kind="contest", title="x", window_start_at=START,
                          window_end_at=START + timedelta(hours=100), people=["author"], applied_by="author", now=NOW)
    assert {(v.field, v.rule_id) for v in refused.value.violations} == {
        ("activity_kind", "PUB-6"), ("window_end_at", "PUB-6"), ("applied_by", "PUB-6"), ("people[0]", "PUB-6")}
    with pytest.raises(ValidationError) as wechat:
        delegations.apply(org, "WX-GROUP", unit_id="SUB", activity_kind="live", title="x", window_start_at=START,
                          window_end_at=END, people=["sub_staff"], applied_by="sub_staff", now=NOW)
    assert [(v.field, v.rule_id) for v in wechat.value.violations] == [("account_id", "PUB-6")]
    assert table_snapshot(org) == before
    made = delegations.apply(org, "WB-GROUP", unit_id="SUB", activity_kind="interactive", title="网上互动", window_start_at=START,
                             window_end_at=END, people=["sub_staff"], applied_by="sub_staff", now=NOW)
    with pytest.raises(ValidationError) as wrong_approver:
        delegations.decide(org, made["delegation_id"], approver_id="unit_head", decision="granted", now=NOW)
    assert [(v.field, v.rule_id) for v in wrong_approver.value.violations] == [("approver_id", "PUB-6")]
    assert delegations.decide(org, made["delegation_id"], approver_id="competent", decision="rejected", now=NOW,
                              reason="时段与集团发布冲突")["state"] == "rejected"
    with pytest.raises(ValidationError):
        delegations.queue_delegated_post(org, made["delegation_id"], post("sub_staff", START + timedelta(minutes=5)),
                                         now=START + timedelta(minutes=1))


def test_audit_rows_cover_windows_overlapping_the_year(org):
    delegation_id = granted(org)
    delegations.revoke_expired(org, now=END)
    from datetime import date

    group = delegations.audit_rows(org, None, date(2026, 1, 1), date(2026, 12, 31))
    assert [r["delegation_id"] for r in group["delegations"]] == [delegation_id]
    assert sorted(group["delegations"][0]["people"].split(",")) == ["outsider", "sub_staff"]
    assert [e["state"] for e in group["delegation_events"]] == ["applied", "granted", "expired"]
    assert delegations.audit_rows(org, "WX-GROUP", date(2026, 1, 1), date(2026, 12, 31))["delegations"] == []


def test_the_scheduled_expiry_writes_its_ledger_and_is_idempotent(org):
    from herald.ledger import TaskRun

    delegation_id = granted(org)
    first = delegations.expire_job(org, TaskRun.manual("expire", END), now=END)
    again = delegations.expire_job(org, TaskRun.manual("expire", END + timedelta(minutes=5)), now=END + timedelta(minutes=5))
    assert first.outputs["delegation_ids"] == [delegation_id] and again.row_counts["delegations_expired"] == 0
    assert rows(org, "SELECT COUNT(*) FROM pipeline_ledger") == [(2,)]
    assert rows(org, f"SELECT valid_to_on FROM role_assignments WHERE assignment_id LIKE '{delegation_id}:%'") == [
        (START.date(),), (START.date(),)]


def test_the_door_applies_grants_and_queues_as_each_signed_in_person(api, pg_db):
    from herald.posts.policies import default_policy_for
    from herald.timeutil import now_utc

    insert(pg_db, "people", person_id="sub_staff", name="沈活动", unit_id="SUB", login="shen.huodong", is_active=True)
    now = now_utc()
    start, end = now - timedelta(minutes=10), now + timedelta(hours=2)
    applied = api("shen.huodong").post("/accounts/WB-GROUP/delegations", json={
        "unit_id": "SUB", "activity_kind": "interactive", "title": "网上有奖问答", "window_start_at": start.isoformat(),
        "window_end_at": end.isoformat(), "people": ["sub_staff"]})
    assert applied.status_code == 201, applied.text
    delegation_id = applied.json()["delegation_id"]
    wrong = api("shen.huodong").post(f"/delegations/{delegation_id}/decisions", json={"decision": "granted"})
    assert wrong.status_code == 422 and wrong.json()["violations"][0]["rule_id"] == "PUB-6"
    granted_ = api("wei.xingzheng").post(f"/delegations/{delegation_id}/decisions", json={"decision": "granted"})
    assert granted_.status_code == 200 and granted_.json()["state"] == "granted"
    category = next(iter(default_policy_for("000").content.categories))
    body = {"account_id": "WB-GROUP", "body": "问答进行中，欢迎参与 https://herald.example.com/qa", "category": category,
            "source": "华夏能源销售有限公司", "kind": "text", "urgency": "urgent",
            "publish_at": (now + timedelta(minutes=30)).isoformat()}
    queued = api("shen.huodong").post(f"/delegations/{delegation_id}/posts", json=body)
    assert queued.status_code == 201, queued.text
    late = api("shen.huodong").post(f"/delegations/{delegation_id}/posts",
                                    json={**body, "publish_at": (end + timedelta(minutes=1)).isoformat()})
    assert late.status_code == 422 and late.json()["violations"][0]["field"] == "publish_at"
    revoked = api("wei.xingzheng").post(f"/delegations/{delegation_id}/revocation", json={"reason": "活动提前结束"})
    assert revoked.status_code == 200
    shown = api("shen.huodong").get(f"/delegations/{delegation_id}").json()
    assert shown["state"] == "revoked" and [e["state"] for e in shown["events"]] == ["applied", "granted", "revoked"]


def test_the_command_line_applies_and_grants_with_an_administrators_override(org, pg_url, tmp_path, capsys):
    import json

    from herald.__main__ import main
    from herald.timeutil import now_utc

    now = now_utc()
    request = tmp_path / "apply.json"
    request.write_text(json.dumps({"unit_id": "SUB", "activity_kind": "live", "title": "直播", "people": ["sub_staff"],
                                   "window_start_at": now.isoformat(), "window_end_at": (now + timedelta(hours=1)).isoformat()}),
                       encoding="utf-8")
    override = ["--admin-override", "--override-reason", "补录", "--as-person"]
    assert main(["--db", pg_url, "delegation", "apply", "WB-GROUP", str(request), *override, "sub_staff"]) == 0
    delegation_id = json.loads(capsys.readouterr().out)["delegation_id"]
    assert main(["--db", pg_url, "delegation", "grant", delegation_id, *override, "sub_staff"]) == 2
    assert "approver_id" in capsys.readouterr().err
    assert main(["--db", pg_url, "delegation", "grant", delegation_id, "--reason", "同意", *override, "competent"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "granted"
