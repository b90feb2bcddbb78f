"""The contract every channel keeps, what staging hands to the second, and the helpers the channels share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from herald.dispatch.model import Settlement
from herald.errors import HeraldError
from herald.platforms.outcome import Outcome
from herald.timeutil import now_utc


class ClientSource(Protocol):
    """Where a channel gets the platform client and the per-account options of an account."""

    def client(self, platform: str, account_id: str) -> Any:
        """A WeChatClient, WeiboClient or CmsWebhookClient for the account."""

    def options(self, platform: str, account_id: str) -> dict[str, Any]:
        """Per-account options: ``preview_openid`` (WeChat mass send), ``source_url_template``,
        ``expected_hosts`` and ``confirmation_hours`` (manual channels)."""


class ClientUnavailable(HeraldError):
    """The account's platform client cannot be built (no connection, no credential): a person must configure it.

    Raised by a ``ClientSource`` before any request is made, so a post that meets it at its second provably
    made no call and fails with the reason instead of waiting for reconciliation.
    """


class StageFailed(HeraldError):
    """Staging could not finish: the outcome says whether to retry later or to fail the post."""

    def __init__(self, outcome: Outcome, what: str, calls: list | None = None):
        super().__init__(f"{what}: {outcome}")
        self.outcome = outcome
        self.what = what
        self.calls = list(calls or [])  # the calls made before it stopped, kept as attempts


@dataclass(frozen=True)
class Call:
    """One platform call made while staging, kept as a dispatch attempt (CON-9 evidence for previews)."""

    operation: str
    outcome: Outcome
    started_at: datetime
    finished_at: datetime


@dataclass
class Staged:
    data: dict[str, Any] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)


def timed(operation: str, call: Callable[[], Outcome], clock: Callable[[], datetime]) -> tuple[Outcome, Call]:
    """Make one staging call and keep it as a ``Call`` with its start and end."""
    started = clock()
    outcome = call()
    return outcome, Call(operation, outcome, started, clock())


class Channel(ABC):
    name = ""
    operation = ""  # the dispatch_attempts.operation of the submit
    is_mass_send = False

    def __init__(self, platform: str, account_id: str, clients: ClientSource | None,
                 clock: Callable[[], datetime] = now_utc):
        self.platform = platform
        self.account_id = account_id
        self.clients = clients
        self.clock = clock

    @property
    def client(self):
        return self.clients.client(self.platform, self.account_id)

    @property
    def options(self) -> dict[str, Any]:
        return self.clients.options(self.platform, self.account_id) if self.clients else {}

    def preflight(self) -> None:
        """Build the account's client before the call (raises ``ClientUnavailable`` when it is not configured)."""
        if self.clients is not None:
            self.client  # noqa: B018 - building the client is the check

    def stage(self, post: Mapping[str, Any]) -> Staged:
        return Staged()

    @abstractmethod
    def submit(self, post: Mapping[str, Any], staged: Mapping[str, Any]) -> Outcome:
        """The one call at the publish second."""

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        """The platform ids in a submit's outcome (also from an unconfirmed one: 45065 adopts a msg_id)."""
        return {}

    @abstractmethod
    def confirm(self, post: Mapping[str, Any], ref: Mapping[str, Any]) -> Settlement:
        """Read-only: is the submitted item published, pending or failed?"""

    @abstractmethod
    def reconcile(self, post: Mapping[str, Any], staged: Mapping[str, Any], since: datetime) -> Settlement:
        """Read-only: find an item whose submit outcome is unknown, without sending again."""


def pick(data: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """The given keys of a platform answer that have a value, as strings (the ids a ref keeps)."""
    return {k: str(data[k]) for k in keys if data.get(k) not in (None, "")}


def not_settled(outcome: Outcome) -> Settlement:
    """A read of the platform that did not succeed: nothing is known, ask again later."""
    return Settlement.pending(f"平台查询暂未成功（{outcome}），稍后再查")
