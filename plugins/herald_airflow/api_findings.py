"""The HTTP door's routes for findings: list the reader's, show one with its history, acknowledge, resolve.

Mounted at ``/herald``. The person is the signed-in one (``person_for``); who may act on which finding is
``herald.findings`` (the people of the finding's host unit and of its competent department, rule ORG-2).
Answers: 404 for an unknown finding, 409 for a change that does not apply to its state (already resolved), 422
for a refusal (no reason, not the person's unit), each with the violations in Chinese.
"""

from __future__ import annotations

from typing import Annotated, Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, Path, Query

from herald.boundary.models import FINDING_ID_PATTERN, FindingActionIn, FindingsQueryIn
from herald.errors import ValidationError
from herald_airflow import api_common as door
from herald_airflow.api_common import IdempotencyKey, database, once, person_for, refusal

router = APIRouter(tags=["问题"])

FindingIdPath = Annotated[str, Path(pattern=FINDING_ID_PATTERN, description="问题编号（F-开头）")]


def _answer(error: ValidationError):
    from herald.findings import FindingNotFound, FindingStateConflict

    status = 404 if isinstance(error, FindingNotFound) else 409 if isinstance(error, FindingStateConflict) else 422
    return refusal(status, error.violations)


@router.get("/findings", summary="本人所在单位（主办单位或主管部门）未关闭的问题")
def list_findings(user: GetUserDep, query: Annotated[FindingsQueryIn, Query()]) -> dict[str, Any]:
    from herald.findings import answerable_units, find_findings
    from herald.timeutil import local_day

    person = person_for(user)
    with database().transaction() as tx:
        units = answerable_units(tx, person["person_id"], day=local_day(door.now()))
        rows = find_findings(tx, states=query.states(), unit_ids=units, rule_id=query.rule_id, limit=query.limit)
    return {"person_id": person["person_id"], "count": len(rows), "findings": rows}


@router.get("/findings/{finding_id}", summary="一个问题的详情和处理历史")
def show_finding(finding_id: FindingIdPath, user: GetUserDep) -> dict[str, Any]:
    from herald.findings import finding_detail

    person_for(user)
    try:
        with database().transaction() as tx:
            return finding_detail(tx, finding_id)
    except ValidationError as error:
        return _answer(error)


def _act(action: str, finding_id: str, user, body: FindingActionIn, key: str | None, status: int):
    from herald import findings

    person, now = person_for(user), door.now()
    move = findings.acknowledge if action == "acknowledgements" else findings.resolve

    def run(db) -> dict[str, Any]:
        with db.transaction() as tx:
            return move(tx, finding_id, person_id=person["person_id"], reason=body.reason, via="api", now=now)

    try:
        return once(person, key, f"POST /findings/{finding_id}/{action}", body, status, run)
    except ValidationError as error:
        return _answer(error)


@router.post("/findings/{finding_id}/acknowledgements", status_code=201,
             summary="确认问题（已有人在处理；摘要中不再列出，扫描仍发现时保持已确认）")
def acknowledge(finding_id: FindingIdPath, user: GetUserDep, body: FindingActionIn,
                idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return _act("acknowledgements", finding_id, user, body, idempotency_key, 201)


@router.post("/findings/{finding_id}/resolutions", status_code=201,
             summary="标记问题已解决（扫描仍发现时会重新打开）")
def resolve(finding_id: FindingIdPath, user: GetUserDep, body: FindingActionIn,
            idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return _act("resolutions", finding_id, user, body, idempotency_key, 201)
