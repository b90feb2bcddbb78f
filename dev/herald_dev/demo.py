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
    show_unauthorised_accounts_and_complaints(db)  # issue 15 items 3 and 7, after the ground-truth check
    application = show_account_application(db)  # issue 15 items 1 and 2, after the ground-truth check
    show_changes_handovers_and_delegations(db)  # issue 15 items 4 and 5, after the ground-truth check
    show_sensitive_and_paid_posts(db)  # issue 15 item 8 (CON-5, CON-6), after the ground-truth check
    show_comment_watch(db)  # issue 15 item 6 (SEC-2), after the ground-truth check
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
    print(f"    account application:        {application['report'].relative_to(REPO)} (Excel forms beside it; "
          f"python -m herald account show {application['application_id']})")
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



def show_account_application(db: Database) -> dict:
    """Issue 15 items 1 and 2 (ACC-1..3): an Excel registration form imported (a bad copy refused cell by cell) and
    walked along policy 000's creation chain by each step's holder until the account opens (plain calls, ~2 s)."""
    from herald_dev.accounts_demo import run_account_application

    result = run_account_application(db, DEMO_DIR / "accounts")
    _say(f"account application (ACC-1, ACC-2, ACC-3): {result['application_id']} imported from Excel "
         f"({result['refused_cells']} bad cells of a wrong copy refused first), every creation step approved: "
         f"account {result['account_id']} is {result['account_state']}")
    return result


def show_unauthorised_accounts_and_complaints(db: Database) -> None:
    """ACC-1 and SEC-4 on the demo world, in process (no ``airflow dags test``): lookalike accounts planted in the fake
    platforms' searches are found by the directory scan; two complaints arrive through a subsidiary's Weibo, one of
    them a week old and never handled, and the clock check turns its late steps into findings."""
    from herald.complaints import check_overdue, register_complaint
    from herald.ledger import TaskRun
    from herald.unauthorised import WeChatDirectory, WeiboDirectory, digests, unauthorised_scan
    from herald_airflow.outbox import write_digests
    from herald_dev.fakeplatforms.directory import plant

    now = now_utc()
    with FakePlatforms.start(weibo_tokens=DEMO_WEIBO_USERS) as fake:
        registered = db.fetch("unauthorised/registered_ids", platforms=json.dumps(["weibo"]))
        plant(fake.state, "weibo", [
            {"uid": "7100000001", "screen_name": "華夏能源集團客服", "followers_count": 3200, "also_matches": ["华夏能源"]},
            {"uid": "7100000002", "screen_name": "华夏新能源科技光伏爱好者", "followers_count": 880},
            *({"uid": r["platform_account_id"], "screen_name": "华夏能源（已登记）", "followers_count": 50000,
               "verified": True} for r in registered[:1])], replace=True)
        plant(fake.state, "wechat", [{"biz": "MzA5MTAwMDAwMQ==", "nickname": "华夏电力工程招聘", "wechat_id": "hxdl_jobs",
                                      "principal": "个人"}], replace=True)
        sources = [WeiboDirectory(fake.weibo_url, "demo-weibo-token"), WeChatDirectory(fake.wechat_url)]
        scan = unauthorised_scan(db, TaskRun.manual("unauthorised_scan", now), sources, now=now)
    with db.transaction() as tx:
        written = write_digests(digests(tx, as_of=now), directory=DIGESTS_DIR / "unauthorised")
    account_id = registered[0]["account_id"] if registered else ""  # a registered Weibo account of the world
    ids = []
    with db.transaction() as tx:
        for days, ref, text in ((7, "demo-comment-old", "充值后电费一直没到账，客服电话打不通"),
                                (0, "demo-comment-new", "营业厅排队两个小时，希望增加窗口")):
            made = register_complaint(tx, account_id=account_id,
                                      content=text, channel="comment", received_at=now - timedelta(days=days),
                                      source_ref=ref, actor="herald_demo.comment_watch", via="pipeline", now=now)
            ids.append(made["complaint_id"])
    check = check_overdue(db, TaskRun.manual("complaints_check_overdue", now), now=now)
    _say(f"unauthorised accounts (ACC-1): {scan.row_counts['queries']} searches, {scan.row_counts['sightings']} "
         f"accounts naming the company, {scan.row_counts['findings_reported']} not registered -> findings; "
         f"digests: {DIGESTS_DIR.relative_to(REPO)}/unauthorised/ ({len(written)} files)")
    _say(f"complaints (SEC-4): {', '.join(ids)} registered as the comment watch would; {check.row_counts['late_steps']} "
         "late steps -> findings; see: python -m herald complaint list --admin-override --override-reason 查看")



