"""``make demo``: build the demo world on embedded defaults and run every pipeline on it.

Herald's database is the SQLite file named by ``AIRFLOW_CONN_HERALD_DB`` (config/native.env);
Airflow's metadata is SQLite under ``.airflow/``. Each DAG runs once through
``airflow dags test``; its log goes to ``.demo/logs/``. At the end the demo says where to look.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from herald.connection_url import herald_db_url
from herald.db import Database
from herald.migrate import migrate
from herald.timeutil import SHANGHAI, format_shanghai, now_utc
from herald_dev.fakeplatforms import FakePlatforms
from herald_dev.processes import product_pythonpath
from herald_dev.world.live import queue_and_approve_live_release
from herald_dev.world.truth import compare_with_ground_truth

REPO = Path(__file__).resolve().parents[2]
DEMO_DIR = REPO / ".demo"
LOG_DIR = DEMO_DIR / "logs"

# The pipelines the demo runs, in order, with the rules whose planted violations each can find.
DEMO_DAGS: tuple[tuple[str, set[str]], ...] = (
    ("herald_dispatch", set()),
    ("herald_dispatch_reconcile", set()),
    ("herald_registry_check", {"ACC-1", "ACC-3"}),
    ("herald_cadence_scan", {"PUB-5", "CON-9", "CON-10", "PUB-1", "ACC-4", "ACC-5"}),
    ("herald_archive_published", set()),
    ("herald_archive_sweep", {"PUB-4"}),
    ("herald_archive_verify", {"PUB-4"}),
    ("herald_audit_pack", set()),  # the last full year's packs, after the archive they verify bundles against
)
DIGESTS_DIR = DEMO_DIR / "digests"
PACKS_DIR = DEMO_DIR / "packs"
ARCHIVE_DIR = DEMO_DIR / "archive"
# A manual run's data interval is empty at its logical date L, so herald_dispatch plans [L + 1 min, L + 2 min);
# the live release is due in the middle of that window.
DISPATCH_LEAD = timedelta(minutes=1, seconds=30)
# The fake Weibo's users: the group account's and a subsidiary's (fake credentials, local only).
DEMO_WEIBO_USERS = {
    "demo-weibo-token": {"uid": "5000000001", "appkey": "demo-appkey", "safe_domains": ["herald.example.com"]},
    "demo-weibo-token-s1": {"uid": "5000000002", "appkey": "demo-appkey", "safe_domains": ["herald.example.com"]},
}
REPORT = DEMO_DIR / "findings.md"


def _say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def main() -> int:
    from herald_airflow.airflow_cli import dags_test
    from herald_dev.world import build_world

    DEMO_DIR.mkdir(exist_ok=True)
    db = Database(herald_db_url())
    for migration in migrate(db):
        _say(f"Herald schema migration {migration.version:04d}_{migration.name} applied")
    as_of = datetime.now(SHANGHAI).date()
    _say(f"building the demo world as of {as_of} (Asia/Shanghai) ...")
    summary = build_world(db, as_of=as_of, replace=True)
    # Bundles and digests of a replaced world would not match the new one.
    shutil.rmtree(ARCHIVE_DIR, ignore_errors=True)
    shutil.rmtree(DIGESTS_DIR, ignore_errors=True)
    shutil.rmtree(PACKS_DIR, ignore_errors=True)
    counts = summary.counts
    _say(f"world: {summary.accounts} accounts, {counts['posts']} posts, {counts['published_items']} published items "
         f"from {summary.history_from} to {summary.history_to}; planted violations: "
         + ", ".join(f"{rule}={n}" for rule, n in sorted(summary.ground_truth.items())))

    logical = now_utc().replace(microsecond=0)
    publish_at = logical + DISPATCH_LEAD
    release = queue_and_approve_live_release(db, publish_at=publish_at)
    _say(f"live release {release['release_id']}: {len(release['post_ids'])} posts queued and approved along their "
         f"chains, due {format_shanghai(publish_at)}")

    failed = []
    with FakePlatforms.start(weibo_tokens=DEMO_WEIBO_USERS) as fake:
        _say(f"fake platforms (WeChat, Weibo, CMS) listening on {fake.base_url}")
        env = {"PYTHONPATH": product_pythonpath(), **fake_platform_connections(fake)}
        run_conf = {
            # The whole history of the world in one run; digests are written to the outbox, not sent.
            "herald_cadence_scan": {"from_date": summary.history_from.isoformat(), "deliver": False},
            # Seal today's archive index too, so the demo's own publications are in the verified chain.
            "herald_archive_sweep": {"seal_today": True, "settle_minutes": 0},
            # The world's last full calendar year, as of now (the scheduled run waits for 15 January).
            "herald_audit_pack": {"year": as_of.year - 1, "cutoff": logical.isoformat()},
        }
        for dag_id, _rules in DEMO_DAGS:
            if dag_id == "herald_dispatch_reconcile":
                confirm_manual_posts(db, release["post_ids"])
            log = LOG_DIR / f"{dag_id}.log"
            _say(f"running {dag_id} (airflow dags test) ... log: {log.relative_to(REPO)}")
            if dag_id == "herald_archive_published":
                # What the published-items asset events would carry: the release's items, read back from
                # the (fake) platforms into their bundles. The sweep then files the world's history.
                rows = [db.fetch_one("dispatch/published_item_of_post", post_id=p) for p in release["post_ids"]]
                run_conf[dag_id] = {"item_ids": [row["item_id"] for row in rows if row]}
            if dag_id == "herald_audit_pack":  # as of now: after the scans and the archive this run has done
                run_conf[dag_id]["cutoff"] = now_utc().replace(microsecond=0).isoformat()
            conf = json.dumps(run_conf[dag_id]) if dag_id in run_conf else None
            code = dags_test(dag_id, logical.isoformat(), log, env=env, conf=conf)
            if code != 0:
                failed.append(dag_id)
                _say(f"{dag_id} FAILED (exit {code}); last lines of its log:")
                print("\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]))
        accepted = fake.publications()
    states = {p: db.fetch_one("posts/post", post_id=p)["state"] for p in release["post_ids"]}
    _say(f"live release after dispatch: {sorted(states.values())}; the fake platforms accepted {len(accepted)} "
         f"publication(s) for {len(states)} posts")

    checks = compare_with_ground_truth(db, set().union(*(rules for d, rules in DEMO_DAGS if d not in failed)))
    _say("archive verification (python -m herald.archive verify):")
    verify = subprocess.run([sys.executable, "-m", "herald.archive", "verify", "--db", db.url,
                             "--root", ARCHIVE_DIR.as_uri()], capture_output=True, text=True, check=False)
    print("\n".join("    " + line for line in (verify.stdout + verify.stderr).strip().splitlines()[-12:]))
    write_report(db, checks, REPORT)
    _say("planted violations (ground truth) against what the pipelines found:")
    for check in checks:
        verdict = "exact" if check.exact else f"MISSED {list(check.missed)} INVENTED {list(check.invented)}"
        print(f"    {check.rule_id:6} planted {check.planted:3}  found {check.found:3}  {verdict}")
    digests = sorted(DIGESTS_DIR.rglob("*.md"))
    _say("where to look:")
    print(f"    findings report (Chinese):  {REPORT.relative_to(REPO)}")
    print(f"    digests (Chinese):          {DIGESTS_DIR.relative_to(REPO)}/ ({len(digests)} files)")
    print(f"    archive bundles:            {ARCHIVE_DIR.relative_to(REPO)}/")
    group_packs = sorted(PACKS_DIR.glob(f"{as_of.year - 1}/*/group/data/index.html"))
    if group_packs:
        print(f"    audit packs {as_of.year - 1} (Chinese): {group_packs[-1].relative_to(REPO)}  (group; each account's beside it;"
              f" python -m herald pack list)")
    print(f"    Herald database (SQLite):   {db.url.removeprefix('sqlite:///')}")
    print(f"    DAG run logs:               {LOG_DIR.relative_to(REPO)}/")
    print("    the same world in the UI:   make up  ->  http://127.0.0.1:8080")
    if failed or verify.returncode != 0 or not all(check.exact for check in checks):
        return 1
    return 0


def fake_platform_connections(fake) -> dict[str, str]:
    """Airflow connections (as environment variables) pointing Herald's clients at the fake platforms.

    Each Weibo account is its own Weibo user (its own token), as in production: the shared
    ``herald_weibo`` connection serves the group account, a per-account one the subsidiary's.
    """
    from herald_dev.fakeplatforms.state import DEMO_CMS_SITES, DEMO_WECHAT_ACCOUNTS

    appid, secret = next(iter(DEMO_WECHAT_ACCOUNTS.items()))
    (token, weibo), (sub_token, sub_weibo) = DEMO_WEIBO_USERS.items()
    site, cms_secret = next(iter(DEMO_CMS_SITES.items()))
    connections = {
        "HERALD_WECHAT": {"conn_type": "http", "host": fake.wechat_url, "login": appid, "password": secret,
                          # SQLite allows one writer: the archive reads WeChat back while it writes bundles,
                          # so the demo keeps WeChat tokens in memory (PostgreSQL deployments use the DB store).
                          "extra": {"token_store": "memory", "preview_openid": "demo-reviewer-openid",
                                    "source_url_template": "https://herald.example.com/posts/{post_id}"}},
        "HERALD_WEIBO": {"conn_type": "http", "host": fake.weibo_url, "login": weibo["appkey"], "password": token,
                         "extra": {"safe_domains": weibo["safe_domains"]}},
        "HERALD_WEIBO__ACCT_S1_WEIBO": {"conn_type": "http", "host": fake.weibo_url, "login": sub_weibo["appkey"],
                                        "password": sub_token, "extra": {"safe_domains": sub_weibo["safe_domains"]}},
        "HERALD_CMS": {"conn_type": "http", "host": fake.cms_url(site), "password": cms_secret},
    }
    return {f"AIRFLOW_CONN_{name}": json.dumps(value) for name, value in connections.items()}


def confirm_manual_posts(db: Database, post_ids: list[str]) -> None:
    """Play the QQ group operator: publish by hand and confirm the link (the manual channel of issue 4)."""
    from herald.dispatch.manual import confirm_manual

    for post_id in post_ids:
        handoff = db.fetch_one("dispatch/handoff", post_id=post_id)
        if handoff is None or handoff["confirmed_at"] is not None:
            continue
        link = f"https://qun.qq.com/herald-demo/{post_id}"
        confirm_manual(db, post_id, link=link, person_id=handoff["operator_id"], now=now_utc())
        _say(f"operator {handoff['operator_id']} confirmed the manual post {post_id}: {link}")


def write_report(db: Database, checks, path: Path) -> None:
    """A short Chinese report of the open findings, for the admin center: names, not ids; periods and severities
    in words (herald.findings.describe)."""
    from herald.cadence.labels import RULE_TITLES
    from herald.findings import find_findings

    with db.transaction() as tx:
        findings = find_findings(tx, limit=100_000)
    lines = [f"# Herald 演示运行结果（生成于{format_shanghai(now_utc())}）", "",
             "## 未关闭的问题", "", "| 规则 | 对象 | 期间 | 严重程度 | 状态 | 说明 |", "|---|---|---|---|---|---|"]
    lines += [f"| {RULE_TITLES.get(f['rule_id'], '')}（{f['rule_id']}） | {f['subject_label']} | {f['period_label']} | "
              f"{f['severity_label']} | {f['state_label']} | {f['summary']} |" for f in findings]
    lines += ["", "## 与演示数据预置违规的核对", "", "| 规则 | 预置 | 发现 | 结论 |", "|---|---|---|---|"]
    lines += [f"| {RULE_TITLES.get(c.rule_id, '')}（{c.rule_id}） | {c.planted} | {c.found} | "
              f"{'完全一致' if c.exact else '不一致'} |" for c in checks]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
