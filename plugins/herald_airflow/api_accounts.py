"""The HTTP door's routes for account applications (ACC-1, ACC-2, ACC-3), mounted at ``/herald``.

The registration form (备案登记表) is filed as JSON or as the Excel form units fill in (base64 in a JSON body: the door
takes JSON only), by the signed-in person, who is the applicant; each step of the creation chain is answered by the
signed-in person, who must hold the step's role for its unit. Answers: 201 for a filed application, 404 for an unknown
one, 422 for a refusal (every field or cell named, with its rule, in Chinese; nothing stored).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import Query
from fastapi.responses import Response

from herald.boundary.accounts import (
    APPLICATION_ID_PATTERN,
    AccountApplicationIn,
    AccountDecisionIn,
    AccountImportIn,
    ApplicationsQueryIn,
)
from herald_airflow import api_common as door
from herald_airflow.api_common import IdempotencyKey, claim, database, once, person_for, records_door, refusal, shown

router, ApplicationIdPath = records_door("账号", APPLICATION_ID_PATTERN, "开通申请编号（APP-开头）")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/accounts/applications", status_code=201, summary="提交账号开通申请（备案登记表），按开通审批链审批")
def apply(user: GetUserDep, body: AccountApplicationIn, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.accounts.records import application_status
    from herald.accounts.registration import apply_for_account

    person, now = person_for(user), door.now()

    def run(db) -> dict[str, Any]:
        filed = apply_for_account(db, body.to_domain(), applicant_id=person["person_id"], via="api", now=now)
        return application_status(db, filed["application_id"])

    return once(person, idempotency_key, "POST /accounts/applications", body, 201, run)


@router.post("/accounts/applications/import", status_code=201,
             summary="导入单位填好的 Excel 备案登记表（base64）；任一单元格有误则全部不导入")
def import_form(user: GetUserDep, body: AccountImportIn, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.accounts.excel import import_form as import_excel
    from herald.accounts.records import application_status

    person, now = person_for(user), door.now()

    def run(db) -> dict[str, Any]:
        filed = import_excel(db, body.content_base64, filename=body.filename, applicant_id=person["person_id"], now=now)
        return application_status(db, filed["application_id"])

    # The idempotency record keeps the request's hash: the file's bytes are hashed, not stored twice.
    request = {"filename": body.filename, "content_base64": base64.b64encode(body.content_base64).decode("ascii")}
    return once(person, idempotency_key, "POST /accounts/applications/import", request, 201, run)


@router.get("/accounts/applications/template", summary="空白备案登记表（Excel 模板）", response_class=Response)
def template(user: GetUserDep) -> Response:
    from herald.accounts.excel import template_bytes

    person_for(user)
    return Response(template_bytes(), media_type=XLSX,
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''%E5%A4%87%E6%A1%88%E7%99%BB%E8%AE%B0%E8%A1%A8.xlsx"})


@router.get("/accounts/applications", summary="开通申请列表（最新在前）")
def list_applications(user: GetUserDep, query: Annotated[ApplicationsQueryIn, Query()]) -> dict[str, Any]:
    from herald.accounts.records import list_applications as listed

    person_for(user)
    rows = listed(database(), state=query.state, limit=query.limit)
    return {"count": len(rows), "applications": rows}


@router.get("/accounts/applications/{application_id}", summary="一份开通申请：登记信息、审批链和历史")
def show(application_id: ApplicationIdPath, user: GetUserDep) -> dict[str, Any]:
    from herald.accounts.records import application_status

    return shown(user, lambda db: application_status(db, application_id))


@router.post("/accounts/applications/{application_id}/decisions", summary="审批开通申请的当前一步（同意或驳回）")
def decide(application_id: ApplicationIdPath, user: GetUserDep, body: AccountDecisionIn,
           idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.accounts.approval import decide as record_decision

    person, now = person_for(user), door.now()
    approver = claim("approver_id", body.approver_id, person, "ACC-2", "不能以他人名义审批")
    if database().fetch_one("accounts/application", application_id=application_id) is None:
        from herald.errors import Violation

        return refusal(404, [Violation("application_id", "ACC-2", f"开通申请“{application_id}”不存在")])
    return once(person, idempotency_key, f"POST /accounts/applications/{application_id}/decisions", body, 200,
                lambda db: record_decision(db, application_id=application_id, approver_id=approver,
                                           decision=body.decision, reason=body.reason, step_no=body.step_no,
                                           is_sealed=body.is_sealed, via="api", now=now))
