"""Creation approval (ACC-1, ACC-2): an application walked along its policy's chain, step by step, by the person
holding each step's role, through the HTTP door, the command line and Airflow's human-in-the-loop task; a rejection
ends it, a wrong person is refused, and the account opens only when the whole chain is approved."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from accounts_org import account_departments, account_org, form
from builders import table_snapshot
from herald.accounts.approval import decide
from herald.accounts.records import application_status, lifecycle_rows
from herald.accounts.registration import ApplicationRequest, apply_for_account
from herald.errors import ValidationError

NOW = datetime(2026, 5, 6, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
CHAIN_000 = [("news_head", "you.shiye"), ("mkt_head", "xu.shichang"), ("admin_head", "han.xingzheng"),
             ("gmo_head", "yang.zongjingban"), ("fin_head", "zhu.caiwu"), ("admin_head", "han.xingzheng")]


@pytest.fixture
def org(pg_db):
    account_org(pg_db)
    return pg_db


def _apply(db, **overrides) -> str:
    fields = form(related_unit_ids=["MKT"]) | {"planned_opened_on": date(2026, 6, 1)} | overrides
    return apply_for_account(db, ApplicationRequest.from_mapping(fields), applicant_id="news_clerk", via="cli",
                             now=NOW)["application_id"]


def _events(db, account_id: str) -> list[tuple]:
    with db.engine.connect() as conn:
        import sqlalchemy as sa

        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT kind, step, decision, actor_id, new_state FROM account_events WHERE account_id = :a "
            "ORDER BY occurred_at, event_id"), {"a": account_id})]


@pytest.mark.pg
def test_an_application_walked_through_every_step_of_000_through_the_door_opens_the_account(api, pg_db):
    account_departments(pg_db)
    filed = api("lv.shenqing").post("/accounts/applications", json=form(related_unit_ids=["MKT"])).json()
    app_id, account_id = filed["application_id"], filed["account_id"]
    for number, (_person, login) in enumerate(CHAIN_000, start=1):
        assert api("lv.shenqing").get(f"/accounts/applications/{app_id}").json()["account_state"] == "applied"
        body = {"decision": "approved", "step_no": number} | ({"is_sealed": True} if number == 1 else {})
        reply = api(login).post(f"/accounts/applications/{app_id}/decisions", json=body)
        assert reply.status_code == 200, (number, reply.text)
        assert reply.json()["step_no"] == number
    status = api("lv.shenqing").get(f"/accounts/applications/{app_id}").json()
    assert status["state"] == "approved" and status["account_state"] == "active"
    registration = status["registration"]
    assert registration["opened_on"] is not None  # the Shanghai day of the last approval
    assert registration["host_unit_opinion_by"] == "news_head" and registration["is_host_unit_sealed"] is True
    assert registration["competent_opinion_by"] == "admin_head"
    assert registration["host_unit_opinion_on"] == registration["competent_opinion_on"] == registration["opened_on"]
    assert [d["decided"]["via"] for d in status["chain"]] == ["api"] * 6
    steps = [e for e in _events(pg_db, account_id) if e[0] == "creation_step"]
    assert steps == [("creation_step", code, "approved", person, None) for code, person in zip(
        ["applying_department", "applying_department", "admin_center", "gm_office", "finance_center", "archived"],
        [p for p, _ in CHAIN_000], strict=True)]
    assert [e[4] for e in _events(pg_db, account_id) if e[0] == "state_change"] == ["applied", "active"]
    # Done: a further decision is refused.
    again = api("han.xingzheng").post(f"/accounts/applications/{app_id}/decisions", json={"decision": "approved"})
    assert again.status_code == 422 and "已审批结束" in again.json()["violations"][0]["message"]
    assert api("han.xingzheng").post("/accounts/applications/APP-0000000000000000/decisions",
                                     json={"decision": "approved"}).status_code == 404


@pytest.mark.pg
def test_the_wrong_person_is_refused_and_nothing_is_written(api, pg_db):
    account_departments(pg_db)
    app_id = api("lv.shenqing").post("/accounts/applications", json=form()).json()["application_id"]
    before = table_snapshot(pg_db)
    # The finance head does not hold the applying department's step; the applicant cannot sign in another's name.
    wrong = api("zhu.caiwu").post(f"/accounts/applications/{app_id}/decisions", json={"decision": "approved"})
    assert wrong.status_code == 422
    [violation] = wrong.json()["violations"]
    assert (violation["field"], violation["rule_id"]) == ("approver_id", "ACC-2")
    assert violation["message"] == "“朱财务”不是新能源事业部的主办单位负责人，无权审批第1步 申请部门（相关部门审批）（新能源事业部）"
    forged = api("lv.shenqing").post(f"/accounts/applications/{app_id}/decisions",
                                     json={"decision": "approved", "approver_id": "news_head"})
    assert forged.status_code == 422 and forged.json()["violations"][0]["message"] == "不能以他人名义审批"
    stale = api("you.shiye").post(f"/accounts/applications/{app_id}/decisions", json={"decision": "approved", "step_no": 2})
    assert stale.status_code == 422 and stale.json()["violations"][0]["field"] == "step_no"
    no_reason = api("you.shiye").post(f"/accounts/applications/{app_id}/decisions", json={"decision": "rejected"})
    assert [v["field"] for v in no_reason.json()["violations"]] == ["reason"]
    assert table_snapshot(pg_db) == before


@pytest.mark.pg
def test_a_rejection_ends_the_application_and_the_account_never_opens(org):
    app_id = _apply(org)
    decide(org, application_id=app_id, approver_id="news_head", decision="approved", via="cli", now=NOW)
    decide(org, application_id=app_id, approver_id="mkt_head", decision="approved", via="cli", now=NOW)
    result = decide(org, application_id=app_id, approver_id="admin_head", decision="rejected", via="cli", now=NOW,
                    reason="宗旨与事业部职责不符")
    assert result["state"] == "rejected" and result["account_state"] == "applied"
    status = application_status(org, app_id)
    assert status["state"] == "rejected" and "宗旨与事业部职责不符" in status["state_reason"]
    assert status["registration"]["opened_on"] is None and status["registration"]["competent_opinion_by"] is None
    assert status["chain"][2]["decided"]["decision"] == "rejected" and status["chain"][3]["decided"] is None
    with pytest.raises(ValidationError) as refused:
        decide(org, application_id=app_id, approver_id="gmo_head", decision="approved", via="cli", now=NOW)
    assert refused.value.violations[0].field == "application_id"
    # The registry check's view: the rejected step is the latest decision on it (ACC-1 for an account so marked).
    assert ("creation_step", "admin_center", "rejected", "admin_head", None) in _events(org, status["account_id"])
    # A rejected application's platform account may be applied for again.
    _apply(org)


@pytest.mark.pg
def test_policy_003_chain_is_the_host_unit_head_then_publicity(org):
    filed = apply_for_account(org, ApplicationRequest.from_mapping(form(creating_unit_id="LAB", administrator_ids=["lab_clerk"],
                                                                        platform="wechat")),
                              applicant_id="lab_clerk", via="cli", now=NOW)
    assert [(s["code"], s["unit_id"]) for s in filed["chain"]] == [("host_unit_head", "LAB"), ("publicity", "PUB")]
    with pytest.raises(ValidationError) as refused:  # 003 has no related-department step
        apply_for_account(org, ApplicationRequest.from_mapping(form(creating_unit_id="LAB", related_unit_ids=["MKT"],
                                                                    platform_account_id="other")),
                          applicant_id="lab_clerk", via="cli", now=NOW)
    assert [(v.field, v.rule_id) for v in refused.value.violations] == [("related_unit_ids", "ACC-2")]
    decide(org, application_id=filed["application_id"], approver_id="lab_head", decision="approved", via="cli", now=NOW,
           is_sealed=True)
    result = decide(org, application_id=filed["application_id"], approver_id="pub_head", decision="approved", via="cli",
                    now=NOW + timedelta(days=1))
    assert result["account_state"] == "active"
    registration = application_status(org, filed["application_id"])["registration"]
    assert (registration["host_unit_opinion_by"], registration["competent_opinion_by"]) == ("lab_head", "pub_head")
    assert registration["opened_on"] == date(2026, 5, 7)


@pytest.mark.pg
def test_two_answers_to_one_step_count_once(org, monkeypatch):
    """The step moves by compare-and-set: an answer that read the step before another door moved it is refused."""
    from herald.accounts import approval

    app_id = _apply(org)
    real = approval.step_holders

    def meanwhile(tx, step, on):  # the other door decides between this decision's read and its write
        holders = real(tx, step, on)
        if not getattr(meanwhile, "done", False):
            meanwhile.done = True
            decide(org, application_id=app_id, approver_id="news_head", decision="approved", via="api", now=NOW)
        return holders

    monkeypatch.setattr(approval, "step_holders", meanwhile)
    with pytest.raises(ValidationError) as refused:
        decide(org, application_id=app_id, approver_id="news_head", decision="approved", via="cli", now=NOW)
    assert refused.value.violations[0].message == "该步骤已被他人审批，请刷新后重试"
    steps = [e for e in _events(org, application_status(org, app_id)["account_id"]) if e[0] == "creation_step"]
    assert len(steps) == 1


@pytest.mark.pg
def test_the_audit_rows_cover_the_window_for_one_account_or_the_group(org):
    app_id = _apply(org)
    for person, _login in CHAIN_000:
        decide(org, application_id=app_id, approver_id=person, decision="approved", via="cli", now=NOW)
    other = _apply(org, platform_account_id="second", name="第二个账号")
    year = (datetime(2025, 12, 31, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC))
    rows = lifecycle_rows(org, None, year)
    assert len(rows) == 7 and {r["application_id"] for r in rows} == {app_id, other}
    mine = [r for r in rows if r["application_id"] == app_id]
    assert [r["step_no"] for r in mine] == [1, 2, 3, 4, 5, 6] and mine[-1]["account_state"] == "active"
    assert mine[0]["decision_label"] == "批准" and mine[0]["step_via_label"] == "命令行"
    assert [r["step"] for r in rows if r["application_id"] == other] == [None]
    account = application_status(org, other)["account_id"]
    assert [r["application_id"] for r in lifecycle_rows(org, account, year)] == [other]
    assert lifecycle_rows(org, None, (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))) == []


@pytest.mark.pg
def test_the_command_line_files_lists_shows_and_decides_with_the_admin_override(org, pg_url, tmp_path, capsys):
    from herald.__main__ import main

    request = tmp_path / "form.json"
    request.write_text(json.dumps(form()), encoding="utf-8")
    override = ["--admin-override", "--override-reason", "纸质申请补录", "--as-person"]
    assert main(["--db", pg_url, "account", "apply", str(request), *override, "news_clerk"]) == 0
    filed = json.loads(capsys.readouterr().out)
    assert filed["via"] == "cli" and filed["applicant"]["person_id"] == "news_clerk"
    assert main(["--db", pg_url, "account", "approve", filed["application_id"], *override, "gmo_head"]) == 2
    assert "无权审批第1步" in capsys.readouterr().err
    assert main(["--db", pg_url, "account", "approve", filed["application_id"], "--sealed", *override, "news_head"]) == 0
    assert json.loads(capsys.readouterr().out)["step_no"] == 1
    assert main(["--db", pg_url, "account", "list", "--admin-override", "--override-reason", "核对"]) == 0
    listed = capsys.readouterr().out
    assert filed["application_id"] in listed and "第2步 集团行政中心（行政中心）" in listed
    template = tmp_path / "备案登记表.xlsx"
    assert main(["account", "template", str(template)]) == 0 and template.read_bytes()[:2] == b"PK"
    capsys.readouterr()
    assert main(["--db", pg_url, "account", "import", str(template), *override, "news_clerk"]) == 2
    assert "备案登记表!B3（创建单位）" in capsys.readouterr().err


# --- the human-in-the-loop task (Airflow imported; its supervisor round trip replaced) --------------------------------


@pytest.fixture
def parked(monkeypatch):
    from airflow.providers.standard.operators.hitl import HITLOperator

    asked = []

    def record(self, context):
        asked.append({"subject": self.subject, "body": self.body, "assigned_users": self.assigned_users,
                      "response_timeout": self.response_timeout})
        return "parked"

    monkeypatch.setattr(HITLOperator, "execute", record)
    return asked


def _operator(db, now=NOW):
    from herald_airflow.account_approval_operator import HeraldAccountApprovalStepOperator

    operator = HeraldAccountApprovalStepOperator(task_id="ask_account_approver")
    operator._database = lambda: db
    operator._now = lambda: now
    return operator


def _answer(option, login, reason=None) -> dict:
    return {"chosen_options": [option], "params_input": {"reason": reason}, "responded_at": NOW,
            "responded_by_user": {"id": login, "name": login}}


@pytest.mark.pg
@pytest.mark.integrity
def test_each_step_is_routed_asked_of_its_holders_and_answered_in_airflow_until_active(org, parked):
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from herald.accounts.requests import AskedAccountStep, pending_steps

    app_id = _apply(org)
    for number, (_person, login) in enumerate(CHAIN_000, start=1):
        [asked] = pending_steps(org)  # what the router's account_steps_to_route triggers
        assert asked == AskedAccountStep(app_id, number)
        assert asked.trigger_kwargs()["trigger_run_id"] == f"account__{app_id}__{number}"
        params = {"application_id": app_id, "step_no": number, "reason": None}
        _operator(org).execute({"params": params})
        assert [u["id"] for u in parked[-1]["assigned_users"]] == [login]
        assert f"第{number}步" in parked[-1]["subject"] and parked[-1]["response_timeout"] == timedelta(hours=72)
        if number == 1:
            with pytest.raises(AirflowFailException, match="无权审批"):  # a user who does not hold the step
                _operator(org).execute_complete({"params": params}, _answer("批准", "zhu.caiwu"))
        result = _operator(org).execute_complete({"params": params}, _answer("批准", login))
        assert result["recorded"] is True
        with pytest.raises(AirflowSkipException, match="已审批|已批准开通"):  # asked again after it was decided: skipped
            _operator(org).execute({"params": params})
    assert result["account_state"] == "active" and pending_steps(org) == []
    assert [d["decided"]["via"] for d in application_status(org, app_id)["chain"]] == ["hitl"] * 6


@pytest.mark.pg
@pytest.mark.integrity
def test_a_rejection_in_airflow_and_requests_closed_when_decided_elsewhere(org, parked):
    from herald.accounts.requests import close_requests_decided_elsewhere

    rejected, elsewhere = _apply(org), _apply(org, platform_account_id="second")
    params = {"application_id": rejected, "step_no": 1, "reason": None}
    result = _operator(org).execute_complete({"params": params}, _answer("驳回", "you.shiye", "名称不规范"))
    assert result["state"] == "rejected" and application_status(org, rejected)["state"] == "rejected"
    decide(org, application_id=elsewhere, approver_id="news_head", decision="approved", via="cli", now=NOW)
    late = _operator(org).execute_complete({"params": {"application_id": elsewhere, "step_no": 1, "reason": None}},
                                           _answer("批准", "you.shiye"))
    assert late["recorded"] is False

    class FakeApi:
        skipped: list = []

        def open_hitl_requests(self, dag_id):
            assert dag_id == "herald_account_approval"
            return [{"task_instance": {"dag_id": dag_id, "dag_run_id": f"account__{app}__1",
                                       "task_id": "ask_account_approver"}} for app in (rejected, elsewhere)] + [
                {"task_instance": {"dag_id": dag_id, "dag_run_id": "manual__x", "task_id": "ask_account_approver"}}]

        def skip_task_instance(self, dag_id, run_id, task_id, *, note, map_index=-1):
            self.skipped.append((run_id, note))

    api = FakeApi()
    assert close_requests_decided_elsewhere(org, api) == [f"account__{rejected}__1", f"account__{elsewhere}__1"]
    assert "已驳回" in api.skipped[0][1] and "当前待审批为第2步" in api.skipped[1][1]


@pytest.mark.integrity
def test_the_router_routes_account_steps_and_the_account_approval_dag_parses():
    from pathlib import Path

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(Path(__file__).resolve().parents[1] / "dags" / "approvals.py"))
    assert bag.import_errors == {}
    router, dag = bag.dags["herald_approval_router"], bag.dags["herald_account_approval"]
    assert {"account_steps_to_route", "route_account_step", "close_account_requests_answered_elsewhere"} <= set(router.task_ids)
    ask = dag.get_task("ask_account_approver")
    assert type(ask).__name__ == "HeraldAccountApprovalStepOperator" and ask.pool == "herald_db"
    assert set(dag.params) == {"application_id", "step_no"} and dag.dag_display_name == "账号开通审批"
    assert {"ACC-1", "ACC-2", "herald"} <= set(dag.tags) and dag.doc_md


def test_on_the_demo_world_the_demo_step_opens_an_account_the_registry_check_accepts(demo_world, tmp_path):
    """The demo's story on the real organisation: every step of 000's chain has a holder, the account opens, and the
    registry check (ACC-1, ACC-3) finds nothing missing on it."""
    from herald.posts.policies import default_policy_for
    from herald.registry import check_registry
    from herald_dev.accounts_demo import run_account_application

    result = run_account_application(demo_world, tmp_path / "accounts")
    assert result["state"] == "approved" and result["account_state"] == "active" and result["refused_cells"] == 4
    status = application_status(demo_world, result["application_id"])
    assert [s["unit_id"] for s in status["chain"]] == ["u-g-ess", "u-g-ies", "u-g-admin", "u-g-gmo", "u-g-fin", "u-g-admin"]
    assert all(s["decided"]["decision"] == "approved" for s in status["chain"])
    with demo_world.transaction() as tx:
        findings, _read = check_registry(tx, default_policy_for)
    assert [f for f in findings if f.subject_id == result["account_id"]] == []
    report = result["report"].read_text(encoding="utf-8")
    assert "备案登记表!B4（新媒体平台） [ORG-1]" in report and "账号状态 active" in report
    assert (tmp_path / "accounts" / "备案登记表模板.xlsx").read_bytes()[:2] == b"PK"
