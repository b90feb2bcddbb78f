"""dispatch-one: lateness from a post's publish time to the platform's acceptance, over 50 posts.

The real scheduler, dag-processor, triggerer and LocalExecutor run natively (tests/stack.py: fresh
PostgreSQL databases for Airflow's metadata and for Herald, one process group each, all stopped and
dropped at the end), against the fake platforms (CMS webhook answering in 50 ms) in this process.
Lateness = the fake platform's accepted_at minus publish_at. Phase 1: ``herald_dispatch`` (the submit
happens inside the triggerer at the second). Phase 2, same stack: the baseline, a plain
``DateTimeSensorAsync`` followed by a task doing the same claim and submit, one run per post.
"""

from __future__ import annotations

import statistics
import sys
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO / "include"), str(REPO / "plugins"), str(REPO / "tests")]

from common import emit  # noqa: E402
from dispatch_stack import lateness_of, next_slot, percentile, running_dispatch, set_paused, wait_for  # noqa: E402

POSTS = 50
SPACING_SECONDS = 2


def main() -> int:
    from herald.timeutil import now_utc
    from test_dispatch_world import queue_approved

    with running_dispatch("dispatchone", dag_ids=("herald_dispatch", "bench_sensor_baseline"),
                          extra_dags=(HERE / "dags" / "bench_dispatch_baselines.py",)) as (stack, db, client, fake):
        # Phase 1: herald_dispatch. Posts from 100 s ahead (past the next run's lookahead start), 2 s apart.
        first = next_slot(timedelta(seconds=100))
        ours = {queue_approved(db, "WEB-GROUP", "website", first + timedelta(seconds=SPACING_SECONDS * i), i): None
                for i in range(POSTS)}
        ours = {p: db.fetch_one("posts/post", post_id=p)["publish_at"] for p in ours}
        set_paused(client, "herald_dispatch", False)
        cms_ref = lambda entry: entry["post_ref"]  # noqa: E731 - the CMS ledger keys by item_id = post id
        wait_for(lambda: len(lateness_of(fake, ours, "cms", cms_ref)) == POSTS,
                 (first - now_utc()).total_seconds() + SPACING_SECONDS * POSTS + 180, "herald_dispatch posts", stack)
        herald_late = list(lateness_of(fake, ours, "cms", cms_ref).values())
        set_paused(client, "herald_dispatch", True)

        # Phase 2: the plain sensor + task, one run per post, same platform, same spacing.
        first = next_slot(timedelta(seconds=45))
        theirs = {}
        for i in range(POSTS):
            at = first + timedelta(seconds=SPACING_SECONDS * i)
            post_id = queue_approved(db, "WEB-GROUP", "website", at, 1000 + i)
            theirs[post_id] = at
        set_paused(client, "bench_sensor_baseline", False)
        for post_id, at in theirs.items():
            client.request("POST", "/dags/bench_sensor_baseline/dagRuns",
                           json={"logical_date": None, "conf": {"post_id": post_id, "publish_at": at.isoformat()}})
        wait_for(lambda: len(lateness_of(fake, theirs, "cms", cms_ref)) == POSTS,
                 (first - now_utc()).total_seconds() + SPACING_SECONDS * POSTS + 300, "baseline posts", stack)
        base_late = list(lateness_of(fake, theirs, "cms", cms_ref).values())
        states = {r["state"]: r["posts"] for r in db.fetch("dispatch/states")}

    p50, p99 = statistics.median(herald_late), percentile(herald_late, 99)
    b50, b99 = statistics.median(base_late), percentile(base_late, 99)
    print(f"dispatch-one: {POSTS} posts, one per publish second ({SPACING_SECONDS} s apart), CMS webhook (fake, 50 ms)")
    print(f"  herald_dispatch (submit in the triggerer): p50 {p50:.3f} s, p99 {p99:.3f} s, max {max(herald_late):.3f} s")
    print(f"  baseline DateTimeSensorAsync + task:        p50 {b50:.3f} s, p99 {b99:.3f} s, max {max(base_late):.3f} s")
    print(f"  post states at the end: {states}")
    emit("dispatch-one", "p99_lateness_s", p99, b99, "s", p50=round(p50, 4), baseline_p50=round(b50, 4), posts=POSTS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
