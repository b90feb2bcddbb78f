"""dispatch-burst: 1,000 posts on 1,000 Weibo accounts due in the same second, the fake answering in 50 ms.

Same native stack as dispatch-one (scheduler, dag-processor, triggerer, LocalExecutor on fresh
PostgreSQL databases, stopped and dropped at the end). Phase 1: ``herald_dispatch`` (the triggerer
claims and submits the whole second concurrently). Phase 2, same run: a plain every-minute polling DAG
(``bench_polling_baseline``) doing the same claim/submit/confirm on another 1,000 posts. Measured: p50
and p99 lateness (fake accepted_at minus publish_at) and the time from the second until every post
is confirmed (state 'published').

``HERALD_BENCH_BURST_POSTS`` changes the burst size and ``HERALD_BENCH_PHASES=herald`` runs Herald's
phase alone (both for diagnosis; the JSON line is printed only when both phases ran);
``HERALD_STACK_KEEP=1`` keeps the stack's process and task logs.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from common import emit
from dispatch_stack import lateness_of, next_slot, percentile, running_dispatch, set_paused, wait_for

ACCOUNTS = int(os.environ.get("HERALD_BENCH_BURST_POSTS", "1000"))
# Which phases run (diagnosis): "herald,polling" by default; the JSON line needs both.
PHASES = os.environ.get("HERALD_BENCH_PHASES", "herald,polling").split(",")
SAFE = "herald.example.com"


def burst_accounts(db) -> list[tuple[str, str, str]]:
    """1,000 group-level Weibo accounts, each with its operator role and its own token."""
    import sqlalchemy as sa

    from builders import T0

    accounts = [(f"WB-BURST-{i:04d}", f"burst-token-{i:04d}", str(6_000_000_000 + i)) for i in range(ACCOUNTS)]
    with db.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO accounts (account_id, platform, name, platform_account_id, link, is_verified, purpose,"
            " content_scope, creating_unit_id, host_unit_id, supervising_leader_id, host_unit_opinion_by,"
            " host_unit_opinion_on, is_host_unit_sealed, competent_opinion_by, competent_opinion_on, level, state,"
            " opened_on, policy_id, created_at, updated_at) VALUES (:a, 'weibo', :n, :u, 'https://weibo.com/x', TRUE,"
            " '对外宣传', '企业新闻', 'G', 'G', 'leader', 'unit_head', :d1, TRUE, 'competent', :d2, 'group', 'active',"
            " :d3, '000', :t, :t)"),
            [{"a": a, "n": f"集团微博矩阵{a[-4:]}", "u": uid, "d1": date(2024, 12, 1), "d2": date(2024, 12, 2),
              "d3": date(2025, 1, 1), "t": T0} for a, _, uid in accounts])
        conn.execute(sa.text(
            "INSERT INTO role_assignments (assignment_id, person_id, role, account_id, valid_from_on)"
            " VALUES (:id, 'operator', 'operator', :a, :d)"),
            [{"id": f"OPB{i}", "a": a, "d": date(2024, 1, 1)} for i, (a, _, _) in enumerate(accounts)])
    return accounts


def queue_burst(db, accounts, publish_at, offset: int) -> dict[str, object]:
    from test_dispatch_world import queue_approved

    return {queue_approved(db, account, "weibo", publish_at, offset + i): publish_at
            for i, (account, _, _) in enumerate(accounts)}


def all_published(db, posts: dict) -> bool:
    second = next(iter(posts.values()))
    return db.scalar("dispatch/count_in_state", publish_at=second, state="published") == len(posts)


def main() -> int:
    from herald.timeutil import now_utc
    from test_dispatch_world import fake_accounts

    accounts_spec = [(f"WB-BURST-{i:04d}", f"burst-token-{i:04d}", str(6_000_000_000 + i)) for i in range(ACCOUNTS)]
    spec = fake_accounts()
    spec["weibo_tokens"].update({token: {"uid": uid, "appkey": "k", "safe_domains": [SAFE]}
                                 for _, token, uid in accounts_spec})

    def connections(fake) -> dict:
        return {f"HERALD_WEIBO__WB_BURST_{i:04d}": {"conn_type": "herald_weibo", "host": fake.weibo_url,
                                                   "password": token, "extra": {"safe_domains": [SAFE]}}
                for i, (_, token, _) in enumerate(accounts_spec)}

    text_of = {}
    with running_dispatch("dispatchburst", dag_ids=("herald_dispatch", "bench_polling_baseline"),
                          extra_dags=(Path(__file__).resolve().parent / "dags" / "bench_dispatch_baselines.py",),
                          fake_spec=spec, connections=connections) as (stack, db, client, fake):
        accounts = burst_accounts(db)

        results = {}
        for key, phase, dag_id, lead, offset in (
                ("herald", "herald_dispatch", "herald_dispatch", 150, 0),
                ("polling", "polling every minute", "bench_polling_baseline", 30, 5000)):
            if key not in PHASES:
                continue
            started = time.monotonic()
            second = next_slot(timedelta(seconds=lead))
            posts = queue_burst(db, accounts, second, offset)
            print(f"[{phase}] queued and approved {len(posts)} posts for {second.isoformat()} in "
                  f"{time.monotonic() - started:.0f} s", flush=True)
            if (second - now_utc()).total_seconds() < 70 and dag_id == "herald_dispatch":
                raise RuntimeError("queueing took too long: the burst second is inside the planner's window")
            for post_id in posts:
                text_of[db.fetch_one("posts/post", post_id=post_id)["body"]] = post_id
            set_paused(client, dag_id, False)
            def ref(entry: dict) -> str | None:  # Weibo's ledger keys by text
                return text_of.get(entry["post_ref"])

            wait_for(lambda posts=posts, ref=ref: len(lateness_of(fake, posts, "weibo", ref)) == len(posts),
                     (second - now_utc()).total_seconds() + 300, f"{phase}: all accepted", stack)
            wait_for(lambda posts=posts: all_published(db, posts), 300, f"{phase}: all confirmed", stack)
            confirmed_s = (now_utc() - second).total_seconds()
            set_paused(client, dag_id, True)
            late = list(lateness_of(fake, posts, "weibo", ref).values())
            results[phase] = (statistics.median(late), percentile(late, 99), confirmed_s)
            print(f"[{phase}] p50 {results[phase][0]:.3f} s, p99 {results[phase][1]:.3f} s, all confirmed "
                  f"{confirmed_s:.1f} s after the second (upper bound: polled every second)", flush=True)
        duplicates = len(fake.publications(platform="weibo")) - len(results) * ACCOUNTS
        states = {r["state"]: r["posts"] for r in db.fetch("dispatch/states")}

    if len(results) < 2:
        for phase, (p50, p99, confirmed) in results.items():
            print(f"{phase}: {ACCOUNTS} posts, p50 {p50:.3f} s, p99 {p99:.3f} s, all confirmed after {confirmed:.1f} s; "
                  f"publications beyond one per post: {duplicates}; post states: {states}")
        return 0
    ours, theirs = results["herald_dispatch"], results["polling every minute"]
    print(f"dispatch-burst: {ACCOUNTS} posts on {ACCOUNTS} Weibo accounts due in one second, fake answering in 50 ms")
    print(f"  herald_dispatch: p50 {ours[0]:.3f} s, p99 {ours[1]:.3f} s, all confirmed after {ours[2]:.1f} s")
    print(f"  polling DAG:     p50 {theirs[0]:.3f} s, p99 {theirs[1]:.3f} s, all confirmed after {theirs[2]:.1f} s")
    print(f"  publications beyond one per post: {duplicates}; post states: {states}")
    emit("dispatch-burst", "p99_lateness_s", ours[1], theirs[1], "s", p50=round(ours[0], 4),
         all_confirmed_s=round(ours[2], 2), baseline_p50=round(theirs[0], 4),
         baseline_all_confirmed_s=round(theirs[2], 2), duplicates=duplicates)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
