"""Fake WeChat Official Account API under ``/cgi-bin/``: always HTTP 200, errors as errcode bodies."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from herald_dev.fakeplatforms import comments, directory
from herald_dev.fakeplatforms.state import SHANGHAI, FakeState, Fault, Reply, Request, TokenRecord

MASS_PATHS = ("message/mass/sendall", "message/mass/preview")


def _error(code: int, message: str, **extra: Any) -> Reply:
    return Reply(200, {"errcode": code, "errmsg": message, **extra})


def _ok(message: str = "ok", **fields: Any) -> Reply:
    return Reply(200, {"errcode": 0, "errmsg": message, **fields})


def _parse_body(raw: bytes) -> Any:
    # WeChat does not decode \u escapes: "\u4e2d" is stored as those six characters. Keeping
    # the backslash escaped reproduces that, so a client that sends escapes sees them come back.
    return json.loads(raw.replace(b"\\u", b"\\\\u").decode("utf-8"))


def handle(state: FakeState, request: Request, fault: Fault | None) -> Reply:
    path = request.path
    if path == "token" and request.method == "GET":
        return _issue_token(state, request.query, fault, kind="basic")
    if path == "stable_token" and request.method == "POST":
        return _stable_token(state, request, fault)
    if path in (directory.WECHAT_PATH, directory.PLANT_PATH):
        return _directory(state, request)
    try:
        body = _parse_body(request.body) if request.body else {}
    except (ValueError, UnicodeDecodeError):
        return _error(47001, "data format error")
    with state.lock:
        appid, refused = _authenticate(state, request.query.get("access_token"))
        if refused:
            return refused
        if fault is not None:
            applied = _apply_fault(state, appid, path, fault)
            if applied:
                return applied
        if path in MASS_PATHS:
            limited = _mass_api_rate(state, appid)
            if limited:
                return limited
        route = ROUTES.get(path)
        if route is None:
            return _error(40066, "invalid url")
        return route(state, appid, body if isinstance(body, dict) else {})


def _directory(state: FakeState, request: Request) -> Reply:
    """The public account search (ACC-1 scan) and the fake's planting endpoint: ``directory.py``."""
    if request.path == directory.PLANT_PATH and request.method == "POST":
        return directory.plant_request(state, request)
    if request.path == directory.WECHAT_PATH and request.method == "GET":
        return directory.wechat_search(state, request)
    return _error(40066, "invalid url")


# --- tokens ----------------------------------------------------------------------------------


def _token_fault(fault: Fault | None) -> Reply | None:
    if fault and fault.kind == "quota":
        return _error(45009, "reach max api daily quota limit")
    if fault and fault.kind == "system_busy":
        return _error(-1, "system error")
    return None


def _issue_token(state: FakeState, params: dict[str, Any], fault: Fault | None, kind: str) -> Reply:
    if (refused := _token_fault(fault)) is not None:
        return refused
    if params.get("grant_type") != "client_credential":
        return _error(40002, "invalid grant_type")
    appid = params.get("appid")
    with state.lock:
        if appid not in state.wechat_accounts:
            return _error(40013, "invalid appid")
        if params.get("secret") != state.wechat_accounts[appid]:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        now = state.now()
        previous = state.current_token.get((appid, kind))
        if kind == "stable" and previous and not params.get("force_refresh"):
            record = state.tokens[previous]
            if record.expires_at > now and not record.revoked:
                return Reply(200, {"access_token": previous, "expires_in": int((record.expires_at - now).total_seconds())})
        if previous and previous in state.tokens:
            old = state.tokens[previous]
            grace_end = now + timedelta(seconds=state.config.token_grace_seconds)
            old.invalid_after = min(old.invalid_after or grace_end, grace_end)
        token = state.random_token(64)
        state.tokens[token] = TokenRecord(appid, kind, now + timedelta(seconds=state.config.token_ttl_seconds))
        state.current_token[(appid, kind)] = token
        return Reply(200, {"access_token": token, "expires_in": state.config.token_ttl_seconds})


def _stable_token(state: FakeState, request: Request, fault: Fault | None) -> Reply:
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return _error(47001, "data format error")
    return _issue_token(state, body if isinstance(body, dict) else {}, fault, kind="stable")


