"""The command line's way through Herald's HTTP door: sign in once, then act as yourself.

``herald login`` gets a token from the Airflow api-server (``POST {api}/auth/token`` with
``{"username", "password"}``: the SimpleAuthManager and the FAB auth manager both serve it) and keeps it,
with the api-server's address, in a session file only its owner can read (``~/.herald/session.json``, mode
0600; ``HERALD_SESSION_FILE`` overrides). Every command that changes a post then sends its typed request
to ``{api}/herald/...`` with ``Authorization: Bearer <token>``, so the door, not the command line, decides
who is acting (PUB-2, PUB-3). The door's refusals come back as the same ``ValidationError`` a local refusal
raises. Plain ``requests``: nothing here imports Airflow.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from herald.errors import HeraldError, ValidationError, Violation

DEFAULT_API = "http://127.0.0.1:8080"
SESSION_ENV = "HERALD_SESSION_FILE"
LOGIN_HINT = "请先登录：python -m herald login"
TIMEOUT_SECONDS = 30.0


class NotSignedIn(HeraldError):
    """No session, or the door no longer accepts its token (401)."""

    def __init__(self, detail: str = ""):
        super().__init__(f"{detail}{LOGIN_HINT}")


class DoorUnavailable(HeraldError):
    """The api-server cannot be reached, or answered with a failure of its own (5xx)."""


def default_api() -> str:
    """The api-server's address: ``AIRFLOW__API__BASE_URL`` (config/native.env sets it), else the local default."""
    return (os.environ.get("AIRFLOW__API__BASE_URL") or DEFAULT_API).rstrip("/")


def session_path() -> Path:
    return Path(os.environ.get(SESSION_ENV) or Path.home() / ".herald" / "session.json")


@dataclass(frozen=True)
class Session:
    api: str
    username: str
    token: str
    signed_in_at: str


def login(api: str, username: str, password: str, *, signed_in_at: str) -> Session:
    """Ask the api-server for a token; refused credentials are a ``ValidationError`` naming ``--user``."""
    api = api.rstrip("/")
    response = _send("POST", f"{api}/auth/token", api, json={"username": username, "password": password})
    if response.status_code in (400, 401, 403):
        raise ValidationError([Violation("--user", "PUB-3", f"登录失败：用户名或密码不对（{api} 拒绝了“{username}”）")])
    _raise_for_failure(response, api)
    token = _json(response).get("access_token")
    if not isinstance(token, str) or not token:
        raise DoorUnavailable(f"登录失败：{api}/auth/token 没有返回令牌（HTTP {response.status_code}），请确认地址是 "
                              "Airflow api-server")
    return Session(api=api, username=username, token=token, signed_in_at=signed_in_at)


def save_session(session: Session) -> Path:
    """Write the session readable by its owner only (created 0600, never world-readable even for a moment)."""
    path = session_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(asdict(session), handle, ensure_ascii=False)
    os.chmod(partial, 0o600)  # in case the file existed with looser bits
    os.replace(partial, path)
    return path


def load_session() -> Session:
    path = session_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Session(**{key: data[key] for key in ("api", "username", "token", "signed_in_at")})
    except FileNotFoundError:
        raise NotSignedIn() from None
    except (OSError, ValueError, KeyError, TypeError):
        raise NotSignedIn(f"会话文件 {path} 无法读取。") from None


def logout() -> bool:
    """Forget the session; False when there was none."""
    try:
        session_path().unlink()
    except FileNotFoundError:
        return False
    return True


@dataclass(frozen=True)
class Answer:
    body: Any
    replayed: bool  # the door answered a repeated Idempotency-Key with the first answer


class Door:
    """Herald's HTTP door (``{api}/herald``) as the signed-in person."""

    def __init__(self, session: Session):
        self.session = session

    @classmethod
    def signed_in(cls) -> Door:
        return cls(load_session())

    def call(self, method: str, path: str, *, body: Any = None, idempotency_key: str | None = None) -> Answer:
        headers = {"Authorization": f"Bearer {self.session.token}"}
        if idempotency_key is not None:
            from herald.idempotency import HEADER

            headers[HEADER] = idempotency_key
        api = self.session.api
        response = _send(method, f"{api}/herald{path}", api, json=body, headers=headers)
        if response.status_code == 401:
            raise NotSignedIn(f"登录已失效或未被 {api} 接受（用户 {self.session.username}）。")
        if response.status_code in (400, 404, 409, 422):
            violations = _json(response).get("violations")
            if isinstance(violations, list) and violations:
                raise ValidationError([Violation(str(v.get("field", "")), str(v.get("rule_id", "")),
                                                 str(v.get("message", ""))) for v in violations])
        _raise_for_failure(response, api)
        return Answer(_json(response), response.headers.get("Idempotent-Replayed") == "true")


def _send(method: str, url: str, api: str, **kwargs: Any) -> requests.Response:
    try:
        return requests.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
    except requests.ConnectionError:
        raise DoorUnavailable(f"无法连接 Herald 服务（{api}）：请确认 Airflow api-server 已启动、地址无误"
                              "（登录时可用 --api 指定）") from None
    except requests.Timeout:
        raise DoorUnavailable(f"Herald 服务（{api}）在 {TIMEOUT_SECONDS:.0f} 秒内没有应答，请稍后再试") from None


def _raise_for_failure(response: requests.Response, api: str) -> None:
    if response.status_code < 400:
        return
    body = _json(response)
    message = body.get("message") or body.get("detail") or f"HTTP {response.status_code}"
    if response.status_code == 403:
        raise DoorUnavailable(f"{api} 拒绝了此操作（无权限）：{message}")
    raise DoorUnavailable(f"Herald 服务（{api}）未能完成请求：{message}")


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"value": body}
