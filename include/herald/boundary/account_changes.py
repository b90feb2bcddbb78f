"""The typed door for changes, handovers (ACC-4, ACC-5) and delegated access (PUB-6), and their command line.

HTTP (``herald_airflow.api_account_changes``) and the CLI (``python -m herald change|handover|delegation ...``) parse
the same models; the person acting is the signed-in one (the CLI goes through the HTTP door, or with
``--admin-override`` acts on the database in ``--as-person``'s name, as the post commands do).
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from herald.boundary.models import MAX_SHORT_TEXT_CHARS, Identifier, Text, Time, _Door, _rule

ShortText = Annotated[Text, Field(min_length=1, max_length=MAX_SHORT_TEXT_CHARS)]


class ChangeIn(_Door):
    """A change of an account filed in writing now (``noted``: the competent department records an unfiled one)."""

    change_kind: Literal["account_name", "management_team", "maintenance_method"] = _rule(
        "ACC-4", "变更事项：account_name（账号名称）、management_team（管理团队）或 maintenance_method（维护方式）")
    new_value: ShortText = _rule("ACC-4", "变更后的内容")
    old_value: Annotated[Text, Field(max_length=MAX_SHORT_TEXT_CHARS)] | None = _rule(
        "ACC-4", "变更前的内容（账号名称可不填：取登记的名称）", default=None)
    effective_on: date = _rule("ACC-4", "变更生效日期（YYYY-MM-DD，北京时间）；备案期限从这天起按工作日计算")
    filing_ref: Annotated[Text, Field(max_length=200)] | None = _rule("ACC-4", "书面备案文号（可选）", default=None)
    noted: bool = _rule("ACC-4", "true：主管部门登记一项尚未备案的变更（之后由主办单位补备案）", default=False)


class FilingIn(_Door):
    """The written filing of a change noted before."""

    filing_ref: Annotated[Text, Field(max_length=200)] | None = _rule("ACC-4", "书面备案文号（可选）", default=None)


class HandoverIn(_Door):
    """A handover of an account's operator post, filed with the competent department's receipt (ACC-5)."""

    to_person_id: Identifier = _rule("ACC-5", "接收人（新运营人员）的人员编号")
    from_person_id: Identifier | None = _rule("ACC-5", "移交人（原运营人员）的人员编号；账号无运营人员时可不填", default=None)
    effective_on: date = _rule("ACC-5", "交接生效日期（YYYY-MM-DD）：新运营人员自这天起发布")
    receipt_ref: Annotated[Text, Field(min_length=1, max_length=200)] | None = _rule(
        "ACC-5", "主管部门的交接备案回执编号", default=None)
    receipt_by: Identifier | None = _rule("ACC-5", "签收备案的主管部门负责人的人员编号", default=None)
    receipt_on: date | None = _rule("ACC-5", "主管部门签收日期（YYYY-MM-DD）", default=None)


class DelegationIn(_Door):
    """A unit's application for time-boxed publishing rights on an account (PUB-6)."""

    unit_id: Identifier = _rule("PUB-6", "申请单位编号（申请人须属于该单位）")
    activity_kind: Literal["interactive", "live"] = _rule("PUB-6", "活动类型：interactive（网上互动）或 live（实时活动）")
    title: ShortText = _rule("PUB-6", "活动名称")
    window_start_at: Time = _rule("PUB-6", "授权开始时间，ISO 8601 带时区")
    window_end_at: Time = _rule("PUB-6", "授权结束时间，ISO 8601 带时区（到时自动收回）")
    people: Annotated[list[Identifier], Field(min_length=1, max_length=50)] = _rule("PUB-6", "获得授权的本单位人员编号")


class DelegationDecisionIn(_Door):
    decision: Literal["granted", "rejected"] = _rule("PUB-6", "granted（批准）或 rejected（不批准）")
    reason: Annotated[Text, Field(max_length=MAX_SHORT_TEXT_CHARS)] | None = _rule("PUB-6", "意见（可选）", default=None)


class RevocationIn(_Door):
    reason: ShortText = _rule("PUB-6", "提前收回授权的理由")


# --- command line ----------------------------------------------------------------------------------------------------

def _now():
    from herald.timeutil import now_utc

    return now_utc()


