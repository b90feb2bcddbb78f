"""Comment watch (SEC-2, SEC-3; 003 §3.3.2-3.3.4): comments are watched around the clock.

Every two minutes a run starts one task that polls every active WeChat and Weibo account every
``comment_watch.poll_seconds`` (policy pack; 20 s by default) for ``run_seconds`` (110 s), so the runs follow
each other without a gap and a comment waits at most one poll interval plus a cycle. Each cycle pulls what is
new since each account's high-water mark (stored), screens it with the posts' automaton, archives the evidence
of illegal or reputation-damaging comments (write-once bundles under the archive root's ``comments/``) and sends
them to the host unit's head and the competent department on the policy's notification channels (email, WeCom
and DingTalk robots). A surge of negative comments on one account opens one SEC-3 crisis finding.

Everything is keyed (comments, escalations, deliveries per target and channel), so a retried or overlapping run
stores nothing twice and sends nothing twice. A failed task means the database or every platform was
unreachable; an account without a connection or a refusing platform is logged and retried next cycle.
Params: ``run_seconds`` (0: one cycle only, for a by-hand check).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

DEFAULT_ARGS = {
    "owner": "herald-governance",
    "retries": 1,
    "retry_delay": pendulum.duration(seconds=15),
}


def _archive_store():
    """The archive root of the Variable ``herald_archive_root`` (as ``herald_archive_published`` uses it)."""
    from airflow.sdk import ObjectStoragePath, Variable

    from herald.archive.store import default_archive_root, open_store

    root = Variable.get("herald_archive_root", default=None) or default_archive_root()
    if root.startswith("s3://"):
        return open_store(ObjectStoragePath(root, conn_id="herald_archive"))
    return open_store(ObjectStoragePath(root))


@dag(
    dag_id="herald_comment_watch",
    dag_display_name="评论监测",
    schedule="*/2 * * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=pendulum.duration(minutes=10),
    default_args=DEFAULT_ARGS,
    tags={"herald", "comments", "SEC-2", "SEC-3"},
    doc_md=__doc__,
    params={"run_seconds": Param(None, type=["null", "integer"], minimum=0,
                                 description="Poll this long (default: the policy's run_seconds); 0 runs one cycle.")},
)
def herald_comment_watch():
    @task(pool="herald_db", task_display_name="拉取、筛查并上报评论", execution_timeout=pendulum.duration(minutes=8))
    def watch_comments() -> dict:
        """Poll, screen, escalate and report surges for ``run_seconds``; return the totals."""
        from herald.comments import settings_for, watch
        from herald.comments.escalate import channel_sender
        from herald.policy import default_policy_id, load_policy
        from herald_airflow.dispatch_clients import ConnectionClients
        from herald_airflow.hooks import HeraldDatabaseHook
        from herald_airflow.run_notes import set_run_note

        context = get_current_context()
        db = HeraldDatabaseHook().get_database()
        policy = load_policy(default_policy_id())
        settings = settings_for(policy)
        clients = ConnectionClients(db)
        run_seconds = context["params"].get("run_seconds")
        totals = watch(db, clients.client, settings=settings, store=_archive_store(), send=channel_sender(),
                       channels=dict(policy.notifications.channels), run_seconds=run_seconds)
        set_run_note(context, f"评论监测：{totals['cycles']}轮，新评论{totals['new_comments']}条，"
                              f"上报{totals['escalations']}条，舆情危机{totals['crises']}起，"
                              f"拉取失败{totals['source_errors']}次")
        return totals

    watch_comments()


herald_comment_watch()
