"""Platform access tokens encrypted at rest with the deployment's Fernet key (SEC-1).

Herald keeps each account's platform access token in its own database (``platform_tokens``, the single token
holder of ``herald.platforms.tokens``). Since migration 0019 the token is stored only as Fernet ciphertext
(``token_ciphertext``), under the same key Airflow encrypts connection passwords with: ``[core] fernet_key``,
``AIRFLOW__CORE__FERNET_KEY``. That setting may hold several comma-separated keys (``MultiFernet``): the first
encrypts, any of them decrypts, so a key is rotated as Airflow's ``airflow rotate-fernet-key`` does it:

1. put the new key first and keep the old one after it (``new,old``) in every process's configuration;
2. ``python -m herald tokens rotate-key`` re-encrypts every stored token with the first key, in one transaction
   (plain tokens left from before migration 0019 are encrypted by the same run);
3. drop the old key.

``docs/secrets.md`` is the operator's version of this. Without a key, nothing is stored: ``FernetKeyMissing``
names the setting instead of writing plain text. A token that none of the keys opens raises
``TokenUndecryptable`` naming the account and the setting; no error here carries a token, a ciphertext or a key.

This module imports nothing from Airflow: the key string is passed in, or read from the environment
(``from_environment``). Airflow processes pass the value of their own configuration
(``herald_airflow.platform_hooks.token_cipher``), which also honours ``airflow.cfg`` and ``fernet_key_cmd``.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from herald.errors import HeraldError

log = logging.getLogger(__name__)

KEY_VARIABLE = "AIRFLOW__CORE__FERNET_KEY"


class SecretsAtRestError(HeraldError):
    """The token store cannot encrypt or decrypt: a configuration for an engineer to fix (no secret in the text)."""


class FernetKeyMissing(SecretsAtRestError):
    pass


class FernetKeyInvalid(SecretsAtRestError):
    pass


class TokenUndecryptable(SecretsAtRestError):
    pass


class TokenCipher:
    """The deployment's Fernet keys: the first encrypts, any decrypts (``MultiFernet``)."""

    def __init__(self, keys: str | None, *, source: str = KEY_VARIABLE):
        self.source = source
        parts = [part.strip() for part in (keys or "").split(",") if part.strip()]
        if not parts:
            raise FernetKeyMissing(
                f"no Fernet key configured: set {source} (Airflow's Fernet key, which also encrypts its connection "
                "passwords) before Herald stores or reads a platform access token; Herald refuses to keep tokens in "
                "plain text (SEC-1)")
        fernets = []
        for number, part in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(part.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                raise FernetKeyInvalid(
                    f"{source}: key {number} of {len(parts)} is not a Fernet key (32 url-safe base64-encoded bytes, "
                    "as `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'` "
                    "prints)") from None
        self._first = fernets[0]
        self._all = MultiFernet(fernets)
        self.key_count = len(fernets)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TokenCipher:
        return cls((os.environ if environ is None else environ).get(KEY_VARIABLE))

    def __repr__(self) -> str:  # never the keys
        return f"TokenCipher({self.key_count} key{'s' if self.key_count != 1 else ''} from {self.source})"

    def encrypt(self, token: str) -> str:
        return self._first.encrypt(token.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str, *, what: str) -> str:
        """The token; ``what`` names the row for the error ("wechat account wx123"), never the text."""
        try:
            return self._all.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise TokenUndecryptable(
                f"the stored access token of {what} cannot be decrypted with any of the {self.key_count} key(s) in "
                f"{self.source}: the key that encrypted it is not configured in this process (keep the old key "
                "after the new one until `python -m herald tokens rotate-key` has run, and give every Airflow "
                "process the same keys)") from None

    def is_current(self, ciphertext: str) -> bool:
        """True when the first key already opens ``ciphertext`` (rotation leaves such a row alone)."""
        try:
            self._first.decrypt(ciphertext.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def rotate(self, ciphertext: str, *, what: str) -> str:
        """``ciphertext`` re-encrypted under the first key (its Fernet timestamp kept, as ``MultiFernet.rotate``)."""
        self.decrypt(ciphertext, what=what)  # a row no key opens: the error that names the row and the setting
        return self._all.rotate(ciphertext.encode("ascii")).decode("ascii")


CipherSource = Callable[[], TokenCipher]


def environment_cipher() -> TokenCipher:
    """The default for code outside Airflow (the CLI, tests): ``AIRFLOW__CORE__FERNET_KEY`` from the environment."""
    return TokenCipher.from_environment()


def stored_token(row: Mapping[str, object] | None, cipher: CipherSource, *, what: str) -> str | None:
    """The token a ``platform_tokens`` row holds: decrypted, or a plain one from before migration 0019, or None.

    The cipher is asked for only when there is ciphertext, so an account with no token never needs a key.
    """
    if not row:
        return None
    if row.get("token_ciphertext"):
        return cipher().decrypt(str(row["token_ciphertext"]), what=what)
    plain = row.get("access_token")
    return str(plain) if plain else None


def describe(platform: str, account: str) -> str:
    return f"{platform} account {account}"


@dataclass(frozen=True)
class RotationReport:
    encrypted_plain: int  # plain tokens from before migration 0019, now ciphertext
    reencrypted: int  # ciphertext under an older key, now under the first
    already_current: int  # ciphertext the first key already opens: left as it was
    key_count: int

    def __str__(self) -> str:
        return (f"{self.reencrypted} token(s) re-encrypted with the first key, {self.encrypted_plain} plain token(s) "
                f"encrypted, {self.already_current} already under the first key ({self.key_count} key(s) configured)")


def rotate_tokens(db, cipher: TokenCipher) -> RotationReport:
    """Re-encrypt every stored token with the first key, and encrypt every plain one, in one transaction.

    Idempotent: a row the first key already opens is not rewritten, so a second run changes nothing. A row no key
    opens stops the run before it commits (``TokenUndecryptable`` names the account), so nothing is half-rotated.
    On PostgreSQL the rows are locked until the commit; on SQLite ``BEGIN IMMEDIATE`` holds the write lock.
    """
    plain = rotated = current = 0
    with db.transaction() as tx:
        for row in tx.fetch("platform_tokens/held"):
            what = describe(row["platform"], row["account_key"])
            if row["token_ciphertext"]:
                if cipher.is_current(row["token_ciphertext"]):
                    if row["access_token"]:  # a plain copy beside current ciphertext (a hand-made row): emptied
                        tx.execute("platform_tokens/reencrypt", platform=row["platform"], account_key=row["account_key"],
                                   token_ciphertext=row["token_ciphertext"])
                    current += 1
                    continue
                text = cipher.rotate(row["token_ciphertext"], what=what)
                rotated += 1
            else:
                text = cipher.encrypt(row["access_token"])
                plain += 1
            tx.execute("platform_tokens/reencrypt", platform=row["platform"], account_key=row["account_key"],
                       token_ciphertext=text)
    report = RotationReport(encrypted_plain=plain, reencrypted=rotated, already_current=current,
                            key_count=cipher.key_count)
    log.info("platform tokens: %s", report)
    return report


# --- command line: python -m herald tokens rotate-key ------------------------------------------------------------

def cmd_rotate_key(args: argparse.Namespace) -> int:
    from herald.connection_url import herald_db_url
    from herald.db import Database

    cipher = environment_cipher()
    report = rotate_tokens(Database(herald_db_url(args.db)), cipher)
    print(f"rotate-key: {report}")
    return 0


def add_token_commands(commands) -> None:
    tokens = commands.add_parser(
        "tokens", help="platform access tokens kept in Herald's database (encrypted at rest, SEC-1)").add_subparsers(
        dest="tokens_command", required=True)
    rotate = tokens.add_parser(
        "rotate-key", help="re-encrypt every stored platform token with the first key of AIRFLOW__CORE__FERNET_KEY",
        description="Re-encrypts every platform access token in Herald's database with the first key of "
                    "AIRFLOW__CORE__FERNET_KEY (comma-separated keys: the first encrypts, any decrypts) and encrypts "
                    "plain tokens stored before migration 0019, in one transaction; a second run changes nothing. "
                    "Rotate a key: put the new key first (new,old) everywhere, run this, then drop the old key "
                    "(docs/secrets.md).")
    rotate.set_defaults(func=cmd_rotate_key)
