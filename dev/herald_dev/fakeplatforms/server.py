"""The HTTP server of the fake platforms, its control API and the start/stop handle.

Paths: WeChat ``/cgi-bin/...``, Weibo ``/2/...``, CMS ``/cms/<site>/...``, control ``/_fake/...``.
The control API (JSON):

- ``GET /_fake/health``; ``POST /_fake/reset`` (forget content, tokens, faults and the ledger)
- ``GET|POST /_fake/config`` (read or change ``FakeConfig`` fields, e.g. ``{"latency_ms": 50}``)
- ``GET|POST|DELETE /_fake/faults``: a fault is ``{"kind", "count", "after", "platform", "path",
  "hold_seconds"}``; POST takes one fault or ``{"faults": [...]}``
- ``GET /_fake/publications?platform=&account=&post_ref=``: the ledger of accepted publications
- ``GET /_fake/previews``, ``GET /_fake/requests`` (request counts per platform path)
- ``POST /_fake/clock`` ``{"advance_seconds": N}``; ``POST /_fake/accounts`` ``{"wechat", "weibo", "cms"}``
- ``GET|POST /_fake/comments``: plant comments on WeChat articles and Weibo users (``comments.py``)
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from herald_dev.fakeplatforms import cms, comments, wechat, weibo
from herald_dev.fakeplatforms.state import FakeConfig, FakeConfigError, FakeState, Fault, Reply, Request

log = logging.getLogger(__name__)

PREFIXES = (("/cgi-bin/", "wechat", wechat.handle), ("/2/", "weibo", weibo.handle), ("/cms/", "cms", cms.handle))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # held answers must not delay stop()
    request_queue_size = 1024  # the default backlog of 5 drops connections under bursts
    allow_reuse_address = True

    def __init__(self, address, state: FakeState):
        self.state = state
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "HeraldFake/1"

    def log_message(self, format: str, *args: Any) -> None:
        # The default access log prints query strings, which carry access tokens.
        return

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            if parts.path.startswith("/_fake/"):
                reply = _control(state, self.command, parts.path[len("/_fake/") :], query, body)
            else:
                reply = self._platform(state, parts.path, Request(self.command, "", query, headers, body))
        except FakeConfigError as exc:
            reply = Reply(400, {"error": str(exc)})
        except Exception:  # a bug in the fake must show up as a 500, not a hung client
            log.exception("fake platform failed on %s %s", self.command, parts.path)
            reply = Reply(500, {"error": "fake platform error"})
        self._send(reply)

    def _platform(self, state: FakeState, path: str, request: Request) -> Reply:
        route = next((route for route in PREFIXES if path.startswith(route[0])), None)
        if route is None:
            return Reply(404, {"error": "no such platform path"})
        prefix, platform, handler = route
        request.path = path[len(prefix) :]
        with state.lock:
            state.request_counts[f"{platform}:{request.path}"] += 1
            latency = state.config.latency_ms / 1000.0
            default_hold = state.config.hold_seconds
        if latency:
            time.sleep(latency)
        fault = state.take_fault(platform, request.path)
        if fault is not None and fault.kind == "http_5xx_burst":
            return Reply(503, b"Service Unavailable")
        reply = handler(state, request, fault)
        if fault is not None and fault.kind == "timeout_after_accept":
            # The request was handled and recorded; the answer comes after the client gave up.
            state.stopping.wait(fault.hold_seconds if fault.hold_seconds is not None else default_hold)
        return reply

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, bytes):
            payload, content_type = reply.body, "text/plain; charset=utf-8"
        else:
            payload = json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left: expected with timeout_after_accept


def _json(body: bytes) -> Any:
    return json.loads(body.decode("utf-8")) if body else {}


def _control(state: FakeState, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
    if path == "health":
        return Reply(200, {"ok": True})
    if path == "reset" and method == "POST":
        state.reset()
        comments.reset(state)
        return Reply(200, {"ok": True})
    if path == "config":
        if method == "POST":
            with state.lock:
                state.config.update(_json(body))
        return Reply(200, dict(vars(state.config)))
    if path == "faults":
        if method == "POST":
            data = _json(body)
            for spec in data.get("faults", [data]):
                state.inject(Fault(**spec))
        elif method == "DELETE":
            with state.lock:
                state.faults.clear()
        return Reply(200, {"faults": state.snapshot_faults()})
    if path == "publications":
        filters = {k: query.get(k) for k in ("platform", "account", "post_ref", "kind")}
        return Reply(200, {"publications": state.publications(**filters)})
    if path == "previews":
        with state.lock:
            return Reply(200, {"previews": list(state.previews)})
    if path == "requests":
        with state.lock:
            return Reply(200, {"requests": dict(state.request_counts)})
    if path == "clock" and method == "POST":
        state.advance_clock(float(_json(body).get("advance_seconds", 0)))
        return Reply(200, {"now": state.now().isoformat()})
    if path == "comments":  # plant comments (POST) or list the planted ones (GET): the comment watch's tests
        return comments.control(state, method, _json(body))
    if path == "accounts" and method == "POST":
        data = _json(body)
        state.register(data.get("wechat"), data.get("weibo"), data.get("cms"))
        return Reply(200, {"ok": True})
    return Reply(404, {"error": f"no control endpoint {method} /_fake/{path}"})


class ClientBaseUrls:
    """The URLs the product's clients take as their base, from where the fake platforms listen (``base_url``)."""

    base_url: str

    @property
    def wechat_url(self) -> str:
        return self.base_url + "/cgi-bin/"

    @property
    def weibo_url(self) -> str:
        return self.base_url + "/2/"

    def cms_url(self, site: str) -> str:
        return f"{self.base_url}/cms/{site}"


class FakePlatforms(ClientBaseUrls):
    """A running fake server. ``with FakePlatforms.start() as fake: ...`` or ``fake.stop()``."""

    def __init__(self, server: _Server, thread: threading.Thread):
        self._server = server
        self._thread = thread
        self.state = server.state
        host, port = server.server_address[:2]
        self.host, self.port = host, port
        self.base_url = f"http://{host}:{port}"

    @classmethod
    def start(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        config: FakeConfig | None = None,
        wechat_accounts: dict[str, str] | None = None,
        weibo_tokens: dict[str, dict[str, Any]] | None = None,
        cms_sites: dict[str, str] | None = None,
    ) -> FakePlatforms:
        state = FakeState(config, wechat_accounts, weibo_tokens, cms_sites)
        server = _Server((host, port), state)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.name = f"fake-platforms-{server.server_address[1]}"
        thread.start()
        return cls(server, thread)


    # the control API, in-process
    def configure(self, **changes: Any) -> None:
        with self.state.lock:
            self.state.config.update(changes)

    def inject(self, kind: str, **options: Any) -> None:
        self.state.inject(Fault(kind, **options))

    def reset(self) -> None:
        self.state.reset()

    def publications(self, **filters: str | None) -> list[dict[str, Any]]:
        return self.state.publications(**filters)

    def previews(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.previews)

    def advance_clock(self, seconds: float) -> None:
        self.state.advance_clock(seconds)

    def stop(self) -> None:
        self.state.stopping.set()  # wake held answers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
