"""Idempotency keys (issue 12): a request sent twice with the same key does its work once; the repeat gets the first answer.

Modelled on Stripe's idempotent requests and the IETF draft "The Idempotency-Key HTTP Header Field":

- A key is 1–255 printable ASCII characters chosen by the client (a UUID is a good choice), scoped to the
  acting person: one person's key never meets another's.
- The key remembers the operation (``POST /posts``, ``herald post edit P1``: the path, with its ids, is part of it),
  the SHA-256 of the canonical request (the parsed model's JSON, so whitespace and key order in the bytes sent do
  not matter) and the answer (status and JSON body, kept as text so a replay is the first answer byte for byte).
- Same key, same request: the stored answer is replayed (HTTP adds ``Idempotent-Replayed: true``).
  Same key, another request or operation: refused (HTTP 422, rule 格式, field ``Idempotency-Key``).
- Only a request that succeeded is remembered. A refusal (``ValidationError``) or a failure rolls back with the
  work, so a corrected request, or a retry after a crash, goes through with the same key.
- Keys live 24 hours (``KEY_TTL``, as Stripe's): a repeat after that runs the request again as new. Rows past
  their time are deleted whenever a new key is stored.

Ordering and restart safety: the key's row is written in the same transaction as the request's effect. The
operation runs on a view of the database bound to that transaction (each ``db.transaction()`` it opens is a
savepoint inside it), so the post and its key commit together or not at all, and a crash between them leaves
neither. A duplicate sent while the first is still running: on PostgreSQL a transaction-scoped advisory lock on
(actor, key) is tried without waiting, and a lock already held refuses the duplicate with ``InProgress`` (HTTP 409,
CLI exit 2) as the draft recommends; on SQLite every write transaction holds the whole database (BEGIN
IMMEDIATE), so the duplicate waits for the first to commit and then gets its answer replayed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from herald.boundary.documents import FORMAT_RULE
from herald.db import Database, Transaction
from herald.errors import ValidationError, Violation
from herald.timeutil import require_aware

HEADER = "Idempotency-Key"
KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
KEY_HELP = f"幂等键：1–{MAX_KEY_LENGTH} 个可打印 ASCII 字符（建议用 UUID）；24 小时内重发同一请求只执行一次，返回首次的结果"


@dataclass(frozen=True)
class Answer:
    """What a request answered: its status, its JSON-ready body, and whether this is a replay of the first answer."""

    status: int
    body: Any
    replayed: bool = False


class InProgress(ValidationError):
    """A request with the same key is still running (HTTP 409): retry once it has finished."""


def check_key(key: str, *, field: str = HEADER) -> str:
    """The key as given, or a refusal naming the field: 1–255 characters from space to tilde (0x20–0x7E)."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise ValidationError([Violation(field, FORMAT_RULE,
                                         f"幂等键须为 1–{MAX_KEY_LENGTH} 个可打印 ASCII 字符（字母、数字和符号，"
                                         "不含中文、控制字符），建议用 UUID")])
    return key


def fingerprint(request: Any) -> str:
    """SHA-256 of the request's canonical JSON: a parsed model (its fields as sent) or a JSON-ready mapping."""
    if hasattr(request, "model_dump"):
        request = request.model_dump(mode="json", exclude_unset=True)
    canonical = json.dumps(request, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def once(db: Database, *, key: str | None, actor: str, operation: str, request: Any,
         run: Callable[[Database], Any], now: datetime, status: int = 200, field: str = HEADER) -> Answer:
    """Run ``run(db)`` once per (actor, key): a repeat of the same request gets the first answer back.

    ``run`` gets the database to work on (for a keyed request, a view bound to the key's transaction: it must use
    that one, not another) and returns the answer's JSON-ready body. Without a key it simply runs.
    """
    if key is None:
        return Answer(status, run(db))
    key = check_key(key, field=field)
    now = require_aware(now, "now")
    request_sha256 = fingerprint(request)
    where = {"actor": actor, "idempotency_key": key}
    with db.transaction() as tx:
        if not tx.scalar("idempotency/lock", **where):
            raise InProgress([Violation(field, FORMAT_RULE, "同一幂等键的请求正在处理，请稍后重试")])
        tx.execute("idempotency/forget_expired", **where, cutoff=now - KEY_TTL)
        seen = tx.fetch_one("idempotency/find", **where)
        if seen is not None:
            if (seen["operation"], seen["request_sha256"]) != (operation, request_sha256):
                raise ValidationError([Violation(
                    field, FORMAT_RULE,
                    f"该幂等键已用于另一个请求（首次请求：{seen['operation']}）：重试请原样重发，新的请求请换一个新的幂等键")])
            return Answer(seen["response_status"], json.loads(seen["response_body"]), replayed=True)
        body = json.dumps(run(_Joined(db, tx)), ensure_ascii=False)
        tx.execute("idempotency/remember", **where, operation=operation, request_sha256=request_sha256,
                   response_status=status, response_body=body, created_at=now)
    with db.transaction() as tx:
        tx.execute("idempotency/prune", cutoff=now - KEY_TTL)
    return Answer(status, json.loads(body))


class _Joined(Database):
    """The database as an operation sees it inside a keyed request: every transaction it opens is a savepoint of
    the key's own, so its writes commit with the key's row (and a block it abandons rolls back as it would have)."""

    def __init__(self, db: Database, tx: Transaction):  # no engine of its own: everything goes through ``tx``
        self.url, self.dialect = db.url, db.dialect
        self._tx = tx

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._tx.connection.begin_nested():
            yield self._tx

    def dispose(self) -> None:
        """Nothing to release: the connection is the keyed request's."""

    def __repr__(self) -> str:
        return f"<{self.dialect} transaction of a keyed request>"


def jsonable(value: Any) -> Any:
    """A result with dates and the like as the text the CLI has always printed for them (``str``)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


__all__ = ["HEADER", "KEY_HELP", "KEY_TTL", "MAX_KEY_LENGTH", "Answer", "InProgress", "check_key", "fingerprint",
           "jsonable", "once"]
