"""Versioned schema migrations: ``sql/migrations/NNNN_name.sql``, applied in order, once each.

The same files run on PostgreSQL and SQLite. Each migration runs in one transaction
with its bookkeeping row, so a failed migration leaves nothing half-applied. An
applied migration whose file has since changed is refused: migrations are history,
new changes go in a new file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from herald.db import SQL_DIR, Database
from herald.errors import HeraldError
from herald.timeutil import now_utc

MIGRATIONS_DIR = SQL_DIR / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(HeraldError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def available_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration file names must look like 0001_short_name.sql")
        migrations.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{directory}: two migration files share a version number")
    return migrations


def migrate(db: Database, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply every pending migration; return those applied now (empty when up to date)."""
    with db.transaction() as tx:
        tx.execute("migrator/create_table")
        applied = {row["version"]: row for row in tx.fetch("migrator/applied")}
    newly_applied = []
    for migration in available_migrations(directory):
        done = applied.get(migration.version)
        if done is not None:
            if done["checksum"] != migration.checksum:
                raise MigrationError(
                    f"{migration.path.name}: applied on {done['applied_at']:%Y-%m-%d} with a different checksum; "
                    "never edit an applied migration, add a new one"
                )
            continue
        with db.transaction() as tx:
            tx.execute_script(migration.sql)
            tx.execute(
                "migrator/record",
                version=migration.version,
                name=migration.name,
                checksum=migration.checksum,
                applied_at=now_utc(),
            )
        newly_applied.append(migration)
    return newly_applied


def current_version(db: Database) -> int:
    with db.transaction() as tx:
        tx.execute("migrator/create_table")
        rows = tx.fetch("migrator/applied")
    return max((row["version"] for row in rows), default=0)