def show_changes_handovers_and_delegations(db: Database) -> dict:
    """Issue 15 items 4 and 5 (ACC-4, ACC-5, SEC-1, PUB-6) on the demo world, in process (plain calls, a few seconds):
    on a Weibo account with an operator, a change filed late (an ACC-4 finding at once) and one the competent department
    noted unfiled (the cadence scan reports it once its five working days pass); the operator hands over to a colleague
    with the competent department's receipt, and the account's token is revoked at the fake Weibo (the old token is
    refused); a unit is granted a two-hour live activity, queues one item inside it, and the scheduled expiry closes it."""
    import requests

    from herald.accounts import changes, delegations
    from herald.dispatch.connections import connection_ids
    from herald.platforms.weibo import WeiboClient
    from herald.posts.approval import role_holders
    from herald.posts.model import PostRequest
    from herald.posts.policies import default_policy_for
    from herald.timeutil import local_day

    now = now_utc()
    today = local_day(now)
    people = [p for p in db.fetch("people/all") if p["is_active"]]
    picked = None
    with db.transaction() as tx:
        for account in (a for a in tx.fetch("registry/active_accounts") if a["platform"] == "weibo"):
            heads = role_holders(tx, account["account_id"], "competent_department_head", today)
            current = [o for o in tx.fetch("account_changes/operator_assignments", account_id=account["account_id"], on=today)
                       if o["valid_from_on"] < today]
            if heads and current:
                picked = (account, heads[0]["person_id"], current[0]["person_id"])
                break
    if picked is None:
        _say("changes, handovers and delegations (ACC-4, ACC-5, PUB-6): no Weibo account with an operator and a competent "
             "department head in this world; skipped")
        return {}
    account, head, operator = picked
    account_id = account["account_id"]
    late = changes.file_change(db, account_id, change_kind="maintenance_method", new_value="主办单位新媒体组与外包团队共同维护",
                               effective_on=today - timedelta(days=14), filed_by=head, now=now, filing_ref="演示备〔1〕号")
    noted = changes.note_change(db, account_id, change_kind="account_name", new_value=f"{account['name']}服务号",
                                effective_on=today - timedelta(days=1), noted_by=head, now=now)
    colleague = next(p["person_id"] for p in people
                     if p["unit_id"] == account["host_unit_id"] and p["person_id"] not in (head, operator))
    handover = changes.file_handover(db, account_id, to_person_id=colleague, from_person_id=operator, effective_on=today,
                                     receipt_ref="演示交〔1〕号", receipt_by=head, receipt_on=today, filed_by=head, now=now)
    with FakePlatforms.start(weibo_tokens=DEMO_WEIBO_USERS) as fake, requests.Session() as session:
        env = fake_platform_connections(fake)
        own, shared = (f"AIRFLOW_CONN_{conn_id.upper()}" for conn_id in connection_ids("weibo", account_id))
        token = json.loads(env.get(own) or env[shared])["password"]
        rotated = changes.rotate_pending(db, lambda _platform, _account: WeiboClient(fake.weibo_url, token, session),
                                         now=now, rotation_id=handover["rotation_id"])
        old_token_refused = not WeiboClient(fake.weibo_url, token, session).get_token_info().ok
    units: dict[str, list[str]] = {}
    for person in people:
        if person["person_id"] not in (head, operator, colleague):
            units.setdefault(person["unit_id"], []).append(person["person_id"])
    unit_id, members = next((u, m) for u, m in sorted(units.items()) if len(m) >= 2)
    end = now + timedelta(hours=2)
    applied = delegations.apply(db, account_id, unit_id=unit_id, activity_kind="live", title="安全生产月直播问答",
                                window_start_at=now - timedelta(minutes=5), window_end_at=end, people=members[:2],
                                applied_by=members[0], now=now)
    delegation_id = applied["delegation_id"]
    delegations.decide(db, delegation_id, approver_id=head, decision="granted", now=now, reason="同意，活动结束即收回")
    category = next(iter(default_policy_for(account["policy_id"]).content.categories))
    post_id = delegations.queue_delegated_post(db, delegation_id, PostRequest(
        account_id=account_id, author_id=members[0], body="直播问答进行中，欢迎留言提问 https://herald.example.com/live",
        publish_at=now + timedelta(minutes=30), category=category, source="安全生产月活动组", kind="text", urgency="urgent"),
        now=now)
    expired = delegations.revoke_expired(db, now=end)
    _say(f"changes and handovers (ACC-4, ACC-5) on {account_id}: a change filed "
         f"{late['working_days_taken']} working days after it took effect -> finding {late['finding_id']}; "
         f"change {noted['change_id']} noted unfiled (deadline {noted['deadline_on']}); handover {handover['handover_id']} "
         f"{operator} -> {colleague}: Weibo token rotated ({rotated['done']} done), old token refused: {old_token_refused}")
    _say(f"delegated access (PUB-6): {delegation_id} granted to {unit_id} ({', '.join(members[:2])}), post {post_id} "
         f"queued inside the window; expired at the window's end: {expired == [delegation_id]}; see GET "
         f"/herald/delegations/{delegation_id} and /herald/accounts/{account_id}/changes")
    return {"account_id": account_id, "delegation_id": delegation_id, "handover_id": handover["handover_id"]}


