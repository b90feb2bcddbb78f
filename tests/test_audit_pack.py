"""The annual audit pack's data half (ACC-6, SEC-5): content against the demo world's ground truth, on both engines,
reproducibility, tie-outs, and the Great Expectations gate on seeded defects (few GX runs: each is slow here)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from herald.audit.build import AuditWindow, build_account_pack, build_account_packs, build_group_pack, with_quality
from herald.audit.verdict import LEVEL_ORDER, thresholds_of
from herald.cadence.scan import scan_standing, scan_weekly
from herald.cadence.window import ScanWindow, week_of_day
from herald.jobs import registry_check
from herald.ledger import TaskRun
from herald.policy import load_policy
from herald.timeutil import shanghai_midnight_utc

AS_OF_DAY = date(2026, 11, 21)
AS_OF = shanghai_midnight_utc(AS_OF_DAY)
YEAR = 2025
WINDOW = AuditWindow(YEAR, AS_OF)


def _scanned(db, *, build: bool) -> None:
    """The demo world as the pipelines leave it: scans run, every item archived (PUB-4) by the cutoff."""
    if build:
        from herald_dev.world import build_world

        build_world(db, as_of=AS_OF_DAY)
    run = TaskRun.manual("audit_world", AS_OF)
    window = ScanWindow.complete_weeks(week_of_day(date(2024, 12, 30)), week_of_day(AS_OF_DAY), AS_OF)
    scan_weekly(db, run, window, now=AS_OF)
    scan_standing(db, run, window, now=AS_OF)
    registry_check(db, TaskRun.manual("audit_registry", AS_OF), now=AS_OF)
    filed = AS_OF - timedelta(hours=1)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO archive_index (item_id, bundle_path, manifest_sha256, archived_at, index_on) "
            "SELECT item_id, 'bundles/' || item_id, 'sha', %s, %s FROM published_items"
            if db.dialect == "postgresql" else
            "INSERT INTO archive_index (item_id, bundle_path, manifest_sha256, archived_at, index_on) "
            "SELECT item_id, 'bundles/' || item_id, 'sha', ?, ? FROM published_items",
            (filed.isoformat(sep=" "), AS_OF_DAY.isoformat()))


@pytest.fixture(params=["postgresql", "sqlite"])
def world(request):
    if request.param == "postgresql":
        db = request.getfixturevalue("pg_db")
        _scanned(db, build=True)
    else:
        db = request.getfixturevalue("demo_world")
        _scanned(db, build=False)
    return db


@pytest.fixture
def sqlite_world(demo_world):
    _scanned(demo_world, build=False)
    return demo_world


def _table(pack, key):
    table = next(t for t in pack.tables if t.key == key)
    keys = [c.key for c in table.columns]
    return [dict(zip(keys, row, strict=True)) for row in table.rows]


def _account_of(rule_id: str, subject_id: str, packs) -> str:
    """The account a planted violation belongs to, read from the packs' own tables."""
    if rule_id in ("PUB-5", "CON-9", "ACC-1", "ACC-3"):
        return subject_id
    if rule_id == "ACC-5":
        return subject_id.split("/")[0]
    for pack in packs:
        if rule_id == "CON-10" and any(r["post_id"] == subject_id for r in _table(pack, "published_items")):
            return pack.account_id
        if rule_id == "PUB-1" and any(r["item_id"] == subject_id for r in _table(pack, "observed_items")):
            return pack.account_id
        if rule_id == "ACC-4" and any(r["event_id"] == subject_id for r in _table(pack, "events")):
            return pack.account_id
    raise AssertionError(f"no pack holds the subject of {rule_id} {subject_id}")


def _expected_level(rules: Counter, policy, registration_missing: int) -> str:
    limits, _ = thresholds_of(policy)
    missed = rules.get("PUB-5", 0)
    others = {r for r in rules if r != "PUB-5"}
    if missed > limits.remarks_max_missed_weeks or others & set(limits.fail_rules):
        return "fail"
    if missed > limits.pass_max_missed_weeks or others or registration_missing:
        return "pass_with_remarks"
    return "pass"