def _authenticate(state: FakeState, token: str | None) -> tuple[str | None, Reply | None]:
    if not token:
        return None, _error(41001, "access_token missing")
    record = state.tokens.get(token)
    if record is None:
        if len(token) != 64:
            return None, _error(40014, "invalid access_token")
        return None, _error(40001, "invalid credential, access_token is invalid or not latest")
    now = state.now()
    if record.invalid_after is not None and now >= record.invalid_after:
        return None, _error(40001, "invalid credential, access_token is invalid or not latest")
    if record.revoked or now >= record.expires_at:
        return None, _error(42001, "access_token expired")
    return record.account, None


def _apply_fault(state: FakeState, appid: str, path: str, fault: Fault) -> Reply | None:
    if fault.kind == "expire_token":
        for record in state.tokens.values():
            if record.account == appid:
                record.revoked = True
        return _error(42001, "access_token expired")
    if fault.kind == "quota":
        if path == "message/mass/sendall":
            return _error(45028, "has no masssend quota")
        return _error(45009, "reach max api daily quota limit")
    if fault.kind == "system_busy":
        return _error(-1, "system error")
    return None  # timeout_after_accept is handled by the server around this call


def _mass_api_rate(state: FakeState, appid: str) -> Reply | None:
    now = state.now()
    recent = [t for t in state.mass_api_calls.get(appid, []) if now - t < timedelta(minutes=1)]
    if len(recent) >= state.config.mass_api_per_minute:
        state.mass_api_calls[appid] = recent
        return _error(45011, "api minute-quota reach limit, must slower, retry next minute")
    recent.append(now)
    state.mass_api_calls[appid] = recent
    return None


# --- drafts and free publishing --------------------------------------------------------------


def _draft_add(state: FakeState, appid: str, body: dict) -> Reply:
    articles = body.get("articles")
    if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
        return _error(47001, "data format error: 1 to 8 articles")
    for article in articles:
        if len(str(article.get("title") or "")) > 32:
            return _error(45003, "title size out of limit")
        if len(str(article.get("content") or "")) >= 20_000:
            return _error(45002, "content size out of limit")
    media_id = state.random_token(43)
    state.drafts[(appid, media_id)] = [dict(a) for a in articles]
    return Reply(200, {"media_id": media_id})  # this success body has no errcode


def _submit(state: FakeState, appid: str, body: dict) -> Reply:
    media_id = str(body.get("media_id") or "")
    articles = state.drafts.get((appid, media_id))
    if articles is None:
        return _error(40007, "invalid media_id")
    publish_id = str(2_247_483_647 + state.next_id())
    msg_data_id = str(2_247_000_000 + state.next_id())
    article_id = state.random_token(40)
    now = state.now()
    state.publishes[(appid, publish_id)] = {
        "article_id": article_id,
        "ready_at": now + timedelta(seconds=state.config.publish_delay_seconds),
        "count": len(articles),
    }
    items = []
    for idx, article in enumerate(articles, start=1):
        url = f"https://mp.weixin.qq.com/s/{article_id}_{idx}"
        items.append(dict(article, url=url, thumb_url="", is_deleted=False))
        ref = article.get("content_source_url") or f"{media_id}#{idx}"
        state.record("wechat", appid, ref, "freepublish", publish_id)
    state.articles[(appid, article_id)] = {"news_item": items}
    return _ok(publish_id=publish_id, msg_data_id=msg_data_id)


def _publish_get(state: FakeState, appid: str, body: dict) -> Reply:
    publish_id = str(body.get("publish_id") or "")
    publish = state.publishes.get((appid, publish_id))
    if publish is None:
        return _error(40007, "invalid publish_id")
    if state.now() < publish["ready_at"]:
        return Reply(200, {"publish_id": publish_id, "publish_status": 1})
    article_id = publish["article_id"]
    items = [
        {"idx": idx, "article_url": f"https://mp.weixin.qq.com/s/{article_id}_{idx}"}
        for idx in range(1, publish["count"] + 1)
    ]
    return Reply(
        200,
        {
            "publish_id": publish_id,
            "publish_status": 0,
            "article_id": article_id,
            "article_detail": {"count": len(items), "item": items},
            "fail_idx": [],
        },
    )


def _get_article(state: FakeState, appid: str, body: dict) -> Reply:
    article = state.articles.get((appid, str(body.get("article_id") or "")))
    if article is None:
        return _error(53600, "Article ID 无效")
    return Reply(200, article)


