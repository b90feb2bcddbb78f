"""Fake platform directories: the account search results the unauthorised-accounts scan (ACC-1) reads.

Contract (``docs/directory-search.md``):

- Weibo ``GET /2/search/suggestions/users.json?q=&count=&access_token=`` answers a JSON array
  ``[{"screen_name", "followers_count", "uid"}]`` (Weibo's user-search suggestions: ``count`` defaults to 10, at most
  50 here; only verified users and users with more than 600 followers are suggested, as Weibo documents). Errors
  are Weibo errors (``weibo.handle`` authenticates first); an empty ``q`` is 10016.
- WeChat has no API that searches other official accounts. What is public is the account search (WeChat's own and
  Sogou's ``weixin.sogou.com``, ``type=1``): name, WeChat id, the account's ``__biz`` and its verified principal. The
  fake serves that as ``GET /cgi-bin/search/official_accounts?query=&page=&count=`` (no token: the search is public)
  answering ``{"errcode": 0, "errmsg": "ok", "total", "page", "items": [{"nickname", "wechat_id", "biz",
  "principal", "verified"}]}`` (10 a page, at most 20), ``{"errcode": 44004, "errmsg": "empty query"}`` for no query.
- Planting (fake only): ``POST /cgi-bin/_fake_directory`` with ``{"platform": "weibo"|"wechat", "accounts": [...]}``
  (``"replace": true`` forgets the platform's earlier entries), or ``plant(state, platform, accounts)`` in process.
  A Weibo entry is ``{"uid", "screen_name", "followers_count", "verified"}``, a WeChat one ``{"biz", "nickname",
  "wechat_id", "principal", "verified"}``; either may list ``also_matches``: queries the platform's fuzzy search
  returns it for although its name does not contain them (a traditional-character lookalike found by 华夏能源).

Like the rest of the fakes, nothing here comes from ``herald``.
"""

from __future__ import annotations

import json
from typing import Any

from herald_dev.fakeplatforms.state import FakeState, Reply, Request

WEIBO_PATH = "search/suggestions/users.json"
WECHAT_PATH = "search/official_accounts"
PLANT_PATH = "_fake_directory"
WEIBO_MIN_FOLLOWERS = 600  # Weibo suggests verified users and ordinary users with more than 600 followers
WEIBO_MAX_COUNT = 50
WECHAT_PAGE_SIZE, WECHAT_MAX_PAGE_SIZE = 10, 20
_KEYS = {"weibo": "uid", "wechat": "biz"}


def _entries(state: FakeState) -> dict[str, dict[str, dict[str, Any]]]:
    """The directory kept on the fake's state (made on first use; kept across resets, like the accounts)."""
    with state.lock:
        directory = getattr(state, "directory", None)
        if directory is None:
            directory = {"weibo": {}, "wechat": {}}
            state.directory = directory  # type: ignore[attr-defined]
        return directory


def plant(state: FakeState, platform: str, accounts: list[dict[str, Any]], *, replace: bool = False) -> int:
    """List ``accounts`` in ``platform``'s directory; return how many the platform now lists."""
    if platform not in _KEYS:
        raise ValueError(f"directory platform must be weibo or wechat, not {platform!r}")
    directory = _entries(state)
    with state.lock:
        if replace:
            directory[platform].clear()
        for account in accounts:
            key = str(account[_KEYS[platform]])
            directory[platform][key] = dict(account)
        return len(directory[platform])


def _matches(entry: dict[str, Any], name_key: str, query: str) -> bool:
    query = query.strip().lower()
    return query in str(entry.get(name_key, "")).lower() or any(query == str(a).lower() for a in entry.get("also_matches", ()))


def _number(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(int(text), high)) if text not in (None, "") else default
    except ValueError:
        return default


def weibo_suggestions(state: FakeState, request: Request, fields: dict[str, str], error) -> Reply:
    """``search/suggestions/users.json``: called by ``weibo.handle`` after it authenticated the token."""
    query = (fields.get("q") or "").strip()
    if not query:
        return error(state, request, 10016, "miss required parameter (q) , see doc for more info.")
    count = _number(fields.get("count"), 10, 1, WEIBO_MAX_COUNT)
    with state.lock:
        found = [e for e in _entries(state)["weibo"].values()
                 if _matches(e, "screen_name", query)
                 and (e.get("verified") or int(e.get("followers_count", 0)) > WEIBO_MIN_FOLLOWERS)]
    found.sort(key=lambda e: (-int(e.get("followers_count", 0)), str(e["uid"])))
    body = [{"screen_name": e["screen_name"], "followers_count": int(e.get("followers_count", 0)),
             "uid": int(e["uid"]) if str(e["uid"]).isdigit() else e["uid"]} for e in found[:count]]
    return Reply(200, body)


def wechat_search(state: FakeState, request: Request) -> Reply:
    """``search/official_accounts``: the public account search (no token)."""
    query = (request.query.get("query") or "").strip()
    if not query:
        return Reply(200, {"errcode": 44004, "errmsg": "empty query"})
    size = _number(request.query.get("count"), WECHAT_PAGE_SIZE, 1, WECHAT_MAX_PAGE_SIZE)
    page = _number(request.query.get("page"), 1, 1, 1000)
    with state.lock:
        found = sorted((e for e in _entries(state)["wechat"].values() if _matches(e, "nickname", query)),
                       key=lambda e: str(e["biz"]))
    items = [{"nickname": e["nickname"], "wechat_id": e.get("wechat_id", ""), "biz": e["biz"],
              "principal": e.get("principal", ""), "verified": bool(e.get("verified", False))}
             for e in found[(page - 1) * size: page * size]]
    return Reply(200, {"errcode": 0, "errmsg": "ok", "total": len(found), "page": page, "items": items})


def plant_request(state: FakeState, request: Request) -> Reply:
    """``POST /cgi-bin/_fake_directory``: plant entries over HTTP (the demo's fakes run in another process)."""
    try:
        data = json.loads(request.body.decode("utf-8")) if request.body else {}
        listed = plant(state, data.get("platform", ""), list(data.get("accounts", [])), replace=bool(data.get("replace")))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        return Reply(400, {"error": f"bad directory entry: {exc}"})
    return Reply(200, {"ok": True, "listed": listed})
