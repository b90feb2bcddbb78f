"""Archive of published items (PUB-4: 备案, 存档备查): write-once, checksummed, verifiable bundles.

- ``herald_archive_published`` runs on every ``herald://published-items`` asset event and archives
  the items its events name (``extra={"item_ids": [...]}``).
- ``herald_archive_sweep`` runs daily: archives anything the events missed, notes later platform
  changes (deleted, banned) beside their bundles, and seals yesterday's index into the hash chain.
- ``herald_archive_verify`` runs daily: re-hashes every bundle and checks the chain; what is missing,
  altered, unreadable or incomplete becomes a PUB-4 finding.

The archive root is the Airflow Variable ``herald_archive_root`` (``file:///...`` or
``s3://bucket/prefix``; default ``<repo>/.demo/archive``). An S3 root uses the ``herald_archive``
connection (type ``aws``: access key in login, secret in password, ``endpoint_url`` in extra).
Every task is idempotent: bundles are write-once and index entries keyed by item.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, Param, dag, get_current_context, task

PUBLISHED_ITEMS = Asset("herald://published-items")
ARCHIVE_CONN_ID = "herald_archive"
DEFAULT_ARGS = {
    "owner": "herald-governance",
    "retries": 3,
    "retry_delay": pendulum.duration(minutes=2),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": pendulum.duration(minutes=30),
}
TAGS = {"herald", "archive", "PUB-4"}


def archive_store():
    """The archive store named by the Variable, through Airflow's ObjectStoragePath."""
    from airflow.sdk import ObjectStoragePath, Variable

    from herald.archive.store import default_archive_root, open_store

    root = Variable.get("herald_archive_root", default=None) or default_archive_root()
    if root.startswith("s3://"):
        _attach_s3_if_no_provider()
        return open_store(ObjectStoragePath(root, conn_id=ARCHIVE_CONN_ID))
    return open_store(ObjectStoragePath(root))


def _attach_s3_if_no_provider() -> None:
    """Without the Amazon provider, register s3fs for the ``herald_archive`` connection ourselves."""
    from airflow.sdk import BaseHook
    from airflow.sdk.io import attach
    from airflow.sdk.io.fs import has_fs

    if has_fs("s3"):
        return
    import s3fs

    from herald.archive.store import s3_options_from_connection

    conn = BaseHook.get_connection(ARCHIVE_CONN_ID)
    options = s3_options_from_connection(conn.login, conn.password, conn.extra_dejson)
    attach("s3", conn_id=ARCHIVE_CONN_ID, fs=s3fs.S3FileSystem(**options))


@dag(
    dag_id="herald_archive_published",
    schedule=[PUBLISHED_ITEMS],
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=TAGS,
    doc_md=__doc__,
    params={"item_ids": Param(None, type=["null", "array"], items={"type": "string"},
                              description="Archive these published items (a manual run); else the events' items.")},
)
def herald_archive_published():
    @task(pool="herald_db")
    def archive_published_items() -> dict:
        """Archive the items the events (or the item_ids param) name, with the platform's own record read back."""
        from herald.archive.archiver import archive_published, item_ids_from_events
        from herald.archive.platform_records import lookup_fetcher
        from herald_airflow.context import task_run
        from herald_airflow.dispatch_clients import ConnectionClients, client_or_none
        from herald_airflow.hooks import HeraldDatabaseHook

        context = get_current_context()
        events = [e for batch in (context.get("triggering_asset_events") or {}).values() for e in batch]
        item_ids = context["params"].get("item_ids") or item_ids_from_events(events)
        db = HeraldDatabaseHook().get_database()
        clients = ConnectionClients(db)
        entry = archive_published(db, archive_store(), task_run(context),
                                  item_ids=item_ids, fetch_record=lookup_fetcher(client_or_none(clients)))
        from herald import run_notes
        from herald_airflow.run_notes import set_run_note

        set_run_note(context, run_notes.archive(entry.row_counts))
        return entry.row_counts

    archive_published_items()


@dag(
    dag_id="herald_archive_sweep",
    schedule="30 0 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=TAGS,
    doc_md=__doc__,
    params={
        "seal_today": Param(False, type="boolean",
                            description="Seal today's index too (the demo does; later entries go to tomorrow)."),
        "settle_minutes": Param(30, type="integer", minimum=0,
                                description="Only archive items published at least this long ago (the events' job)."),
    },
)
def herald_archive_sweep():
    @task(pool="herald_db")
    def sweep_archive() -> dict:
        """Archive what the events missed (items settled for ``settle_minutes``), note status changes, seal past days."""
        from datetime import timedelta

        from herald.archive.archiver import archive_published
        from herald.timeutil import local_day, now_utc
        from herald_airflow.context import task_run
        from herald_airflow.hooks import HeraldDatabaseHook

        context = get_current_context()
        now = now_utc()
        today = local_day(now)
        entry = archive_published(
            HeraldDatabaseHook().get_database(), archive_store(), task_run(context),
            settle=timedelta(minutes=context["params"]["settle_minutes"]),
            seal_through=today if context["params"]["seal_today"] else today - timedelta(days=1),
            record_status_notes=True, now=now,
        )
        from herald import run_notes
        from herald_airflow.run_notes import set_run_note

        set_run_note(context, run_notes.archive(entry.row_counts))
        return entry.row_counts

    sweep_archive()


@dag(
    dag_id="herald_archive_verify",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=TAGS,
    doc_md=__doc__,
)
def herald_archive_verify():
    @task(pool="herald_db")
    def verify_archive() -> dict:
        """Re-hash every bundle, check the chain, record what is missing, altered or unreadable as findings."""
        from herald import run_notes
        from herald.archive.verify import verify_archive as verify
        from herald_airflow.context import task_run
        from herald_airflow.hooks import HeraldDatabaseHook
        from herald_airflow.run_notes import set_run_note

        context = get_current_context()
        entry, report = verify(HeraldDatabaseHook().get_database(), archive_store(), task_run(context))
        for line in report.summary_lines():
            print(line)
        set_run_note(context, run_notes.archive_verify(entry.row_counts))
        return entry.row_counts

    verify_archive()


herald_archive_published()
herald_archive_sweep()
herald_archive_verify()
