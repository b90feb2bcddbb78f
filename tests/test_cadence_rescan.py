"""PUB-5 rescans compose only the findings whose judgement or text changed (herald.cadence.weekly.record_lapses).

After every kind of change a rescan must leave the findings exactly as a scan that composes every finding
again (``full=True``) would: each step below changes something, rescans as the pipeline does, then checks
that a full scan has nothing left to change. On both engines.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, date, datetime

from cadence_rows import Rows, sh
from herald.cadence.scan import scan_weekly
from herald.cadence.window import ScanWindow, week_of_label
from herald.db import Transaction
from herald.findings import set_finding_state
from herald.ledger import TaskRun
from herald.policy import load_policy

AS_OF = sh(2025, 6, 2, 9)
NOW = datetime(2025, 6, 2, 1, tzinfo=UTC)


def window(first: str, last: str) -> ScanWindow:
    return ScanWindow.complete_weeks(week_of_label(first), week_of_label(last), AS_OF)


def rescan(db, first: str = "2025-W02", last: str = "2025-W21", *, full: bool = False, policy_for=load_policy):
    return scan_weekly(db, TaskRun.manual("cadence_weekly", NOW), window(first, last), now=NOW, full=full,
                       policy_for=policy_for)


def pub5(db) -> dict[tuple[str, str], tuple]:
    with db.transaction() as tx:
        rows = tx.connection.exec_driver_sql(
            "SELECT subject_id, period, state, severity, summary, evidence FROM findings WHERE rule_id = 'PUB-5'"
        ).fetchall()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def assert_as_full_scan_leaves_it(db, policy_for=load_policy) -> dict:
    after_rescan = pub5(db)
    entry = rescan(db, full=True, policy_for=policy_for)
    assert entry.inputs["judged_in_full"] is True
    assert pub5(db) == after_rescan
    return after_rescan


def test_rescans_agree_with_full_scans_through_every_kind_of_change(any_db):
    rows = Rows(any_db)
    rows.account("a", date(2025, 1, 6))
    # W10 and W11 missed: W10 is the last week of a 60-week block, W11 the first of the next (2025-W11 is
    # week 2880), so the second miss in a row is told across blocks.
    rows.weekly_items("a", date(2025, 1, 6), 21, skip={date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 24),
                                                       date(2025, 4, 7)})
    rows.item("a", sh(2025, 3, 26), status="banned")  # W13 logged one item that does not count
    rows.account("b", date(2025, 3, 5))  # opens mid-week: judged from W11
    rows.weekly_items("b", date(2025, 3, 10), 12, skip={date(2025, 3, 24), date(2025, 4, 14), date(2025, 5, 12)})
    rows.account("c", date(2025, 1, 6))  # never publishes; suspended from W05 to the Monday of W07
    rows.state_change("c", "suspended", sh(2025, 1, 29))
    rows.state_change("c", "active", sh(2025, 2, 10, 8))

    first = rescan(any_db)
    assert first.inputs["judged_in_full"] is True  # nothing recorded yet: every finding composed
    assert first.row_counts["presence_rows_refreshed"] > 0
    found = pub5(any_db)
    assert found[("a", "2025-W10")][1] == "medium" and found[("a", "2025-W11")][1] == "high"
    assert ("c", "2025-W04") in found and ("c", "2025-W07") not in found and ("c", "2025-W08") in found
    assert '"banned_items": 1' in found[("a", "2025-W13")][3]

    # Nothing changed: only the week that logged uncounted items is composed again, nothing is written.
    again = rescan(any_db)
    assert again.inputs["judged_in_full"] is False
    assert again.row_counts["findings_composed"] == 1 and again.row_counts["findings_resolved"] == 0
    assert again.row_counts["findings_reported"] == first.row_counts["findings_reported"] == len(found)
    assert pub5(any_db) == found
    assert_as_full_scan_leaves_it(any_db)

    # A late log fills W13 of a (its finding resolves; W14 stays a single miss), and a second banned item
    # lands in b's missed W16 (the finding's counts change, nothing else).
    rows.item("a", sh(2025, 3, 27))
    rows.item("b", sh(2025, 4, 16), status="banned")
    rows.item("b", sh(2025, 4, 17), status="banned")
    daily = rescan(any_db, "2025-W12", "2025-W17")
    assert daily.row_counts["findings_resolved"] == 1
    state = assert_as_full_scan_leaves_it(any_db)
    assert state[("a", "2025-W13")][0] == "resolved"
    assert '"banned_items": 2' in state[("b", "2025-W16")][3]

    # The account is renamed: a rescan of the last weeks rewrites their findings at once, the earlier
    # ones when a scan next covers them.
    rows.execute("UPDATE accounts SET name = '新名称' WHERE account_id = 'b'")
    rescan(any_db, "2025-W19", "2025-W21")
    assert "新名称" in pub5(any_db)[("b", "2025-W20")][2]
    assert "新名称" not in pub5(any_db)[("b", "2025-W13")][2]  # written with the old name, now due again
    rescan(any_db)
    assert all("新名称" in v[2] for k, v in pub5(any_db).items() if k[0] == "b")
    assert_as_full_scan_leaves_it(any_db)

    # Resolved by hand while the week still lapses: the next scan opens it again.
    with any_db.transaction() as tx:
        finding_id = next(r["finding_id"] for r in tx.fetch("findings/open") if r["subject_id"] == "c")
        set_finding_state(tx, finding_id, "resolved", now=NOW)
    rescan(any_db)
    assert all(v[0] == "open" for k, v in pub5(any_db).items() if k[0] == "c")
    assert_as_full_scan_leaves_it(any_db)

    # A suspension found later covers a's W10: W10 is no longer judged and W11 is a single miss again.
    rows.state_change("a", "suspended", sh(2025, 3, 4))
    rows.state_change("a", "active", sh(2025, 3, 9, 20))
    rescan(any_db)
    state = assert_as_full_scan_leaves_it(any_db)
    assert state[("a", "2025-W10")][0] == "resolved" and state[("a", "2025-W11")][1] == "medium"

    # The policy asks for two items a week: judged from the presence counts instead of the week bits.
    base = load_policy("000")
    two = dataclasses.replace(base, cadence=dataclasses.replace(base.cadence, min_items=2))
    rescan(any_db, policy_for=lambda _pid: two)
    state = assert_as_full_scan_leaves_it(any_db, policy_for=lambda _pid: two)
    assert state[("a", "2025-W03")][0] == "open" and "少于每周2条" in state[("a", "2025-W03")][2]


def test_clearing_the_findings_makes_the_next_scan_judge_in_full(pg_db):
    rows = Rows(pg_db)
    rows.account("a", date(2025, 1, 6))
    rows.weekly_items("a", date(2025, 1, 6), 21, skip={date(2025, 2, 3)})
    rescan(pg_db)
    before = pub5(pg_db)
    with pg_db.transaction() as tx:
        for table in ("findings", "cadence_lapse_weeks"):
            tx.execute(f"world/clear_{table}")
    entry = rescan(pg_db)
    assert entry.inputs["judged_in_full"] is True
    assert pub5(pg_db) == before


def test_overlapping_scans_take_turns(pg_db):
    """A scheduled run and a backfill may overlap; each judges against the record the other left, in turn."""
    rows = Rows(pg_db)
    rows.account("a", date(2025, 1, 6))
    done = threading.Event()
    with pg_db.engine.connect() as holder:
        Transaction(holder, pg_db.dialect).fetch("cadence/lapse_lock")  # a scan in progress
        worker = threading.Thread(target=lambda: (rescan(pg_db), done.set()))
        worker.start()
        waiting = 0
        for _ in range(600):  # until the second scan is seen queued on the lock (or the test gives up)
            waiting = holder.exec_driver_sql(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").scalar()
            if waiting or done.is_set():
                break
            time.sleep(0.05)
        assert waiting == 1 and not done.is_set()
        holder.rollback()  # the first scan ends
    worker.join(timeout=60)
    assert done.is_set() and ("a", "2025-W02") in pub5(pg_db)
