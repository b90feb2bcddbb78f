"""The demo world generator: deterministic, realistic, and its ground truth is exactly what the data holds.

Most checks run on the in-memory rows (``generate_world``) with an independent pandas computation
of each rule, so a mistake in the generator's own bookkeeping cannot hide itself; the database path
is exercised once on SQLite (refusal, replace) and once on PostgreSQL (with the registry check).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta

import pandas as pd
import pytest

from herald.content.media import check_media
from herald.content.weibo import weibo_length
from herald.policy import load_policy
from herald.posts.model import PostRequest, content_hash
from herald.screening import load_lexicon, screen
from herald_dev.world import WorldExistsError, build_world, generate_world
from herald_dev.world.workdays import is_workday, workdays_after

AS_OF = date(2026, 11, 21)
ORG1_PLATFORMS = {"wechat", "weibo", "qq", "website", "blog", "tieba", "forum"}
COUNTING_ORIGINS = {"dispatch", "manual_confirmation"}
COUNTING_STATUSES = {"live", "deleted_by_user"}


@pytest.fixture(scope="module")
def world():
    return generate_world(as_of=AS_OF)


@pytest.fixture(scope="module")
def early_world():
    """as_of early in the year: plants meant for the current year fall back into the last full year."""
    return generate_world(as_of=date(2026, 2, 10), seed=99)


def frame(world, table: str) -> pd.DataFrame:
    return pd.DataFrame(world.tables[table])


def truth(world, rule_id: str) -> set[tuple[str, str]]:
    return {(r["subject_id"], r["period"]) for r in world.tables["world_ground_truth"] if r["rule_id"] == rule_id}


def shanghai_days(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True).dt.tz_convert("Asia/Shanghai").dt.date


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def fingerprint(world) -> str:
    return hashlib.sha256(json.dumps(world.tables, default=str, sort_keys=True).encode()).hexdigest()


# --- determinism and shape -----------------------------------------------------------------------


def test_same_seed_gives_the_same_rows_and_another_seed_other_posts(world):
    again = generate_world(as_of=AS_OF)
    assert fingerprint(again) == fingerprint(world)
    other = generate_world(as_of=AS_OF, seed=1)
    assert [p["body"] for p in other.tables["posts"][:50]] != [p["body"] for p in world.tables["posts"][:50]]


def test_organisation_accounts_and_platforms(world):
    units = frame(world, "org_units")
    assert units.loc[units.kind == "group", "name"].tolist() == ["华夏能源集团有限公司"]
    assert len(units[units.kind == "subsidiary"]) == 4
    for name in ("行政中心", "总经办", "财务中心", "宣传部", "企管部", "办公室"):
        assert name in set(units.name)
    people = frame(world, "people")
    assert people.name.map(lambda n: bool(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n))).all()
    assert people.email.str.endswith("@huaxia-energy.example").all() and people.mobile.str.match(r"1\d{10}$").all()
    accounts = frame(world, "accounts")
    assert 38 <= len(accounts) <= 45
    assert ORG1_PLATFORMS <= set(accounts.platform)
    assert {"mobile_newspaper", "app", "network_video"} <= set(accounts.platform)
    assert set(accounts.policy_id) == {"000", "001", "002"}
    assert set(accounts.state) == {"active", "suspended", "deregistered", "applied"}
    assert (accounts.state == "deregistered").sum() == 1
    by_id = accounts.set_index("account_id")
    subordinate = accounts[accounts.level == "subordinate"]
    assert subordinate.parent_account_id.notna().all()
    assert (subordinate.parent_account_id.map(by_id.platform) == subordinate.platform).all()  # ORG-3: same platform above
    roles = frame(world, "role_assignments")
    for role in ("supervising_leader", "upper_platform_manager", "info_officer", "department_head", "office_proofreader",
                 "confidentiality_head", "main_leader", "unit_head", "enterprise_office", "enterprise_department_head",
                 "operator", "host_unit_head", "competent_department_head"):
        assert role in set(roles.role), role
    assert roles[roles.role == "operator"].account_id.notna().all()


def test_history_spans_last_full_year_and_this_year_to_date(world):
    items = frame(world, "published_items")
    days = shanghai_days(items.published_at)
    assert days.min() <= date(2025, 1, 3) and days.max() == AS_OF - timedelta(days=1)
    assert {d.year for d in days} >= {2025, 2026}


def test_rhythm_weekdays_busier_than_weekends_and_holidays_quiet(world):
    days = shanghai_days(frame(world, "published_items").published_at)
    per_day = days.value_counts()
    calendar = pd.Series(pd.date_range("2025-01-01", AS_OF - timedelta(days=1)).date)
    counts = calendar.map(lambda d: per_day.get(d, 0))
    working = calendar.map(is_workday)
    assert counts[working].mean() > 2 * counts[~working].mean()
    national_day = [date(2025, 10, d) for d in range(1, 9)]
    assert sum(per_day.get(d, 0) for d in national_day) / 8 < counts[working].mean() / 3


# --- every non-planted thing complies; the planted cases are exactly the ground truth -----------


def missed_weeks(world) -> set[tuple[str, str]]:
    """PUB-5 computed from the raw rows: judged weeks without a counting item."""
    as_of_monday = world.timeline.as_of - timedelta(days=world.timeline.as_of.weekday())
    history_from = world.timeline.history_from
    accounts = frame(world, "accounts")
    events = frame(world, "account_events")
    states = events[events.kind == "state_change"].assign(day=lambda e: shanghai_days(e.occurred_at))
    items = frame(world, "published_items")
    items = items[items.origin.isin(COUNTING_ORIGINS) & items.platform_status.isin(COUNTING_STATUSES)]
    present = set(zip(items.account_id, shanghai_days(items.published_at).map(iso_week)))
    missing = set()
    for account in accounts.itertuples():
        if account.opened_on is None:
            continue
        first = account.opened_on if account.opened_on.weekday() == 0 else \
            account.opened_on + timedelta(days=7 - account.opened_on.weekday())
        monday = max(first, history_from)
        account_states = states[states.account_id == account.account_id].sort_values("occurred_at")
        suspended_days = set()
        start = None
        for row in account_states.itertuples():
            if row.new_state == "suspended":
                start = row.day
            elif row.new_state == "active" and start is not None:
                suspended_days |= {start + timedelta(days=n) for n in range((row.day - start).days + 1)}
                start = None
        while monday < as_of_monday:
            week_days = {monday + timedelta(days=n) for n in range(7)}
            closed = account.closed_on is not None and monday + timedelta(days=6) >= account.closed_on
            suspended = bool(week_days & suspended_days) or (start is not None and monday + timedelta(days=6) >= start)
            if not closed and not suspended and (account.account_id, iso_week(monday)) not in present:
                missing.add((account.account_id, iso_week(monday)))
            monday += timedelta(days=7)
    return missing


@pytest.mark.parametrize("which", ["world", "early_world"])
def test_pub5_missed_weeks_are_exactly_the_ground_truth(which, request):
    world = request.getfixturevalue(which)
    planted = truth(world, "PUB-5")
    assert len(planted) >= 6
    assert missed_weeks(world) == planted


def test_pub5_plants_include_a_banned_only_week_and_the_new_year_week(world):
    items = frame(world, "published_items").assign(week=lambda i: shanghai_days(i.published_at).map(iso_week))
    banned_week = items[(items.account_id == "acct-s1-tieba") & (items.week == "2025-W21")]
    assert banned_week.platform_status.tolist() == ["banned"]
    assert ("acct-s4-blog", "2026-W01") in truth(world, "PUB-5")


@pytest.mark.parametrize("which", ["world", "early_world"])
def test_con9_double_mass_sends_are_exactly_the_ground_truth(which, request):
    world = request.getfixturevalue(which)
    items = frame(world, "published_items")
    sends = items[items.is_mass_send].assign(day=lambda i: shanghai_days(i.published_at))
    per_day = sends.groupby(["account_id", "day"]).size()
    found = {(a, d.isoformat()) for (a, d), n in per_day.items() if n >= 2}
    assert found == truth(world, "CON-9") and len(found) >= 2
    accounts = frame(world, "accounts").set_index("account_id")
    assert set(sends.account_id.map(accounts.platform)) == {"wechat"}


def test_every_mass_send_has_a_preview_first(world):
    attempts = frame(world, "dispatch_attempts")
    items = frame(world, "published_items")
    mass_posts = set(items.loc[items.is_mass_send, "post_id"])
    previews = attempts[attempts.operation == "preview"].groupby("post_id").started_at.min()
    sends = attempts[(attempts.operation == "mass_send") & (attempts.outcome == "ok")].set_index("post_id").started_at
    assert mass_posts == set(previews.index) == set(sends.index)
    assert (previews[sorted(mass_posts)] < sends[sorted(mass_posts)]).all()


@pytest.mark.parametrize("which", ["world", "early_world"])
def test_con10_lead_time_breaches_are_exactly_the_ground_truth(which, request):
    world = request.getfixturevalue(which)
    posts = frame(world, "posts")
    publish_day = shanghai_days(posts.publish_at)
    request_day = shanghai_days(posts.requested_at)
    lead = pd.to_datetime(posts.publish_at, utc=True) - pd.to_datetime(posts.requested_at, utc=True)
    regular_late = (posts.urgency == "regular") & (lead < pd.Timedelta(days=7))
    urgent_late = (posts.urgency == "urgent") & ~pd.Series(
        [is_workday(r) and r < p for r, p in zip(request_day, publish_day)], index=posts.index)
    late = posts[regular_late | urgent_late]
    found = {(p, d.isoformat()) for p, d in zip(late.post_id, publish_day[late.index])}
    assert found == truth(world, "CON-10") and len(found) >= 2
    assert (posts.urgency == "urgent").sum() > 50  # urgent items exist and comply


def test_pub1_items_without_a_post_are_exactly_the_ground_truth(world):
    items = frame(world, "published_items")
    observed = items[items.post_id.isna()]
    assert set(observed.origin) == {"platform_observed"}
    found = {(i, d.isoformat()) for i, d in zip(observed.item_id, shanghai_days(observed.published_at))}
    assert found == truth(world, "PUB-1")


def test_acc4_late_filings_are_exactly_the_ground_truth(world):
    events = frame(world, "account_events")
    changes = events[events.kind == "change_filed"]
    assert set(changes.step) <= set(load_policy("000").change_filing_changes)
    late = {
        (e.event_id, d.isoformat())
        for e, d, f in zip(changes.itertuples(), shanghai_days(changes.occurred_at), shanghai_days(changes.filed_at))
        if workdays_after(d, f) > 5
    }
    assert late == truth(world, "ACC-4") and len(late) >= 2
    handovers = events[events.kind == "handover"]
    assert handovers.filed_at.notna().all() and handovers.from_person_id.notna().all()


@pytest.mark.parametrize("which", ["world", "early_world"])
def test_acc5_operators_without_assignment_are_exactly_the_ground_truth(which, request):
    world = request.getfixturevalue(which)
    roles = frame(world, "role_assignments")
    operators = roles[roles.role == "operator"]
    items = frame(world, "published_items")
    items = items[items.origin.isin(COUNTING_ORIGINS)].assign(day=lambda i: shanghai_days(i.published_at))
    merged = items.merge(operators, left_on=["account_id", "operator_id"], right_on=["account_id", "person_id"],
                         how="left")
    merged["valid"] = (merged.valid_from_on <= merged.day) & (merged.valid_to_on.isna() | (merged.day <= merged.valid_to_on))
    valid_items = set(merged.loc[merged.valid, "item_id"])
    unassigned = items[~items.item_id.isin(valid_items)]
    found = {(f"{a}/{o}", iso_week(d)) for a, o, d in zip(unassigned.account_id, unassigned.operator_id, unassigned.day)}
    assert found == truth(world, "ACC-5") and len({s for s, _ in found}) >= 2


def test_every_post_has_its_full_chain_bound_to_its_content_hash(world):
    posts = frame(world, "posts")
    accounts = frame(world, "accounts").set_index("account_id")
    steps = frame(world, "approval_steps").sort_values(["post_id", "step_no"])
    chains = steps.groupby("post_id").role.apply(tuple)
    hashes = steps.groupby("post_id").content_hash.agg(set)
    expected = {a.account_id: load_policy(a.policy_id).approval_chain(a.level) for a in accounts.reset_index().itertuples()}
    assert (posts.post_id.map(chains) == posts.account_id.map(expected)).all()
    assert (posts.post_id.map(hashes) == posts.content_hash.map(lambda h: {h})).all()
    for post in posts.itertuples():
        title = None if pd.isna(post.title) else post.title  # pandas 3 reads a missing string as NaN
        request = PostRequest(account_id=post.account_id, author_id=post.author_id, body=post.body,
                              publish_at=post.publish_at, category=post.category, source=post.source, title=title,
                              media=tuple(json.loads(post.media)), urgency=post.urgency, kind=post.kind)
        assert content_hash(request) == post.content_hash  # the queue's own hash: demo approvals bind like live ones
    assert set(steps.decision) == {"approved"} and set(steps.via) == {"import"}
    timing = steps.merge(posts[["post_id", "requested_at", "publish_at"]], on="post_id")
    assert (timing.requested_at < timing.decided_at).all() and (timing.decided_at < timing.publish_at).all()
    assert set(posts.state) == {"published"}


def test_published_items_carry_origin_operator_and_platform_refs(world):
    items = frame(world, "published_items")
    accounts = frame(world, "accounts").set_index("account_id")
    dispatched = items[items.origin != "platform_observed"]
    assert dispatched.operator_id.notna().all() and dispatched.post_id.notna().all()
    manual = {p for p, c in load_policy("000").channels.items() if c == "manual"}
    expected = dispatched.account_id.map(accounts.platform).map(lambda p: "manual_confirmation" if p in manual else "dispatch")
    assert (dispatched.origin == expected).all()
    wechat = items[items.platform == "wechat"]
    assert wechat.url.str.startswith("https://mp.weixin.qq.com/s/").all()
    assert items[items.platform == "tieba"].url.str.startswith("https://tieba.baidu.com/p/").all()
    status = items.platform_status.value_counts()
    assert status["live"] > 0.95 * len(items) and status["deleted_by_user"] > 0 and status["banned"] > 0


def test_content_passes_every_content_check(world):
    posts = frame(world, "posts")
    accounts = frame(world, "accounts").set_index("account_id")
    lexicon = load_lexicon("default")
    for post in posts.drop_duplicates("content_hash").itertuples():
        policy = load_policy(accounts.loc[post.account_id, "policy_id"])
        assert post.category in policy.content.categories and post.source.strip()
        if accounts.loc[post.account_id, "platform"] == "weibo":
            assert weibo_length(post.body) <= policy.content.weibo_max_chars
        assert check_media(json.loads(post.media), policy.content) == []
        result = screen(f"{post.title or ''}\n{post.body}", lexicon)
        assert result.hits == [], (post.post_id, result.hits)


# --- the database path ------------------------------------------------------------------------------


def test_build_on_sqlite_refuses_an_existing_world_and_replaces_on_request(sqlite_db, world):
    summary = build_world(sqlite_db, as_of=AS_OF)
    assert summary.counts["published_items"] == len(world.tables["published_items"])
    assert summary.accounts == len(world.tables["accounts"])
    assert summary.ground_truth == {r: len(truth(world, r)) for r in summary.ground_truth}
    assert summary.seconds < 30  # the demo builds its world at start-up
    with pytest.raises(WorldExistsError, match="replace=True"):
        build_world(sqlite_db, as_of=AS_OF)
    replaced = build_world(sqlite_db, as_of=AS_OF, seed=5, replace=True)
    assert replaced.counts["accounts"] == summary.counts["accounts"]
    build = sqlite_db.fetch_one("world/latest_build")
    assert build["seed"] == 5 and build["history_from_on"] == date(2024, 12, 30)


@pytest.mark.pg
def test_build_on_postgresql_and_the_registry_check_agrees(pg_db, world):
    from herald.registry import check_registry

    build_world(pg_db, as_of=AS_OF)
    with pg_db.transaction() as tx:
        findings, _ = check_registry(tx, load_policy)
        stored = tx.fetch("world/ground_truth")
        posts = tx.scalar("world/table_counts")
    assert {(f.rule_id, f.subject_id) for f in findings} == {
        (r["rule_id"], r["subject_id"]) for r in stored if r["rule_id"] in ("ACC-1", "ACC-3")}
    assert posts == len(world.tables["org_units"])
    assert {(r["subject_id"], r["period"]) for r in stored if r["rule_id"] == "PUB-5"} == truth(world, "PUB-5")


def test_scale_world_loads_every_row_in_account_and_time_order(sqlite_db):
    from herald_dev.world.scale import build_scale_world, item_rows, plan_scale

    result = build_scale_world(sqlite_db, accounts=300, log_rows=20_000, seed=7, year=2025)
    assert result["rows"] == 20_000 and result["accounts"] == 300 and result["rows_per_second"] > 0
    assert sqlite_db.fetch_one("world/table_counts")["published_items"] == 20_000
    plan = plan_scale(accounts=300, log_rows=20_000, seed=7, year=2025)
    rows = list(item_rows(plan))
    assert rows == list(item_rows(plan_scale(accounts=300, log_rows=20_000, seed=7, year=2025)))
    keys = [(r[1], r[7]) for r in rows]
    assert keys == sorted(keys)  # appended to the (account, time) index, not scattered over it
    days = pd.to_datetime(pd.Series([r[7] for r in rows]), utc=True).dt.tz_convert("Asia/Shanghai")
    assert days.dt.year.eq(2025).all() and days.dt.hour.between(8, 21).all()
    working = days.dt.date.map(is_workday)
    assert working.mean() > 0.8
    with pytest.raises(WorldExistsError):
        build_scale_world(sqlite_db, accounts=10, log_rows=10)


@pytest.mark.pg
def test_scale_world_on_postgresql_restores_its_keys_and_indexes(pg_db):
    import sqlalchemy as sa

    from herald_dev.world.scale import build_scale_world

    def structure():
        with pg_db.engine.connect() as conn:
            indexes = {r[0] for r in conn.execute(sa.text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'published_items'"))}
            keys = {r[0] for r in conn.execute(sa.text(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'published_items'::regclass AND contype = 'f'"))}
        return indexes, keys

    before = structure()
    result = build_scale_world(pg_db, accounts=60, log_rows=6_000, seed=3, year=2025)
    assert result["rows"] == 6_000 and result["accounts"] == 60
    assert structure() == before  # the bulk load's temporary drops are all undone
    with pg_db.engine.connect() as conn:
        orphans = conn.execute(sa.text(
            "SELECT COUNT(*) FROM published_items i LEFT JOIN accounts a USING (account_id) WHERE a.account_id IS NULL"
        )).scalar()
    assert orphans == 0
