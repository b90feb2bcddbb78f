"""Approval steps as Airflow human-in-the-loop tasks (PUB-2), without Airflow running.

The operator's methods are called with a small fake context; ``HITLOperator.execute`` (which
writes the request through the task supervisor and parks the task) is replaced by a recorder.
The REST side of the sync is a fake with the two calls it makes; the real API is exercised in
tests/test_approval_hitl_stack.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from builders import small_org
from herald.posts.approval import decide
from herald.posts.lifecycle import edit_post, expire_due, post_status
from herald.posts.model import PostRequest
from herald.posts.queue import queue_post

pytestmark = pytest.mark.integrity  # imports Airflow

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
PUBLISH = NOW + timedelta(days=8)


@pytest.fixture
def org(sqlite_db):
    small_org(sqlite_db)
    return sqlite_db


def _category() -> str:
    from herald.policy import load_policy

    return next(iter(load_policy("000").content.categories))  # WB-GROUP and WB-SUB are under policy 000


def _queue(db, *, account="WB-GROUP", author="author2", body="集团年度工作会议今日召开 https://example.com/m", title="集团年度工作会议",
           publish_at=PUBLISH) -> str:
    request = PostRequest.from_mapping({"account_id": account, "author_id": author, "title": title, "body": body,
                                        "category": _category(), "source": "集团行政中心",
                                        "publish_at": publish_at.isoformat()})
    return queue_post(db, request, now=NOW)


def _params(db, post_id, step_no=1) -> dict:
    return {"post_id": post_id, "content_hash": post_status(db, post_id)["content_hash"], "step_no": step_no,
            "reason": None}


def _operator(db, now=NOW):
    from herald_airflow.approval_operator import HeraldApprovalStepOperator

    operator = HeraldApprovalStepOperator(task_id="ask_approver")
    operator._database = lambda: db
    operator._now = lambda: now
    return operator


def _answer(option, login, reason=None) -> dict:
    return {"chosen_options": [option], "params_input": {"reason": reason}, "responded_at": NOW,
            "responded_by_user": {"id": login, "name": login}}


@pytest.fixture
def parked(monkeypatch):
    """Replace the supervisor round trip of HITLOperator.execute: record what would have been asked."""
    from airflow.providers.standard.operators.hitl import HITLOperator

    asked = []

    def record(self, context):
        asked.append({"subject": self.subject, "body": self.body, "assigned_users": self.assigned_users,
                      "response_timeout": self.response_timeout, "options": self.options})
        return "parked"

    monkeypatch.setattr(HITLOperator, "execute", record)
    return asked


# --- run ids --------------------------------------------------------------------------------------------


def test_the_run_id_names_post_version_and_step_and_parses_back():
    from herald.posts.approval_requests import AskedStep

    step = AskedStep("P-00000000000000000001-abcdef12", "ab" * 32, 2)
    assert step.run_id == "approval__P-00000000000000000001-abcdef12__abababababab__2"
    parsed = AskedStep.from_run_id(step.run_id)
    assert parsed == AskedStep(step.post_id, "abababababab", 2)
    assert parsed.matches("ab" * 32) and not parsed.matches("cd" * 32)
    assert AskedStep.from_run_id("manual__2026-03-02T02:00:00+00:00") is None
    assert step.trigger_kwargs() == {"trigger_run_id": step.run_id,
                                     "conf": {"post_id": step.post_id, "content_hash": "ab" * 32, "step_no": 2}}


# --- building the request -------------------------------------------------------------------------------


def test_the_request_names_account_step_role_publish_time_hash_and_screening_hits(org, parked):
    body = "本季度内部经济技术指标暂不公开，请勿外传。绝密"[-20:] + " https://example.com/q1"
    post_id = _queue(org, body=body, title=None)
    content_hash = post_status(org, post_id)["content_hash"]
    decide(org, post_id=post_id, approver_id="competent", decision="approved", content_hash=content_hash, via="cli",
           now=NOW)

    assert _operator(org).execute({"params": _params(org, post_id, step_no=2)}) == "parked"
    [asked] = parked
    assert asked["options"] == ["批准", "驳回"]
    assert asked["subject"].startswith("【待审批】华夏能源WB-GROUP：")
    assert "第2/2步·主管领导" in asked["subject"]
    body_text = asked["body"]
    assert "第 2 步，共 2 步；本步角色：主管领导（000号制度）" in body_text
    assert "2026-03-10 10:00:00 (北京时间)" in body_text  # publish time in Asia/Shanghai
    assert content_hash in body_text
    assert "第1步 卫行政（命令行）" in body_text  # who signed before, through which door
    hits = body_text.split("**敏感词审查**")[1].split("**正文摘要**")[0]
    assert "- 正文：“绝密”（secrets，critical，review）" in hits and "保密审查" in hits  # shown to the approver
    assert asked["assigned_users"] == [{"id": "wu.zhuguan", "name": "吴主管（wu.zhuguan）"}]
    assert asked["response_timeout"] == timedelta(hours=48)  # policy 000 approval_response_timeout_hours


def test_timeout_is_cut_at_the_publish_time_and_the_author_is_never_assigned(org, parked):
    from airflow.sdk.exceptions import AirflowFailException

    five_hours_before = PUBLISH - timedelta(hours=5)
    post_id = _queue(org, author="leader")
    # The author is the only supervising leader: nobody may answer, so asking fails visibly.
    with pytest.raises(AirflowFailException, match="没有可以审批第1步（主管领导）的人员"):
        _operator(org, five_hours_before).execute({"params": _params(org, post_id)})

    other = _queue(org)
    _operator(org, five_hours_before).execute({"params": _params(org, other)})
    assert parked[-1]["response_timeout"] == timedelta(hours=5)
    assert "请在此之前答复**：2026-03-10 10:00:00 (北京时间)" in parked[-1]["body"]  # = the publish time


def test_body_excerpt_strips_markup_and_is_short():
    from herald.posts.approval_requests import EXCERPT_CHARS, _excerpt

    assert _excerpt("<p>公司开放日</p>\n<p>欢迎参观</p>") == "公司开放日 欢迎参观"
    long = _excerpt("字" * 500)
    assert len(long) == EXCERPT_CHARS + 2 and long.endswith("……")


# --- skipping what is no longer pending ----------------------------------------------------------------


def _skipped(org, params, now=NOW) -> str:
    from airflow.sdk.exceptions import AirflowSkipException

    with pytest.raises(AirflowSkipException) as skipped:
        _operator(org, now).execute({"params": params})
    return str(skipped.value)


def test_a_step_decided_edited_expired_or_due_is_skipped_not_asked(org, parked):
    decided = _queue(org)
    params = _params(org, decided)
    decide(org, post_id=decided, approver_id="leader", decision="approved", content_hash=params["content_hash"],
           via="api", now=NOW)
    assert "已批准" in _skipped(org, params)

    edited = _queue(org)
    params = _params(org, edited)
    edit_post(org, edited, editor_id="author2", changes={"body": "集团年度工作会议改期举行 https://example.com/meeting"}, now=NOW)
    assert "内容已修改" in _skipped(org, params)

    expired = _queue(org)
    params = _params(org, expired)
    expire_due(org, now=PUBLISH, detected_by="test")
    assert "已过期" in _skipped(org, params)

    due = _queue(org)
    assert "已到计划发布时间" in _skipped(org, _params(org, due), now=PUBLISH)

    later_step = _queue(org, account="WB-SUB")
    assert "不再待审批" in _skipped(org, _params(org, later_step, step_no=2))
    assert parked == []


# --- recording the answer -------------------------------------------------------------------------------


def test_an_answer_is_recorded_through_decide_as_the_responding_person(org):
    post_id = _queue(org)
    params = _params(org, post_id)
    result = _operator(org).execute_complete({"params": params}, _answer("批准", "wu.zhuguan", "同意发布"))
    assert result["recorded"] is True and result["state"] == "approved"
    [decision] = post_status(org, post_id)["decisions"]
    assert (decision["approver_id"], decision["via"], decision["decision"], decision["content_hash"]) == (
        "leader", "hitl", "approved", params["content_hash"])

    rejected = _queue(org)
    result = _operator(org).execute_complete({"params": _params(org, rejected)}, _answer("驳回", "wu.zhuguan", "数据待核实"))
    status = post_status(org, rejected)
    assert status["state"] == "rejected" and "数据待核实" in status["reason"]


def test_an_answer_to_a_step_decided_elsewhere_is_logged_and_not_written(org):
    post_id = _queue(org)
    params = _params(org, post_id)
    decide(org, post_id=post_id, approver_id="leader", decision="rejected", reason="标题不妥",
           content_hash=params["content_hash"], via="cli", now=NOW)

    result = _operator(org).execute_complete({"params": params}, _answer("批准", "wu.zhuguan"))
    assert result["recorded"] is False and "驳回" in result["why"]
    assert [d["via"] for d in post_status(org, post_id)["decisions"]] == ["cli"]


def test_a_race_lost_inside_decide_is_treated_as_decided_elsewhere(org, monkeypatch):
    """Another door decides between the operator's read and its write: decide refuses, nothing is written twice."""
    import herald.posts.approval as approval

    post_id = _queue(org)
    params = _params(org, post_id)
    real_decide = approval.decide

    def cli_wins_first(db, **kwargs):
        real_decide(db, **{**kwargs, "approver_id": "leader", "via": "cli"})
        return real_decide(db, **kwargs)

    monkeypatch.setattr(approval, "decide", cli_wins_first)
    result = _operator(org).execute_complete({"params": params}, _answer("批准", "wu.zhuguan"))
    assert result["recorded"] is False
    assert [d["via"] for d in post_status(org, post_id)["decisions"]] == ["cli"]


