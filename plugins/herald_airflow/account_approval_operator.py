"""Creation-chain approvers asked where they work: one step of an account application as a human-in-the-loop task (ACC-2).

One run of ``herald_account_approval`` asks one step of one application; its run id names both
(``herald.accounts.requests.AskedAccountStep``). The operator is the post approval operator's HITL wiring with the
account application's functions: a step no longer pending is skipped when asking, an answer to a step decided
elsewhere is logged and not written, a refused answer or a timeout fails the task.
"""

from __future__ import annotations

from herald.accounts.requests import ACCOUNT_APPROVAL_DAG_ID, AskedAccountStep, prepare_request, record_answer
from herald_airflow.approval_operator import ChainFunctions, HeraldApprovalStepOperator

__all__ = ["ACCOUNT_APPROVAL_DAG_ID", "ACCOUNT_APPROVAL_TASK_ID", "HeraldAccountApprovalStepOperator"]

ACCOUNT_APPROVAL_TASK_ID = "ask_account_approver"


class HeraldAccountApprovalStepOperator(HeraldApprovalStepOperator):
    """Ask the holders of a creation step's role to approve or reject the application named by the run's params
    (``application_id``, ``step_no``, set by the router)."""

    chain = ChainFunctions(asked_from_params=AskedAccountStep.from_params, prepare_request=prepare_request,
                           write_answer=record_answer,
                           describe=lambda asked: f"step {asked.step_no} of application {asked.application_id}")