def _post_through_door(args: argparse.Namespace, model: type[_Door], given, *, path: str, operation: str, write) -> int:
    """Parse ``given`` into ``model``, then act as the signed-in person: POST ``path`` through the HTTP door, or with
    ``--admin-override`` run ``write(db, person_id, parsed, now)`` on the database; print the answer. Every command of
    this module is this one round trip with its own model, route and write."""
    from herald.boundary import parse_request

    cli = args.cli
    parsed, now = parse_request(model, given), _now()
    cli._print_json(cli._act(args, method="POST", path=path, request=parsed, operation=operation,
                             run=lambda db, person_id: write(db, person_id, parsed, now)))
    return 0


def cmd_change_file(args: argparse.Namespace) -> int:
    from herald.accounts import changes
    from herald.boundary import read_request_file

    def write(db, person_id: str, parsed: ChangeIn, now):
        common = dict(change_kind=parsed.change_kind, new_value=parsed.new_value, old_value=parsed.old_value,
                      effective_on=parsed.effective_on, now=now)
        if parsed.noted:
            return changes.note_change(db, args.account_id, noted_by=person_id, **common)
        return changes.file_change(db, args.account_id, filed_by=person_id, filing_ref=parsed.filing_ref, **common)

    return _post_through_door(args, ChangeIn, read_request_file(args.file), path=f"/accounts/{args.account_id}/changes",
                              operation=f"herald change file {args.account_id}", write=write)


def cmd_change_filing(args: argparse.Namespace) -> int:
    from herald.accounts import changes

    return _post_through_door(
        args, FilingIn, {"filing_ref": args.filing_ref} if args.filing_ref else {},
        path=f"/changes/{args.change_id}/filing", operation=f"herald change filing {args.change_id}",
        write=lambda db, person_id, parsed, now: changes.file_noted_change(db, args.change_id, filed_by=person_id,
                                                                           filing_ref=parsed.filing_ref, now=now))


def cmd_handover(args: argparse.Namespace) -> int:
    from herald.accounts import changes
    from herald.boundary import read_request_file

    return _post_through_door(
        args, HandoverIn, read_request_file(args.file),
        path=f"/accounts/{args.account_id}/handovers", operation=f"herald handover {args.account_id}",
        write=lambda db, person_id, parsed, now: changes.file_handover(db, args.account_id, filed_by=person_id, now=now,
                                                                       **parsed.model_dump()))


def cmd_delegation_apply(args: argparse.Namespace) -> int:
    from herald.accounts import delegations
    from herald.boundary import read_request_file

    return _post_through_door(
        args, DelegationIn, read_request_file(args.file),
        path=f"/accounts/{args.account_id}/delegations", operation=f"herald delegation apply {args.account_id}",
        write=lambda db, person_id, parsed, now: delegations.apply(db, args.account_id, applied_by=person_id, now=now,
                                                                   **parsed.model_dump()))


def cmd_delegation_decide(args: argparse.Namespace) -> int:
    from herald.accounts import delegations

    return _post_through_door(
        args, DelegationDecisionIn, {"decision": args.decision, **({"reason": args.reason} if args.reason else {})},
        path=f"/delegations/{args.delegation_id}/decisions",
        operation=f"herald delegation {args.decision} {args.delegation_id}",
        write=lambda db, person_id, parsed, now: delegations.decide(db, args.delegation_id, approver_id=person_id, now=now,
                                                                    decision=parsed.decision, reason=parsed.reason))


def cmd_delegation_revoke(args: argparse.Namespace) -> int:
    from herald.accounts import delegations

    return _post_through_door(
        args, RevocationIn, {"reason": args.reason},
        path=f"/delegations/{args.delegation_id}/revocation", operation=f"herald delegation revoke {args.delegation_id}",
        write=lambda db, person_id, parsed, now: delegations.revoke(db, args.delegation_id, revoked_by=person_id,
                                                                    reason=parsed.reason, now=now))


def cmd_delegation_post(args: argparse.Namespace) -> int:
    from herald.accounts import delegations
    from herald.boundary import PostIn, read_request_file
    from herald.dispatch.connections import safe_domains_from_env

    def write(db, person_id: str, parsed: PostIn, now):
        author = args.cli._in_own_name(parsed.author_id, person_id, "author_id", "PUB-3", "不能以他人名义提交信息")
        return {"post_id": delegations.queue_delegated_post(db, args.delegation_id, parsed.to_domain(author_id=author),
                                                            now=now, safe_domains_for=safe_domains_from_env)}

    return _post_through_door(args, PostIn, read_request_file(args.file), path=f"/delegations/{args.delegation_id}/posts",
                              operation=f"herald delegation post {args.delegation_id}", write=write)


