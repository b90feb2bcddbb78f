"""The scale world: 10,000 accounts and 10 million publishing-log rows over a year, loaded in minutes.

Only what the scans read at volume is generated: org units, people, accounts and ``published_items``
(no posts). Rows are produced a chunk at a time with NumPy (account, day by working-day weight,
time of day) and streamed through ``Transaction.copy_rows``, i.e. PostgreSQL ``COPY``; nothing is
inserted row by row. Publishing times fall between 08:00 and 22:00 Shanghai, so the UTC date is the
Shanghai date and timestamps can be assembled from per-day and per-second strings.

    python -m herald_dev.world.scale --db URL --accounts 10000 --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from herald.connection_url import herald_db_url
from herald.db import Database, Transaction
from herald.errors import HeraldError
from herald.migrate import migrate
from herald_dev.schema import ensure_demo_tables
from herald_dev.world import WorldExistsError, store
from herald_dev.world.workdays import holiday_name, is_workday

PLATFORMS = np.array(["wechat", "weibo", "website", "qq", "blog", "tieba", "forum", "mobile_newspaper", "app",
                      "network_video"])
PLATFORM_SHARE = np.array([0.30, 0.22, 0.12, 0.08, 0.05, 0.06, 0.05, 0.03, 0.05, 0.04])
MANUAL = {"qq", "tieba", "forum", "mobile_newspaper", "app", "network_video"}
STATUSES = np.array(["live", "deleted_by_user", "banned"])
STATUS_SHARE = np.array([0.985, 0.012, 0.003])
SCALE_COLUMNS = ("item_id", "account_id", "platform", "origin", "platform_item_id", "operator_id", "is_mass_send",
                 "published_at", "platform_status")
CHUNK = 200_000
ACCOUNTS_PER_SUBSIDIARY = 250
OPERATORS_PER_ACCOUNT = 0.25


@dataclass(frozen=True)
class ScalePlan:
    """The per-account arrays row generation draws from."""

    seed: int
    year: int
    account_ids: np.ndarray
    platforms: np.ndarray
    origins: np.ndarray
    operators: np.ndarray
    rows_per_account: np.ndarray  # how many log rows each account gets; sums to the requested total
    day_strings: np.ndarray  # "YYYY-MM-DD " per day of the year (UTC date = Shanghai date here)
    day_weights: np.ndarray  # probability of each day: working days 1, weekends 0.3, holidays 0.1

    @property
    def log_rows(self) -> int:
        return int(self.rows_per_account.sum())


def plan_scale(*, accounts: int, log_rows: int, seed: int, year: int) -> ScalePlan:
    rng = np.random.default_rng(seed)
    platforms = PLATFORMS[rng.choice(len(PLATFORMS), size=accounts, p=PLATFORM_SHARE)]
    operator_count = max(1, int(accounts * OPERATORS_PER_ACCOUNT))
    operators = np.array([f"sp{n:06d}" for n in rng.integers(0, operator_count, size=accounts)], dtype=object)
    activity = rng.gamma(shape=2.0, scale=1.0, size=accounts)  # some accounts publish far more than others
    days = [date(year, 1, 1) + timedelta(days=n) for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    weights = np.array([0.1 if holiday_name(d) else (1.0 if is_workday(d) else 0.3) for d in days])
    return ScalePlan(
        seed=seed, year=year,
        account_ids=np.array([f"sa{n:06d}" for n in range(accounts)], dtype=object),
        platforms=platforms.astype(object),
        origins=np.array(["manual_confirmation" if p in MANUAL else "dispatch" for p in platforms], dtype=object),
        operators=operators,
        rows_per_account=rng.multinomial(log_rows, activity / activity.sum()),
        day_strings=np.array([f"{d.isoformat()} " for d in days], dtype=object),
        day_weights=weights / weights.sum(),
    )


# "HH:MM:SS+00:00" for every UTC second of 00:00-14:00, i.e. 08:00-22:00 in Shanghai.
_SECOND_STRINGS = np.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00:00" for s in range(14 * 3600)],
                           dtype=object)


def _account_blocks(plan: ScalePlan) -> Iterator[tuple[int, int]]:
    """Consecutive account ranges holding about CHUNK rows each."""
    ends = np.cumsum(plan.rows_per_account)
    first = 0
    while first < len(ends):
        before = ends[first - 1] if first else 0
        last = int(np.searchsorted(ends, before + CHUNK, side="right"))
        last = max(last, first + 1)
        yield first, min(last, len(ends))
        first = last


def item_rows(plan: ScalePlan) -> Iterator[tuple]:
    """Every log row in SCALE_COLUMNS order, account by account and in time order within an account.

    That order makes the loads append to the (account, time) index and the item-id key instead of
    scattering writes over them, which is what keeps COPY fast; the same plan gives the same rows.
    """
    number = 0
    for first, last in _account_blocks(plan):
        rng = np.random.default_rng([plan.seed, first])
        account = np.repeat(np.arange(first, last), plan.rows_per_account[first:last])
        size = len(account)
        day = rng.choice(len(plan.day_strings), size=size, p=plan.day_weights)
        second = rng.integers(0, len(_SECOND_STRINGS), size=size)
        order = np.lexsort((second, day, account))
        account, day, second = account[order], day[order], second[order]
        published = (plan.day_strings[day] + _SECOND_STRINGS[second]).tolist()
        status = STATUSES[rng.choice(len(STATUSES), size=size, p=STATUS_SHARE)].tolist()
        numbers = range(number, number + size)
        number += size
        yield from zip([f"si{n:010d}" for n in numbers], plan.account_ids[account].tolist(),
                       plan.platforms[account].tolist(), plan.origins[account].tolist(),
                       [str(7_000_000_000 + n) for n in numbers], plan.operators[account].tolist(),
                       [False] * size, published, status)


def _organisation(plan: ScalePlan) -> tuple[list[dict], list[dict], list[dict]]:
    created = datetime(plan.year - 1, 1, 1, tzinfo=UTC)
    subsidiaries = max(1, len(plan.account_ids) // ACCOUNTS_PER_SUBSIDIARY)
    units = [{"unit_id": "su-group", "name": "华夏能源集团有限公司", "kind": "group", "function_code": None,
              "parent_id": None, "policy_id": "000", "created_at": created}]
    for s in range(subsidiaries):
        units.append({"unit_id": f"su-{s:03d}", "name": f"华夏能源第{s + 1}分公司", "kind": "subsidiary",
                      "function_code": None, "parent_id": "su-group", "policy_id": "000", "created_at": created})
        units.append({"unit_id": f"su-{s:03d}-pub", "name": "综合办公室", "kind": "department", "function_code": "office",
                      "parent_id": f"su-{s:03d}", "policy_id": "000", "created_at": created})
    people = [{"person_id": pid, "name": f"运营{pid[2:]}", "unit_id": f"su-{int(pid[2:]) % subsidiaries:03d}-pub",
               "title": "新媒体运营专员", "office_phone": f"010-6{int(pid[2:]):07d}", "mobile": f"139{int(pid[2:]):08d}",
               "email": f"{pid}@huaxia-energy.example", "is_active": True, "login": pid}
              for pid in sorted(set(plan.operators.tolist()))]
    accounts = []
    group_level: dict[str, str] = {}
    for n, (account_id, platform, operator) in enumerate(zip(plan.account_ids, plan.platforms, plan.operators)):
        parent = group_level.get(platform)
        if parent is None:
            group_level[platform] = account_id
        host = f"su-{n % subsidiaries:03d}-pub"
        accounts.append({
            "account_id": account_id, "platform": platform, "name": f"华夏能源{platform}账号{n:05d}",
            "platform_account_id": f"scale-{n:06d}", "link": f"https://scale.huaxia-energy.example/{account_id}",
            "is_verified": True, "verification_documents": "营业执照副本", "purpose": "发布公司资讯",
            "content_scope": "公司新闻", "creating_unit_id": host, "host_unit_id": host, "supervising_leader_id": operator,
            "host_unit_opinion_by": operator, "host_unit_opinion_on": date(plan.year - 1, 6, 1), "is_host_unit_sealed": True,
            "competent_opinion_by": operator, "competent_opinion_on": date(plan.year - 1, 6, 5),
            "level": "subordinate" if parent else "group", "parent_account_id": parent, "state": "active",
            "opened_on": date(plan.year - 1, 7, 1), "closed_on": None, "policy_id": "000",
            "created_at": created, "updated_at": created,
        })
    return units, people, accounts


def load_organisation(tx: Transaction, plan: ScalePlan) -> dict[str, int]:
    """Org units, people and accounts of the scale world (small: loaded the same way as the demo world)."""
    units, people, accounts = _organisation(plan)
    return {"org_units": store.load(tx, "org_units", units), "people": store.load(tx, "people", people),
            "accounts": store.load(tx, "accounts", accounts)}


def load_log(tx: Transaction, plan: ScalePlan) -> int:
    if tx.dialect == "postgresql":
        tx.execute("world/scale_before_log_load")
    rows = tx.copy_rows("world/copy_scale_published_items", "world/insert_scale_published_items", item_rows(plan),
                        SCALE_COLUMNS)
    if tx.dialect == "postgresql":
        tx.execute("world/scale_after_log_load")  # rebuilds indexes, validates every loaded row
    return rows


def build_scale_world(db: Database, *, accounts: int = 10_000, log_rows: int = 10_000_000, seed: int = 7,
                      year: int = 2025) -> dict:
    """Load the scale world into an empty database; return rows, seconds and rows per second of the log load."""
    started = time.perf_counter()
    plan = plan_scale(accounts=accounts, log_rows=log_rows, seed=seed, year=year)
    with db.transaction() as tx:
        ensure_demo_tables(tx)
        if tx.scalar("world/existing_rows"):
            raise WorldExistsError("the scale world needs an empty database: this one already holds an organisation")
        loaded = load_organisation(tx, plan)
        log_started = time.perf_counter()
        rows = load_log(tx, plan)
        log_seconds = time.perf_counter() - log_started
    seconds = time.perf_counter() - started
    return {"accounts": loaded["accounts"], "people": loaded["people"], "rows": rows, "seconds": round(seconds, 3),
            "log_seconds": round(log_seconds, 3), "rows_per_second": round(rows / log_seconds, 1) if log_seconds else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m herald_dev.world.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="Herald database URL (an empty, migrated or fresh database)")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args(argv)
    try:
        db = Database(herald_db_url(args.db))
        migrate(db)
        result = build_scale_world(db, accounts=args.accounts, log_rows=args.rows, seed=args.seed, year=args.year)
    except HeraldError as exc:
        print(f"herald_dev.world.scale: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
