"""Everything the fake platforms remember: accounts, tokens, content, faults and the ledger.

One lock guards it all; handlers hold it only while they read or change state, never
while sleeping (latency, held answers), so a thousand concurrent requests stay cheap.

Nothing here or in the platform modules comes from ``herald``: the fakes stand for the platforms
and check Herald's clients, so they must not share Herald's code (or its bugs).
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from herald_dev.fakeplatforms.cms import ReplayGuard

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the platforms' day (quotas, timestamps)

FAULT_KINDS = {
    "timeout_after_accept": None,  # any platform: handled, recorded, then the answer is held past the client timeout
    "http_5xx_burst": None,  # any platform: 503 without touching anything
    "expire_token": None,  # WeChat: tokens of the account die (42001); Weibo: 21327
    "quota": None,  # WeChat 45009 (45028 on sendall), Weibo 10023, CMS 429
    "system_busy": None,  # WeChat -1, Weibo 10009, CMS 503
    "weibo_20032": "weibo",  # share is published, the answer says 20032
    "duplicate": "weibo",  # share refused with 20019, nothing published
}
PLATFORMS = ("wechat", "weibo", "cms")

DEMO_WECHAT_ACCOUNTS = {"wx_herald_demo": "demo-wechat-secret"}
DEMO_WEIBO_TOKENS = {
    "demo-weibo-token": {"uid": "5000000001", "appkey": "demo-appkey", "safe_domains": ["herald.example.com"]}
}
DEMO_CMS_SITES = {"www": "demo-cms-secret"}


class FakeConfigError(ValueError):
    """A fault or setting the fakes do not know: the control API answers 400."""


@dataclass
class FakeConfig:
    latency_ms: float = 0.0
    hold_seconds: float = 5.0  # timeout_after_accept: how long the answer is held
    token_ttl_seconds: int = 7200
    token_grace_seconds: float = 300.0  # an older token keeps working this long after a new fetch
    publish_delay_seconds: float = 1.0  # freepublish and mass send stay "in progress" this long
    clientmsgid_ttl_seconds: float = 86400.0
    clientmsgid_retry_window_seconds: float = 60.0  # 45066 inside, 45065 (with the msg_id) after
    mass_per_day: int = 1  # subscription accounts: one mass send a (Beijing) day
    mass_api_per_minute: int = 60
    weibo_posts_per_hour: int = 30
    weibo_error_code_style: str = "alternate"  # "int", "string" or "alternate"
    cms_replay_window_seconds: int = 300

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name: f.type for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise FakeConfigError(f"unknown fake setting {name!r}; known: {sorted(known)}")
            current = getattr(self, name)
            setattr(self, name, type(current)(value))
        if self.weibo_error_code_style not in ("int", "string", "alternate"):
            raise FakeConfigError("weibo_error_code_style must be int, string or alternate")


@dataclass
class Fault:
    kind: str
    count: int = 1  # how many matching requests it hits
    after: int = 0  # let this many matching requests through first (a scheduled fault)
    platform: str | None = None
    path: str | None = None  # substring of the platform path, e.g. "freepublish/submit"
    hold_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise FakeConfigError(f"unknown fault {self.kind!r}; known: {sorted(FAULT_KINDS)}")
        only = FAULT_KINDS[self.kind]
        if only and self.platform not in (None, only):
            raise FakeConfigError(f"fault {self.kind} exists on {only} only")
        self.platform = self.platform or only
        if self.platform is not None and self.platform not in PLATFORMS:
            raise FakeConfigError(f"unknown platform {self.platform!r}")
        if self.count < 1 or self.after < 0:
            raise FakeConfigError("count must be at least 1 and after at least 0")

    def matches(self, platform: str, path: str) -> bool:
        return self.platform in (None, platform) and (self.path is None or self.path in path)


@dataclass
class TokenRecord:
    account: str
    kind: str  # "basic" (token) or "stable" (stable_token)
    expires_at: datetime
    invalid_after: datetime | None = None  # set when a newer token was fetched
    revoked: bool = False  # expire_token fault


class FakeState:
    def __init__(
        self,
        config: FakeConfig | None = None,
        wechat_accounts: dict[str, str] | None = None,
        weibo_tokens: dict[str, dict[str, Any]] | None = None,
        cms_sites: dict[str, str] | None = None,
    ):
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.config = config or FakeConfig()
        self.wechat_accounts = dict(DEMO_WECHAT_ACCOUNTS if wechat_accounts is None else wechat_accounts)
        self.weibo_tokens = {k: dict(v) for k, v in (DEMO_WEIBO_TOKENS if weibo_tokens is None else weibo_tokens).items()}
        self.cms_sites = dict(DEMO_CMS_SITES if cms_sites is None else cms_sites)
        self.clock_offset = timedelta(0)
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        """Forget everything that happened; keep accounts and configuration."""
        with self.lock:
            self.faults: list[Fault] = []
            self.ledger: list[dict[str, Any]] = []
            self.previews: list[dict[str, Any]] = []
            self.request_counts: Counter[str] = Counter()
            self.clock_offset = timedelta(0)
            # WeChat
            self.tokens: dict[str, TokenRecord] = {}
            self.current_token: dict[tuple[str, str], str] = {}
            self.drafts: dict[tuple[str, str], list[dict[str, Any]]] = {}
            self.publishes: dict[tuple[str, str], dict[str, Any]] = {}
            self.articles: dict[tuple[str, str], dict[str, Any]] = {}
            self.mass: dict[tuple[str, str], dict[str, Any]] = {}
            self.clientmsgids: dict[tuple[str, str], dict[str, Any]] = {}
            self.mass_api_calls: dict[str, list[datetime]] = {}
            # Weibo
            self.weibo_statuses: dict[str, list[dict[str, Any]]] = {}
            self.weibo_expired: set[str] = set()
            self.weibo_error_count = 0
            # CMS
            self.cms_items: dict[tuple[str, str], dict[str, Any]] = {}
            self.cms_replay_guards: dict[str, ReplayGuard] = {}  # per site, made by the CMS handler

    # --- time and ids ----------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += timedelta(seconds=seconds)

    def next_id(self) -> int:
        return next(self._ids)

    @staticmethod
    def random_token(length: int = 48) -> str:
        return secrets.token_urlsafe(length)[:length]

    # --- faults -----------------------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, platform: str, path: str) -> Fault | None:
        """The fault that hits this request, if any (the first matching one, in injection order)."""
        with self.lock:
            for fault in self.faults:
                if not fault.matches(platform, path):
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return Fault(fault.kind, 1, 0, fault.platform, fault.path, fault.hold_seconds)
            return None

    # --- the ledger of accepted publications ------------------------------------------------

    def record(self, platform: str, account: str, post_ref: str, kind: str, platform_id: str) -> dict[str, Any]:
        entry = {
            "seq": len(self.ledger) + 1,
            "platform": platform,
            "account": account,
            "post_ref": post_ref,
            "kind": kind,
            "platform_id": platform_id,
            "accepted_at": self.now().isoformat(),
        }
        self.ledger.append(entry)
        return entry

    def publications(self, **filters: str | None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                dict(e) for e in self.ledger if all(v is None or e.get(k) == v for k, v in filters.items())
            ]

    def snapshot_faults(self) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(f) for f in self.faults]

    def register(self, wechat=None, weibo=None, cms=None) -> None:
        with self.lock:
            self.wechat_accounts.update(wechat or {})
            self.weibo_tokens.update({k: dict(v) for k, v in (weibo or {}).items()})
            for token in weibo or {}:
                self.weibo_expired.discard(token)
            self.cms_sites.update(cms or {})


@dataclass
class Request:
    method: str
    path: str  # the path under the platform's prefix, e.g. "freepublish/submit"
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int
    body: Any  # a dict (sent as UTF-8 JSON) or bytes
    headers: dict[str, str] = field(default_factory=dict)
