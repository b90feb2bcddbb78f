"""``python -m herald_dev.fakeplatforms --port 8765``: run the fake platforms until interrupted.

Accounts default to the demo ones (``state.DEMO_*``); ``--accounts FILE`` takes a JSON
object ``{"wechat": {appid: secret}, "weibo": {token: {...}}, "cms": {site: secret}}``.
Secrets are never printed.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path

from herald_dev.fakeplatforms.server import FakePlatforms
from herald_dev.fakeplatforms.state import FakeConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m herald_dev.fakeplatforms")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--accounts", type=Path, help="JSON file with wechat/weibo/cms accounts")
    args = parser.parse_args(argv)
    accounts = json.loads(args.accounts.read_text(encoding="utf-8")) if args.accounts else {}
    fake = FakePlatforms.start(
        args.host,
        args.port,
        config=FakeConfig(latency_ms=args.latency_ms),
        wechat_accounts=accounts.get("wechat"),
        weibo_tokens=accounts.get("weibo"),
        cms_sites=accounts.get("cms"),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with fake.state.lock:
        names = {
            "wechat": sorted(fake.state.wechat_accounts),
            "weibo uids": sorted(str(t["uid"]) for t in fake.state.weibo_tokens.values()),
            "cms sites": sorted(fake.state.cms_sites),
        }
    print(f"fake platforms on {fake.base_url} (control: {fake.base_url}/_fake/health) accounts: {names}", flush=True)
    stop.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