def test_refused_answers_and_timeouts_fail_the_task_without_writing(org):
    from airflow.sdk.exceptions import AirflowFailException

    post_id = _queue(org)
    params = _params(org, post_id)
    with pytest.raises(AirflowFailException, match="未对应任何在册人员"):
        _operator(org).execute_complete({"params": params}, _answer("批准", "admin"))
    with pytest.raises(AirflowFailException, match=r"reason \[PUB-2\]"):
        _operator(org).execute_complete({"params": params}, _answer("驳回", "wu.zhuguan"))
    with pytest.raises(AirflowFailException, match="不担任"):  # a person without the role, answering anyway
        _operator(org).execute_complete({"params": params}, _answer("批准", "jiang.luren"))
    with pytest.raises(AirflowFailException, match="超时"):
        _operator(org).execute_complete({"params": params}, {"error": "timeout passed", "error_type": "timeout"})
    assert post_status(org, post_id)["decisions"] == []
    assert post_status(org, post_id)["state"] == "awaiting_approval"


# --- routing and closing --------------------------------------------------------------------------------


def test_pending_steps_are_each_posts_next_step_for_its_current_version(org):
    from herald.posts.approval_requests import AskedStep, pending_steps

    first = _queue(org, account="WB-SUB", publish_at=PUBLISH + timedelta(days=1))
    first_hash = post_status(org, first)["content_hash"]
    decide(org, post_id=first, approver_id="leader", decision="approved", content_hash=first_hash, via="cli", now=NOW)
    second = _queue(org, publish_at=PUBLISH + timedelta(days=1))
    done = _queue(org, publish_at=PUBLISH + timedelta(days=1))
    decide(org, post_id=done, approver_id="leader", decision="approved", via="cli", now=NOW,
           content_hash=post_status(org, done)["content_hash"])
    due = _queue(org)  # publishes a day before the others

    steps = pending_steps(org, NOW)
    assert set(steps) == {AskedStep(first, first_hash, 2),
                          AskedStep(second, post_status(org, second)["content_hash"], 1),
                          AskedStep(due, post_status(org, due)["content_hash"], 1)}
    assert {s.post_id for s in pending_steps(org, PUBLISH)} == {first, second}  # due: not asked any more

    edit_post(org, first, editor_id="author2", changes={"body": "集团年度工作会议改为线上举行 https://example.com/meeting"}, now=NOW)
    new_hash = post_status(org, first)["content_hash"]
    assert AskedStep(first, new_hash, 1) in pending_steps(org, NOW)  # an edit restarts the chain


