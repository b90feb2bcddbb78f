"""The HTTP door's routes for account changes and handovers (ACC-4, ACC-5) and delegated access (PUB-6), at ``/herald``.

Each acts as the signed-in person: the filer of a change or handover, the applicant, the approver, the delegate.
"""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter

from herald.boundary import PostIn
from herald.boundary.account_changes import ChangeIn, DelegationDecisionIn, DelegationIn, FilingIn, HandoverIn, RevocationIn
from herald_airflow import api_common as door
from herald_airflow.api_common import IdempotencyKey, PostId, claim, once, person_for, shown
from herald_airflow.platform_hooks import safe_domains_for

router = APIRouter(tags=["账号变更、交接与活动授权"])


@router.post("/accounts/{account_id}/changes", status_code=201, summary="备案账号变更（ACC-4，5 个工作日内书面备案）")
def file_change(account_id: PostId, user: GetUserDep, body: ChangeIn, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.accounts import changes

    person, now = person_for(user), door.now()
    common = dict(change_kind=body.change_kind, new_value=body.new_value, old_value=body.old_value,
                  effective_on=body.effective_on, now=now)

    def run(db):
        if body.noted:
            return changes.note_change(db, account_id, noted_by=person["person_id"], **common)
        return changes.file_change(db, account_id, filed_by=person["person_id"], filing_ref=body.filing_ref, **common)

    return once(person, idempotency_key, f"POST /accounts/{account_id}/changes", body, 201, run)


@router.post("/changes/{change_id}/filing", summary="为已登记的未备案变更补交书面备案（ACC-4）")
def file_noted(change_id: PostId, user: GetUserDep, body: FilingIn, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.accounts import changes

    person, now = person_for(user), door.now()
    return once(person, idempotency_key, f"POST /changes/{change_id}/filing", body, 200,
                lambda db: changes.file_noted_change(db, change_id, filed_by=person["person_id"], filing_ref=body.filing_ref,
                                                     now=now))


@router.post("/accounts/{account_id}/handovers", status_code=201, summary="运营人员交接备案（ACC-5）；交接后轮换平台凭据")
def file_handover(account_id: PostId, user: GetUserDep, body: HandoverIn, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.accounts import changes

    person, now = person_for(user), door.now()
    return once(person, idempotency_key, f"POST /accounts/{account_id}/handovers", body, 201,
                lambda db: changes.file_handover(db, account_id, filed_by=person["person_id"], now=now, **body.model_dump()))


@router.get("/accounts/{account_id}/changes", summary="账号的变更和交接记录（含凭据轮换状态）")
def show_changes(account_id: PostId, user: GetUserDep) -> dict[str, Any]:
    from herald.accounts import changes

    return shown(user, lambda db: changes.account_changes(db, account_id))


@router.post("/accounts/{account_id}/delegations", status_code=201, summary="申请活动授权（PUB-6）")
def apply_delegation(account_id: PostId, user: GetUserDep, body: DelegationIn,
                     idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.accounts import delegations

    person, now = person_for(user), door.now()
    return once(person, idempotency_key, f"POST /accounts/{account_id}/delegations", body, 201,
                lambda db: delegations.apply(db, account_id, applied_by=person["person_id"], now=now, **body.model_dump()))


@router.post("/delegations/{delegation_id}/decisions", summary="批准或不批准活动授权（主管部门负责人本人）")
def decide_delegation(delegation_id: PostId, user: GetUserDep, body: DelegationDecisionIn,
                      idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.accounts import delegations

    person, now = person_for(user), door.now()
    return once(person, idempotency_key, f"POST /delegations/{delegation_id}/decisions", body, 200,
                lambda db: delegations.decide(db, delegation_id, approver_id=person["person_id"], decision=body.decision,
                                              reason=body.reason, now=now))


@router.post("/delegations/{delegation_id}/revocation", summary="提前收回活动授权")
def revoke_delegation(delegation_id: PostId, user: GetUserDep, body: RevocationIn,
                      idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.accounts import delegations

    person, now = person_for(user), door.now()
    return once(person, idempotency_key, f"POST /delegations/{delegation_id}/revocation", body, 200,
                lambda db: delegations.revoke(db, delegation_id, revoked_by=person["person_id"], reason=body.reason, now=now))


@router.post("/delegations/{delegation_id}/posts", status_code=201, summary="在授权时段内提交一条信息（授权人员本人）")
def queue_delegated(delegation_id: PostId, user: GetUserDep, body: PostIn,
                    idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.accounts import delegations
    from herald.posts.lifecycle import post_status

    person = person_for(user)
    author = claim("author_id", body.author_id, person, "PUB-3", "不能以他人名义提交信息")
    request, now = body.to_domain(author_id=author), door.now()
    return once(person, idempotency_key, f"POST /delegations/{delegation_id}/posts", body, 201,
                lambda db: post_status(db, delegations.queue_delegated_post(db, delegation_id, request, now=now,
                                                                            safe_domains_for=safe_domains_for)))


@router.get("/delegations/{delegation_id}", summary="活动授权的状态、人员、记录和信息")
def show_delegation(delegation_id: PostId, user: GetUserDep) -> dict[str, Any]:
    from herald.accounts import delegations

    return shown(user, lambda db: delegations.delegation_status(db, delegation_id))
