"""What every route of Herald's HTTP door shares: the database, the signed-in person, refusals, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.responses import JSONResponse

from herald.boundary.models import ID_PATTERN
from herald.errors import ValidationError, Violation
from herald.idempotency import HEADER, KEY_HELP

PostId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="信息编号")]
# Checked by herald.idempotency (its refusal says what a key may be), so typed here only as optional text.
IdempotencyKey = Annotated[str | None, Header(alias=HEADER, description=KEY_HELP)]


def id_path(pattern: str, description: str) -> Any:
    """The path parameter of a record's id: checked against its pattern before a route reads anything."""
    return Annotated[str, Path(pattern=pattern, description=description)]


def records_door(tag: str, id_pattern: str, id_description: str) -> tuple[APIRouter, Any]:
    """The router of one kind of record (applications, complaints) and the path type of its ids."""
    return APIRouter(tags=[tag]), id_path(id_pattern, id_description)


_cache: dict[str, Any] = {}


def database():
    """Herald's DB from the ``herald_db`` connection (env variable or metadata DB), read in the api-server."""
    from airflow.models.connection import Connection

    from herald.connection_url import HERALD_DB_CONN_ID, url_from_fields
    from herald.db import Database

    conn = Connection.get_connection_from_secrets(HERALD_DB_CONN_ID)
    url = url_from_fields(conn.conn_type, conn.host, conn.login, conn.password, conn.port, conn.schema)
    cached = _cache.get("db")
    if cached is None or cached.url != Database.normalised(url):
        _cache["db"] = Database(url)
    return _cache["db"]


def forget_database() -> None:
    """Drop the cached database (tests point the connection elsewhere between cases)."""
    _cache.pop("db", None)


def now() -> datetime:
    return datetime.now(UTC)


def person_for(user) -> dict[str, Any]:
    login = user.get_name()
    person = database().fetch_one("posts/person_by_login", login=login)
    if person is None:
        raise ValidationError([Violation("user", "PUB-3", f"Airflow 用户“{login}”未对应任何在册人员，无权操作")])
    return person


def refusal(status: int, violations: list[Violation]) -> JSONResponse:
    return JSONResponse(status_code=status, content={"refused": True, "violations": [v.as_dict() for v in violations]})


def claim(field: str, claimed: str | None, person: dict[str, Any], rule: str, message: str) -> str:
    if claimed and claimed != person["person_id"]:
        raise ValidationError([Violation(field, rule, message)])
    return person["person_id"]


def once(person: dict[str, Any], key: str | None, operation: str, body: Any, status: int, run) -> Any:
    """``run(db)`` once per Idempotency-Key of this person: a repeat gets the first answer, marked as replayed."""
    from fastapi.encoders import jsonable_encoder

    from herald.idempotency import once as remembered_once

    answer = remembered_once(database(), key=key, actor=person["person_id"], operation=operation, request=body,
                             run=lambda db: jsonable_encoder(run(db)), now=now(), status=status)
    if answer.replayed:
        return JSONResponse(answer.body, status_code=answer.status, headers={"Idempotent-Replayed": "true"})
    return answer.body


def shown(user, read) -> Any:
    """A read route's answer: ``read(db)`` for a registered person, 404 when the record it names is unknown (the
    readers raise ``ValidationError`` naming the id)."""
    person_for(user)
    try:
        return read(database())
    except ValidationError as error:
        return refusal(404, error.violations)