class FakeAirflowApi:
    """The two REST calls the sync makes, over a list of open requests."""

    def __init__(self, run_ids):
        self.open = [{"task_instance": {"dag_id": "herald_post_approval", "dag_run_id": run_id,
                                        "task_id": "ask_approver", "map_index": -1}} for run_id in run_ids]
        self.skipped = []

    def open_hitl_requests(self, dag_id):
        assert dag_id == "herald_post_approval"
        return list(self.open)

    def skip_task_instance(self, dag_id, run_id, task_id, *, note, map_index=-1):
        self.skipped.append((run_id, task_id, map_index, note))


def test_sync_closes_only_requests_whose_step_was_decided_elsewhere(org):
    from herald.posts.approval_requests import AskedStep, close_requests_decided_elsewhere

    decided_by_cli = _queue(org)
    still_open = _queue(org)
    steps = {p: AskedStep.from_params(_params(org, p)) for p in (decided_by_cli, still_open)}
    decide(org, post_id=decided_by_cli, approver_id="leader", decision="approved", via="cli", now=NOW,
           content_hash=steps[decided_by_cli].content_hash)
    api = FakeAirflowApi([steps[decided_by_cli].run_id, steps[still_open].run_id, "manual__by-hand"])

    closed = close_requests_decided_elsewhere(org, api)
    assert closed == [steps[decided_by_cli].run_id]
    [(run_id, task_id, map_index, note)] = api.skipped
    assert (run_id, task_id, map_index) == (steps[decided_by_cli].run_id, "ask_approver", -1)
    assert note == "Herald 已关闭此审批请求：第1步已由吴主管通过命令行批准；信息当前状态为“已批准”"


