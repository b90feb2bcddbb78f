"""The comment watch's records for the annual audit pack (SEC-2, SEC-3): escalations and crisis findings.

``comment_watch_records(tx, account_id, year)`` gives, for one account or the whole group (``None``), the
escalations detected in the audit year (Shanghai calendar year) with their comments, evidence checksums and
sent times, and the SEC-3 crisis findings the watch opened; each table names its source query and parameters.
"""

from __future__ import annotations

from typing import Any

from herald.db import Transaction
from herald.timeutil import shanghai_midnight_utc

ESCALATIONS_QUERY = "comments/audit_escalations"
CRISES_QUERY = "comments/audit_crises"


def year_window(year: int) -> tuple[Any, Any]:
    """[1 January, next 1 January) of ``year`` in Shanghai, as aware UTC."""
    from datetime import date

    return shanghai_midnight_utc(date(year, 1, 1)), shanghai_midnight_utc(date(year + 1, 1, 1))


def comment_watch_records(tx: Transaction, account_id: str | None, year: int) -> dict[str, Any]:
    from_at, to_at = year_window(year)
    params = {"account_id": account_id, "from_at": from_at, "to_at": to_at}
    escalations = tx.fetch(ESCALATIONS_QUERY, **params)
    crises = tx.fetch(CRISES_QUERY, **params)
    return {
        "escalations": {"query": ESCALATIONS_QUERY, "parameters": params, "rows": escalations,
                        "row_count": len(escalations),
                        "unsent": sum(1 for r in escalations if r["state"] != "sent")},
        "crises": {"query": CRISES_QUERY, "parameters": params, "rows": crises, "row_count": len(crises)},
    }
