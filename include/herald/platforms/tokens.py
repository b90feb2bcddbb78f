"""The single holder of each account's access token.

Fetching a WeChat token invalidates the previous one a few minutes later, so two
workers that each fetch their own token knock each other out. Every client of an
account therefore goes through one store: it reads the current token, and refreshes
under the account's lock, where a refresh that finds a newer token than the stale
one it was asked to replace adopts that token instead of fetching again.

SEC-1: the token is a credential. It is stored (it must be shared) only as Fernet
ciphertext under the deployment's key (``herald.secrets_at_rest``), never logged,
and never put in an Outcome.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from herald.secrets_at_rest import CipherSource, TokenCipher, describe, environment_cipher, stored_token
from herald.timeutil import now_utc

# A token this close to its expiry is refreshed before use rather than failing mid-call.
EXPIRY_MARGIN = timedelta(seconds=300)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_at: datetime

    def __repr__(self) -> str:  # never print the credential
        return f"IssuedToken(access_token='***', expires_at={self.expires_at.isoformat()})"

    def usable(self, now: datetime) -> bool:
        return now + EXPIRY_MARGIN < self.expires_at


class TokenStore(Protocol):
    def current(self, platform: str, account: str, now: datetime) -> str | None:
        """The stored token if it is still usable, else None."""

    def refresh(
        self, platform: str, account: str, stale: str | None, fetch: Callable[[], IssuedToken], now: datetime
    ) -> str:
        """Replace ``stale`` by a fresh token, holding the account's lock.

        If the stored token already differs from ``stale`` and is usable, another
        holder refreshed it meanwhile: return it without fetching. ``fetch`` may
        raise; the stored token is then left as it was (a transient error while
        refreshing is not a dead token).
        """


class MemoryTokenStore:
    """One process: a dict and a lock per account (tests, the demo, a single worker)."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], IssuedToken] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def current(self, platform: str, account: str, now: datetime) -> str | None:
        token = self._tokens.get((platform, account))
        return token.access_token if token and token.usable(now) else None

    def refresh(self, platform, account, stale, fetch, now) -> str:
        key = (platform, account)
        with self._lock(key):
            held = self._tokens.get(key)
            if held and held.access_token != stale and held.usable(now):
                return held.access_token
            issued = fetch()
            self._tokens[key] = issued
            return issued.access_token


class DatabaseTokenStore:
    """Many workers: the ``platform_tokens`` table (migration 0005) is the single holder.

    The refresh runs inside one transaction that locks the account's row
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already
    serialises writers), so only one worker fetches while the others wait and adopt.

    Tokens are stored encrypted (migration 0019): ``cipher`` gives the deployment's
    Fernet keys, by default ``AIRFLOW__CORE__FERNET_KEY`` from the environment (Airflow
    processes pass their own configuration's). Without a key the refresh refuses
    before it fetches anything, so the platform never issues a token Herald cannot
    keep. A plain token left from before the migration is still read, and the next
    refresh of its account stores ciphertext in its place.
    """

    def __init__(self, db, clock: Callable[[], datetime] = now_utc,
                 cipher: TokenCipher | CipherSource | None = None) -> None:
        self.db = db
        self.clock = clock
        self._cipher_source: CipherSource = (
            environment_cipher if cipher is None else (lambda: cipher) if isinstance(cipher, TokenCipher) else cipher)
        self._cipher: TokenCipher | None = None

    def cipher(self) -> TokenCipher:
        if self._cipher is None:
            self._cipher = self._cipher_source()
        return self._cipher

    def current(self, platform: str, account: str, now: datetime) -> str | None:
        row = self.db.fetch_one("platform_tokens/get", platform=platform, account_key=account)
        token = stored_token(row, self.cipher, what=describe(platform, account))
        if token is None:
            return None
        return token if IssuedToken(token, row["expires_at"]).usable(now) else None

    def refresh(self, platform, account, stale, fetch, now) -> str:
        cipher = self.cipher()  # no key: refuse before the platform issues a token nobody could keep
        with self.db.transaction() as tx:
            tx.execute("platform_tokens/ensure", platform=platform, account_key=account)
            row = tx.fetch_one("platform_tokens/lock", platform=platform, account_key=account)
            token = stored_token(row, lambda: cipher, what=describe(platform, account))
            if row and row["access_token"] and not row["token_ciphertext"]:  # plain from before 0019: encrypt it now
                tx.execute("platform_tokens/reencrypt", platform=platform, account_key=account,
                           token_ciphertext=cipher.encrypt(row["access_token"]))
            if token and token != stale:
                held = IssuedToken(token, row["expires_at"])
                if held.usable(now):
                    return held.access_token
            issued = fetch()
            tx.execute(
                "platform_tokens/store",
                platform=platform,
                account_key=account,
                token_ciphertext=cipher.encrypt(issued.access_token),
                expires_at=issued.expires_at,
                refreshed_at=self.clock(),
            )
            return issued.access_token