def test_api_base_url_from_connection_fields():
    from herald_airflow.airflow_api import base_url_from_fields

    assert base_url_from_fields("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert base_url_from_fields("airflow-apiserver", 8080) == "http://airflow-apiserver:8080"
    assert base_url_from_fields("airflow.example.com", None, "https") == "https://airflow.example.com"
    with pytest.raises(ValueError, match="base URL"):
        base_url_from_fields(None)


def test_both_dags_parse_with_the_operator_and_the_mapped_trigger():
    from pathlib import Path

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(Path(__file__).resolve().parents[1] / "dags" / "approvals.py"))
    assert bag.import_errors == {}
    router, approval = bag.dags["herald_approval_router"], bag.dags["herald_post_approval"]
    assert router.max_active_runs == 1 and not router.catchup and not router.is_paused_upon_creation
    assert sorted(t.task_id for t in router.tasks) == [
        "account_steps_to_route", "close_account_requests_answered_elsewhere", "close_answered_elsewhere",
        "expire_due_posts", "route_account_step", "route_step", "steps_to_route"]  # account steps: ACC-2 (issue 15)
    ask = approval.get_task("ask_approver")
    assert type(ask).__name__ == "HeraldApprovalStepOperator" and ask.pool == "herald_db"
    assert list(ask.serialized_params) == ["reason"]  # only the answer form; the run's params stay the DAG's
    assert set(approval.params) == {"post_id", "content_hash", "step_no"}
