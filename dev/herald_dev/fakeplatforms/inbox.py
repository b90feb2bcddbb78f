"""A local inbox for the digests of ``make up``: an SMTP server and WeCom / DingTalk group-robot webhooks.

The cadence scan's notify task sends through the connections of the policy's ``notifications.channels``
(``herald_smtp``, ``herald_wecom``, ``herald_dingtalk``). On a developer's machine there is no mail server
and no chat group, so ``make up`` points those connections here: every message received is kept as a file
(``NNNN-email.eml``, ``NNNN-wecom.json``, ``NNNN-dingtalk.json``) and answered the way the real services
answer, DingTalk's signature checked as DingTalk checks it (``errcode`` 310000 when it does not match).

DingTalk's 加签, from its custom-robot documentation (written here, not imported from Herald, so that
a bug in Herald's signing fails a test): the webhook URL carries ``timestamp`` (milliseconds, at most
an hour from DingTalk's clock) and ``sign``, the URL-encoded Base64 of HMAC-SHA256 keyed by the
``SEC...`` secret over ``timestamp + "\\n" + secret`` (UTF-8).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WECOM_KEY = "local-wecom-key"
DINGTALK_TOKEN = "local-dingtalk-token"
SIGN_WINDOW_MS = 3_600_000  # DingTalk refuses a timestamp more than an hour away from its clock


def dingtalk_signature(secret: str, timestamp: str) -> str:
    """The ``sign`` DingTalk expects with this ``timestamp``, Base64 (as it reads once the URL is decoded)."""
    mac = hmac.new(secret.encode("utf-8"), (timestamp + "\n" + secret).encode("utf-8"), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def check_dingtalk_sign(secret: str, query: dict[str, str], now_ms: float) -> dict | None:
    """DingTalk's answer refusing the request (``query`` already URL-decoded), or None when it is signed."""
    timestamp = query.get("timestamp", "")
    if not (timestamp.isascii() and timestamp.isdigit()):
        return {"errcode": 310000, "errmsg": "sign not match: no timestamp"}
    if abs(now_ms - int(timestamp)) > SIGN_WINDOW_MS:
        return {"errcode": 310000, "errmsg": "sign not match: timestamp out of range"}
    expected = dingtalk_signature(secret, timestamp).encode("ascii")
    if not hmac.compare_digest(expected, query.get("sign", "").encode("utf-8")):
        return {"errcode": 310000, "errmsg": "sign not match"}
    return None


@dataclass
class _Store:
    directory: Path
    _numbers: itertools.count = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        # Numbering goes on from what an earlier `make up` kept, so nothing is overwritten.
        kept = [int(p.name.split("-", 1)[0]) for p in self.directory.glob("[0-9]*-*")]
        self._numbers = itertools.count(max(kept, default=0) + 1)

    def keep(self, channel: str, suffix: str, content: bytes) -> Path:
        with self._lock:
            path = self.directory / f"{next(self._numbers):04d}-{channel}.{suffix}"
            path.write_bytes(content)
        return path


class _SmtpHandler:
    def __init__(self, store: _Store):
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        self.store.keep("email", "eml", envelope.original_content or envelope.content)
        return "250 OK"


class _RobotServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, store: _Store, dingtalk_secret: str, port: int = 0):
        super().__init__(("127.0.0.1", port), _RobotHandler)
        self.store = store
        self.dingtalk_secret = dingtalk_secret


class _RobotHandler(BaseHTTPRequestHandler):
    server: _RobotServer

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path == "/cgi-bin/webhook/send" and query.get("key") == WECOM_KEY:
            answer = self._keep("wecom", body)
        elif url.path == "/robot/send" and query.get("access_token") == DINGTALK_TOKEN:
            refused = check_dingtalk_sign(self.server.dingtalk_secret, query, time.time() * 1000)
            answer = refused or self._keep("dingtalk", body)
        else:
            answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _keep(self, channel: str, body: bytes) -> dict:
        try:
            message = json.loads(body)
        except ValueError:
            return {"errcode": 40008, "errmsg": "invalid message: not JSON"}
        self.server.store.keep(channel, "json", json.dumps(message, ensure_ascii=False, indent=2).encode())
        return {"errcode": 0, "errmsg": "ok"}

    def log_message(self, *args):
        pass


