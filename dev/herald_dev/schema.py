"""The demo world's own tables, beside Herald's schema in the same database (never in the product's migrations)."""

from __future__ import annotations

from herald.db import Transaction
from herald_dev import DEV_SQL_DIR

DEMO_SCHEMA = DEV_SQL_DIR / "demo" / "schema.sql"


def ensure_demo_tables(tx: Transaction) -> None:
    """Create the demo's tables if missing (idempotent): every world builder calls it before writing."""
    tx.execute_script(DEMO_SCHEMA.read_text(encoding="utf-8"))
