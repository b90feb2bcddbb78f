"""Timed release on a running Airflow: the scheduler and the triggerer crash while posts wait for their second.

A native stack (scheduler, dag-processor, triggerer, LocalExecutor, api-server on fresh PostgreSQL
databases, tests/dispatch_stack.py) runs ``herald_dispatch`` against the fake platforms. Posts are
queued and approved for two seconds a minute apart; once the first second's task is deferred, the
scheduler is killed (SIGKILL, its executor's workers with it) and started again, then the triggerer
is killed and started again while that task still waits. Afterwards every post must be published
exactly once (the fake platform's own ledger), confirmed, and in the state 'published'.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from dispatch_stack import next_slot, running_dispatch, set_paused, wait_for
from herald.timeutil import now_utc
from test_dispatch_world import queue_approved

pytestmark = [pytest.mark.pg, pytest.mark.dagrun, pytest.mark.slow]


def _deferred(client) -> list[dict]:
    found = client.request("GET", "/dags/herald_dispatch/dagRuns/~/taskInstances", params={"state": "deferred"})
    return found.get("task_instances", [])


def test_posts_waiting_for_their_second_survive_a_scheduler_and_a_triggerer_crash():
    with running_dispatch("dispatchcrash") as (stack, db, client, fake):
        # Past the next planning run's lookahead start, so the first second is planned after unpausing.
        first = next_slot(timedelta(seconds=100))
        second = first + timedelta(seconds=60)
        posts = {
            queue_approved(db, "WB-GROUP", "weibo", first, 1): "weibo",
            queue_approved(db, "WEB-GROUP", "website", first, 2): "cms",
            queue_approved(db, "WEB-GROUP", "website", second, 3): "cms",
        }
        set_paused(client, "herald_dispatch", False)
        wait_for(lambda: _deferred(client), (first - now_utc()).total_seconds(), "a deferred dispatch_second", stack)
        assert now_utc() < first - timedelta(seconds=5), "too late to crash anything before the first second"

        stack.restart("airflow-scheduler")
        stack.restart("airflow-triggerer")
        assert all(db.fetch_one("posts/post", post_id=p)["state"] == "approved" for p in posts), \
            "nothing may be claimed before its second"

        body_of = {db.fetch_one("posts/post", post_id=p)["body"]: p for p in posts}

        def publications() -> dict[str, int]:
            count: dict[str, int] = {}
            for entry in fake.publications():
                post_id = entry["post_ref"] if entry["platform"] == "cms" else body_of.get(entry["post_ref"])
                count[post_id] = count.get(post_id, 0) + 1
            return count

        def all_published() -> bool:
            return all(db.fetch_one("posts/post", post_id=p)["state"] == "published" for p in posts)

        wait_for(all_published, (second - now_utc()).total_seconds() + 240, "every post published", stack)
        time.sleep(5)  # a duplicate, if any, would arrive within the next planning run
        assert publications() == {p: 1 for p in posts}
        for post_id in posts:
            assert db.fetch_one("dispatch/published_item_of_post", post_id=post_id) is not None