def show_sensitive_and_paid_posts(db: Database) -> list[str]:
    """Issue 15 item 8 (CON-5, CON-6) on the demo world, in process (plain calls, about a second): on a group Weibo
    account of policy 000, its info officer queues an item marked as a major event, one the lexicon screens as an
    emergency, and a paid repost; each chain shows its extra steps and who is asked (in Airflow's Required Actions once
    ``make up`` routes them). Nothing is approved: the steps wait for the competent department and the creation chain."""
    from herald.errors import ValidationError
    from herald.posts.approval import role_holders
    from herald.posts.lifecycle import post_status
    from herald.posts.model import PostRequest
    from herald.posts.policies import default_policy_for
    from herald.posts.queue import queue_post
    from herald.timeutil import local_day

    now = now_utc().replace(microsecond=0)
    today = local_day(now)
    policy = default_policy_for("000")
    category = next(iter(policy.content.categories))
    items = [("重大事件（作者标记）", {"body": "集团与合作伙伴签署战略合作协议 https://herald.example.com/news/1",
                                "sensitive_marks": ["major_event"]}),
             ("突发事件（词库识别）", {"body": "关于近期突发事件的情况说明 https://herald.example.com/news/2"}),
             ("转载付费信息", {"body": "转载：行业媒体付费专题报道集团新能源项目 https://herald.example.com/news/3", "paid_repost": True})]
    refused: list[str] = []
    for account in (a for a in db.fetch("registry/active_accounts") if a["platform"] == "weibo" and a["policy_id"] == "000"):
        with db.transaction() as tx:
            authors = role_holders(tx, account["account_id"], policy.author_role, today)
        if not authors:
            continue
        post_ids = []
        try:
            for _label, fields in items:
                post_ids.append(queue_post(db, PostRequest.from_mapping({
                    "account_id": account["account_id"], "author_id": authors[0]["person_id"], "category": category,
                    "source": "集团行政中心", "kind": "text", "publish_at": (now + timedelta(days=8)).isoformat(), **fields,
                }), now=now))
        except ValidationError as error:  # this account cannot take them (its chain or state): try the next one
            refused = [f"{v.field} [{v.rule_id}] {v.message}" for v in error.violations]
            continue
        _say(f"sensitive topics and paid reposts (CON-5, CON-6) on {account['account_id']} ({account['name']}):")
        statuses = [post_status(db, post_id) for post_id in post_ids]
        with db.transaction() as tx:
            for (label, _fields), post_id, status in zip(items, post_ids, statuses, strict=True):
                steps = []
                for step in status["chain"]:
                    asked = "、".join(h["name"] for h in role_holders(tx, account["account_id"], step["role"], today)) or "无人"
                    steps.append(f"{step['role_label']}（{asked}）")
                print(f"    {label}: {post_id}  " + " → ".join(steps))
        print("    each post's page: /herald/pages/posts/<post id>; `make up` routes the steps to Required Actions")
        return post_ids
    _say("sensitive topics and paid reposts (CON-5, CON-6): no group Weibo account of policy 000 took the items; "
         + ("; ".join(refused) if refused else "none has an info officer"))
    return []


