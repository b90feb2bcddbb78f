"""Baselines of the dispatch benchmarks (kept out of dags/): the plain ways to wait and to poll.

- ``bench_sensor_baseline``: per post, a ``DateTimeSensorAsync`` until its publish time, then a task
  that claims and submits it (the pattern measured at 2.6-3.4 s late in airflow-notes).
- ``bench_polling_baseline``: every minute, one task dispatches every approved post already due.
Both use Herald's own claim/submit/confirm, so only the waiting differs from ``herald_dispatch``.
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import dag, task


def _channels():
    from herald.dispatch.channels.routing import Channels
    from herald_airflow.dispatch_clients import ConnectionClients
    from herald_airflow.hooks import HeraldDatabaseHook

    db = HeraldDatabaseHook().get_database()
    return db, Channels(db, ConnectionClients(db))


def _dispatch_all(post_ids: list[str]) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    from herald.dispatch.dispatcher import dispatch_post, settle
    from herald.dispatch.stage import stage_post
    from herald.timeutil import now_utc

    db, channels = _channels()
    for post_id in post_ids:
        stage_post(db, post_id, channels, now=now_utc())
    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(lambda p: dispatch_post(db, p, channels).status, post_ids))
        states = list(pool.map(lambda p: settle(db, p, channels)["state"], post_ids))
    return {"dispatched": results.count("submitted"), "published": states.count("published")}


@dag(dag_id="bench_sensor_baseline", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
     catchup=False, max_active_runs=64, tags={"benchmark"})
def bench_sensor_baseline():
    """One run per post (conf: post_id, publish_at): wait with the plain deferrable sensor, then dispatch."""

    @task
    def dispatch_one(**context) -> dict:
        return _dispatch_all([context["dag_run"].conf["post_id"]])

    wait = DateTimeSensorAsync(task_id="wait_until_publish_at", target_time="{{ dag_run.conf['publish_at'] }}")
    wait >> dispatch_one()


@dag(dag_id="bench_polling_baseline", schedule="* * * * *", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
     catchup=False, max_active_runs=1, tags={"benchmark"})
def bench_polling_baseline():
    @task
    def dispatch_due() -> dict:
        from herald.dispatch.stage import due_posts
        from herald.timeutil import now_utc

        db, _ = _channels()
        return _dispatch_all([row["post_id"] for row in due_posts(db, until=now_utc())])

    dispatch_due()


bench_sensor_baseline()
bench_polling_baseline()
