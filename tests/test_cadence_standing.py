"""The standing rules scanned with PUB-5: CON-9, PUB-1/PUB-3, CON-10, ACC-4, ACC-5."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import chinese_calendar

from cadence_rows import Rows, sh
from herald.cadence.scan import scan_standing
from herald.cadence.window import ScanWindow, week_of_label
from herald.ledger import TaskRun

NOW = datetime(2025, 12, 1, tzinfo=UTC)


def scan(db, first: str, last: str, as_of=sh(2025, 12, 1, 9)):
    window = ScanWindow.complete_weeks(week_of_label(first), week_of_label(last), as_of)
    return scan_standing(db, TaskRun.manual("cadence_standing", NOW), window, now=NOW)


def found(db, rule_id: str) -> dict[tuple[str, str], dict]:
    with db.transaction() as tx:
        return {(r["subject_id"], r["period"]): r for r in tx.fetch("findings/open") if r["rule_id"] == rule_id}


def test_more_than_one_mass_send_a_shanghai_day(any_db):
    rows = Rows(any_db)
    rows.account("wx", date(2024, 1, 1), platform="wechat")
    send = dict(platform="wechat", is_mass_send=True)
    rows.item("wx", sh(2025, 3, 4, 9), platform_publish_id="m1", **send)  # two sends on Tuesday 4 March
    rows.item("wx", sh(2025, 3, 4, 20), platform_publish_id="m2", **send)
    rows.item("wx", sh(2025, 3, 5, 9), platform_publish_id="m3", **send)  # one send of two articles on the 5th
    rows.item("wx", sh(2025, 3, 5, 9), platform_publish_id="m3", **send)
    rows.item("wx", sh(2025, 3, 6, 23, 30), platform_publish_id="m4", **send)  # 23:30 and 00:30: two days
    rows.item("wx", sh(2025, 3, 7, 0, 30), platform_publish_id="m5", **send)
    scan(any_db, "2025-W10", "2025-W10")
    result = found(any_db, "CON-9")
    assert set(result) == {("wx", "2025-03-04")}
    evidence = json.loads(result[("wx", "2025-03-04")]["evidence"])
    assert evidence["mass_sends"] == 2 and len(evidence["item_ids"]) == 2
    assert "群发2次" in result[("wx", "2025-03-04")]["summary"]


def test_items_on_the_platform_that_herald_never_dispatched(any_db):
    rows = Rows(any_db)
    rows.account("wb", date(2024, 1, 1))
    rows.item("wb", sh(2025, 3, 4), platform_item_id="known")
    rows.item("wb", sh(2025, 3, 4, 12, 1), origin="platform_observed", platform_item_id="known")  # Herald's own
    rogue = rows.item("wb", sh(2025, 3, 9, 23, 50), origin="platform_observed", platform_item_id="rogue")
    scan(any_db, "2025-W10", "2025-W10")
    result = found(any_db, "PUB-1")
    assert set(result) == {(rogue, "2025-03-09")}
    assert result[(rogue, "2025-03-09")]["subject_type"] == "published_item"
    assert "PUB-3" in json.loads(result[(rogue, "2025-03-09")]["evidence"])["related_rules"]


def test_lead_time_regular_in_days_urgent_in_working_days(pg_db):
    rows = Rows(pg_db)
    rows.account("wb", date(2024, 1, 1))
    short = rows.post("wb", requested_at=sh(2025, 3, 3, 10), publish_at=sh(2025, 3, 7, 12))  # 4 days
    rows.post("wb", requested_at=sh(2025, 3, 3, 10), publish_at=sh(2025, 3, 10, 10))  # exactly 7 days
    rows.post("wb", requested_at=sh(2025, 3, 3, 10), publish_at=sh(2025, 3, 7, 12), state="cancelled")
    same_day = rows.post("wb", requested_at=sh(2025, 3, 12, 9), publish_at=sh(2025, 3, 12, 14), urgency="urgent")
    rows.post("wb", requested_at=sh(2025, 3, 14, 17), publish_at=sh(2025, 3, 17, 9), urgency="urgent")  # Fri -> Mon
    saturday = rows.post("wb", requested_at=sh(2025, 3, 15, 10), publish_at=sh(2025, 3, 17, 9), urgency="urgent")
    scan(pg_db, "2025-W10", "2025-W12")
    assert set(found(pg_db, "CON-10")) == {(short, "2025-03-07"), (same_day, "2025-03-12"), (saturday, "2025-03-17")}
    assert "仅提前4天2小时" in found(pg_db, "CON-10")[(short, "2025-03-07")]["summary"]


def test_changes_filed_after_five_chinese_working_days(any_db):
    rows = Rows(any_db)
    rows.account("wb", date(2024, 1, 1))
    on_time = rows.change("wb", "account_name", sh(2025, 3, 3, 10), sh(2025, 3, 10, 16))  # Mon -> next Mon: 5
    late = rows.change("wb", "management_team", sh(2025, 3, 3, 10), sh(2025, 3, 11, 9))  # next Tue: 6
    # National Day 2025: 1-8 October off, Saturday 11 October worked; 5 working days after 30 September is 14 October.
    assert chinese_calendar.is_workday(date(2025, 10, 11)) and not chinese_calendar.is_workday(date(2025, 10, 8))
    holiday_ok = rows.change("wb", "maintenance_method", sh(2025, 9, 30, 10), sh(2025, 10, 14, 18))
    holiday_late = rows.change("wb", "maintenance_method", sh(2025, 9, 30, 11), sh(2025, 10, 15, 9))
    unfiled = rows.change("wb", "account_name", sh(2025, 10, 20, 10), None)
    rows.change("wb", "other_detail", sh(2025, 3, 3, 10), sh(2025, 6, 1, 10))  # not a change the policy lists
    scan(any_db, "2025-W10", "2025-W47")
    result = found(any_db, "ACC-4")
    assert set(result) == {(late, "2025-03-03"), (holiday_late, "2025-09-30"), (unfiled, "2025-10-20")}
    assert on_time and holiday_ok
    assert json.loads(result[(holiday_late, "2025-09-30")]["evidence"])["working_days_taken"] == 6
    assert "仍未书面备案" in result[(unfiled, "2025-10-20")]["summary"]


def test_unfiled_change_within_the_deadline_is_not_yet_late(pg_db):
    rows = Rows(pg_db)
    rows.account("wb", date(2024, 1, 1))
    rows.change("wb", "account_name", sh(2025, 11, 24, 10), None)  # Monday; as-of is the next Monday: 5 days
    scan(pg_db, "2025-W48", "2025-W48", as_of=sh(2025, 12, 1, 9))
    assert found(pg_db, "ACC-4") == {}


def test_publishing_without_an_operator_assignment_by_week(any_db):
    rows = Rows(any_db)
    rows.account("wb", date(2024, 1, 1))
    rows.operator("p-op", "wb", date(2025, 1, 1), date(2025, 3, 9))  # handed over on Sunday 9 March
    rows.operator("p-op2", "wb", date(2025, 3, 12))  # the successor's assignment starts on Wednesday
    rows.item("wb", sh(2025, 3, 5), operator_id="p-op")  # valid
    rows.item("wb", sh(2025, 3, 10), operator_id="p-op2")  # Monday: before the successor's filing
    rows.item("wb", sh(2025, 3, 11), operator_id="p-op2")
    rows.item("wb", sh(2025, 3, 12), operator_id="p-op2")  # valid from here
    rows.item("wb", sh(2025, 3, 18), operator_id="p-op")  # the previous operator after the handover
    rows.item("wb", sh(2025, 3, 19), operator_id="p-head")  # someone never assigned
    scan(any_db, "2025-W10", "2025-W12")
    result = found(any_db, "ACC-5")
    assert set(result) == {("wb/p-op2", "2025-W11"), ("wb/p-op", "2025-W12"), ("wb/p-head", "2025-W12")}
    evidence = json.loads(result[("wb/p-op2", "2025-W11")]["evidence"])
    assert (evidence["first_day"], evidence["last_day"], evidence["items"]) == ("2025-03-10", "2025-03-11", 2)
