"""The demo world: a fictional group (华夏能源集团有限公司) with its accounts, people and two years of
publishing, with a known set of planted violations recorded in ``world_ground_truth``.

    from herald_dev.world import build_world
    summary = build_world(db, seed=20251, as_of=date(2026, 11, 21))

The same seed and ``as_of`` give the same rows. Everything except the planted cases complies with
every checked rule, so a scan is correct exactly when its findings equal the ground truth.
A database that already holds an organisation is refused unless ``replace=True``, which empties the
world's tables and builds again in the same transaction.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date

from herald.db import Database
from herald.errors import HeraldError
from herald.timeutil import now_utc
from herald_dev.schema import ensure_demo_tables
from herald_dev.world import store
from herald_dev.world.accounts import build_accounts
from herald_dev.world.history import draft_history, materialise
from herald_dev.world.org import build_org
from herald_dev.world.timeline import Timeline
from herald_dev.world.violations import build_plan, ground_truth_rows

DEFAULT_SEED = 20251


class WorldExistsError(HeraldError):
    """The database already holds an organisation; building over it would mix two worlds."""


@dataclass(frozen=True)
class WorldSummary:
    build_id: str
    seed: int
    as_of: date
    history_from: date
    history_to: date
    counts: dict[str, int]  # rows per table
    accounts: int
    ground_truth: dict[str, int]  # planted violations per rule
    seconds: float

    def as_dict(self) -> dict:
        values = asdict(self)
        for key in ("as_of", "history_from", "history_to"):
            values[key] = values[key].isoformat()
        return values


@dataclass(frozen=True)
class GeneratedWorld:
    """All rows of a world, before they are written."""

    timeline: Timeline
    tables: dict[str, list[dict]]


def generate_world(*, seed: int = DEFAULT_SEED, as_of: date) -> GeneratedWorld:
    """Build the world's rows in memory (no database): deterministic for a seed and ``as_of``."""
    tl = Timeline(as_of)
    plan = build_plan(tl)
    org = build_org(random.Random(f"{seed}:org"))
    accounts = build_accounts(org, tl, plan, random.Random(f"{seed}:accounts"))
    drafts = draft_history(accounts.accounts, tl, plan, seed)
    history = materialise(drafts, accounts.accounts, org, tl, seed)
    names = {a.account_id: a.row["name"] for a in accounts.accounts}
    person_names = {p["person_id"]: p["name"] for p in org.people}
    truth = ground_truth_rows(plan, accounts, history, names, person_names)
    return GeneratedWorld(tl, {
        "org_units": org.units,
        "people": org.people,
        "role_assignments": org.roles + accounts.roles,
        "accounts": [a.row for a in accounts.accounts],
        "account_admins": accounts.admins,
        "account_events": accounts.events,
        "posts": history.posts,
        "approval_steps": history.approvals,
        "post_events": history.post_events,
        "dispatch_attempts": history.attempts,
        "published_items": history.items,
        "world_ground_truth": truth,
    })


def build_world(db: Database, *, seed: int = DEFAULT_SEED, as_of: date, replace: bool = False) -> WorldSummary:
    """Generate the demo world and write it in one transaction; refuse a database that already has one."""
    started = time.perf_counter()
    world = generate_world(seed=seed, as_of=as_of)
    tl = world.timeline
    build_id = f"world-{seed}-{as_of.isoformat()}"
    with db.transaction() as tx:
        ensure_demo_tables(tx)
        existing = tx.scalar("world/existing_rows")
        if existing and not replace:
            raise WorldExistsError(
                f"the database already holds an organisation ({existing} rows in org_units, accounts, "
                "world_ground_truth, world_builds); pass replace=True (--replace) to delete it and build again"
            )
        if existing:
            store.clear(tx)
        for table, rows in world.tables.items():
            store.load(tx, table, rows)
        counts = store.table_counts(tx)
        truth = Counter(row["rule_id"] for row in world.tables["world_ground_truth"])
        summary = WorldSummary(
            build_id=build_id, seed=seed, as_of=as_of, history_from=tl.history_from, history_to=tl.history_to,
            counts=counts, accounts=counts["accounts"], ground_truth=dict(sorted(truth.items())),
            seconds=round(time.perf_counter() - started, 3),
        )
        tx.execute("world/insert_world_builds", build_id=build_id, seed=seed, as_of_on=as_of,
                   history_from_on=tl.history_from, history_to_on=tl.history_to, built_at=now_utc(),
                   summary=json.dumps(summary.as_dict(), ensure_ascii=False, sort_keys=True))
    return summary


__all__ = ["DEFAULT_SEED", "GeneratedWorld", "WorldExistsError", "WorldSummary", "build_world", "generate_world"]