def inbox_connections(smtp_port: int, robots_url: str, dingtalk_secret: str) -> dict[str, str]:
    """The notification connections (``AIRFLOW_CONN_*`` environment variables) pointing at an inbox: the one
    running in this process (:meth:`LocalInbox.connections`) or one run as a process of its own (``main``)."""
    connections = {
        "HERALD_SMTP": {"conn_type": "smtp", "host": "127.0.0.1", "port": smtp_port,
                        "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 0,
                                  "from_email": "herald@localhost"}},
        "HERALD_WECOM": {"conn_type": "http",
                         "extra": {"webhook_url": f"{robots_url}/cgi-bin/webhook/send?key={WECOM_KEY}"}},
        "HERALD_DINGTALK": {"conn_type": "http", "password": dingtalk_secret,
                            "extra": {"webhook_url": f"{robots_url}/robot/send?access_token={DINGTALK_TOKEN}"}},
    }
    return {f"AIRFLOW_CONN_{name}": json.dumps(value) for name, value in connections.items()}


def _free_port() -> int:
    # aiosmtpd's controller checks it started by connecting to the port it was given, so not 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalInbox:
    """The SMTP server and robot webhooks, running in this process until ``stop``."""

    def __init__(self, store: _Store, smtp, robots: _RobotServer, dingtalk_secret: str):
        self.store = store
        self._smtp = smtp
        self._robots = robots
        self._dingtalk_secret = dingtalk_secret

    @classmethod
    def start(cls, directory: Path, *, dingtalk_secret: str, smtp_port: int | None = None,
              robots_port: int = 0) -> LocalInbox:
        from aiosmtpd.controller import Controller

        directory.mkdir(parents=True, exist_ok=True)
        store = _Store(directory)
        robots = _RobotServer(store, dingtalk_secret, robots_port)
        threading.Thread(target=robots.serve_forever, name="local-inbox-robots", daemon=True).start()
        smtp = Controller(_SmtpHandler(store), hostname="127.0.0.1", port=smtp_port or _free_port())
        smtp.start()
        return cls(store, smtp, robots, dingtalk_secret)

    @property
    def directory(self) -> Path:
        return self.store.directory

    @property
    def smtp_port(self) -> int:
        return self._smtp.port

    @property
    def robots_url(self) -> str:
        return f"http://127.0.0.1:{self._robots.server_address[1]}"

    def connections(self) -> dict[str, str]:
        """The notification connections (as ``AIRFLOW_CONN_*`` environment variables) pointing here."""
        return inbox_connections(self.smtp_port, self.robots_url, self._dingtalk_secret)

    def stop(self) -> None:
        self._smtp.stop()
        self._robots.shutdown()
        self._robots.server_close()


def main(argv: list[str] | None = None) -> int:
    """``python -m herald_dev.fakeplatforms.inbox --dir D --smtp-port P --robots-port Q``: the inbox as a process
    of its own (``make stack``'s, which outlives the command). The DingTalk secret comes from the environment
    (``HERALD_INBOX_DINGTALK_SECRET``), never from the command line."""
    import argparse
    import os
    import signal

    parser = argparse.ArgumentParser(prog="python -m herald_dev.fakeplatforms.inbox")
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--robots-port", type=int, required=True)
    args = parser.parse_args(argv)
    inbox = LocalInbox.start(args.dir, dingtalk_secret=os.environ["HERALD_INBOX_DINGTALK_SECRET"],
                             smtp_port=args.smtp_port, robots_port=args.robots_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"local inbox: SMTP 127.0.0.1:{inbox.smtp_port}, robots {inbox.robots_url}, messages in {inbox.directory}",
          flush=True)
    stop.wait()
    inbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