def add_commands(commands, cli) -> None:
    """``change file|filing``, ``handover``, ``delegation apply|grant|reject|revoke|post``.

    ``cli`` is the command line's module (``herald.__main__``), passed in rather than imported (no import cycle): its
    door helpers sign in, act through the HTTP door or the administrator's override, and print, as for posts.
    """
    raw = argparse.RawDescriptionHelpFormatter
    ident = cli._identifier
    change = commands.add_parser("change", help="账号变更备案（ACC-4）：名称、管理团队、维护方式，5 个工作日内书面备案",
                                 formatter_class=raw).add_subparsers(dest="change_command", required=True)
    filed = change.add_parser("file", help="备案一项变更（JSON 请求文件）", formatter_class=raw,
                              epilog=cli._fields_epilog(ChangeIn, '{"change_kind": "account_name", "new_value": "华夏能源发布", '
                                                                  '"effective_on": "2026-05-06"}'))
    filed.add_argument("account_id", type=ident("账号编号"))
    filed.add_argument("file", help="请求文件路径，- 为标准输入")
    filing = change.add_parser("filing", help="为主管部门登记的未备案变更补交书面备案", formatter_class=raw)
    filing.add_argument("change_id", type=ident("变更编号"))
    filing.add_argument("--filing-ref", metavar="文号", help="书面备案文号（可选）")
    handover_example = ('{"to_person_id": "p0102", "from_person_id": "p0034", "effective_on": "2026-05-06", '
                        '"receipt_ref": "行政交〔2026〕3号", "receipt_by": "p0007", "receipt_on": "2026-05-06"}')
    handover = commands.add_parser("handover", help="运营人员交接备案（ACC-5）：交接后轮换账号的平台凭据", formatter_class=raw,
                                   epilog=cli._fields_epilog(HandoverIn, handover_example))
    handover.add_argument("account_id", type=ident("账号编号"))
    handover.add_argument("file", help="请求文件路径，- 为标准输入")
    delegation = commands.add_parser("delegation", help="活动授权（PUB-6）：单位申请、主管部门负责人批准、到期自动收回",
                                     formatter_class=raw).add_subparsers(dest="delegation_command", required=True)
    apply_example = ('{"unit_id": "u-sales", "activity_kind": "live", "title": "安全知识直播", '
                     '"window_start_at": "2026-05-06T10:00:00+08:00", "window_end_at": "2026-05-06T18:00:00+08:00", '
                     '"people": ["p0102"]}')
    apply_ = delegation.add_parser("apply", help="申请在微博账号上开展互动或实时活动（JSON 请求文件）", formatter_class=raw,
                                   epilog=cli._fields_epilog(DelegationIn, apply_example))
    apply_.add_argument("account_id", type=ident("账号编号"))
    apply_.add_argument("file", help="请求文件路径，- 为标准输入")
    parsers = [filed, filing, handover, apply_]
    for name, decision, what in (("grant", "granted", "批准"), ("reject", "rejected", "不批准")):
        decide = delegation.add_parser(name, help=f"{what}活动授权申请（主管部门负责人本人）")
        decide.add_argument("delegation_id", type=ident("授权编号"))
        decide.add_argument("--reason", metavar="意见")
        decide.set_defaults(func=cmd_delegation_decide, decision=decision)
        parsers.append(decide)
    revoke = delegation.add_parser("revoke", help="提前收回活动授权（未发布的授权期信息随之取消）")
    revoke.add_argument("delegation_id", type=ident("授权编号"))
    revoke.add_argument("--reason", required=True, metavar="理由")
    post = delegation.add_parser("post", help="在授权时段内以本人身份提交一条信息（与 post queue 的请求文件相同）")
    post.add_argument("delegation_id", type=ident("授权编号"))
    post.add_argument("file", help="请求文件路径，- 为标准输入")
    parsers += [revoke, post]
    for parser, func in ((filed, cmd_change_file), (filing, cmd_change_filing), (handover, cmd_handover),
                         (apply_, cmd_delegation_apply), (revoke, cmd_delegation_revoke), (post, cmd_delegation_post)):
        parser.set_defaults(func=func)
    for parser in parsers:
        cli._door_options(parser)
        parser.set_defaults(cli=cli)
