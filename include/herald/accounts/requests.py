"""Asking creation-chain approvers in Airflow (ACC-2): which step is pending, who may answer, how an answer counts.

One run of ``herald_account_approval`` asks one step of one application (:class:`AskedAccountStep`); its run id
names both, so the router never asks a step twice. The step may be decided through another door (the CLI, the HTTP
door) at any moment, so the application is read again when asking (:func:`prepare_request`) and when the answer
comes (:func:`record_answer`); every answer is written through ``herald.accounts.approval.decide``. The same shape as
the post approvals of ``herald.posts.approval_requests`` (whose request and error types are reused).

Plain functions over Herald's database; ``herald_airflow.account_approval_operator`` wires them into Airflow.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from herald.posts.approval_requests import (
    APPROVE,
    DECISION_OF_OPTION,
    REJECT,
    AnswerRefused,
    ApprovalRequest,
    NobodyToAsk,
    StepNotPending,
)

ACCOUNT_APPROVAL_DAG_ID = "herald_account_approval"
_log = logging.getLogger(__name__)
__all__ = ["ACCOUNT_APPROVAL_DAG_ID", "APPROVE", "REJECT", "AnswerRefused", "ApprovalRequest", "AskedAccountStep",
           "NobodyToAsk", "StepNotPending", "close_requests_decided_elsewhere", "pending_steps", "prepare_request",
           "record_answer", "why_not_pending"]


@dataclass(frozen=True)
class AskedAccountStep:
    application_id: str
    step_no: int

    _RUN_ID = re.compile(r"^account__(?P<application_id>APP-[0-9a-f]{16})__(?P<step>\d+)$")

    @property
    def run_id(self) -> str:
        return f"account__{self.application_id}__{self.step_no}"

    @classmethod
    def from_run_id(cls, run_id: str) -> AskedAccountStep | None:
        match = cls._RUN_ID.match(run_id)
        return cls(match["application_id"], int(match["step"])) if match else None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> AskedAccountStep:
        return cls(str(params["application_id"]), int(params["step_no"]))

    def trigger_kwargs(self) -> dict[str, Any]:
        return {"trigger_run_id": self.run_id, "conf": {"application_id": self.application_id, "step_no": self.step_no}}


def _load(db, application_id: str) -> dict[str, Any] | None:
    return db.fetch_one("accounts/application", application_id=application_id)


def why_not_pending(application: Mapping[str, Any] | None, asked: AskedAccountStep) -> str | None:
    """None while the asked step still awaits a decision; otherwise why not, in words for people."""
    from herald.accounts.approval import STATE_ZH, current_step

    if application is None:
        return f"开通申请“{asked.application_id}”不存在"
    step = current_step(dict(application))
    if step is not None and step.step_no == asked.step_no:
        return None
    if application["state"] != "pending":
        return f"开通申请{STATE_ZH.get(application['state'], application['state'])}：{application['state_reason']}"
    return f"第{asked.step_no}步已审批（当前待审批为{step.title if step else '无'}）"


def pending_steps(db) -> list[AskedAccountStep]:
    """The current step of every pending application."""
    return [AskedAccountStep(row["application_id"], row["current_step_no"]) for row in db.fetch("accounts/pending")]


def build_request(application: Mapping[str, Any], policy: Any, holders: list[Mapping[str, Any]],
                  asked: AskedAccountStep) -> ApprovalRequest:
    """Subject, body (Markdown, Chinese), assignees and timeout of the request for the asked step."""
    from herald.accounts.approval import current_step
    from herald.accounts.chain import chain_from_json
    from herald.accounts.registration import PLATFORM_LABELS
    from herald.timeutil import format_shanghai

    step = current_step(dict(application))
    chain = chain_from_json(json.loads(application["chain"]))
    platform = PLATFORM_LABELS.get(application["platform"], application["platform"])
    subject = f"【账号开通审批】{application['account_name']}（{platform}）：{step.title}，共{len(chain)}步"
    lines = [
        f"- **账号**：{application['account_name']}（{platform}，账号ID {application['platform_account_id'] or '未填'}）",
        f"- **申请部门**：{application['applying_unit_name']}；**申请人**：{application['applicant_name']}",
        f"- **宗旨**：{application['purpose'] or '未填'}",
        f"- **内容范围**：{application['content_scope'] or '未填'}",
        f"- **本步**：{step.title}；角色：{policy.roles.get(step.role, step.role)}（{policy.policy_id}号制度）",
        f"- **提交时间**：{format_shanghai(application['submitted_at'])}",
        "", "**审批链**：", "",
        *[f"{'→' if s.step_no == step.step_no else '-'} {s.title}" for s in chain], "",
        f"选择“{APPROVE}”或“{REJECT}”；驳回时必须在“理由”中写明原因。最后一步批准后账号即开通。",
    ]
    hours = policy.creation_approval.response_timeout_hours if policy.creation_approval else 72
    assigned = [{"id": h["login"], "name": f"{h['name']}（{h['login']}）"} for h in holders if h.get("login")]
    return ApprovalRequest(subject=subject, body="\n".join(lines), assigned_users=assigned,
                           response_timeout=timedelta(hours=hours))


def prepare_request(db, asked: AskedAccountStep, now: datetime, *,
                    policy_for: Callable[[str], Any] | None = None) -> ApprovalRequest:
    """Read the application and build the request; ``StepNotPending`` or ``NobodyToAsk`` when it cannot be asked."""
    from herald.accounts.approval import current_step, step_holders
    from herald.posts.policies import default_policy_for
    from herald.timeutil import local_day

    application = _load(db, asked.application_id)
    why = why_not_pending(application, asked)
    if why is not None:
        raise StepNotPending(why)
    policy = (policy_for or default_policy_for)(application["policy_id"])
    step = current_step(application)
    with db.transaction() as tx:
        holders = step_holders(tx, step, local_day(now))
    request = build_request(application, policy, holders, asked)
    if not request.assigned_users:
        raise NobodyToAsk(f"开通申请 {asked.application_id} 的{step.title}当前无人可以审批"
                          f"（{step.unit_name}无人担任{policy.roles.get(step.role, step.role)}，或担任者没有 Airflow 登录名）")
    return request


def record_answer(db, asked: AskedAccountStep, *, login: str | None, option: str, reason: str | None, now: datetime,
                  log: logging.Logger | logging.LoggerAdapter = _log) -> dict[str, Any]:
    """Write an answer through ``decide`` unless another door decided the step already (then logged, not written)."""
    from herald.accounts.approval import decide
    from herald.errors import ValidationError

    decision = DECISION_OF_OPTION[option]
    person = db.fetch_one("accounts/person_by_login", login=login)
    if person is None:
        raise AnswerRefused(f"Airflow 用户“{login}”未对应任何在册人员，其答复不能作为审批记录")
    outcome = {"application_id": asked.application_id, "step_no": asked.step_no, "responder": login, "decision": decision}
    why = why_not_pending(_load(db, asked.application_id), asked)
    if why is not None:
        log.info("Answer of %s to step %s of %s not recorded: decided elsewhere (%s)",
                 login, asked.step_no, asked.application_id, why)
        return {**outcome, "recorded": False, "why": why}
    try:
        result = decide(db, application_id=asked.application_id, approver_id=person["person_id"], decision=decision,
                        via="hitl", now=now, reason=reason, step_no=asked.step_no)
    except ValidationError as refused:
        why = why_not_pending(_load(db, asked.application_id), asked)
        if why is not None:
            return {**outcome, "recorded": False, "why": why}
        raise AnswerRefused("审批未被记录：" + "；".join(
            f"{v.field} [{v.rule_id}] {v.message}" for v in refused.violations)) from None
    log.info("Recorded %s of step %s of %s by %s via hitl; application is now %s",
             decision, asked.step_no, asked.application_id, person["person_id"], result["state"])
    return {**outcome, "recorded": True, "state": result["state"], "account_state": result["account_state"]}


def close_requests_decided_elsewhere(db, api, log=None) -> list[str]:
    """Skip open requests whose step is no longer pending (decided through the CLI or the HTTP door)."""
    closed = []
    for request in api.open_hitl_requests(ACCOUNT_APPROVAL_DAG_ID):
        ti = request["task_instance"]
        asked = AskedAccountStep.from_run_id(ti["dag_run_id"])
        if asked is None:
            continue
        why = why_not_pending(_load(db, asked.application_id), asked)
        if why is None:
            continue
        api.skip_task_instance(ti["dag_id"], ti["dag_run_id"], ti["task_id"], map_index=ti.get("map_index", -1),
                               note=f"Herald 已关闭此审批请求：{why}")
        if log is not None:
            log.info("Closed the open request of %s: %s", ti["dag_run_id"], why)
        closed.append(ti["dag_run_id"])
    return closed
