"""Herald's command line: ``python -m herald <command>``.

Commands that act on posts (``post queue|release|approve|reject|edit|show``, ``dispatch confirm-manual``) go
through Herald's HTTP door as the person signed in with ``python -m herald login``: nobody acts in another's
name (PUB-2, PUB-3). An administrator may instead act directly on the database with ``--admin-override
--override-reason "..." --as-person ID``; the same domain call runs, and the post's history and a PUB-3 finding
record the operating-system user, the command and the reason.

The database (other commands, and the override) comes from ``--db URL``, else ``HERALD_DB_URL``, else the
Airflow connection variable ``AIRFLOW_CONN_HERALD_DB`` (the same one the DAGs use).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from herald.boundary import (
    DecisionIn,
    EditIn,
    ManualConfirmationIn,
    PostIn,
    ReleaseBaseIn,
    ReleaseIn,
    field_help,
    incident_message,
    parse_request,
    read_request_file,
    record_incident,
)
from herald.boundary.models import ID_PATTERN
from herald.connection_url import herald_db_url
from herald.db import Database
from herald.errors import HeraldError, ValidationError, Violation

log = logging.getLogger("herald.cli")


def _db(args: argparse.Namespace) -> Database:
    return Database(herald_db_url(args.db))


def cmd_migrate(args: argparse.Namespace) -> int:
    from herald.migrate import current_version, migrate

    db = _db(args)
    applied = migrate(db)
    for migration in applied:
        print(f"applied {migration.version:04d}_{migration.name}")
    print(f"schema at version {current_version(db)} on {db!r}")
    return 0


def cmd_check_registry(args: argparse.Namespace) -> int:
    from herald.jobs import registry_check
    from herald.ledger import TaskRun
    from herald.timeutil import now_utc

    now = now_utc()
    entry = registry_check(_db(args), TaskRun.manual("check_registry", now), now=now)
    print(json.dumps(entry.row_counts, ensure_ascii=False))
    return 0


def cmd_findings(args: argparse.Namespace) -> int:
    """``findings``: the open findings of the signed-in person's units (through the HTTP door); with
    ``--admin-override`` every unit's, read from the database."""
    from herald.boundary.models import FindingsQueryIn

    given = {"state": "all" if args.all else args.state, "rule_id": args.rule, "limit": args.limit}
    query = parse_request(FindingsQueryIn, {k: v for k, v in given.items() if v is not None})
    if _override(args, acts_as_someone=False) is None:
        from urllib.parse import urlencode

        from herald.client import Door

        wanted = urlencode(query.model_dump(exclude_none=True))
        rows = Door.signed_in().call("GET", f"/findings?{wanted}").body["findings"]
    else:
        from herald.findings import find_findings

        with _db(args).transaction() as tx:  # reading changes nothing and signs nothing: not recorded
            rows = find_findings(tx, states=query.states(), rule_id=query.rule_id, limit=query.limit)
    for row in rows:
        print(_finding_line(row))
    print(f"共{len(rows)}项")
    return 0


def cmd_findings_show(args: argparse.Namespace) -> int:
    if _override(args, acts_as_someone=False) is None:
        from herald.client import Door

        detail = Door.signed_in().call("GET", f"/findings/{args.finding_id}").body
    else:
        from herald.findings import finding_detail

        with _db(args).transaction() as tx:
            detail = finding_detail(tx, args.finding_id)
    print(_finding_text(detail))
    return 0


def cmd_findings_move(args: argparse.Namespace) -> int:
    """``findings ack|resolve``: as the signed-in person through the HTTP door, or with ``--admin-override`` on
    the database in ``--as-person``'s name (the history records the operating-system user and both reasons)."""
    from herald import findings
    from herald.boundary.models import FindingActionIn
    from herald.timeutil import now_utc

    body, now = parse_request(FindingActionIn, {"reason": args.reason}), now_utc()
    action = "acknowledgements" if args.findings_command == "ack" else "resolutions"
    move = findings.acknowledge if args.findings_command == "ack" else findings.resolve
    override = _override(args)

    def run(db, person_id: str) -> dict:
        reason = f"{body.reason}（管理员越权操作，理由：{override.reason}）"
        with db.transaction() as tx:
            return move(tx, args.finding_id, person_id=person_id, reason=reason, via="admin_override", now=now,
                        os_user=override.os_user)

    print(_finding_text(_act(args, method="POST", path=f"/findings/{args.finding_id}/{action}", request=body,
                             operation=f"herald findings {args.findings_command} {args.finding_id}", run=run)))
    return 0


