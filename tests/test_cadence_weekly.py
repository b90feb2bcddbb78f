"""PUB-5, the weekly rule: every edge the policy decides, on both engines."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from cadence_rows import Rows, sh
from herald.cadence.scan import scan_weekly
from herald.cadence.window import ScanWindow, week_label, week_of_day, week_of_instant, week_of_label
from herald.findings import set_finding_state
from herald.ledger import TaskRun
from herald.policy import load_policy
from herald.timeutil import SHANGHAI

AS_OF = sh(2025, 7, 1, 9)
NOW = datetime(2025, 7, 1, 1, tzinfo=UTC)


def scan(db, first: str, last: str, *, as_of=AS_OF, now=NOW, policy_for=load_policy, refresh=True):
    window = ScanWindow.complete_weeks(week_of_label(first), week_of_label(last), as_of)
    return scan_weekly(db, TaskRun.manual("cadence_weekly", now), window, now=now, refresh=refresh,
                       policy_for=policy_for)


def lapses(db, state: str | None = "open") -> set[tuple[str, str]]:
    with db.transaction() as tx:
        rows = tx.connection.exec_driver_sql(
            "SELECT subject_id, period, state FROM findings WHERE rule_id = 'PUB-5'").fetchall()
    return {(s, p) for s, p, st in rows if state is None or st == state}


def test_week_labels_and_indices_agree_with_iso_weeks():
    assert week_label(week_of_day(date(2025, 12, 29))) == "2026-W01"
    assert week_label(week_of_day(date(2021, 1, 3))) == "2020-W53"
    assert week_of_label("2026-W53") == week_of_day(date(2026, 12, 28))
    assert week_of_instant(datetime(2025, 12, 28, 17, 30, tzinfo=UTC)) == week_of_label("2026-W01")
    with pytest.raises(ValueError, match="not an ISO week"):
        week_of_label("2025-W54")


def test_first_judged_week_is_the_first_full_week_after_opening(any_db):
    rows = Rows(any_db)
    rows.account("a-monday", date(2025, 3, 3))  # Monday of 2025-W10: its opening week is judged
    rows.account("a-wednesday", date(2025, 3, 5))  # mid-week: the first judged week is W11
    rows.account("a-sunday", date(2025, 3, 9))  # last day of W10: W11 again
    rows.account("a-later", date(2025, 3, 17))  # opens after the window: nothing judged
    rows.account("a-applied", None, state="applied")  # never opened
    scan(any_db, "2025-W10", "2025-W11")
    assert lapses(any_db) == {("a-monday", "2025-W10"), ("a-monday", "2025-W11"),
                              ("a-wednesday", "2025-W11"), ("a-sunday", "2025-W11")}


def test_closing_week_is_judged_only_if_open_to_its_sunday(any_db):
    rows = Rows(any_db)
    rows.account("a-closed-sunday", date(2025, 1, 6), closed_on=date(2025, 3, 16), state="deregistered")
    rows.account("a-closed-saturday", date(2025, 1, 6), closed_on=date(2025, 3, 15), state="deregistered")
    scan(any_db, "2025-W10", "2025-W13")
    assert lapses(any_db) == {("a-closed-sunday", "2025-W10"), ("a-closed-sunday", "2025-W11"),
                              ("a-closed-saturday", "2025-W10")}


def test_weeks_with_any_suspension_are_not_judged(any_db):
    rows = Rows(any_db)
    rows.account("a-susp", date(2025, 1, 6))
    rows.state_change("a-susp", "suspended", sh(2025, 3, 12, 10))  # Wednesday of W11
    rows.state_change("a-susp", "active", sh(2025, 3, 25, 9))  # Tuesday of W13
    rows.account("a-edge", date(2025, 1, 6))
    rows.state_change("a-edge", "suspended", sh(2025, 3, 9, 23))  # the last hour of W10
    rows.state_change("a-edge", "active", sh(2025, 3, 17, 0))  # the first instant of W12: W12 is judged
    rows.account("a-still", date(2025, 1, 6), state="suspended")
    rows.state_change("a-still", "suspended", sh(2025, 3, 19, 8))  # W12, never lifted
    rows.account("a-no-event", date(2025, 1, 6), state="suspended", updated_at=sh(2025, 3, 20, 8))
    scan(any_db, "2025-W10", "2025-W14")
    assert lapses(any_db) == {
        ("a-susp", "2025-W10"), ("a-susp", "2025-W14"),
        ("a-edge", "2025-W12"), ("a-edge", "2025-W13"), ("a-edge", "2025-W14"),
        ("a-still", "2025-W10"), ("a-still", "2025-W11"),
        ("a-no-event", "2025-W10"), ("a-no-event", "2025-W11"),
    }


def test_which_items_count(any_db):
    rows = Rows(any_db)
    rows.account("a", date(2025, 1, 6))
    rows.item("a", sh(2025, 3, 4))  # W10 live
    rows.item("a", sh(2025, 3, 11), status="deleted_by_user")  # W11: deleted later, still counts
    rows.item("a", sh(2025, 3, 18), status="banned")  # W12: banned by the platform, does not count
    rows.item("a", sh(2025, 3, 25), origin="platform_observed")  # W13: not dispatched by Herald, does not count
    rows.item("a", sh(2025, 4, 1), origin="manual_confirmation")  # W14: confirmed manual publication counts
    rows.item("a", sh(2025, 4, 8), status="unknown")  # W15: status unknown, published all the same
    scan(any_db, "2025-W10", "2025-W15")
    assert lapses(any_db) == {("a", "2025-W12"), ("a", "2025-W13")}
    with any_db.transaction() as tx:
        evidence = {r["period"]: r["evidence"] for r in tx.fetch("findings/open")}
    assert '"banned_items": 1' in evidence["2025-W12"]
    assert '"platform_observed_items": 1' in evidence["2025-W13"]


def test_policy_switches_for_deleted_and_banned_items(pg_db):
    rows = Rows(pg_db)
    rows.account("a", date(2025, 1, 6))
    rows.item("a", sh(2025, 3, 4), status="deleted_by_user")  # W10
    rows.item("a", sh(2025, 3, 11), status="banned")  # W11
    base = load_policy("000")
    strict = dataclasses.replace(base, cadence=dataclasses.replace(
        base.cadence, count_deleted_by_user=False, count_banned_by_platform=True))
    scan(pg_db, "2025-W10", "2025-W11", policy_for=lambda _pid: strict)
    assert lapses(pg_db) == {("a", "2025-W10")}


def test_weeks_are_shanghai_weeks(any_db):
    rows = Rows(any_db)
    rows.account("a", date(2025, 1, 6))
    rows.item("a", sh(2025, 3, 9, 23, 59, 59))  # Sunday 23:59:59 in Shanghai: W10
    rows.item("a", datetime(2025, 3, 16, 16, 30, tzinfo=UTC))  # Monday 00:30 in Shanghai: W12, not W11
    rows.item("a", datetime(2025, 12, 28, 17, 30, tzinfo=UTC))  # 2026-W01 in Shanghai, W52 in UTC
    scan(any_db, "2025-W10", "2025-W12", as_of=sh(2026, 1, 20))
    assert lapses(any_db) == {("a", "2025-W11")}
    scan(any_db, "2025-W52", "2026-W01", as_of=sh(2026, 1, 20))
    assert ("a", "2025-W52") in lapses(any_db) and ("a", "2026-W01") not in lapses(any_db)


def test_the_same_item_logged_twice_counts_once(any_db):
    rows = Rows(any_db)
    rows.account("a-dup", date(2025, 1, 6))
    rows.item("a-dup", sh(2025, 3, 4), platform_item_id="weibo-1")
    rows.item("a-dup", sh(2025, 3, 4, 12, 5), origin="manual_confirmation", platform_item_id="weibo-1")
    rows.account("a-two", date(2025, 1, 6))
    rows.item("a-two", sh(2025, 3, 4), platform_item_id="weibo-2")
    rows.item("a-two", sh(2025, 3, 5), platform_item_id="weibo-3")
    base = load_policy("000")
    two_a_week = dataclasses.replace(base, cadence=dataclasses.replace(base.cadence, min_items=2))
    scan(any_db, "2025-W10", "2025-W10", policy_for=lambda _pid: two_a_week)
    assert lapses(any_db) == {("a-dup", "2025-W10")}


def test_the_current_week_is_never_judged():
    as_of = sh(2025, 3, 12, 9)  # Wednesday of W11
    with pytest.raises(ValueError, match="not complete"):
        ScanWindow(week_of_label("2025-W10"), week_of_label("2025-W11"), as_of)
    assert ScanWindow.complete_weeks(week_of_label("2025-W10"), week_of_label("2025-W11"), as_of).last_label == "2025-W10"
    # A week ends at Monday 00:00 in Shanghai: a run then may judge it.
    monday = sh(2025, 3, 17, 0)
    assert ScanWindow.complete_weeks(0, week_of_label("2025-W11"), monday).last_label == "2025-W11"
    assert ScanWindow.complete_weeks(0, week_of_label("2025-W11"), monday - timedelta(seconds=1)).last_label == "2025-W10"


def test_a_scheduled_window_covers_the_rescan_weeks():
    start = sh(2025, 3, 18, 7)  # Tuesday of W12, 07:00
    window = ScanWindow.for_interval(start, start + timedelta(days=1), rescan_weeks=4)
    assert (window.first_label, window.last_label) == ("2025-W08", "2025-W11")
    assert window.start_at == datetime(2025, 2, 16, 16, tzinfo=UTC)  # Monday 00:00 in Shanghai
    year = ScanWindow.for_audit_year(2026, as_of=sh(2027, 2, 1))
    assert (year.first_label, year.last_label) == ("2026-W01", "2026-W53")
    assert year.first_day == date(2025, 12, 29)


def test_late_logs_are_counted_by_the_rescan_and_the_finding_resolves(any_db):
    rows = Rows(any_db)
    rows.account("a", date(2025, 1, 6))
    rows.weekly_items("a", date(2025, 3, 3), 4, skip={date(2025, 3, 17)})  # W10..W13 without W12
    first_run = sh(2025, 3, 25, 7)  # Tuesday of W13: judges W08..W12
    window = ScanWindow.for_interval(first_run, first_run + timedelta(days=1), rescan_weeks=4)
    run = TaskRun(dag_id="t", run_id="r1", task_id="weekly")
    scan_weekly(any_db, run, window, now=first_run.astimezone(UTC))
    assert ("a", "2025-W12") in lapses(any_db)
    rows.item("a", sh(2025, 3, 19))  # the W12 item's log arrives a week late
    later = first_run + timedelta(days=7)
    window = ScanWindow.for_interval(later, later + timedelta(days=1), rescan_weeks=4)
    scan_weekly(any_db, TaskRun(dag_id="t", run_id="r2", task_id="weekly"), window, now=later.astimezone(UTC))
    assert ("a", "2025-W12") in lapses(any_db, "resolved")
    assert ("a", "2025-W12") not in lapses(any_db)


def test_reruns_update_findings_and_keep_acknowledgement(pg_db):
    rows = Rows(pg_db)
    rows.account("a", date(2025, 1, 6))
    rows.weekly_items("a", date(2025, 3, 3), 3, skip={date(2025, 3, 10), date(2025, 3, 17)})
    scan(pg_db, "2025-W10", "2025-W12")
    with pg_db.transaction() as tx:
        found = {r["period"]: r for r in tx.fetch("findings/open")}
    assert set(found) == {"2025-W11", "2025-W12"}
    assert found["2025-W11"]["severity"] == "medium" and found["2025-W12"]["severity"] == "high"  # two in a row
    assert "上一周也未达标" in found["2025-W12"]["summary"] and "PUB-5" in found["2025-W12"]["summary"]
    with pg_db.transaction() as tx:
        set_finding_state(tx, found["2025-W11"]["finding_id"], "acknowledged", now=NOW)
    scan(pg_db, "2025-W10", "2025-W12", now=NOW + timedelta(hours=1))
    with pg_db.transaction() as tx:
        after = tx.fetch("findings/all")
    assert len(after) == 2
    assert {r["period"]: r["state"] for r in after} == {"2025-W11": "acknowledged", "2025-W12": "open"}


def test_backfilling_week_by_week_reports_what_a_full_year_scan_does(pg_db):
    rows = Rows(pg_db)
    rows.account("a-gaps", date(2025, 1, 6))
    rows.weekly_items("a-gaps", date(2025, 1, 6), 52, skip={date(2025, 2, 3), date(2025, 2, 10), date(2025, 9, 29)})
    rows.account("a-opens", date(2025, 6, 11))
    rows.weekly_items("a-opens", date(2025, 6, 16), 20)
    rows.account("a-susp", date(2025, 1, 6))
    rows.state_change("a-susp", "suspended", sh(2025, 4, 2))
    rows.state_change("a-susp", "active", sh(2025, 5, 7))
    as_of = sh(2026, 1, 10)

    def snapshot():
        with pg_db.transaction() as tx:
            return {(r["subject_id"], r["period"]): (r["severity"], r["summary"], r["evidence"])
                    for r in tx.fetch("findings/open")}

    year = ScanWindow.for_audit_year(2025, as_of)
    scan_weekly(pg_db, TaskRun(dag_id="t", run_id="year", task_id="weekly"), year, now=NOW)
    full_year = snapshot()
    assert ("a-gaps", "2025-W06") in full_year and ("a-opens", "2025-W45") in full_year
    with pg_db.transaction() as tx:  # back to a database no scan has run on
        for table in ("findings", "cadence_lapse_weeks", "cadence_lapse_state", "cadence_week_bits", "cadence_presence"):
            tx.execute(f"world/clear_{table}")
    monday = date(2024, 12, 30)
    for n in range(53):
        start = datetime.combine(monday + timedelta(weeks=n), datetime.min.time(), SHANGHAI) + timedelta(hours=7)
        window = ScanWindow.for_interval(start, start + timedelta(weeks=1), rescan_weeks=4)
        window = ScanWindow(max(window.first_week, year.first_week), min(window.last_week, year.last_week), window.as_of)
        scan_weekly(pg_db, TaskRun(dag_id="t", run_id=f"w{n}", task_id="weekly"), window, now=NOW)
    assert snapshot() == full_year
