"""The HTTP door's routes for complaints (SEC-4): register, list, show, assign, answer, follow up.

Mounted at ``/herald``. The person is the signed-in one (``person_for``); ``herald.complaints`` decides who may act
(the people of the account's host unit and its competent department; only the assignee answers). Answers: 201 with
the complaint (its clocks and history), 404 for an unknown complaint, 409 for a step that does not apply to its
state, 422 for a refusal, each with the violations in Chinese.
"""

from __future__ import annotations

from typing import Annotated, Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import Query

from herald.boundary.complaints import (
    COMPLAINT_ID_PATTERN,
    ComplaintAnswerIn,
    ComplaintAssignIn,
    ComplaintFollowUpIn,
    ComplaintIn,
    ComplaintsQueryIn,
)
from herald.errors import ValidationError
from herald_airflow import api_common as door
from herald_airflow.api_common import IdempotencyKey, database, once, person_for, records_door, refusal

router, ComplaintIdPath = records_door("投诉", COMPLAINT_ID_PATTERN, "投诉编号（CPL-开头）")


def _answer(error: ValidationError):
    from herald.complaints import ComplaintConflict, ComplaintNotFound

    status = 404 if isinstance(error, ComplaintNotFound) else 409 if isinstance(error, ComplaintConflict) else 422
    return refusal(status, error.violations)


def _act(user, key: str | None, operation: str, body: Any, step) -> Any:
    person, now = person_for(user), door.now()

    def run(db) -> dict[str, Any]:
        with db.transaction() as tx:
            return step(tx, person["person_id"], now)

    try:
        return once(person, key, operation, body, 201, run)
    except ValidationError as error:
        return _answer(error)


@router.post("/complaints", status_code=201, summary="登记一条经账号收到的投诉（登记人为登录的本人）")
def register(user: GetUserDep, body: ComplaintIn, idempotency_key: IdempotencyKey = None) -> Any:
    from herald.complaints import register_complaint

    return _act(user, idempotency_key, "POST /complaints", body, lambda tx, person_id, now: register_complaint(
        tx, account_id=body.account_id, content=body.content, channel=body.channel, received_at=body.received_at,
        source_ref=body.source_ref, complainant=body.complainant, contact=body.contact, actor=person_id, via="api",
        now=now))


@router.get("/complaints", summary="本人所在单位（主办单位或主管部门）账号收到的投诉")
def list_all(user: GetUserDep, query: Annotated[ComplaintsQueryIn, Query()]) -> dict[str, Any]:
    from herald.complaints import list_complaints

    person = person_for(user)
    with database().transaction() as tx:
        rows = list_complaints(tx, person_id=person["person_id"], now=door.now(), states=query.states(),
                               account_id=query.account_id, limit=query.limit)
    return {"person_id": person["person_id"], "count": len(rows), "complaints": rows}


@router.get("/complaints/{complaint_id}", summary="一条投诉的详情、各环节时限和处理记录")
def show(complaint_id: ComplaintIdPath, user: GetUserDep) -> Any:
    from herald.complaints import complaint_detail

    person_for(user)
    try:
        with database().transaction() as tx:
            return complaint_detail(tx, complaint_id, now=door.now())
    except ValidationError as error:
        return _answer(error)


@router.post("/complaints/{complaint_id}/assignment", status_code=201, summary="受理：指定承办人（或改派）")
def assign(complaint_id: ComplaintIdPath, user: GetUserDep, body: ComplaintAssignIn,
           idempotency_key: IdempotencyKey = None) -> Any:
    from herald.complaints import assign_complaint

    return _act(user, idempotency_key, f"POST /complaints/{complaint_id}/assignment", body,
                lambda tx, person_id, now: assign_complaint(tx, complaint_id, assignee_id=body.assignee_id,
                                                            note=body.note, person_id=person_id, via="api", now=now))


@router.post("/complaints/{complaint_id}/answer", status_code=201, summary="答复（仅承办人本人）")
def answer(complaint_id: ComplaintIdPath, user: GetUserDep, body: ComplaintAnswerIn,
           idempotency_key: IdempotencyKey = None) -> Any:
    from herald.complaints import answer_complaint

    return _act(user, idempotency_key, f"POST /complaints/{complaint_id}/answer", body,
                lambda tx, person_id, now: answer_complaint(tx, complaint_id, answer=body.answer, person_id=person_id,
                                                            via="api", now=now))


@router.post("/complaints/{complaint_id}/follow-up", status_code=201, summary="回访：记录回访结果")
def follow_up(complaint_id: ComplaintIdPath, user: GetUserDep, body: ComplaintFollowUpIn,
              idempotency_key: IdempotencyKey = None) -> Any:
    from herald.complaints import follow_up_complaint

    return _act(user, idempotency_key, f"POST /complaints/{complaint_id}/follow-up", body,
                lambda tx, person_id, now: follow_up_complaint(tx, complaint_id, outcome=body.outcome, note=body.note,
                                                               person_id=person_id, via="api", now=now))