_VIA_LABELS = {"api": "经Herald服务", "cli": "经命令行", "page": "经网页", "admin_override": "管理员越权", "scan": "巡检"}


def _when(value) -> str:
    from datetime import datetime

    from herald.timeutil import format_shanghai

    if isinstance(value, str):  # through the HTTP door: ISO 8601 text
        value = datetime.fromisoformat(value)
    return format_shanghai(value) if value else ""


def _finding_line(row: dict) -> str:
    from herald.cadence.labels import RULE_TITLES

    title = RULE_TITLES.get(row["rule_id"], "")
    return (f"{row['finding_id']}  {row['severity_label']}  {row['state_label']}  {title}（{row['rule_id']}）  "
            f"{row['period_label']}  {row['subject_label']}\n    {row['summary']}")


def _finding_text(detail: dict) -> str:
    from herald.cadence.labels import RULE_TITLES

    lines = [f"问题编号：{detail['finding_id']}",
             f"规则：{RULE_TITLES.get(detail['rule_id'], '')}（{detail['rule_id']}）",
             f"对象：{detail['subject_label']}", f"期间：{detail['period_label']}",
             f"严重程度：{detail['severity_label']}", f"状态：{detail['state_label']}",
             f"首次发现：{_when(detail['first_detected_at'])}；最近发现：{_when(detail['last_detected_at'])}",
             f"说明：{detail['summary']}", "处理记录："]
    for h in detail["history"]:
        who = f"{h['actor_name']}（{h['actor']}）" if h.get("actor_name") else h["actor"]
        via = _VIA_LABELS.get(h["via"], h["via"]) + (f"（操作系统用户 {h['os_user']}）" if h.get("os_user") else "")
        reason = f"：{h['reason']}" if h.get("reason") else ""
        lines.append(f"  {_when(h['occurred_at'])}  {who}  {via}  {h['from_label']}→{h['to_label']}{reason}")
    if not detail["history"]:
        lines.append("  （尚无处理记录）")
    return "\n".join(lines)