@pytest.mark.slow
def test_every_planted_violation_is_in_its_account_pack_with_the_right_verdict(world):
    packs = build_account_packs(world, WINDOW, gate=False)
    by_account = {p.account_id: p for p in packs}
    truth = [r for r in world.fetch("world/ground_truth")
             if r["period"] == "standing" or r["period"].startswith(f"{YEAR}-")]
    assert {r["rule_id"] for r in truth} >= {"PUB-5", "PUB-1", "ACC-1", "ACC-3", "ACC-4", "CON-9", "CON-10"}
    planted: dict[str, Counter] = {a: Counter() for a in by_account}
    for row in truth:
        account = _account_of(row["rule_id"], row["subject_id"], packs)
        found = {(f["rule_id"], f["subject_id"], f["period"]) for f in _table(by_account[account], "findings")}
        assert (row["rule_id"], row["subject_id"], row["period"]) in found, row
        planted[account][row["rule_id"]] += 1
    for account, pack in by_account.items():
        missing = pack.tables[0].control_totals["missing"]
        expected = _expected_level(planted[account], load_policy(pack.policy_id), missing)
        assert pack.verdict.level == expected, (account, planted[account], pack.verdict)
        assert all(r.clause for r in pack.verdict.reasons)
        missed = [w for w in _table(pack, "weekly") if w["judgement"] == "missed"]
        assert len(missed) == planted[account]["PUB-5"]
        assert len(_table(pack, "weekly")) == 52  # ISO 2025 has 52 weeks
        assert all(t.ok for t in pack.tieouts), [t for t in pack.tieouts if not t.ok]
    assert Counter(p.verdict.level for p in packs)["fail"] >= 1
    group = build_group_pack(world, WINDOW, gate=False)
    ranked = {r["account_id"]: r for r in _table(group, "accounts_ranked")}
    assert {a: r["verdict"] for a, r in ranked.items()} == {a: p.verdict.level for a, p in by_account.items()}
    assert [LEVEL_ORDER[r["verdict"]] for r in _table(group, "accounts_ranked")] == sorted(
        LEVEL_ORDER[r["verdict"]] for r in ranked.values())
    assert group.summary["items"] == sum(p.summary["items"] for p in packs)
    assert all(t.ok for t in group.tieouts)
    # Built alone, an account's pack equals its pack built with all the others; two builds are equal.
    some = sorted(by_account)[3]
    assert build_account_pack(world, some, WINDOW, gate=False) == by_account[some]
    assert build_group_pack(world, WINDOW, gate=False) == group


def test_nothing_after_the_cutoff_counts_and_tieouts_name_what_fails(sqlite_world):
    db = sqlite_world
    account = "acct-grp-wechat"
    pack = build_account_pack(db, account, WINDOW, gate=False)
    items = _table(pack, "published_items")
    assert items and all(t.ok for t in pack.tieouts)
    first, second = items[0], items[1]
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM archive_index WHERE item_id = ?", (first["item_id"],))
        conn.exec_driver_sql("DELETE FROM dispatch_attempts WHERE post_id = ? AND outcome = 'ok'", (second["post_id"],))
    after = build_account_pack(db, account, WINDOW, gate=False)
    failed = {t.name: (t.left_value, t.right_value) for t in after.tieouts if not t.ok}
    assert failed == {"已发布信息 = 平台确认的发送 + 人工确认 + 平台上发现的信息": (len(items), len(items) - 1),
                      "已发布信息 = 归档包": (len(items), len(items) - 1)}
    assert after.status == "draft"
    assert "PUB-4" in {r.rule_id for r in after.verdict.reasons}
    # A cutoff before the scans ran: none of their findings counts, nor any item published after it.
    early = build_account_pack(db, account, AuditWindow(YEAR, datetime(2025, 6, 30, 16, tzinfo=UTC)), gate=False)
    assert _table(early, "findings") == []
    assert all(r["published_at"] <= datetime(2025, 6, 30, 16, tzinfo=UTC) for r in _table(early, "published_items"))
    assert 0 < len(_table(early, "published_items")) < len(items)


@pytest.mark.slow
def test_the_gate_passes_a_clean_pack_and_reports_seeded_defects_in_chinese(sqlite_world):
    db = sqlite_world
    account = "acct-grp-wechat"
    clean = build_account_pack(db, account, WINDOW)
    assert clean.quality.passed, clean.quality.failures
    assert clean.status == "final"
    assert '"run_time": "2026-11-20T16:00:00+00:00"' in clean.quality.results_json
    assert with_quality(clean).quality == clean.quality  # the same inputs give the same bytes

    items = _table(clean, "published_items")
    dup_source, dup, chainless, unbundled, outside = items[0], items[1], items[2], items[3], items[4]
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE published_items SET platform_item_id = ? WHERE item_id = ?",
                             (dup_source["platform_item_id"], dup["item_id"]))
        conn.exec_driver_sql("DELETE FROM approval_steps WHERE post_id = ?", (chainless["post_id"],))
        conn.exec_driver_sql("DELETE FROM archive_index WHERE item_id = ?", (unbundled["item_id"],))
    pack = build_account_pack(db, account, WINDOW, gate=False)
    table = next(t for t in pack.tables if t.key == "published_items")
    at = [c.key for c in table.columns].index("published_at")
    rows = tuple(row[:at] + (datetime(YEAR + 1, 1, 5, tzinfo=UTC),) + row[at + 1:] if row[0] == outside["item_id"]
                 else row for row in table.rows)
    pack = replace(pack, tables=tuple(replace(t, rows=rows) if t.key == "published_items" else t for t in pack.tables))
    gated = with_quality(pack)
    assert not gated.quality.passed and gated.status == "draft"
    report = {(f["dataset"], f["expectation"]): f for f in gated.quality.failures}
    expected = {
        "同一平台上的平台信息ID唯一": {dup_source["item_id"], dup["item_id"]},
        "每条经Herald发布的信息，其发布内容的审批链完整（PUB-1、PUB-2）": {chainless["item_id"]},
        "每条已发布信息都有归档包（PUB-4）": {unbundled["item_id"]},
        "发布时间在审计年度内且不晚于基准时间": {outside["item_id"]},
    }
    for words, ids in expected.items():
        row = report[("published_items", words)]
        assert set(row["rows"].split("、")) == ids, row
        assert row["critical"] == "是" and row["why"]
    assert ("control_totals", "控制总数勾稽一致") in report  # the missing bundle breaks a tie-out too
