"""Timed release (PUB-1, PUB-3, CON-9, PUB-4): every minute, stage the approved posts of the next minute and wait for each second.

``herald_dispatch`` plans the lookahead window [run end + 1 min, run end + 2 min) (plus posts that
became due too late for an earlier run): it checks and stages each post before its second (draft,
preview, token), groups the posts by second and maps one deferrable task per second. Each waits in
the triggerer, which claims and submits the posts of its second itself, on the second; the task then
confirms on a worker and emits a ``herald://published-items`` asset event.

``herald_dispatch_reconcile`` settles what is left unknown (by reading the platforms, never by
sending again), returns claimed-but-never-sent posts to the queue, and files a finding for every
manual hand-off past its deadline.

A post that fails (refused by the platform, no connection, retries used up, unconfirmed past the settle
window) is reported the same minute: a PUB-3 finding keyed by the post and a notice to its author and the
competent department (email, WeCom and DingTalk robots); then ``failed_posts`` (after the seconds, so each
second's task still emits its published-items event) or the reconcile run fails without a retry, its log naming
each post and the reason. Failures at staging are reported
the same way without failing ``plan``, whose other seconds must still go out.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task

from herald_airflow.dispatch_operator import PUBLISHED_ITEMS, DispatchSecondOperator

DEFAULT_ARGS = {"owner": "herald-dispatch", "retries": 2, "retry_delay": pendulum.duration(seconds=20),
                "retry_exponential_backoff": 2.0}
LOOKAHEAD_START = pendulum.duration(minutes=1)
LOOKAHEAD_END = pendulum.duration(minutes=2)


@dag(
    dag_id="herald_dispatch",
    schedule="* * * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=3,  # a run stays open while its seconds wait; the next minute's run must still plan
    default_args=DEFAULT_ARGS,
    tags={"herald", "dispatch", "PUB-1", "PUB-3", "CON-9"},
    doc_md=__doc__,
)
def herald_dispatch():
    @task(pool="herald_db")
    def plan() -> list[dict]:
        """Stage the posts due in this run's window; one entry per publish second."""
        from herald.dispatch.channels.routing import Channels
        from herald.dispatch.stage import stage_due
        from herald.timeutil import now_utc
        from herald_airflow.dispatch_clients import ConnectionClients
        from herald_airflow.hooks import HeraldDatabaseHook

        context = get_current_context()
        end = context.get("data_interval_end") or now_utc()
        now = now_utc()
        db = HeraldDatabaseHook().get_database()
        planned = stage_due(db, Channels(db, ConnectionClients(db)), now=now, horizon=(end + LOOKAHEAD_END) - now,
                            window_start=end + LOOKAHEAD_START)
        print(f"staged: {planned['counts']}; seconds planned: {len(planned['seconds'])}")
        if planned["failed"]:  # told and recorded; planning goes on, as the other posts' seconds depend on it
            from herald_airflow.dispatch_failures import report

            try:
                report(db, planned["failed"], detected_by="herald_dispatch.plan")
            except Exception as exc:  # never at the cost of the seconds planned here
                print(f"could not report the posts failed at staging {planned['failed']}: {exc!r}")
        return [{"publish_at": second, "post_ids": ids} for second, ids in planned["seconds"].items()]

    seconds = DispatchSecondOperator.partial(task_id="dispatch_second", pool="herald_dispatch",
                                             outlets=[PUBLISHED_ITEMS]).expand_kwargs(plan())

    @task(pool="herald_db", retries=0, trigger_rule="all_done")
    def failed_posts(outcomes) -> int:
        """Fail the run, without a retry, when a post failed at its second (already told and recorded)."""
        from herald_airflow.dispatch_failures import fail_on_lines

        lines = [line for outcome in (outcomes or []) if outcome for line in outcome.get("failed", [])]
        fail_on_lines(lines, "本分钟发布")
        return 0

    failed_posts(seconds.output)


@dag(
    dag_id="herald_dispatch_reconcile",
    schedule="*/2 * * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags={"herald", "dispatch", "PUB-4"},
    doc_md=__doc__,
)
def herald_dispatch_reconcile():
    @task(pool="herald_db")
    def reconcile() -> dict:
        """Confirm or reconcile every unsettled post; find missed manual deadlines."""
        from herald.dispatch.channels.routing import Channels
        from herald.dispatch.failures import failed_ids
        from herald.dispatch.manual import missed_deadlines
        from herald.dispatch.reconcile import reconcile_unsettled
        from herald.timeutil import now_utc
        from herald_airflow.dispatch_clients import ConnectionClients
        from herald_airflow.dispatch_failures import fail_if_any, report
        from herald_airflow.hooks import HeraldDatabaseHook

        db = HeraldDatabaseHook().get_database()
        now = now_utc()
        results = reconcile_unsettled(db, Channels(db, ConnectionClients(db)), now=now)
        overdue = missed_deadlines(db, now=now, detected_by="herald_dispatch_reconcile.reconcile")
        counts: dict[str, int] = {}
        for result in results:
            counts[result["state"] or "missing"] = counts.get(result["state"] or "missing", 0) + 1
        print(f"settled: {counts}; missed manual deadlines: {len(overdue)}")
        failures = report(db, failed_ids(results), detected_by="herald_dispatch_reconcile.reconcile")
        fail_if_any(failures, "对账")  # after everything is stored; no retry (nothing is ever sent again)
        return {"settled": counts, "missed_manual_deadlines": len(overdue)}

    reconcile()


herald_dispatch()
herald_dispatch_reconcile()