def _print_json(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _once(args: argparse.Namespace, actor: str, operation: str, request, run):
    """``run(db)`` once per ``--idempotency-key`` of this person (herald.idempotency); a repeat prints the first result."""
    from herald.idempotency import jsonable, once
    from herald.timeutil import now_utc

    answer = once(_db(args), key=args.idempotency_key, actor=actor, operation=operation, request=request,
                  run=lambda db: jsonable(run(db)), now=now_utc(), field="--idempotency-key")
    if answer.replayed:
        print(REPLAYED, file=sys.stderr)
    return answer.body


REPLAYED = "herald: 此幂等键的请求已执行过，以下为首次执行的结果（未重复执行）"
LOGIN_FIRST = "平时请先登录（python -m herald login），以本人身份操作"


def _override(args: argparse.Namespace, *, acts_as_someone: bool = True):
    """The checked ``--admin-override`` (an ``AdminOverride``), or None: the command goes through the HTTP door."""
    given = {"--override-reason": args.override_reason, "--as-person": args.as_person}
    if not args.admin_override:
        stray = [flag for flag, value in given.items() if value is not None]
        if stray:
            raise ValidationError([Violation(flag, "PUB-3", f"{flag} 只能与 --admin-override 一起使用；{LOGIN_FIRST}")
                                   for flag in stray])
        return None
    missing = [Violation("--override-reason", "PUB-3", "--admin-override 必须同时用 --override-reason 写明理由"
                                                       "（记入信息历史和问题清单）")] if args.override_reason is None else []
    if acts_as_someone and args.as_person is None:
        missing.append(Violation("--as-person", "PUB-3", "--admin-override 必须用 --as-person 指明以哪位在册人员的名义操作"))
    if missing:
        raise ValidationError(missing)
    import getpass

    from herald.boundary.cli import AdminOverrideIn
    from herald.posts.events import AdminOverride

    parsed = parse_request(AdminOverrideIn, {flag: value for flag, value in given.items() if value is not None})
    command = " ".join(part for part in ("herald", args.command, getattr(args, "post_command", None) or
                                         getattr(args, "dispatch_command", None), getattr(args, "post_id", None)) if part)
    return AdminOverride(os_user=getpass.getuser(), person_id=parsed.as_person or "", command=command,
                         reason=parsed.reason)


def _act(args: argparse.Namespace, *, method: str, path: str, request, operation: str, run):
    """One action on posts, by one of two ways that end in the same domain call.

    Normally the typed ``request`` goes to the HTTP door as the signed-in person (the door's route makes the call, in
    that person's name). With ``--admin-override``, ``run(db, person_id)`` makes it here, on the database, in
    ``--as-person``'s name, inside ``admin_override`` (herald.posts.events), which marks every post it touches.
    """
    override = _override(args)
    if override is None:
        from herald.client import Door
        from herald.idempotency import check_key

        key = check_key(args.idempotency_key, field="--idempotency-key") if args.idempotency_key is not None else None
        body = request.model_dump(mode="json", exclude_unset=True) if request is not None else None
        answer = Door.signed_in().call(method, path, body=body, idempotency_key=key)
        if answer.replayed:
            print(REPLAYED, file=sys.stderr)
        return answer.body
    from herald.posts.events import admin_override

    with admin_override(override):
        return _once(args, override.person_id, operation, request, lambda db: run(db, override.person_id))


def _in_own_name(claimed: str | None, person_id: str, field: str, rule: str, message: str) -> str:
    """The person acted as; a request naming someone else is refused (as the HTTP door refuses it)."""
    if claimed and claimed != person_id:
        raise ValidationError([Violation(field, rule, message)])
    return person_id


def cmd_post_queue(args: argparse.Namespace) -> int:
    from herald.dispatch.connections import safe_domains_from_env  # CON-7 link check, as the api-server does
    from herald.posts.queue import queue_post
    from herald.timeutil import now_utc

    parsed, now = parse_request(PostIn, read_request_file(args.file)), now_utc()

    def run(db, person_id: str) -> str:
        author = _in_own_name(parsed.author_id, person_id, "author_id", "PUB-3", "不能以他人名义提交信息")
        return queue_post(db, parsed.to_domain(author_id=author), now=now, safe_domains_for=safe_domains_from_env)

    answer = _act(args, method="POST", path="/posts", request=parsed, operation="herald post queue", run=run)
    print(answer["post_id"] if isinstance(answer, dict) else answer)
    return 0


def cmd_post_release(args: argparse.Namespace) -> int:
    from herald.dispatch.connections import safe_domains_from_env
    from herald.posts.queue import queue_release
    from herald.timeutil import now_utc

    parsed, now = parse_request(ReleaseIn, read_request_file(args.file)), now_utc()

    def run(db, person_id: str) -> dict:
        author = _in_own_name(parsed.base.author_id, person_id, "base.author_id", "PUB-3", "不能以他人名义提交信息")
        release_id, post_ids = queue_release(db, parsed.to_domain(author_id=author), now=now,
                                             safe_domains_for=safe_domains_from_env)
        return {"release_id": release_id, "post_ids": post_ids}

    _print_json(_act(args, method="POST", path="/releases", request=parsed, operation="herald post release", run=run))
    return 0


def cmd_post_decide(args: argparse.Namespace) -> int:
    from herald.posts.approval import decide
    from herald.timeutil import now_utc

    given = {"decision": args.decision, "content_hash": args.content_hash, "reason": args.reason}
    decision, now = parse_request(DecisionIn, {k: v for k, v in given.items() if v is not None}), now_utc()
    _print_json(_act(
        args, method="POST", path=f"/posts/{args.post_id}/decisions", request=decision,
        operation=f"herald post {args.post_command} {args.post_id}",
        run=lambda db, person_id: decide(db, post_id=args.post_id, approver_id=person_id, decision=decision.decision,
                                         content_hash=decision.content_hash, reason=decision.reason, via="cli", now=now)))
    return 0


def cmd_post_edit(args: argparse.Namespace) -> int:
    from herald.dispatch.connections import safe_domains_from_env
    from herald.posts.lifecycle import edit_post
    from herald.timeutil import now_utc

    parsed, now = parse_request(EditIn, read_request_file(args.file)), now_utc()
    _print_json(_act(
        args, method="PATCH", path=f"/posts/{args.post_id}", request=parsed,
        operation=f"herald post edit {args.post_id}",
        run=lambda db, person_id: edit_post(db, args.post_id, editor_id=person_id, changes=parsed.changes(), now=now,
                                            safe_domains_for=safe_domains_from_env)))
    return 0


def cmd_post_show(args: argparse.Namespace) -> int:
    if _override(args, acts_as_someone=False) is None:
        from herald.client import Door

        _print_json(Door.signed_in().call("GET", f"/posts/{args.post_id}").body)
        return 0
    from herald.posts.lifecycle import post_status

    _print_json(post_status(_db(args), args.post_id))  # reading changes nothing and signs nothing: not recorded
    return 0


def cmd_dispatch_confirm_manual(args: argparse.Namespace) -> int:
    from herald.dispatch.manual import confirm_manual
    from herald.timeutil import now_utc

    parsed, now = parse_request(ManualConfirmationIn, {"link": args.link}), now_utc()
    _print_json(_act(
        args, method="POST", path=f"/posts/{args.post_id}/manual-confirmation", request=parsed,
        operation=f"herald dispatch confirm-manual {args.post_id}",
        run=lambda db, person_id: confirm_manual(db, args.post_id, link=parsed.link, person_id=person_id, now=now)))
    return 0


def cmd_login(args: argparse.Namespace) -> int:
    import getpass

    from herald import client
    from herald.boundary.cli import LoginIn
    from herald.timeutil import now_utc

    if args.user is None and args.password_stdin:
        raise ValidationError([Violation("--user", "PUB-3", "用 --password-stdin 时须用 --user 给出登录名")])
    username = args.user if args.user is not None else input("Airflow 登录名: ")
    password = sys.stdin.read().rstrip("\r\n") if args.password_stdin else getpass.getpass("密码（不回显）: ")
    parsed = parse_request(LoginIn, {"--api": args.api or client.default_api(), "--user": username, "password": password})
    session = client.login(parsed.api, parsed.username, parsed.password, signed_in_at=now_utc().isoformat())
    path = client.save_session(session)
    print(f"已登录：{session.username} @ {session.api}（会话保存在 {path}，仅本人可读；退出：python -m herald logout）")
    return 0


def cmd_people_check(args: argparse.Namespace) -> int:
    import os

    from herald.boundary.people import PeopleCheckIn
    from herald.people import SERVICE_LOGINS, SIMPLE_AUTH_USERS_ENV, check_report, compare, users_from_simple_auth_manager

    users = args.users if args.users is not None else os.environ.get(SIMPLE_AUTH_USERS_ENV)
    if not users:
        raise ValidationError([Violation("--users", "PUB-3", f"未给出 Airflow 用户：用 --users 或设置 {SIMPLE_AUTH_USERS_ENV}")])
    parsed = parse_request(PeopleCheckIn, {"--users": users, "--service": args.service or list(SERVICE_LOGINS)})
    check = compare(_db(args).fetch("people/all"), users_from_simple_auth_manager(parsed.users), parsed.service)
    print("\n".join(check_report(check)))
    return 0 if check.ok else 1


def cmd_logout(args: argparse.Namespace) -> int:
    from herald import client

    print("已退出登录，会话已删除" if client.logout() else "当前没有登录的会话")
    return 0


def _identifier(what: str, pattern: str = ID_PATTERN, shape: str = "字母、数字和 ._:- ，最多 64 个字符"):
    """An argparse type for ids: refused with the field named, as the request models refuse them. Records with ids
    of their own shape (applications, complaints) pass their model's pattern and say what the id looks like."""
    import re

    def parse(value: str) -> str:
        if not re.match(pattern, value):
            raise argparse.ArgumentTypeError(f"{what}“{value[:40]}”格式不对（{shape}）")
        return value

    return parse


def _idempotency_key_option(parser: argparse.ArgumentParser) -> None:
    from herald.idempotency import KEY_HELP

    parser.add_argument("--idempotency-key", metavar="KEY", help=KEY_HELP)


OVERRIDE_HELP = (
    "身份: 以 python -m herald login 登录的本人身份经 Herald 服务执行；未登录时提示先登录。\n"
    "管理员越权: --admin-override --override-reason \"理由\" --as-person 人员编号 绕过服务直接操作数据库（--db 或 "
    "HERALD_DB_URL），以该人员名义执行；操作系统用户、命令和理由记入信息历史，并生成 PUB-3 问题供审计。")


def _door_options(parser: argparse.ArgumentParser, *, acts_as_someone: bool = True) -> None:
    """The options every command on posts shares: the idempotency key and the administrator's override."""
    if acts_as_someone:
        _idempotency_key_option(parser)
    group = parser.add_argument_group("管理员越权（直接操作数据库" + ("；记入信息历史和问题清单）" if acts_as_someone else "，只读）"))
    group.add_argument("--admin-override", action="store_true",
                       help="不经登录、直接在数据库上执行（仅限管理员；须同时给出理由" +
                            ("和 --as-person）" if acts_as_someone else "；只读，不记录）"))
    group.add_argument("--override-reason", metavar="理由", help="越权操作的理由（与 --admin-override 一起必填）")
    if acts_as_someone:
        group.add_argument("--as-person", metavar="人员编号", type=_identifier("人员编号"),
                           help="以哪位在册人员的名义操作（与 --admin-override 一起必填；记录为该人员并标明越权）")
    else:
        parser.set_defaults(as_person=None, idempotency_key=None)


def _fields_epilog(model, example: str) -> str:
    return f"请求文件（UTF-8 JSON 对象）的字段:\n{field_help(model)}\n\n示例: {example}"


def _finding_id(value: str) -> str:
    import re

    from herald.boundary.models import FINDING_ID_PATTERN

    if not re.match(FINDING_ID_PATTERN, value):
        raise argparse.ArgumentTypeError(f"问题编号“{value[:40]}”格式不对（F- 加 24 位十六进制，见 findings 列表）")
    return value


def _findings_parser(commands) -> None:
    """``findings`` (list), ``findings show|ack|resolve``."""
    findings = commands.add_parser(
        "findings", help="问题清单：列出、查看、确认（ack）和解决（resolve）", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="不带子命令时列出本人所在单位（账号的主办单位或主管部门）未关闭的问题（规则 ORG-2）。\n"
                    "确认（ack）表示已有人在处理：摘要中不再列出，巡检仍发现时保持“已确认”；\n"
                    "解决（resolve）表示已整改：巡检仍发现时会重新打开。每次处理都记入问题的处理记录。",
        epilog="示例:\n  python -m herald findings\n  python -m herald findings show F-0123456789abcdef01234567\n"
               "  python -m herald findings ack F-0123456789abcdef01234567 --reason \"已安排宣传部补发\"\n\n" + OVERRIDE_HELP)
    findings.add_argument("--state", choices=("open", "acknowledged", "unresolved", "resolved", "all"),
                          help="状态：open 待处理、acknowledged 已确认、unresolved 两者（默认）、resolved 已解决、all 全部")
    findings.add_argument("--all", action="store_true", help="同 --state all（含已解决）")
    findings.add_argument("--rule", metavar="规则", help="只看这条规则的问题，如 PUB-5")
    findings.add_argument("--limit", type=int, metavar="N", help="最多列出多少条（默认 500）")
    _door_options(findings, acts_as_someone=False)
    findings.set_defaults(func=cmd_findings)
    actions = findings.add_subparsers(dest="findings_command", required=False)
    show = actions.add_parser("show", help="一个问题的详情和处理记录", epilog=OVERRIDE_HELP,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    show.add_argument("finding_id", type=_finding_id, help="问题编号（F-开头，见 findings 列表或摘要）")
    _door_options(show, acts_as_someone=False)
    show.set_defaults(func=cmd_findings_show)
    for name, what in (("ack", "确认问题：已有人在处理（本人须属于该账号的主办单位或主管部门）"),
                       ("resolve", "标记问题已解决：已整改（巡检仍发现时会重新打开）")):
        action = actions.add_parser(name, help=what, description=what, epilog=OVERRIDE_HELP,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        action.add_argument("finding_id", type=_finding_id, help="问题编号（F-开头）")
        action.add_argument("--reason", required=True, metavar="理由",
                            help="理由（必填，记入处理记录）：确认时写明谁在处理、怎么处理；解决时写明如何整改")
        _door_options(action)
        action.set_defaults(func=cmd_findings_move)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="herald", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="Herald database URL (postgresql://... or sqlite:///path)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply pending schema migrations").set_defaults(func=cmd_migrate)
    commands.add_parser("check-registry", help="run the ACC-1/ACC-3 registry check now").set_defaults(
        func=cmd_check_registry
    )
    _findings_parser(commands)
    raw = argparse.RawDescriptionHelpFormatter
    post = commands.add_parser(
        "post", help="排期、审批、修改和查看定时发布的信息（以登录的本人身份）", formatter_class=raw,
        description="排期、审批、修改和查看定时发布的信息。先登录（python -m herald login），各命令经 Herald 服务以本人"
                    "身份执行。", epilog=OVERRIDE_HELP).add_subparsers(dest="post_command", required=True)
    queue = post.add_parser("queue", help="排期一条信息（JSON 请求文件，- 为标准输入）", formatter_class=raw,
                            allow_abbrev=False, description="排期一条信息，提交人为登录的本人。",
                            epilog=_fields_epilog(PostIn, "examples/requests/post.json") + "\n\n" + OVERRIDE_HELP)
    queue.add_argument("file", help="请求：UTF-8 JSON 文件，或 - 表示标准输入")
    _door_options(queue)
    queue.set_defaults(func=cmd_post_queue)
    release = post.add_parser("release", help="矩阵发布：{account_ids, base, variants}，一条信息发往多个账号",
                              formatter_class=raw, allow_abbrev=False, description="矩阵发布（PUB-7），提交人为登录的本人。",
                              epilog=_fields_epilog(ReleaseIn, "examples/requests/release.json") + "\n\nbase 与 "
                              "variants.<平台> 的字段:\n" + field_help(ReleaseBaseIn) + "\n\n" + OVERRIDE_HELP)
    release.add_argument("file", help="请求：UTF-8 JSON 文件，或 - 表示标准输入")
    _door_options(release)
    release.set_defaults(func=cmd_post_release)
    decided = DecisionIn.model_fields
    for name, verb in (("approve", "同意"), ("reject", "驳回")):
        decision = post.add_parser(name, help=f"{verb}信息审批链的当前一步（审批人为登录的本人）", formatter_class=raw,
                                   allow_abbrev=False, epilog=OVERRIDE_HELP,
                                   description=f"{verb}信息审批链的当前一步，审批人为登录的本人（PUB-2），"
                                               "依据 --content-hash 所指的内容版本。")
        decision.add_argument("post_id", type=_identifier("信息编号"), help="信息编号（post queue 输出的编号）")
        decision.add_argument("--content-hash", required=True, metavar="HASH", help=decided["content_hash"].description)
        decision.add_argument("--reason", help=decided["reason"].description)
        _door_options(decision)
        decision.set_defaults(func=cmd_post_decide, decision="approved" if name == "approve" else "rejected")
    edit = post.add_parser("edit", help="修改待发布的信息（JSON 写明要改的字段）；内容改动后原有审批作废",
                           formatter_class=raw, allow_abbrev=False, description="修改待发布的信息（只有提交人本人可改）。",
                           epilog=_fields_epilog(EditIn, "examples/requests/edit.json") + "\n\n" + OVERRIDE_HELP)
    edit.add_argument("post_id", type=_identifier("信息编号"), help="信息编号")
    edit.add_argument("file", help="要修改的字段：UTF-8 JSON 文件，或 - 表示标准输入")
    _door_options(edit)
    edit.set_defaults(func=cmd_post_edit)
    show = post.add_parser("show", help="一条信息的状态、审批链和历史（含 content_hash）", allow_abbrev=False,
                           description="显示一条信息的状态、审批链（每一步的角色和审批人）、审批记录和历史。")
    show.add_argument("post_id", type=_identifier("信息编号"), help="信息编号")
    _door_options(show, acts_as_someone=False)
    show.set_defaults(func=cmd_post_show)
    dispatch = commands.add_parser("dispatch", help="定时发布：人工发布渠道").add_subparsers(
        dest="dispatch_command", required=True)
    confirm = dispatch.add_parser(
        "confirm-manual", help="回填你在人工发布渠道手工发布的信息链接（仅限指定经办人本人）", formatter_class=raw,
        allow_abbrev=False, epilog=OVERRIDE_HELP,
        description="人工发布渠道的经办人手工发布后，回填已发布信息的链接，信息即备案为已发布（PUB-3、PUB-4）。")
    confirm.add_argument("post_id", type=_identifier("信息编号"), help="信息编号")
    confirm.add_argument("--link", required=True, metavar="URL", help=ManualConfirmationIn.model_fields["link"].description)
    _door_options(confirm)
    confirm.set_defaults(func=cmd_dispatch_confirm_manual)
    login = commands.add_parser(
        "login", help="登录 Herald 服务（Airflow api-server），之后的命令以本人身份执行", formatter_class=raw,
        allow_abbrev=False, description="用 Airflow 登录名和密码取得令牌，与服务地址一起保存在仅本人可读的会话文件"
                                        "（~/.herald/session.json，权限 0600；环境变量 HERALD_SESSION_FILE 可改）。",
        epilog="示例:\n  python -m herald login --user li.xinxi\n  "
               "printf '%s\\n' \"$PASSWORD\" | python -m herald login --user li.xinxi --password-stdin")
    login.add_argument("--api", metavar="URL", help="Airflow api-server 地址（默认取 AIRFLOW__API__BASE_URL，"
                                                    "未设置时为 http://127.0.0.1:8080）")
    login.add_argument("--user", metavar="LOGIN", help="Airflow 登录名（省略时提示输入）")
    login.add_argument("--password-stdin", action="store_true", help="从标准输入读密码（供脚本使用；否则提示输入且不回显）")
    login.set_defaults(func=cmd_login)
    commands.add_parser("logout", help="退出登录：删除会话文件", description="删除会话文件，之后须重新登录。"
                        ).set_defaults(func=cmd_logout)
    people = commands.add_parser("people", help="人员与 Airflow 用户（people.login 即 Airflow 登录名）").add_subparsers(
        dest="people_command", required=True)
    people_check = people.add_parser(
        "check", help="核对：未设登录名的人员、登录名在 Airflow 中不存在的人员、不对应人员的 Airflow 用户",
        description="Airflow 用户取自 SimpleAuthManager 的用户表（AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS，或 --users）。"
                    "退出码：0 全部对应；1 有不对应项（逐项列出）；2 输入有误。")
    people_check.add_argument("--users", metavar="LOGIN:ROLE,...", help="Airflow 用户（默认取环境变量）")
    people_check.add_argument("--service", metavar="LOGIN", action="append",
                              help="服务账号（不对应人员；可重复；默认 admin 与 herald-router）")
    people_check.set_defaults(func=cmd_people_check)
    from herald.audit.render_cli import add_pack_commands  # pack list|build|verify (the annual audit packs)

    add_pack_commands(commands)
    from herald.accounts.cli import add_account_commands  # account apply|import|template|show|list|approve|reject

    add_account_commands(commands, sys.modules[__name__])
    from herald.boundary.account_changes import add_commands as add_account_change_commands  # change, handover, delegation

    add_account_change_commands(commands, sys.modules[__name__])
    from herald.complaints.cli import add_complaint_commands  # complaint register|assign|answer|follow-up|list

    add_complaint_commands(commands, sys.modules[__name__])
    from herald.secrets_at_rest import add_token_commands  # tokens rotate-key (platform tokens encrypted at rest)

    add_token_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as exc:
        print("herald: 已拒绝 (refused):", file=sys.stderr)
        for violation in exc.violations:
            print(f"  - {violation}", file=sys.stderr)
        return 2
    except HeraldError as exc:
        print(f"herald: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the door's last line: a trace in the log under an id, never on the user's screen
        _log_to_file()
        error_id = record_incident(log, exc, f"herald {args.command}")
        print(f"herald: {incident_message(error_id)}（日志: {_error_log_path()}）", file=sys.stderr)
        return 1


def _error_log_path():
    import os
    from pathlib import Path

    folder = Path(os.environ.get("HERALD_LOG_DIR") or Path.home() / ".herald")
    return folder / "cli-errors.log"


def _log_to_file() -> None:
    path = _error_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.propagate = False


if __name__ == "__main__":
    sys.exit(main())
