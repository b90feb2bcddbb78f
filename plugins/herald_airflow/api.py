"""The HTTP door for schedulers and approvers: a FastAPI app mounted on Airflow's api-server at ``/herald``.

Every route requires Airflow's authentication (``GetUserDep``); the Airflow login is mapped to a
Herald person (``people.login``), who is the author of what they queue and the approver of what
they decide, so nobody can queue or sign in someone else's name. Refusals come back as HTTP 422
with every violation: field, rule ID and message.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from airflow.api_fastapi.core_api.security import GetUserDep
from herald.errors import ValidationError, Violation

app = FastAPI(title="Herald", description="Queue timed releases, approve them, see where they stand.")


def _database():
    """Herald's DB from the ``herald_db`` connection (env variable or metadata DB), read in the api-server."""
    from airflow.models.connection import Connection

    from herald.connection_url import HERALD_DB_CONN_ID, url_from_fields
    from herald.db import Database

    conn = Connection.get_connection_from_secrets(HERALD_DB_CONN_ID)
    url = url_from_fields(conn.conn_type, conn.host, conn.login, conn.password, conn.port, conn.schema)
    cached = getattr(app.state, "herald_db", None)
    if cached is None or cached.url != Database.normalised(url):
        app.state.herald_db = Database(url)
    return app.state.herald_db


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _person_for(user) -> dict[str, Any]:
    login = user.get_name()
    person = _database().fetch_one("posts/person_by_login", login=login)
    if person is None:
        raise ValidationError([Violation("user", "PUB-3", f"Airflow 用户“{login}”未对应任何在册人员，无权操作")])
    return person


@app.exception_handler(ValidationError)
async def _refused(_request: Request, error: ValidationError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"refused": True, "violations": [v.as_dict() for v in error.violations]})


def _claim_author(body: dict[str, Any], person: dict[str, Any]) -> dict[str, Any]:
    claimed = body.get("author_id")
    if claimed and claimed != person["person_id"]:
        raise ValidationError([Violation("author_id", "PUB-3", "不能以他人名义提交信息")])
    return {**body, "author_id": person["person_id"]}


@app.post("/posts", status_code=201)
def queue_post(user: GetUserDep, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    from herald.posts.lifecycle import post_status
    from herald.posts.model import PostRequest
    from herald.posts.queue import queue_post as queue

    request = PostRequest.from_mapping(_claim_author(body, _person_for(user)))
    post_id = queue(_database(), request, now=_now())
    return post_status(_database(), post_id)


@app.post("/releases", status_code=201)
def queue_release(user: GetUserDep, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    from herald.posts.model import ReleaseRequest
    from herald.posts.queue import queue_release as queue

    person = _person_for(user)
    base = _claim_author(dict(body.get("base") or {}), person)
    release = ReleaseRequest(tuple(body.get("account_ids") or ()), base, body.get("variants") or {})
    release_id, post_ids = queue(_database(), release, now=_now())
    return {"release_id": release_id, "post_ids": post_ids}


@app.get("/posts/{post_id}")
def show_post(post_id: str, user: GetUserDep) -> dict[str, Any]:
    from herald.posts.lifecycle import post_status

    try:
        return post_status(_database(), post_id)
    except ValidationError as error:
        raise HTTPException(status_code=404, detail=[v.as_dict() for v in error.violations]) from None


@app.post("/posts/{post_id}/decisions")
def decide(post_id: str, user: GetUserDep, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    from herald.posts.approval import decide as record_decision

    person = _person_for(user)
    claimed = body.get("approver_id")
    if claimed and claimed != person["person_id"]:
        raise ValidationError([Violation("approver_id", "PUB-2", "不能以他人名义审批")])
    return record_decision(
        _database(), post_id=post_id, approver_id=person["person_id"], decision=str(body.get("decision", "")),
        content_hash=str(body.get("content_hash", "")), reason=body.get("reason"), via="api", now=_now(),
    )


@app.patch("/posts/{post_id}")
def edit(post_id: str, user: GetUserDep, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    from herald.posts.lifecycle import edit_post

    return edit_post(_database(), post_id, editor_id=_person_for(user)["person_id"], changes=body, now=_now())
