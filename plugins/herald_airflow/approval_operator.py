"""Approvers are asked where they work: one approval step as an Airflow human-in-the-loop task (PUB-1, PUB-2).

One run of ``herald_post_approval`` asks one step of one post's chain, for one content version.
Its run id names all three (``herald.posts.approval_requests.AskedStep``), so routing the same step
twice is refused by Airflow as a duplicate run, and the sync pass can tell from an open request
which step it asks.

What is pending, who is asked, what the request says and how an answer is recorded are plain
functions in ``herald.posts.approval_requests``; this operator only wires them into ``HITLOperator``:
a step no longer pending is skipped when asking, an answer to it is logged and not written, and a
refused answer or a timeout fails the task.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param
from airflow.sdk.definitions.param import ParamsDict
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from herald.posts.approval_requests import (
    APPROVAL_DAG_ID,
    APPROVE,
    REJECT,
    AnswerRefused,
    ApprovalRequest,
    AskedStep,
    NobodyToAsk,
    StepNotPending,
    prepare_request,
    responder_login,
)
from herald.posts.approval_requests import record_answer as write_answer

# What the DAG file needs, from here: DAG files import no herald module at the top level.
__all__ = ["APPROVAL_DAG_ID", "APPROVAL_TASK_ID", "ChainFunctions", "HeraldApprovalStepOperator"]

APPROVAL_TASK_ID = "ask_approver"


class ChainFunctions(NamedTuple):
    """What asking one step of a chain needs from its plain functions: the asked step from the run's params, the
    request (``StepNotPending`` / ``NobodyToAsk`` when it cannot be asked), writing the answer, and a log label."""

    asked_from_params: Callable[[Mapping[str, Any]], Any]
    prepare_request: Callable[..., ApprovalRequest]
    write_answer: Callable[..., dict[str, Any]]
    describe: Callable[[Any], str]


class HeraldApprovalStepOperator(HITLOperator):
    """Ask the holders of a step's role to approve or reject the post named by the DAG run's params.

    Params (the run's conf, set by the router): ``post_id``, ``content_hash`` (the version being
    asked about: the decision binds to it) and ``step_no``. Reads Herald's database through the
    ``herald_db`` connection.
    """

    def __init__(self, *, herald_conn_id: str = "herald_db", **kwargs) -> None:
        # The DAG passes its own params in too; HITLOperator keeps only the task's for the answer form.
        given = kwargs.pop("params", None) or {}
        params = ParamsDict({key: given.get_param(key) if isinstance(given, ParamsDict) else given[key]
                             for key in given})
        params["reason"] = Param(None, type=["null", "string"], title="理由", description="驳回时必填；批准时可填写意见",
                                 source="task")
        super().__init__(
            subject="Herald 审批请求",  # replaced at execute() by the post's own subject
            options=[APPROVE, REJECT],
            multiple=False,
            params=params,
            **kwargs,
        )
        self.herald_conn_id = herald_conn_id

    def _database(self):
        from herald_airflow.hooks import HeraldDatabaseHook

        return HeraldDatabaseHook(self.herald_conn_id).get_database()

    @staticmethod
    def _now() -> datetime:
        return datetime.now(UTC)

    # The chain's plain functions: the account application operator asks the same way about another kind of
    # chain by naming its own ``ChainFunctions`` (from ``herald.accounts.requests``); the HITL wiring serves both.
    chain = ChainFunctions(
        asked_from_params=AskedStep.from_params, prepare_request=prepare_request, write_answer=write_answer,
        describe=lambda asked: f"step {asked.step_no} of post {asked.post_id} (hash {asked.content_hash[:12]})")

    def prepare(self, context: Mapping[str, Any]) -> ApprovalRequest:
        """Read the subject of the chain and fill in the request; skip if the step is no longer the one to ask."""
        asked = self.chain.asked_from_params(context["params"])
        try:
            request = self.chain.prepare_request(self._database(), asked, self._now())
        except StepNotPending as not_pending:
            why = str(not_pending)
            self.log.info("Not asking %s: no longer pending (%s)", self.chain.describe(asked), why)
            raise AirflowSkipException(why) from None
        except NobodyToAsk as nobody:
            raise AirflowFailException(str(nobody)) from None
        self.subject, self.body = request.subject, request.body
        self.assigned_users, self.response_timeout = request.assigned_users, request.response_timeout
        self.log.info("Asking %s of %s, answer within %s", self.chain.describe(asked),
                      [u["id"] for u in request.assigned_users], request.response_timeout)
        return request

    def execute(self, context):
        self.prepare(context)
        return super().execute(context)

    def execute_complete(self, context, event: dict[str, Any]) -> dict[str, Any]:
        if "error" in event:
            # Timed out without an answer (there are no defaults): the request lapses; the step stays
            # pending for the CLI and the API, and the post expires at its publish time if nobody decides.
            raise AirflowFailException(f"审批请求已超时，无人答复：{event.get('error')}")
        answer = super().execute_complete(context, event)
        return self.record_answer(context, answer)

    def record_answer(self, context: Mapping[str, Any], answer: Mapping[str, Any]) -> dict[str, Any]:
        """Write the answer through ``decide`` unless another door has decided the step already."""
        responder = answer.get("responded_by_user") or {}
        try:
            return self.chain.write_answer(self._database(), self.chain.asked_from_params(context["params"]),
                                           login=responder_login(responder), option=answer["chosen_options"][0],
                                           reason=(answer.get("params_input") or {}).get("reason"), now=self._now(),
                                           log=self.log)
        except AnswerRefused as refused:
            raise AirflowFailException(str(refused)) from None
