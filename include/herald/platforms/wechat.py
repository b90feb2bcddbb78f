"""WeChat Official Account client: drafts, free publishing, preview and mass send.

Every response is HTTP 200; the errcode in the body decides (``classify_wechat``).
The access token comes from the account's single token holder (``TokenStore``); a
stale token (40001/40014/42001) is refreshed once and the call repeated, which is
safe because the platform refused the first request outright.

``freepublish/submit`` has no idempotency key: a submit whose answer was lost is
``unconfirmed`` and must be reconciled with ``get_publish``, never sent again.
Mass send carries a ``clientmsgid``; 45065 returns the original ``msg_id``, which is
adopted (the outcome stays ``unconfirmed`` until ``get_mass`` confirms it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import requests

from herald.platforms.outcome import Outcome, OutcomeKind, classify_wechat
from herald.platforms.tokens import IssuedToken, TokenStore
from herald.platforms.transport import DEFAULT_TIMEOUT, exchange, install_log_redaction, json_body, utf8_json
from herald.secrets_at_rest import SecretsAtRestError
from herald.timeutil import now_utc

log = logging.getLogger(__name__)

PLATFORM = "wechat"
MAX_ARTICLES = 8
MAX_TITLE_CHARS = 32
MAX_CONTENT_CHARS = 20_000  # "less than 20,000 characters"
MAX_CLIENTMSGID_BYTES = 64

# freepublish/get publish_status
PUBLISH_STATES = {
    0: "published",
    1: "publishing",
    2: "originality_failed",
    3: "failed",
    4: "rejected",
    5: "deleted_by_user",
    6: "banned",
}
FINAL_PUBLISH_STATES = {"published", "originality_failed", "failed", "rejected", "deleted_by_user", "banned"}
MASS_FINAL_STATES = {"SEND_SUCCESS", "SEND_FAIL", "DELETE"}
MAX_COMMENTS_PER_CALL = 50  # comment/list answers 88010 above this


class TokenFetchFailed(Exception):
    def __init__(self, outcome: Outcome):
        super().__init__(str(outcome))
        self.outcome = outcome


def _validation(message: str, code: str = "local") -> Outcome:
    return Outcome(OutcomeKind.VALIDATION, code, message)


def check_articles(articles: Sequence[dict[str, Any]]) -> list[str]:
    """Platform limits for draft/add, checked before sending (messages for people, in Chinese)."""
    problems = []
    if not 1 <= len(articles) <= MAX_ARTICLES:
        problems.append(f"一次草稿须含 1 至 {MAX_ARTICLES} 篇图文，现有 {len(articles)} 篇")
    for index, article in enumerate(articles):
        title = str(article.get("title") or "")
        content = str(article.get("content") or "")
        if not title or len(title) > MAX_TITLE_CHARS:
            problems.append(f"第 {index + 1} 篇标题须为 1 至 {MAX_TITLE_CHARS} 字，现为 {len(title)} 字")
        if not content or len(content) >= MAX_CONTENT_CHARS:
            problems.append(f"第 {index + 1} 篇正文须少于 {MAX_CONTENT_CHARS} 字符，现为 {len(content)} 字符")
    return problems


class WeChatClient:
    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        session: requests.Session,
        token_store: TokenStore,
        *,
        timeout: Any = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] = now_utc,
        on_token: Callable[[str], None] | None = None,
    ):
        self.base_url = base_url.rstrip("/") + "/"
        self.appid = appid
        self._secret = secret
        self.session = session
        self.token_store = token_store
        self.timeout = timeout
        self.clock = clock
        # Called with every token this client handles, so the caller can mask it in logs.
        self._on_token = on_token
        self._announced: set[str] = set()
        install_log_redaction()

    def __repr__(self) -> str:
        return f"WeChatClient({self.base_url!r}, appid={self.appid!r})"

    # --- token ---------------------------------------------------------------------------

    def _fetch_token(self) -> IssuedToken:
        response = exchange(
            self.session,
            "GET",
            self.base_url + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self._secret},
            write=False,
            timeout=self.timeout,
            secrets=[self._secret],
        )
        if isinstance(response, Outcome):
            raise TokenFetchFailed(response)
        body = json_body(response)
        if isinstance(body, dict) and body.get("access_token"):
            expires_at = self.clock() + timedelta(seconds=int(body.get("expires_in", 7200)))
            return IssuedToken(str(body["access_token"]), expires_at)
        outcome = classify_wechat(body, self.clock())
        if outcome.kind is OutcomeKind.REFRESH_TOKEN:  # 40001 from the token endpoint: the secret is wrong
            outcome = Outcome(OutcomeKind.CONFIG_ERROR, outcome.code, f"token refused: {outcome.message}")
        raise TokenFetchFailed(outcome)

    def access_token(self, stale: str | None = None) -> str:
        """The account's current token; with ``stale``, a token newer than that one."""
        now = self.clock()
        token = None if stale else self.token_store.current(PLATFORM, self.appid, now)
        if token is None:
            token = self.token_store.refresh(PLATFORM, self.appid, stale, self._fetch_token, now)
        if token not in self._announced:
            self._announced.add(token)
            if self._on_token:
                self._on_token(token)
        return token

    # --- one API call --------------------------------------------------------------------

    def _call(self, path: str, payload: dict[str, Any], *, write: bool) -> Outcome:
        stale = None
        for attempt in (1, 2):
            try:
                token = self.access_token(stale)
            except TokenFetchFailed as failed:
                log.warning("wechat %s appid=%s: token unavailable: %s", path, self.appid, failed.outcome)
                return failed.outcome
            except SecretsAtRestError as exc:  # no or wrong Fernet key: nothing was sent, an engineer must fix it
                log.error("wechat %s appid=%s: token store unusable: %s", path, self.appid, exc)
                return Outcome(OutcomeKind.CONFIG_ERROR, "fernet_key", str(exc))
            response = exchange(
                self.session,
                "POST",
                self.base_url + path,
                params={"access_token": token},
                data=utf8_json(payload),
                headers={"Content-Type": "application/json; charset=utf-8"},
                write=write,
                timeout=self.timeout,
                secrets=[token, self._secret],
            )
            if isinstance(response, Outcome):
                outcome = response
            else:
                outcome = self._classify(response, write)
            if outcome.kind is OutcomeKind.REFRESH_TOKEN:
                if attempt == 1:
                    stale = token
                    continue
                if outcome.code == "40001":  # even the newest token is refused: credentials are wrong
                    outcome = Outcome(OutcomeKind.CONFIG_ERROR, outcome.code, outcome.message)
            log.info("wechat %s appid=%s -> %s %s", path, self.appid, outcome.kind.value, outcome.code or "")
            return outcome
        raise AssertionError("unreachable")

    def _classify(self, response: requests.Response, write: bool) -> Outcome:
        body = json_body(response)
        if body is None:
            # WeChat never answers without JSON; this is a proxy or an outage in front of it.
            if response.status_code in (502, 503) or not write:
                return Outcome(OutcomeKind.RETRY, f"http_{response.status_code}", "WeChat gateway unavailable")
            return Outcome(OutcomeKind.UNCONFIRMED, f"http_{response.status_code}", "no WeChat body after sending")
        return classify_wechat(body, self.clock())

    # --- drafts and free publishing ------------------------------------------------------

    def add_draft(self, articles: Sequence[dict[str, Any]]) -> Outcome:
        """``draft/add``; data: ``media_id``. Creating a draft publishes nothing."""
        problems = check_articles(articles)
        if problems:
            return _validation("；".join(problems))
        outcome = self._call("draft/add", {"articles": list(articles)}, write=True)
        return _with_ids(outcome, "media_id")

    def submit(self, media_id: str) -> Outcome:
        """``freepublish/submit``; data: ``publish_id``, ``msg_data_id``. Accepted, not yet published.

        No idempotency key: store ``publish_id`` first; an unconfirmed submit is reconciled.
        """
        outcome = self._call("freepublish/submit", {"media_id": media_id}, write=True)
        return _with_ids(outcome, "publish_id", "msg_data_id")

    def get_publish(self, publish_id: str) -> Outcome:
        """``freepublish/get``; data adds ``state`` (PUBLISH_STATES), ``is_final`` and ``article_urls``."""
        outcome = self._call("freepublish/get", {"publish_id": str(publish_id)}, write=False)
        if not outcome.ok:
            return outcome
        body = outcome.data
        state = PUBLISH_STATES.get(_int_or_none(body.get("publish_status")), "unknown")
        items = (body.get("article_detail") or {}).get("item") or []
        data = dict(body)
        data.update(
            state=state,
            is_final=state in FINAL_PUBLISH_STATES,
            article_id=str(body["article_id"]) if body.get("article_id") else None,
            article_urls=[item.get("article_url") for item in sorted(items, key=lambda i: i.get("idx", 0))],
        )
        return Outcome(OutcomeKind.OK, outcome.code, outcome.message, data=data)

    def get_article(self, article_id: str) -> Outcome:
        """``freepublish/getarticle``; data: ``news_item`` (each with ``url`` and ``is_deleted``)."""
        return self._call("freepublish/getarticle", {"article_id": str(article_id)}, write=False)

    def list_published(self, offset: int = 0, count: int = 20) -> Outcome:
        """``freepublish/batchget``: the account's published articles, newest first; data: ``total_count``,
        ``item`` (each ``article_id``, ``content.news_item``, ``update_time``).

        The read that settles a submit whose ``publish_id`` was lost: Herald puts the post id in each
        article's ``content_source_url``, so the post is found by that link.
        """
        count = max(1, min(int(count), 20))  # the platform takes 1 to 20
        return self._call("freepublish/batchget", {"offset": int(offset), "count": count, "no_content": 0}, write=False)

    # --- comments (SEC-2) -----------------------------------------------------------------

    def list_comments(self, msg_data_id: str | int, index: int = 0, begin: int = 0, count: int = MAX_COMMENTS_PER_CALL,
                      comment_type: int = 0) -> Outcome:
        """``comment/list``: the comments of one article of a mass send (``msg_data_id``, ``index`` in it), from
        offset ``begin``, oldest first; ``comment_type`` 0 all, 1 ordinary, 2 selected. data: ``total`` and
        ``comment`` (each ``user_comment_id``, ``openid``, ``create_time``, ``content``, ``comment_type``).
        88001: no such article or its comments are closed. A read: safe to repeat."""
        count = max(1, min(int(count), MAX_COMMENTS_PER_CALL))  # the platform refuses more than 50 (88010)
        msg = int(msg_data_id) if str(msg_data_id).isdigit() else msg_data_id
        payload = {"msg_data_id": msg, "index": int(index), "begin": max(0, int(begin)), "count": count,
                   "type": int(comment_type)}
        return self._call("comment/list", payload, write=False)

    # --- preview and mass send -----------------------------------------------------------

    def preview(self, media_id: str, openid: str) -> Outcome:
        """``message/mass/preview`` to one reviewer (CON-9: before every mass send); data: ``msg_id``."""
        payload = {"touser": openid, "msgtype": "mpnews", "mpnews": {"media_id": media_id}}
        return _with_ids(self._call("message/mass/preview", payload, write=True), "msg_id")

    def mass_send(self, media_id: str, clientmsgid: str) -> Outcome:
        """``message/mass/sendall`` to all followers; data: ``msg_id``, ``msg_data_id``.

        45065 (clientmsgid already used) comes back ``unconfirmed`` with the original ``msg_id``
        adopted in data; 45066 (same id retried within a minute) ``unconfirmed`` without one.
        """
        if not clientmsgid or len(clientmsgid.encode("utf-8")) > MAX_CLIENTMSGID_BYTES:
            return _validation(f"clientmsgid 须为 1 至 {MAX_CLIENTMSGID_BYTES} 字节", "45067")
        payload = {
            "filter": {"is_to_all": True},
            "mpnews": {"media_id": media_id},
            "msgtype": "mpnews",
            "send_ignore_reprint": 0,
            "clientmsgid": clientmsgid,
        }
        return _with_ids(self._call("message/mass/sendall", payload, write=True), "msg_id", "msg_data_id")

    def get_mass(self, msg_id: str | int) -> Outcome:
        """``message/mass/get``; data: ``msg_status`` and ``is_final``."""
        msg = int(msg_id) if str(msg_id).isdigit() else msg_id
        outcome = self._call("message/mass/get", {"msg_id": msg}, write=False)
        if outcome.ok:
            data = dict(outcome.data, is_final=outcome.data.get("msg_status") in MASS_FINAL_STATES)
            return Outcome(OutcomeKind.OK, outcome.code, outcome.message, data=data)
        return outcome


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _with_ids(outcome: Outcome, *keys: str) -> Outcome:
    """Platform ids as text: msg_id and publish_id outgrow JavaScript integers and compare as strings."""
    if not outcome.data:
        return outcome
    data = dict(outcome.data)
    for key in keys:
        if data.get(key) is not None:
            data[key] = str(data[key])
    return Outcome(outcome.kind, outcome.code, outcome.message, outcome.retry_after_seconds, data)