def _batchget(state: FakeState, appid: str, body: dict) -> Reply:
    """Published articles of the account, newest first (only publishes that finished)."""
    try:
        offset, count = int(body.get("offset", 0)), int(body.get("count", 20))
    except (TypeError, ValueError):
        return _error(47001, "data format error")
    if offset < 0 or not 1 <= count <= 20:
        return _error(40097, "invalid args")
    now = state.now()
    done = [
        (publish["ready_at"], publish["article_id"])
        for (account, _), publish in state.publishes.items()
        if account == appid and now >= publish["ready_at"]
    ]
    done.sort(reverse=True)
    items = [
        {
            "article_id": article_id,
            "content": {"news_item": [dict(i) for i in state.articles[(appid, article_id)]["news_item"]]},
            "update_time": int(ready_at.timestamp()),
        }
        for ready_at, article_id in done[offset : offset + count]
    ]
    return Reply(200, {"total_count": len(done), "item_count": len(items), "item": items})


# --- preview and mass send -------------------------------------------------------------------


def _preview(state: FakeState, appid: str, body: dict) -> Reply:
    """To one follower by OpenID (``touser``) or by WeChat ID (``towxname``, which wins when both are given)."""
    media_id = str((body.get("mpnews") or {}).get("media_id") or "")
    towxname = str(body.get("towxname") or "")
    openid = "" if towxname else str(body.get("touser") or "")
    if not towxname and not openid:
        return _error(40003, "invalid openid")
    if (appid, media_id) not in state.drafts:
        return _error(40007, "invalid media_id")
    msg_id = 3_147_480_000 + state.next_id()
    # Herald's CON-9 wants a preview before every mass send; the platform does not, it only remembers.
    state.previews.append(
        {
            "account": appid,
            "media_id": media_id,
            "openid": openid or None,
            "towxname": towxname or None,
            "msg_id": msg_id,
            "at": state.now().isoformat(),
        }
    )
    return _ok("preview success", msg_id=msg_id)


def _sendall(state: FakeState, appid: str, body: dict) -> Reply:
    media_id = str((body.get("mpnews") or {}).get("media_id") or "")
    if (appid, media_id) not in state.drafts:
        return _error(40007, "invalid media_id")
    # Without a clientmsgid the platform uses a digest of the audience and the content.
    clientmsgid = body.get("clientmsgid") or hashlib.sha256(
        json.dumps([body.get("filter"), media_id], sort_keys=True).encode()
    ).hexdigest()[:32]
    if len(str(clientmsgid).encode("utf-8")) > 64:
        return _error(45067, "clientmsgid size out of limit")
    now = state.now()
    earlier = state.clientmsgids.get((appid, clientmsgid))
    if earlier and now - earlier["at"] < timedelta(seconds=state.config.clientmsgid_ttl_seconds):
        if now - earlier["at"] < timedelta(seconds=state.config.clientmsgid_retry_window_seconds):
            return _error(45066, "same clientmsgid retry too fast")
        return _error(45065, "clientmsgid exist", msg_id=earlier["msg_id"])
    today = now.astimezone(SHANGHAI).date()
    sent_today = sum(
        1 for (account, _), m in state.mass.items() if account == appid and m["at"].astimezone(SHANGHAI).date() == today
    )
    if sent_today >= state.config.mass_per_day:
        return _error(45028, "has no masssend quota")
    msg_id = 3_147_490_000 + state.next_id()
    msg_data_id = 2_455_890_000 + state.next_id()
    state.mass[(appid, str(msg_id))] = {
        "at": now,
        "ready_at": now + timedelta(seconds=state.config.publish_delay_seconds),
        "media_id": media_id,
    }
    state.clientmsgids[(appid, clientmsgid)] = {"at": now, "msg_id": msg_id}
    state.record("wechat", appid, clientmsgid, "mass_send", str(msg_id))
    return _ok("send job submission success", msg_id=msg_id, msg_data_id=msg_data_id)


def _mass_get(state: FakeState, appid: str, body: dict) -> Reply:
    msg_id = str(body.get("msg_id") or "")
    mass = state.mass.get((appid, msg_id))
    if mass is None:
        return _error(40059, "invalid msg id")
    status = "SEND_SUCCESS" if state.now() >= mass["ready_at"] else "SENDING"
    return Reply(200, {"msg_id": int(msg_id), "msg_status": status})


ROUTES = {
    "draft/add": _draft_add,
    "freepublish/submit": _submit,
    "freepublish/get": _publish_get,
    "freepublish/getarticle": _get_article,
    "freepublish/batchget": _batchget,
    "message/mass/preview": _preview,
    "message/mass/sendall": _sendall,
    "message/mass/get": _mass_get,
    "comment/list": comments.wechat_list,  # the comment watch (SEC-2)
}