DEMO_WATCHED_WEIBO = ("acct-s1-weibo", "demo-weibo-token-s1")  # its own Weibo user (HERALD_WEIBO__ACCT_S1_WEIBO)
DEMO_COMMENTS = ("支持！新能源项目做得很好", "希望多发一些光伏电站的科普", "这里有在线赌博网站，日赚千元")  # the last is illegal


def show_comment_watch(db: Database) -> dict:
    """Issue 15 item 6 (SEC-2) on the demo world, in process (one cycle, a few seconds): three comments planted on a
    subsidiary's Weibo account at the fake Weibo, one of them illegal; one cycle of the comment watch pulls and screens
    them, archives the illegal one's evidence and escalates it to the host unit's head and the competent department
    through the local inbox's WeCom and DingTalk robots. Only that account has a (fake) Weibo user here: the other
    watched accounts have no connection and are skipped. Email is left out (it needs Airflow's SMTP connection)."""
    import logging
    import secrets

    import requests

    from herald.archive.store import LocalStore
    from herald.cadence.notify import RobotTarget
    from herald.comments import run_cycle, settings_for
    from herald.comments.escalate import channel_sender
    from herald.platforms.weibo import WeiboClient
    from herald.posts.policies import default_policy_for
    from herald_dev.fakeplatforms.comments import plant
    from herald_dev.fakeplatforms.inbox import DINGTALK_TOKEN, WECOM_KEY, LocalInbox

    account_id, token = DEMO_WATCHED_WEIBO
    account = next((a for a in db.fetch("comments/watched_accounts") if a["account_id"] == account_id), None)
    if account is None:
        _say(f"comment watch (SEC-2): {account_id} is not an active Weibo account in this world; skipped")
        return {}
    policy = default_policy_for(account["policy_id"])
    channels = {kind: conn for kind, conn in policy.notifications.channels.items() if kind in ("wecom_robot", "dingtalk_robot")}
    secret = secrets.token_urlsafe(24)
    inbox = LocalInbox.start(DEMO_DIR / "inbox", dingtalk_secret=secret)
    watch_log = logging.getLogger("herald.comments.watch")
    level = watch_log.level
    try:
        with FakePlatforms.start(weibo_tokens=DEMO_WEIBO_USERS) as fake, requests.Session() as session:
            uid = DEMO_WEIBO_USERS[token]["uid"]
            plant(fake.state, [{"platform": "weibo", "account": uid, "content": text} for text in DEMO_COMMENTS])

            def clients(platform: str, watched: str):
                if (platform, watched) != ("weibo", account_id):
                    raise LookupError("no connection in the demo")
                return WeiboClient(fake.weibo_url, token, session, timeout=(2, 5))

            targets = {channels.get("wecom_robot"): RobotTarget(f"{inbox.robots_url}/cgi-bin/webhook/send?key={WECOM_KEY}"),
                       channels.get("dingtalk_robot"): RobotTarget(f"{inbox.robots_url}/robot/send?access_token={DINGTALK_TOKEN}",
                                                                   secret)}
            watch_log.setLevel(logging.ERROR)  # the accounts without a connection are expected here
            report = run_cycle(db, clients, settings=settings_for(policy), store=LocalStore(ARCHIVE_DIR),
                               send=channel_sender(targets.__getitem__), channels=channels)
    finally:
        watch_log.setLevel(level)
        inbox.stop()
    rows = [r for r in db.fetch("comments/audit_escalations", account_id=account_id,
                                from_at=now_utc() - timedelta(hours=1), to_at=now_utc() + timedelta(minutes=1))]
    _say(f"comment watch (SEC-2) on {account_id} ({account['name']}): {len(DEMO_COMMENTS)} comments planted at the fake "
         f"Weibo, one cycle read {report.new_comments} new, escalated {report.escalations}; "
         f"{report.delivery.get('messages', 0)} robot messages in {(DEMO_DIR / 'inbox').relative_to(REPO)}/")
    for row in rows:
        evidence = (ARCHIVE_DIR / row["evidence_path"]).relative_to(REPO) if row["evidence_path"] else "（未存档）"
        print(f"    {row['escalation_id']} [{row['kind']}] {row['state']} {format_shanghai(row['sent_at'])}: evidence "
              f"{evidence} (SHA-256 {(row['evidence_sha256'] or '')[:16]})"
              + (f"; finding {row['finding_id']}" if row["finding_id"] else ""))
    return {"account_id": account_id, "escalations": [r["escalation_id"] for r in rows]}


if __name__ == "__main__":
    sys.exit(main())
