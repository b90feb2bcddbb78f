"""Unauthorised accounts (ACC-1; 000 §3.1, §3.3; 003 §1.4): daily, the platforms' account searches are read for
accounts whose names name or imply the company but that Herald has no record of.

``scan`` searches Weibo (``search/suggestions/users.json`` through the ``herald_weibo`` connection: base URL in
host, the app's access token in password) and the WeChat account search (connection ``herald_wechat_directory``:
base URL in host; see docs/directory-search.md) for every company name (the group's and subsidiaries' names and
short names, and the default pack's ``unauthorised_accounts.extra_names``), matches the results with the folding
Aho-Corasick automaton (``herald.unauthorised``) and writes one ACC-1 finding per unregistered account, keyed by
platform and account id, so reruns refresh and never duplicate; a finding resolves itself on the first scan after the
account is registered. A platform without a connection is skipped and said so; a platform whose search fails keeps
its findings and fails the task after the others were written (the retry tries it again).
``notify`` sends the open ones to the matched unit's head and its competent department (email, WeCom and DingTalk
robots), and writes them to the digest outbox. Params: ``deliver`` false only writes the digests.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

DEFAULT_ARGS = {
    "owner": "herald-governance",
    "retries": 2,
    "retry_delay": pendulum.duration(minutes=10),
    "retry_exponential_backoff": 2.0,
}
WECHAT_DIRECTORY_CONN_ID = "herald_wechat_directory"


def _sources() -> tuple[list, list[str]]:
    """The platforms' searches from their connections, and the platforms skipped for want of one."""
    from airflow.sdk import BaseHook

    from herald.unauthorised import WeChatDirectory, WeiboDirectory
    from herald_airflow.platform_hooks import WeiboHook

    sources, skipped = [], []
    try:
        weibo = WeiboHook()
        sources.append(WeiboDirectory(weibo.base_url(), weibo.secret(), weibo.session(), weibo.timeout()))
    except Exception as missing:  # AirflowNotFoundException or a connection without its token
        print(f"weibo search skipped: {type(missing).__name__}: {missing}")
        skipped.append("weibo")
    try:
        host = (BaseHook.get_connection(WECHAT_DIRECTORY_CONN_ID).host or "").strip()
        if not host:
            raise ValueError(f"connection {WECHAT_DIRECTORY_CONN_ID}: host (the base URL) is required")
        sources.append(WeChatDirectory(host))
    except Exception as missing:
        print(f"wechat search skipped: {type(missing).__name__}: {missing}")
        skipped.append("wechat")
    return sources, skipped


@dag(
    dag_id="herald_unauthorised_accounts",
    dag_display_name="未经批准账号搜索",
    schedule="30 5 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags={"herald", "registry", "ACC-1"},
    doc_md=__doc__,
    params={"deliver": Param(True, type="boolean", description="Send the digests; false only writes them to the outbox.")},
)
def herald_unauthorised_accounts():
    @task(pool="herald_db", task_display_name="搜索平台并比对账号登记")
    def scan() -> dict:
        """Search every configured platform for the company's names; findings, sightings and the ledger in one
        transaction; fail after writing if a platform's search could not be read."""
        from herald.timeutil import now_utc
        from herald.unauthorised import unauthorised_scan
        from herald_airflow.context import task_run
        from herald_airflow.hooks import HeraldDatabaseHook

        context = get_current_context()
        sources, skipped = _sources()
        entry = unauthorised_scan(HeraldDatabaseHook().get_database(), task_run(context), sources, now=now_utc())
        counts = {**entry.row_counts, "platforms_skipped": len(skipped)}
        print(f"未经批准账号搜索（ACC-1）：查询 {counts['queries']} 次，名称相符 {counts['sightings']} 个，"
              f"发现 {counts['findings_reported']} 项，已解决 {counts['findings_resolved']} 项；未配置：{skipped or '无'}")
        failed = entry.outputs.get("failed_platforms") or {}
        if failed:
            raise RuntimeError(f"platform search failed (their findings kept): {failed}")
        return counts

    @task(pool="herald_db", task_display_name="通知主办单位和主管部门")
    def notify() -> dict:
        """Digests of the open unauthorised-account findings per unit and competent department."""
        from herald.cadence import notify as senders
        from herald.policy import default_policy_id, load_policy
        from herald.timeutil import now_utc
        from herald.unauthorised import digests
        from herald_airflow.hooks import HeraldDatabaseHook
        from herald_airflow.outbox import write_digests

        context = get_current_context()
        with HeraldDatabaseHook().get_database().transaction() as tx:
            made = digests(tx, as_of=now_utc())
        written = write_digests(made, context["run_id"])
        if context["params"]["deliver"] and made:
            senders.deliver(made, dict(load_policy(default_policy_id()).notifications.channels))
        return {"digests": len(made), "written": len(written)}

    scan() >> notify()


herald_unauthorised_accounts()
