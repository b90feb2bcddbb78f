"""The annual audit packs (ACC-6, SEC-5): one per account, then the group's, for the year just ended.

Wiring only: the packs are built by ``herald.audit.build`` (queries in ``sql/audit/``, the Great Expectations gate in
``herald.audit.quality``) and written by ``herald.audit.render`` (``write_account_packs`` for a mapped task's run of
accounts, ``write_pack`` for the group).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

# A yearly run: a database hiccup is retried three times over about an hour; a pack that takes more than two hours
# is stuck (the group pack over ten million items takes minutes).
DEFAULT_ARGS = {"owner": "herald-governance", "retries": 3, "retry_delay": pendulum.duration(minutes=10),
                "retry_exponential_backoff": 2.0, "execution_timeout": pendulum.duration(hours=2)}


@dag(
    dag_id="herald_audit_pack",
    dag_display_name="年度审计包",
    # 15 January 07:00 Shanghai, for the data interval that ends then: its start's year is the year just ended,
    # two weeks after its end so late publishing logs and the cadence scan's rescans are in.
    schedule=CronDataIntervalTimetable("0 7 15 1 *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2025, 1, 15, 7, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags={"herald", "audit", "ACC-6", "SEC-5", "PUB-5", "PUB-4"},
    params={
        "year": Param(None, type=["null", "integer"], minimum=2000, maximum=2099,
                      description="审计年度；不填为数据区间起点的年份（定时运行）或运行日期的上一年（手动运行）"),
        "cutoff": Param(None, type=["null", "string"],
                        description="数据截止时间（带时区的 ISO 8601）；不填为本次运行的日期时间"),
    },
)
def herald_audit_pack():
    """Build every account's annual audit pack (mapped tasks of up to 40 accounts each), then the group pack.

    Params: `year` (default: the year of the data interval's start, i.e. last year on the 15 January run) and
    `cutoff` (ISO 8601 with zone; default: the run's date). Nothing recorded after the cutoff counts. A re-run
    with the same year and cutoff writes identical bytes; a later cutoff writes a new version beside the old one.
    A failing task means the pack could not be built (database, font); a data-quality failure does not fail the
    task, it marks the pack as a draft with a Chinese report of the rows that failed.
    """

    @task(pool="herald_db", task_display_name="确定审计年度与截止时间")
    def audit_window(params: dict | None = None, **context) -> dict:
        from herald.audit.build import AuditWindow
        from herald.boundary.packs import PackBuildIn
        from herald.boundary.refusals import parse_request

        params = params or {}
        run_at = context.get("data_interval_end") or context.get("logical_date") or context["dag_run"].run_after
        scheduled = context["dag_run"].run_type == "scheduled"
        start = context.get("data_interval_start")
        year = params.get("year") or (start.year if scheduled and start else run_at.year - 1)
        cutoff = params.get("cutoff") or run_at.isoformat()
        request = parse_request(PackBuildIn, {"--year": year, "--cutoff": cutoff})
        window = AuditWindow(request.year, request.cutoff)
        return {"year": window.year, "cutoff": window.cutoff.isoformat()}

    @task(pool="herald_db", task_display_name="列出受审账号")
    def accounts(window: dict) -> list[list[str]]:
        """The accounts inspected, in runs of herald.audit.render.PACKS_PER_TASK (one mapped task each)."""
        from herald.audit.build import AuditWindow, account_ids
        from herald.audit.render import account_batches
        from herald_airflow.hooks import HeraldDatabaseHook

        return account_batches(account_ids(HeraldDatabaseHook().get_database(), _window(AuditWindow, window)))

    @task(pool="herald_db", task_display_name="生成账号审计包",
          map_index_template="{{ task.op_kwargs['account_ids'][0] }} … {{ task.op_kwargs['account_ids'][-1] }}"
                             "（{{ task.op_kwargs['account_ids'] | length }} 个账号）")
    def account_pack(account_ids: list[str], window: dict) -> list[str]:
        """A run of accounts' packs: each built, gated and written in turn (the imports, Great Expectations' above
        all, are paid once per task rather than once per account); the task's log says where the time went."""
        import logging

        from herald.audit.build import AuditWindow
        from herald.audit.render import Phases, default_pack_root, write_account_packs
        from herald.fresh_stack import call_on_fresh_stack
        from herald_airflow.hooks import HeraldDatabaseHook

        phases = Phases()
        # On a fresh stack: deep inside the task runner, CPython 3.11 slows the gate 2.7-fold (herald.fresh_stack).
        written = call_on_fresh_stack(write_account_packs, HeraldDatabaseHook().get_database(), account_ids,
                                      _window(AuditWindow, window), default_pack_root(), phases)
        logging.getLogger(__name__).info("%d account packs written: %s", len(written), phases)
        return [str(folder) for folder in written]

    @task(pool="herald_db", task_display_name="读取Airflow运行历史")
    def airflow_history(window: dict, **context) -> dict:
        """Airflow's runs of the ledger-writing DAGs for the window, read once through the REST API (connection
        herald_airflow_api) into Herald's database; the group pack matches its run ledger against them. An
        unreachable api-server or a missing connection is recorded as 未核对 with the reason, not a failure."""
        from herald.audit.build import AuditWindow
        from herald.timeutil import now_utc
        from herald_airflow.airflow_api import fetch_run_history
        from herald_airflow.hooks import HeraldDatabaseHook

        w = _window(AuditWindow, window)
        return fetch_run_history(HeraldDatabaseHook().get_database(), w.year, w.year_start, w.year_end, w.cutoff,
                                 now=now_utc())

    @task(pool="herald_db", task_display_name="生成集团汇总审计包")
    def group_pack(window: dict, written: list[list[str]]) -> str:
        from herald.audit.build import AuditWindow, build_group_pack
        from herald.audit.render import default_pack_root, write_pack
        from herald.fresh_stack import call_on_fresh_stack
        from herald_airflow.hooks import HeraldDatabaseHook

        db, audit_window = HeraldDatabaseHook().get_database(), _window(AuditWindow, window)

        def write_group_pack():
            return write_pack(build_group_pack(db, audit_window), default_pack_root())

        return str(call_on_fresh_stack(write_group_pack))  # the gate, away from the task runner's deep stack

    window = audit_window()
    written = account_pack.partial(window=window).expand(account_ids=accounts(window))
    airflow_history(window) >> group_pack(window, written)


def _window(cls, window: dict):
    from datetime import datetime

    return cls(window["year"], datetime.fromisoformat(window["cutoff"]))


herald_audit_pack()
