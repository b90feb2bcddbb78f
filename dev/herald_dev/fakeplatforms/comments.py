"""Fake comment APIs (the contract: ``docs/comment-apis.md``) and the control endpoint that plants comments.

WeChat ``POST /cgi-bin/comment/list`` ``{msg_data_id, index, begin, count, type}`` -> ``{errcode: 0, errmsg,
total, comment: [{user_comment_id, openid, create_time, content, comment_type, reply}]}``, oldest first;
errors 88001 (no such article thread), 88010 (count not in 1..50), 47001 (bad body).
Weibo ``GET /2/comments/to_me.json`` (every comment to the token's user) and ``GET /2/comments/show.json?id=``
(one status's), ``since_id``/``max_id``/``count`` (<= 200)/``page``, newest first -> ``{comments: [{created_at, id,
idstr, mid, text, source, user, status}], total_number}``; errors as Weibo's (10017 bad parameter, 10016 missing
id, 20101 no such status), HTTP 4xx.

Control: ``POST /_fake/comments`` with ``{"comments": [{"platform", "account" (WeChat appid or Weibo uid),
"content", "msg_data_id", "index", "status_id", "user"}]}`` plants comments now (their ids and arrival times
come back); ``GET /_fake/comments`` lists what was planted. ``plant`` is the same, in process.
Like the rest of the fakes, nothing here comes from ``herald``.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from herald_dev.fakeplatforms.state import SHANGHAI, FakeConfigError, FakeState, Reply, Request

WECHAT_MAX_COUNT = 50
WEIBO_MAX_COUNT = 200
_WEIBO_ID_BASE = 4_900_000_000_000_000  # sixteen digits, as real comment ids: clients must keep idstr
_guard = threading.Lock()


class CommentBook:
    """The comments planted on one fake server: WeChat threads per (appid, msg_data_id, index), Weibo per uid."""

    def __init__(self) -> None:
        self.wechat: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
        self.weibo: dict[str, list[dict[str, Any]]] = {}  # oldest first
        self.ids = itertools.count(1)
        self.planted: list[dict[str, Any]] = []


def book(state: FakeState) -> CommentBook:
    with _guard:
        existing = getattr(state, "comment_book", None)
        if existing is None:
            existing = CommentBook()
            state.comment_book = existing
        return existing


def reset(state: FakeState) -> None:
    with _guard:
        state.comment_book = CommentBook()


def plant(state: FakeState, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Plant comments, as if people wrote them now; return each one's platform id and arrival time."""
    comments = book(state)
    out = []
    with state.lock:
        now = state.now()
        for spec in specs:
            platform, account = spec.get("platform"), str(spec.get("account") or "")
            content = str(spec.get("content") or "")
            if platform not in ("wechat", "weibo") or not account or not content:
                raise FakeConfigError("a planted comment needs platform (wechat|weibo), account and content")
            seq = next(comments.ids)
            if platform == "wechat":
                key = (account, str(spec.get("msg_data_id") or "1"), int(spec.get("index") or 0))
                thread = comments.wechat.setdefault(key, [])
                record = {"user_comment_id": seq, "openid": str(spec.get("user") or f"o-fan-{seq}"),
                          "create_time": int(now.timestamp()), "content": content, "comment_type": 0}
                thread.append(record)
                platform_id = str(seq)
            else:
                comment_id = _WEIBO_ID_BASE + seq
                status_id = str(spec.get("status_id") or "9100000000000001")
                user = str(spec.get("user") or f"60000{seq}")
                record = {
                    "created_at": now.astimezone(SHANGHAI).strftime("%a %b %d %H:%M:%S %z %Y"),
                    "id": comment_id, "idstr": str(comment_id), "mid": str(comment_id), "text": content,
                    "source": "微博 weibo.com",
                    "user": {"id": int(user) if user.isdigit() else user, "idstr": user, "screen_name": f"网友{seq}"},
                    "status": {"id": int(status_id), "idstr": status_id, "text": ""},
                }
                comments.weibo.setdefault(account, []).append(record)
                platform_id = str(comment_id)
            entry = {"platform": platform, "account": account, "platform_comment_id": platform_id,
                     "arrived_at": now.isoformat()}
            comments.planted.append(entry)
            out.append(entry)
    return out


def control(state: FakeState, method: str, data: dict[str, Any]) -> Reply:
    if method == "POST":
        return Reply(200, {"planted": plant(state, list(data.get("comments") or [data]))})
    with state.lock:
        return Reply(200, {"planted": list(book(state).planted)})


# --- WeChat ----------------------------------------------------------------------------------


def wechat_list(state: FakeState, appid: str, body: dict) -> Reply:
    """``comment/list`` (called with the state's lock held, like every WeChat route)."""
    try:
        msg_data_id, index = str(body["msg_data_id"]), int(body.get("index") or 0)
        begin, count, kind = int(body.get("begin", 0)), int(body.get("count", 0)), int(body.get("type", 0))
    except (KeyError, TypeError, ValueError):
        return Reply(200, {"errcode": 47001, "errmsg": "data format error"})
    if not 0 < count <= WECHAT_MAX_COUNT or begin < 0 or kind not in (0, 1, 2):
        return Reply(200, {"errcode": 88010, "errmsg": "count range error. cout <= 0 or count > 50"})
    thread = book(state).wechat.get((appid, msg_data_id, index))
    if thread is None:
        return Reply(200, {"errcode": 88001, "errmsg": "msg_data is not exists"})
    chosen = [c for c in thread if kind == 0 or c["comment_type"] == kind - 1]
    return Reply(200, {"errcode": 0, "errmsg": "ok", "total": len(chosen),
                       "comment": [dict(c) for c in chosen[begin:begin + count]]})


# --- Weibo -----------------------------------------------------------------------------------


def weibo_comments(state: FakeState, request: Request, user: dict, fields: dict, error) -> Reply:
    """``comments/to_me.json`` and ``comments/show.json`` (lock held); ``error(state, request, code, message)``."""
    try:
        since_id = int(fields.get("since_id") or 0)
        max_id = int(fields.get("max_id") or 0)
        count = int(fields.get("count") or 50)
        page = int(fields.get("page") or 1)
    except ValueError:
        return error(state, request, 10017, "parameter value invalid")
    if not 0 < count <= WEIBO_MAX_COUNT or page < 1:
        return error(state, request, 10017, "parameter (count)'s value invalid, expect (1-200)")
    mine = book(state).weibo.get(str(user["uid"]), [])
    if request.path == "comments/show.json":
        status_id = fields.get("id")
        if not status_id:
            return error(state, request, 10016, "Miss required parameter (id)")
        mine = [c for c in mine if c["status"]["idstr"] == str(status_id)]
        if not mine:
            return error(state, request, 20101, "Target weibo does not exist!")
    chosen = [c for c in reversed(mine) if c["id"] > since_id and (not max_id or c["id"] <= max_id)]
    return Reply(200, {"comments": [dict(c) for c in chosen[(page - 1) * count: page * count]],
                       "total_number": len(chosen), "previous_cursor": 0, "next_cursor": 0})
