"""The HTTP door's routes for posts: queue, release, show, decide, edit, confirm a manual publication (at ``/herald``)."""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter

from herald.boundary import DecisionIn, EditIn, ManualConfirmationIn, PostIn, ReleaseIn
from herald.errors import ValidationError
from herald_airflow import api_common as door
from herald_airflow.api_common import IdempotencyKey, PostId, claim, database, once, person_for, refusal
from herald_airflow.platform_hooks import safe_domains_for  # CON-7: the Weibo link's safe domains, from the connection

router = APIRouter(tags=["信息"])


@router.post("/posts", status_code=201, summary="排期一条信息（按账号的审批链审批后定时发布）")
def queue_post(user: GetUserDep, body: PostIn, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.posts.lifecycle import post_status
    from herald.posts.queue import queue_post as queue

    person = person_for(user)
    author = claim("author_id", body.author_id, person, "PUB-3", "不能以他人名义提交信息")
    request, now = body.to_domain(author_id=author), door.now()
    return once(person, idempotency_key, "POST /posts", body, 201,
                 lambda db: post_status(db, queue(db, request, now=now, safe_domains_for=safe_domains_for)))


@router.post("/releases", status_code=201, summary="矩阵发布：一条信息发往多个账号（PUB-7）")
def queue_release(user: GetUserDep, body: ReleaseIn, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.posts.queue import queue_release as queue

    person = person_for(user)
    author = claim("base.author_id", body.base.author_id, person, "PUB-3", "不能以他人名义提交信息")
    release, now = body.to_domain(author_id=author), door.now()

    def run(db) -> dict[str, Any]:
        release_id, post_ids = queue(db, release, now=now, safe_domains_for=safe_domains_for)
        return {"release_id": release_id, "post_ids": post_ids}

    return once(person, idempotency_key, "POST /releases", body, 201, run)


@router.get("/posts/{post_id}", summary="一条信息的状态、审批链和历史")
def show_post(post_id: PostId, user: GetUserDep) -> dict[str, Any]:
    from herald.posts.lifecycle import post_status

    try:
        return post_status(database(), post_id)
    except ValidationError as error:
        return refusal(404, error.violations)


@router.post("/posts/{post_id}/decisions", summary="审批当前这一步（同意或驳回）")
def decide(post_id: PostId, user: GetUserDep, body: DecisionIn, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.posts.approval import decide as record_decision

    person = person_for(user)
    approver = claim("approver_id", body.approver_id, person, "PUB-2", "不能以他人名义审批")
    now = door.now()
    return once(person, idempotency_key, f"POST /posts/{post_id}/decisions", body, 200, lambda db: record_decision(
        db, post_id=post_id, approver_id=approver, decision=body.decision,
        content_hash=body.content_hash, reason=body.reason, via="api", now=now,
    ))


@router.patch("/posts/{post_id}", summary="修改待发布的信息（内容改动后原有审批作废）")
def edit(post_id: PostId, user: GetUserDep, body: EditIn, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.posts.lifecycle import edit_post

    person, now = person_for(user), door.now()
    return once(person, idempotency_key, f"PATCH /posts/{post_id}", body, 200,
                 lambda db: edit_post(db, post_id, editor_id=person["person_id"], changes=body.changes(), now=now,
                                      safe_domains_for=safe_domains_for))



@router.post("/posts/{post_id}/manual-confirmation", summary="回填人工发布渠道已发布信息的链接（仅限指定经办人本人，PUB-3、PUB-4）")
def confirm_manual(post_id: PostId, user: GetUserDep, body: ManualConfirmationIn,
                   idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    from herald.dispatch.manual import confirm_manual as confirm

    person, now = person_for(user), door.now()
    return once(person, idempotency_key, f"POST /posts/{post_id}/manual-confirmation", body, 200,
                lambda db: confirm(db, post_id, link=body.link, person_id=person["person_id"], now=now))
