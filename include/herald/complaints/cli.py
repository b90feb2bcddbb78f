"""``python -m herald complaint register|assign|answer|follow-up|list|show`` (SEC-4).

Like the commands on posts, each goes through Herald's HTTP door as the person signed in with ``python -m herald
login`` (``/herald/complaints...``); an administrator may instead act on the database with ``--admin-override
--override-reason "..." --as-person ID``: the same domain call runs in that person's name and the complaint's
history records the operating-system user. Arguments are parsed by the typed models of
``herald.boundary.complaints``, so a bad value is refused in Chinese with its field and rule before anything runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from herald.boundary.complaints import (
    CHANNELS,
    OUTCOMES,
    STATES,
    ComplaintAnswerIn,
    ComplaintAssignIn,
    ComplaintFollowUpIn,
    ComplaintIn,
    ComplaintsQueryIn,
)


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _print_complaint(detail: dict[str, Any]) -> None:
    lines = [f"投诉编号：{detail['complaint_id']}  状态：{detail['state_label']}",
             f"账号：{detail['account_name']}（{detail['platform_label']}，{detail['account_id']}）  "
             f"来源：{detail['channel_label']}  收到：{detail['received_shown']}",
             f"内容：{detail['content']}"]
    if detail.get("assignee_id"):
        lines.append(f"承办人：{detail.get('assignee_name') or ''}（{detail['assignee_id']}）")
    if detail.get("answer"):
        lines.append(f"答复：{detail['answer']}")
    if detail.get("follow_up_note"):
        lines.append(f"回访：{detail['outcome_label']}，{detail['follow_up_note']}")
    lines.append("时限：" + "；".join(
        f"{c['step_label']}{c['status_label']}" + (f"（应于{c['due_shown']}前）" if c["due_shown"] else "")
        for c in detail["clocks"]))
    for event in detail.get("history", ()):
        who = f"{event['actor_name']}（{event['actor']}）" if event.get("actor_name") else event["actor"]
        lines.append(f"  {event['occurred_shown']}  {who}  →{event['to_label']}")
    print("\n".join(lines))


def _act(args: argparse.Namespace, path: str, request, run) -> None:
    answer = args.cli._act(args, method="POST", path=path, request=request, operation=f"herald complaint {path}",
                      run=lambda db, person_id: _in_tx(db, person_id, run))
    _print_complaint(answer)


def _in_tx(db, person_id: str, run) -> dict[str, Any]:
    import getpass

    from herald.timeutil import now_utc

    with db.transaction() as tx:
        return run(tx, person_id, now_utc(), getpass.getuser())


def cmd_register(args: argparse.Namespace) -> int:
    from herald.boundary import parse_request
    from herald.complaints import register_complaint

    body = parse_request(ComplaintIn, _given(account_id=args.account, content=args.content, channel=args.channel,
                                             received_at=args.received_at, source_ref=args.source_ref,
                                             complainant=args.complainant, contact=args.contact))
    _act(args, "/complaints", body, lambda tx, person_id, now, os_user: register_complaint(
        tx, account_id=body.account_id, content=body.content, channel=body.channel, received_at=body.received_at,
        source_ref=body.source_ref, complainant=body.complainant, contact=body.contact, actor=person_id,
        via="admin_override", now=now, os_user=os_user))
    return 0


def _step(args: argparse.Namespace, model, given: dict[str, Any], route: str, step) -> int:
    """One step on a complaint (assign, answer, follow up): the arguments parsed by the step's model, POSTed to
    ``/complaints/{id}/{route}``, or with the override ``step(tx, complaint_id, <the model's fields>, ...)``. The
    models' fields are the domain functions' keywords, so each command only names its model, route and step."""
    from herald.boundary import parse_request

    body = parse_request(model, _given(**given))
    _act(args, f"/complaints/{args.complaint_id}/{route}", body,
         lambda tx, person_id, now, os_user: step(tx, args.complaint_id, **body.model_dump(), person_id=person_id,
                                                  via="admin_override", now=now, os_user=os_user))
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    from herald.complaints import assign_complaint

    return _step(args, ComplaintAssignIn, {"assignee_id": args.assignee, "note": args.note}, "assignment",
                 assign_complaint)


def cmd_answer(args: argparse.Namespace) -> int:
    from herald.complaints import answer_complaint

    return _step(args, ComplaintAnswerIn, {"answer": args.answer}, "answer", answer_complaint)


def cmd_follow_up(args: argparse.Namespace) -> int:
    from herald.complaints import follow_up_complaint

    return _step(args, ComplaintFollowUpIn, {"outcome": args.outcome, "note": args.note}, "follow-up",
                 follow_up_complaint)


def cmd_list(args: argparse.Namespace) -> int:
    from urllib.parse import urlencode

    from herald.boundary import parse_request
    from herald.timeutil import now_utc

    cli = args.cli
    query = parse_request(ComplaintsQueryIn, _given(state=args.state, account_id=args.account, limit=args.limit))
    if cli._override(args, acts_as_someone=False) is None:
        from herald.client import Door

        rows = Door.signed_in().call("GET", f"/complaints?{urlencode(query.model_dump(exclude_none=True))}").body[
            "complaints"]
    else:
        from herald.complaints import list_complaints

        with cli._db(args).transaction() as tx:  # reading changes nothing: not recorded
            rows = list_complaints(tx, person_id=None, now=now_utc(), states=query.states(),
                                   account_id=query.account_id, limit=query.limit)
    for row in rows:
        late = [c["step_label"] + c["status_label"] for c in row["clocks"] if c["status"] in ("late", "overdue")]
        print(f"{row['complaint_id']}  {row['state_label']}  {row['account_name']}（{row['platform_label']}）  "
              f"收到{row['received_shown']}  {row['content'][:30]}" + (f"  ⚠{'、'.join(late)}" if late else ""))
    print(f"共{len(rows)}条")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    cli = args.cli
    if cli._override(args, acts_as_someone=False) is None:
        from herald.client import Door

        _print_complaint(Door.signed_in().call("GET", f"/complaints/{args.complaint_id}").body)
        return 0
    from herald.complaints import complaint_detail

    with cli._db(args).transaction() as tx:
        _print_complaint(complaint_detail(tx, args.complaint_id))
    return 0


def add_complaint_commands(commands, cli) -> None:
    """``complaint register|assign|answer|follow-up|list|show`` under ``python -m herald``.

    ``cli`` is the command line's module (``herald.__main__``), passed in rather than imported (no import cycle); each
    command finds it again as ``args.cli`` for its door helpers (sign-in, the HTTP door or the override, printing).
    """
    from herald.boundary.complaints import COMPLAINT_ID_PATTERN

    complaint_id = cli._identifier("投诉编号", COMPLAINT_ID_PATTERN, "CPL- 加 12 位十六进制大写，见 complaint list")
    raw = argparse.RawDescriptionHelpFormatter
    complaint = commands.add_parser(
        "complaint", help="投诉（SEC-4）：登记、受理、答复、回访、列表、详情（以登录的本人身份）", formatter_class=raw,
        description="经账号收到的投诉：登记后受理（指定承办人）、答复（承办人本人）、回访，各环节按制度时限计时，"
                    "超时的环节由每日检查列为 SEC-4 问题。", epilog=cli.OVERRIDE_HELP
    ).add_subparsers(dest="complaint_command", required=True)
    register = complaint.add_parser("register", help="登记一条投诉", formatter_class=raw, allow_abbrev=False,
                                    epilog=cli.OVERRIDE_HELP)
    register.add_argument("--account", required=True, metavar="账号编号", help="收到投诉的账号编号")
    register.add_argument("--content", required=True, metavar="内容", help="投诉内容")
    register.add_argument("--channel", required=True, choices=CHANNELS, help="投诉来源")
    register.add_argument("--received-at", required=True, metavar="时间",
                          help="收到时间，ISO 8601 带时区（如 2026-05-01T09:00:00+08:00）")
    register.add_argument("--source-ref", metavar="编号", help="平台上评论或私信的编号（可选）")
    register.add_argument("--complainant", metavar="投诉人", help="投诉人（可选）")
    register.add_argument("--contact", metavar="联系方式", help="投诉人联系方式（可选）")
    cli._door_options(register)
    register.set_defaults(cli=cli, func=cmd_register)

    def step(name: str, summary: str, func) -> argparse.ArgumentParser:
        """A step on one complaint: named by its id, with the door's options; the caller adds the step's own."""
        parser = complaint.add_parser(name, help=summary, allow_abbrev=False, epilog=cli.OVERRIDE_HELP, formatter_class=raw)
        parser.add_argument("complaint_id", type=complaint_id, help="投诉编号（CPL-开头）")
        cli._door_options(parser)
        parser.set_defaults(cli=cli, func=func)
        return parser

    assign = step("assign", "受理：指定承办人（或改派）", cmd_assign)
    assign.add_argument("--assignee", required=True, metavar="人员编号", help="承办人编号")
    assign.add_argument("--note", metavar="说明", help="受理说明（可选）")
    step("answer", "答复（仅承办人本人）", cmd_answer).add_argument("--answer", required=True, metavar="答复", help="答复内容")
    follow = step("follow-up", "回访：记录结果", cmd_follow_up)
    follow.add_argument("--outcome", required=True, choices=OUTCOMES, help="回访结果")
    follow.add_argument("--note", required=True, metavar="记录", help="回访记录")

    listing = complaint.add_parser("list", help="本人所在单位账号收到的投诉", allow_abbrev=False)
    listing.add_argument("--state", choices=STATES + ("open", "all"), help="状态（默认 open：未回访完毕）")
    listing.add_argument("--account", metavar="账号编号", help="只看这个账号")
    listing.add_argument("--limit", type=int, metavar="N", help="最多列出多少条（默认 200）")
    cli._door_options(listing, acts_as_someone=False)
    listing.set_defaults(cli=cli, func=cmd_list)
    show = complaint.add_parser("show", help="一条投诉的详情、时限和处理记录", allow_abbrev=False)
    show.add_argument("complaint_id", type=complaint_id, help="投诉编号")
    cli._door_options(show, acts_as_someone=False)
    show.set_defaults(cli=cli, func=cmd_show)
