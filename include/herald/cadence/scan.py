"""The cadence pipeline's jobs: each is one transaction with its ledger row (``herald.jobs.run_recorded``).

Airflow tasks (``dags/cadence_scan.py``) and tests call these; each takes the window it judges, so a
scheduled run, a re-run and a backfill of any interval all go through the same code and, findings
being keyed by rule, subject and period, update rather than duplicate what earlier runs found.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from herald.cadence import standing, weekly
from herald.cadence.window import ScanWindow
from herald.db import Database, Transaction
from herald.findings import record_findings
from herald.jobs import run_recorded
from herald.ledger import LedgerEntry, TaskRun
from herald.timeutil import now_utc


def _default_policy_for() -> Callable[[str], Any]:
    from herald.policy import load_policy

    return load_policy


def max_rescan_weeks(db: Database, policy_for: Callable[[str], Any] | None = None) -> int:
    """The widest rescan window of the policies in use: one scheduled window serves every account."""
    policy_for = policy_for or _default_policy_for()
    with db.transaction() as tx:
        ids = weekly.policies_in_use(tx)
    return max((policy_for(i).cadence.rescan_weeks for i in ids), default=0)


def scan_weekly(db: Database, run: TaskRun, window: ScanWindow, *, now: datetime | None = None,
                refresh: bool = True, full: bool = False,
                policy_for: Callable[[str], Any] | None = None) -> LedgerEntry:
    """PUB-5 over the window: recount its weeks from the log (unless ``refresh`` is off), judge, record.
    ``full`` composes every lapse's finding again instead of only those whose judgement or text changed."""
    policy_for = policy_for or _default_policy_for()
    now = now or now_utc()

    def body(tx: Transaction, entry: LedgerEntry) -> None:
        entry.inputs.update({"rule_ids": [weekly.RULE_ID], "window": window.describe(), "refresh": refresh,
                             "tables": ["accounts", "account_events", "published_items", "cadence_presence",
                                        "cadence_week_bits", "cadence_lapse_state", "cadence_lapse_weeks"]})
        tx.fetch("cadence/scan_settings")  # engine settings for this transaction only
        if refresh:
            entry.row_counts["presence_rows_refreshed"] = weekly.refresh_presence(tx, window, now=now)
        counts = weekly.record_lapses(tx, window, policy_for, detected_by=_detector(run), now=now, full=full)
        entry.inputs["judged_in_full"] = bool(counts["full"])
        entry.row_counts["findings_reported"] = counts["lapses"]
        entry.row_counts["findings_composed"] = counts["composed"]
        entry.row_counts["findings_resolved"] = counts["resolved"]

    return run_recorded(db, run, body)


def scan_standing(db: Database, run: TaskRun, window: ScanWindow, *, now: datetime | None = None,
                  policy_for: Callable[[str], Any] | None = None) -> LedgerEntry:
    """CON-9, CON-10, PUB-1, ACC-4 and ACC-5 over the window's days and weeks."""
    policy_for = policy_for or _default_policy_for()
    now = now or now_utc()

    def body(tx: Transaction, entry: LedgerEntry) -> None:
        entry.inputs.update({"rule_ids": list(standing.DAY_RULES + standing.WEEK_RULES), "window": window.describe()})
        by_day, by_week, read = standing.standing_findings(tx, window, policy_for)
        entry.row_counts.update(read)
        for findings, scope in ((by_day, standing.day_scope(window)), (by_week, standing.week_scope(window))):
            counts = record_findings(tx, findings, scope=scope, detected_by=_detector(run), now=now)
            entry.row_counts["findings_reported"] = entry.row_counts.get("findings_reported", 0) + counts["reported"]
            entry.row_counts["findings_resolved"] = entry.row_counts.get("findings_resolved", 0) + counts["resolved"]

    return run_recorded(db, run, body)


def _detector(run: TaskRun) -> str:
    return f"{run.dag_id}.{run.task_id}"


def notify(db: Database, run: TaskRun, window: ScanWindow, *, policy_for: Callable[[str], Any] | None = None,
           send: Callable[[list], list] | None = None) -> LedgerEntry:
    """Reminders due at the window's as-of and the open findings of the window, as digests; ``send`` delivers them."""
    from herald.cadence import digest, warning

    policy_for = policy_for or _default_policy_for()

    def body(tx: Transaction, entry: LedgerEntry) -> None:
        reminders = warning.due_reminders(tx, window.as_of, policy_for)
        periods = {rule: (window.first_label, window.last_label) for rule in (weekly.RULE_ID, *standing.WEEK_RULES)}
        periods.update({rule: (window.first_day.isoformat(), window.last_day.isoformat()) for rule in standing.DAY_RULES})
        tokens = warning.expiring_tokens(tx, window.as_of)
        digests = digest.build_digests(tx, periods=periods, reminders=reminders, as_of=window.as_of,
                                       token_notices=tokens)
        entry.inputs.update({"window": window.describe(), "rule_ids": sorted(periods)})
        entry.row_counts.update({"reminders": len(reminders), "token_notices": len(tokens), "digests": len(digests)})
        entry.outputs["reminders"] = [r.as_dict() for r in reminders]
        entry.outputs["token_notices"] = [t.as_dict() for t in tokens]
        entry.outputs["digests"] = [d.as_dict() for d in digests]
        if send is not None:
            entry.outputs["deliveries"] = send(digests)

    return run_recorded(db, run, body)
