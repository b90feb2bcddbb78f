"""Platform access tokens encrypted at rest with the deployment's Fernet key (SEC-1, issue 16; herald.secrets_at_rest).

Every test runs on PostgreSQL and SQLite (``any_db``) unless it is about the key string alone.
"""

from __future__ import annotations

import logging
import shutil
import socket
from datetime import UTC, datetime, timedelta

import pytest
import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet

from builders import insert, table_snapshot
from herald.__main__ import main
from herald.db import Database
from herald.migrate import MIGRATIONS_DIR, migrate
from herald.platforms.outcome import OutcomeKind
from herald.platforms.tokens import DatabaseTokenStore, IssuedToken
from herald.platforms.wechat import WeChatClient
from herald.secrets_at_rest import (
    KEY_VARIABLE,
    FernetKeyInvalid,
    FernetKeyMissing,
    TokenCipher,
    TokenUndecryptable,
    rotate_tokens,
)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
APPID = "wx00000000000000a1"
OTHER = "wx00000000000000b2"
TOKEN = "93_plain-access-token-of-the-official-account"


@pytest.fixture
def closed_port():
    """A local port nothing listens on (bound, never listening, so nothing else takes it during the test)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def _key() -> str:
    return Fernet.generate_key().decode()


def _rows(db) -> list[dict]:
    with db.engine.connect() as conn:
        result = conn.execute(sa.text(
            "SELECT platform, account_key, access_token, token_ciphertext, expires_at FROM platform_tokens "
            "ORDER BY platform, account_key"))
        return [dict(row._mapping) for row in result]


def _issue(token: str, calls: list | None = None):
    def fetch() -> IssuedToken:
        if calls is not None:
            calls.append(token)
        return IssuedToken(token, NOW + timedelta(hours=2))
    return fetch


def _store(db, keys: str) -> DatabaseTokenStore:
    return DatabaseTokenStore(db, cipher=TokenCipher(keys))


def test_a_token_round_trips_and_the_table_holds_only_ciphertext(any_db, caplog):
    caplog.set_level(logging.DEBUG)
    key = _key()
    assert _store(any_db, key).refresh("wechat", APPID, None, _issue(TOKEN), NOW) == TOKEN
    # Another worker (another store, the same deployment key) reads it back.
    assert _store(any_db, key).current("wechat", APPID, NOW) == TOKEN
    [row] = _rows(any_db)
    assert row["access_token"] is None and row["token_ciphertext"]
    assert TOKEN not in repr(row) and row["token_ciphertext"] != TOKEN
    assert Fernet(key.encode()).decrypt(row["token_ciphertext"].encode()).decode() == TOKEN  # plain Fernet, as Airflow's
    assert TOKEN not in caplog.text


def test_the_default_key_is_airflows_environment_variable(any_db, monkeypatch):
    key = _key()
    monkeypatch.setenv(KEY_VARIABLE, key)
    DatabaseTokenStore(any_db).refresh("wechat", APPID, None, _issue(TOKEN), NOW)
    assert _store(any_db, key).current("wechat", APPID, NOW) == TOKEN


def test_without_a_key_nothing_is_fetched_or_stored_and_the_error_names_the_setting(any_db, monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    before = table_snapshot(any_db)
    calls: list = []
    with pytest.raises(FernetKeyMissing, match=KEY_VARIABLE):
        DatabaseTokenStore(any_db).refresh("wechat", APPID, None, _issue(TOKEN, calls), NOW)
    assert calls == []  # the platform never issued a token Herald could not keep
    assert table_snapshot(any_db) == before
    monkeypatch.setenv(KEY_VARIABLE, " , ")
    with pytest.raises(FernetKeyMissing, match="plain text"):
        DatabaseTokenStore(any_db).refresh("wechat", APPID, None, _issue(TOKEN, calls), NOW)
    assert calls == []


def test_a_client_without_a_key_gets_a_configuration_outcome_and_sends_nothing(any_db, monkeypatch, closed_port):
    """Nothing listens at the base URL: had the client tried to send, the outcome would be a connection error."""
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    client = WeChatClient(f"http://127.0.0.1:{closed_port}/cgi-bin/", APPID, "app-secret-value", requests.Session(),
                          DatabaseTokenStore(any_db), timeout=(0.5, 0.5))
    outcome = client.get_publish("publish-1")
    assert outcome.kind is OutcomeKind.CONFIG_ERROR and outcome.code == "fernet_key"
    assert KEY_VARIABLE in outcome.message and "app-secret-value" not in outcome.message


def test_rotation_with_two_keys_then_the_old_key_removed(any_db, caplog):
    caplog.set_level(logging.DEBUG)
    old, new = _key(), _key()
    _store(any_db, old).refresh("wechat", APPID, None, _issue(TOKEN), NOW)
    _store(any_db, old).refresh("wechat", OTHER, None, _issue(TOKEN + "-2"), NOW)
    under_old = [row["token_ciphertext"] for row in _rows(any_db)]
    # Step 1: the new key first, the old one after it. Everything still reads; new writes use the new key.
    both = TokenCipher(f"{new},{old}")
    assert DatabaseTokenStore(any_db, cipher=both).current("wechat", APPID, NOW) == TOKEN
    # Step 2: rotate-key.
    report = rotate_tokens(any_db, both)
    assert (report.reencrypted, report.encrypted_plain, report.already_current, report.key_count) == (2, 0, 0, 2)
    after = _rows(any_db)
    assert [row["token_ciphertext"] for row in after] != under_old
    expiry = [any_db.fetch_one("platform_tokens/get", platform="wechat", account_key=a)["expires_at"] for a in (APPID, OTHER)]
    assert expiry == [NOW + timedelta(hours=2)] * 2  # the token itself did not change
    # Idempotent: a second run rewrites nothing.
    again = rotate_tokens(any_db, both)
    assert (again.reencrypted, again.encrypted_plain, again.already_current) == (0, 0, 2)
    assert _rows(any_db) == after
    # Step 3: the old key dropped. The new key alone opens every token; the old one alone opens none.
    assert _store(any_db, new).current("wechat", APPID, NOW) == TOKEN
    assert _store(any_db, new).current("wechat", OTHER, NOW) == TOKEN + "-2"
    with pytest.raises(TokenUndecryptable):
        _store(any_db, old).current("wechat", APPID, NOW)
    assert TOKEN not in caplog.text and old not in caplog.text and new not in caplog.text


def test_a_wrong_key_is_a_clear_error_without_the_token_and_rotation_changes_nothing(any_db):
    right, wrong = _key(), _key()
    _store(any_db, right).refresh("wechat", APPID, None, _issue(TOKEN), NOW)
    _store(any_db, wrong).refresh("wechat", OTHER, None, _issue(TOKEN + "-2"), NOW)
    with pytest.raises(TokenUndecryptable) as raised:
        _store(any_db, wrong).current("wechat", APPID, NOW)
    message = str(raised.value)
    assert KEY_VARIABLE in message and f"wechat account {APPID}" in message and "rotate-key" in message
    ciphertext = _rows(any_db)[0]["token_ciphertext"]
    assert TOKEN not in message and ciphertext not in message and right not in message and wrong not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    # A refresh under the wrong key refuses too, before fetching: it cannot tell a stale token from the held one.
    calls: list = []
    with pytest.raises(TokenUndecryptable):
        _store(any_db, wrong).refresh("wechat", APPID, TOKEN, _issue("replacement", calls), NOW)
    assert calls == []
    # A rotation that meets a row no key opens stops before it commits: OTHER (which the key opens) is untouched too.
    before = table_snapshot(any_db)
    with pytest.raises(TokenUndecryptable, match=APPID):
        rotate_tokens(any_db, TokenCipher(f"{_key()},{wrong}"))
    assert table_snapshot(any_db) == before


def test_a_plain_token_from_before_encryption_is_read_then_encrypted_by_rotate_key(any_db, monkeypatch, capsys):
    insert(any_db, "platform_tokens", platform="wechat", account_key=APPID, access_token=TOKEN,
           expires_at=NOW + timedelta(hours=2), refreshed_at=NOW)
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    assert DatabaseTokenStore(any_db).current("wechat", APPID, NOW) == TOKEN  # readable while the keys are set up
    url = any_db.engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "tokens", "rotate-key"]) == 2
    assert KEY_VARIABLE in capsys.readouterr().err
    assert _rows(any_db)[0]["access_token"] == TOKEN  # refused: nothing written
    key = _key()
    monkeypatch.setenv(KEY_VARIABLE, key)
    assert main(["--db", url, "tokens", "rotate-key"]) == 0
    printed = capsys.readouterr().out
    assert "1 plain token(s) encrypted" in printed and TOKEN not in printed and key not in printed
    [row] = _rows(any_db)
    assert row["access_token"] is None and row["token_ciphertext"] and TOKEN not in row["token_ciphertext"]
    assert DatabaseTokenStore(any_db).current("wechat", APPID, NOW) == TOKEN
    assert main(["--db", url, "tokens", "rotate-key"]) == 0
    assert "0 plain token(s) encrypted, 1 already under the first key" in capsys.readouterr().out


def test_a_plain_token_is_encrypted_by_the_first_refresh_of_its_account(any_db):
    insert(any_db, "platform_tokens", platform="wechat", account_key=APPID, access_token=TOKEN,
           expires_at=NOW + timedelta(hours=2), refreshed_at=NOW)
    key, calls = _key(), []
    # A worker whose stale token is older adopts the held one (no fetch), and the row is encrypted in passing.
    assert _store(any_db, key).refresh("wechat", APPID, "older-token", _issue("fresh", calls), NOW) == TOKEN
    assert calls == []
    [row] = _rows(any_db)
    assert row["access_token"] is None and _store(any_db, key).current("wechat", APPID, NOW) == TOKEN
    # A hand-made row holding both a plain copy and current ciphertext loses the plain copy at rotation.
    with any_db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE platform_tokens SET access_token = :t"), {"t": TOKEN})
    report = rotate_tokens(any_db, TokenCipher(key))
    assert (report.already_current, report.reencrypted, report.encrypted_plain) == (1, 0, 0)
    assert _rows(any_db)[0]["access_token"] is None


def test_a_database_from_before_migration_0019_keeps_its_tokens(tmp_path):
    """The schema as it was (0001-0018), a plain token in it, then the migration and rotate-key."""
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:4]) < 19:
            shutil.copy(path, earlier / path.name)
    db = Database(f"sqlite:///{tmp_path / 'herald.db'}")
    try:
        migrate(db, earlier)
        insert(db, "platform_tokens", platform="weibo", account_key="5000000077", access_token=TOKEN,
               expires_at=NOW + timedelta(days=30), refreshed_at=NOW)
        assert [m.version for m in migrate(db)] == _versions_from(19)
        key = _key()
        assert rotate_tokens(db, TokenCipher(key)).encrypted_plain == 1
        [row] = _rows(db)
        assert row["access_token"] is None and _store(db, key).current("weibo", "5000000077", NOW) == TOKEN
    finally:
        db.dispose()


def _versions_from(first: int) -> list[int]:
    return [int(path.name[:4]) for path in sorted(MIGRATIONS_DIR.glob("*.sql")) if int(path.name[:4]) >= first]


def test_a_malformed_key_is_refused_without_echoing_it():
    good = _key()
    with pytest.raises(FernetKeyInvalid, match=rf"{KEY_VARIABLE}: key 2 of 2 is not a Fernet key") as raised:
        TokenCipher(f"{good},not-a-fernet-key-at-all")
    assert "not-a-fernet-key-at-all" not in str(raised.value) and good not in str(raised.value)
    cipher = TokenCipher(f" {good} , {_key()} ")
    assert cipher.key_count == 2 and good not in repr(cipher)
