"""Daily cadence scan (PUB-5 and the standing rules CON-9, CON-10, PUB-1/PUB-3, ACC-4, ACC-5).

Each run judges the ISO weeks (Asia/Shanghai) completed by the end of its data interval plus the
policies' rescan window before it, so publishing logs that arrive late are counted and the
findings of those weeks updated. A backfill (``airflow backfill create --dag-id herald_cadence_scan
--from-date ... --to-date ...``) re-judges past intervals through the same code; findings are keyed
by rule, subject and period, so re-runs and backfills update them and never duplicate. Catch-up is
off so that deploying does not queue every day since ``start_date``: the rescan window already
covers the weeks a paused scheduler missed, and older ones are a deliberate backfill.
On the policy's warning weekday the run also reminds accounts with nothing published or scheduled.
Digests in Chinese go to each competent department and host unit by email and group robots; every
digest is also written to the outbox folder (Variable ``herald_digest_outbox``) for the record.

Params: ``from_date`` judges every week from that date instead of the interval's rescan window (a
one-run backfill, used by ``make demo``); ``deliver`` false writes the digests without sending them;
``compose_all`` writes every PUB-5 finding of the window again instead of only those whose judgement or
text changed since the last scan (after findings were edited outside Herald).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

DEFAULT_ARGS = {
    "owner": "herald-governance",
    "retries": 2,
    "retry_delay": pendulum.duration(minutes=5),
    "retry_exponential_backoff": 2.0,
}


def _window(context):
    """The weeks this run judges: complete at the interval's end, from the rescan window before its start."""
    from herald.cadence.scan import max_rescan_weeks
    from herald.cadence.window import ScanWindow
    from herald.timeutil import now_utc
    from herald_airflow.hooks import HeraldDatabaseHook

    db = HeraldDatabaseHook().get_database()
    # A manual run without a logical date has no interval: it judges as of now.
    end = context.get("data_interval_end") or context.get("logical_date") or now_utc()
    start = context.get("data_interval_start") or end
    from_date = context["params"].get("from_date")
    if from_date:
        first = pendulum.parse(from_date, tz="Asia/Shanghai")
        return db, ScanWindow.for_interval(first, end, 0)
    return db, ScanWindow.for_interval(start, end, max_rescan_weeks(db))


@dag(
    dag_id="herald_cadence_scan",
    schedule="0 7 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags={"herald", "cadence", "PUB-5"},
    doc_md=__doc__,
    params={
        "from_date": Param(None, type=["null", "string"], format="date",
                           description="Judge every week from this date (YYYY-MM-DD), not just the rescan window."),
        "deliver": Param(True, type="boolean", description="Send the digests; false only writes them to the outbox."),
        "compose_all": Param(False, type="boolean",
                             description="Write every PUB-5 finding of the window again, not only the changed ones."),
    },
)
def herald_cadence_scan():
    @task(pool="herald_scan")
    def scan_weekly() -> dict:
        """PUB-5: recount the window's weeks from the publishing log, judge them, record findings."""
        from herald import run_notes
        from herald.cadence import scan
        from herald_airflow.context import task_run

        context = get_current_context()
        db, window = _window(context)
        counts = scan.scan_weekly(db, task_run(context), window, full=context["params"]["compose_all"]).row_counts
        print(run_notes.cadence_weekly(counts, window.describe()))
        return counts

    @task(pool="herald_scan")
    def scan_standing() -> dict:
        """CON-9, CON-10, PUB-1/PUB-3, ACC-4 and ACC-5 over the same window."""
        from herald import run_notes
        from herald.cadence import scan
        from herald_airflow.context import task_run

        context = get_current_context()
        db, window = _window(context)
        counts = scan.scan_standing(db, task_run(context), window).row_counts
        print(run_notes.cadence_standing(counts, window.describe()))
        return counts

    @task(pool="herald_scan")
    def notify() -> dict:
        """Reminders and digests per competent department and host unit, by email and group robots."""
        from herald.cadence import notify as senders
        from herald.cadence import scan
        from herald.policy import default_policy_id, load_policy
        from herald_airflow.context import task_run
        from herald_airflow.outbox import write_digests

        context = get_current_context()
        db, window = _window(context)
        channels = dict(load_policy(default_policy_id()).notifications.channels)

        def send(digests: list) -> list:
            written = write_digests(digests, context["run_id"])
            if not context["params"]["deliver"]:
                return [{"outbox": str(path)} for path in written]
            return senders.deliver(digests, channels)

        entry = scan.notify(db, task_run(context), window, send=send)
        from herald import run_notes
        from herald_airflow.run_notes import set_run_note

        ti, described = context["ti"], window.describe()
        set_run_note(context, "；".join((
            run_notes.cadence_weekly(ti.xcom_pull(task_ids="scan_weekly") or {}, described),
            run_notes.cadence_standing(ti.xcom_pull(task_ids="scan_standing") or {}, described),
            run_notes.cadence_notify(entry.row_counts, context["params"]["deliver"]))))
        return entry.row_counts

    [scan_weekly(), scan_standing()] >> notify()


herald_cadence_scan()
