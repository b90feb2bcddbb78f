"""Asking approvers as plain functions (herald.posts.approval_requests): no Airflow, a real SQLite database.

The Airflow side (the HITL operator that wires these functions) is tested in tests/test_approval_hitl.py.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from builders import small_org
from herald.policy import load_policy
from herald.posts.approval import decide
from herald.posts.approval_requests import (
    AnswerRefused,
    AskedStep,
    NobodyToAsk,
    StepNotPending,
    assignees,
    prepare_request,
    record_answer,
    response_timeout,
)
from herald.posts.lifecycle import post_status
from herald.posts.model import PostRequest
from herald.posts.queue import queue_post

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
PUBLISH = NOW + timedelta(days=8)


def _asked(db, *, author="author2", step_no=1) -> AskedStep:
    """A post queued on WB-GROUP, whose chain is one step: the supervising leader."""
    request = PostRequest.from_mapping({
        "account_id": "WB-GROUP", "author_id": author, "title": "集团年度工作会议", "body": "集团年度工作会议今日召开 https://example.com/meeting",
        "category": next(iter(load_policy("000").content.categories)), "source": "集团行政中心",
        "publish_at": PUBLISH.isoformat()})
    post_id = queue_post(db, request, now=NOW)
    return AskedStep(post_id, post_status(db, post_id)["content_hash"], step_no)


@pytest.fixture
def org(sqlite_db):
    """Herald's SQLite database with the small organisation of tests/builders.py."""
    small_org(sqlite_db)
    return sqlite_db


def test_the_timeout_is_the_policys_but_never_past_the_publish_time():
    assert response_timeout(48, PUBLISH, NOW) == timedelta(hours=48)
    assert response_timeout(48, NOW + timedelta(hours=5), NOW) == timedelta(hours=5)


def test_assignees_are_role_holders_with_a_login_other_than_the_author():
    holders = [{"person_id": "leader", "name": "吴主管", "login": "wu.zhuguan"},
               {"person_id": "author2", "name": "周运营", "login": "zhou.yunying"},
               {"person_id": "nologin", "name": "无登录", "login": None}]
    assert assignees(holders, "author2") == [{"id": "wu.zhuguan", "name": "吴主管（wu.zhuguan）"}]


def test_someone_who_signed_an_earlier_step_is_not_asked_again():
    """PUB-2: one person signs at most one step of a chain, so the request does not offer them the next one."""
    holders = [{"person_id": "leader", "login": "wu.zhuguan", "name": "吴主管"},
               {"person_id": "head", "login": "zhao.head", "name": "赵处长"}]
    assert [a["id"] for a in assignees(holders, "author2", signed={"leader"})] == ["zhao.head"]


def test_a_pending_step_gets_a_request_for_its_role_holders(org):
    asked = _asked(org)
    request = prepare_request(org, asked, NOW)
    assert request.subject == "【待审批】华夏能源WB-GROUP：集团年度工作会议（第1/1步·主管领导）"
    assert asked.content_hash in request.body
    assert request.assigned_users == [{"id": "wu.zhuguan", "name": "吴主管（wu.zhuguan）"}]
    assert request.response_timeout == timedelta(hours=48)


def test_a_step_not_pending_or_without_anyone_to_answer_is_refused_with_the_reason(org):
    asked = _asked(org)
    with pytest.raises(StepNotPending, match="已到计划发布时间"):
        prepare_request(org, asked, PUBLISH)
    with pytest.raises(StepNotPending, match="不再待审批（当前待审批为第1步）"):
        prepare_request(org, AskedStep(asked.post_id, asked.content_hash, 2), NOW)
    decide(org, post_id=asked.post_id, approver_id="leader", decision="approved", content_hash=asked.content_hash,
           via="cli", now=NOW)
    with pytest.raises(StepNotPending, match="第1步已由吴主管通过命令行批准"):
        prepare_request(org, asked, NOW)
    with pytest.raises(NobodyToAsk, match="没有可以审批第1步（主管领导）的人员"):
        prepare_request(org, _asked(org, author="leader"), NOW)  # the only supervising leader wrote it


def test_an_answer_is_recorded_as_the_person_behind_the_login(org, caplog):
    asked = _asked(org)
    with caplog.at_level(logging.INFO, logger="herald.posts.approval_requests"):
        result = record_answer(org, asked, login="wu.zhuguan", option="批准", reason="  ", now=NOW)
    assert result == {"post_id": asked.post_id, "step_no": 1, "responder": "wu.zhuguan", "decision": "approved",
                      "recorded": True, "state": "approved"}
    [decision] = post_status(org, asked.post_id)["decisions"]
    assert (decision["approver_id"], decision["via"], decision["reason"]) == ("leader", "hitl", None)
    assert "Recorded approved of step 1" in caplog.text

    again = record_answer(org, asked, login="wu.zhuguan", option="驳回", reason="晚到的答复", now=NOW)
    assert again["recorded"] is False and "第1步已由吴主管通过Airflow 审批任务批准" in again["why"]
    assert len(post_status(org, asked.post_id)["decisions"]) == 1


def test_answers_that_cannot_count_are_refused_and_nothing_is_written(org):
    asked = _asked(org)
    with pytest.raises(AnswerRefused, match="Airflow 用户“admin”未对应任何在册人员"):
        record_answer(org, asked, login="admin", option="批准", reason=None, now=NOW)
    with pytest.raises(AnswerRefused, match=r"审批未被记录：reason \[PUB-2\] 驳回必须说明理由"):
        record_answer(org, asked, login="wu.zhuguan", option="驳回", reason=None, now=NOW)
    assert post_status(org, asked.post_id)["decisions"] == []
