"""``python -m herald account apply|import|template|show|list|approve|reject``: account applications (ACC-1..ACC-3).

As the other commands that act: through Herald's HTTP door as the person signed in with ``python -m herald login``
(the applicant, or the approver of the current step), or with ``--admin-override --override-reason ... --as-person
ID`` directly on the database in that person's name. ``template`` writes the blank Excel form and needs neither.
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path
from typing import Any


def cmd_account_apply(args: argparse.Namespace) -> int:
    from herald.accounts.records import application_status
    from herald.accounts.registration import apply_for_account
    from herald.boundary import parse_request, read_request_file
    from herald.boundary.accounts import AccountApplicationIn
    from herald.timeutil import now_utc

    cli = args.door
    parsed, now = parse_request(AccountApplicationIn, read_request_file(args.file)), now_utc()

    def run(db, person_id: str) -> dict[str, Any]:
        filed = apply_for_account(db, parsed.to_domain(), applicant_id=person_id, via="cli", now=now)
        return application_status(db, filed["application_id"])

    cli._print_json(cli._act(args, method="POST", path="/accounts/applications", request=parsed,
                             operation="herald account apply", run=run))
    return 0


def _read_xlsx(path: str) -> bytes:
    from herald.boundary.accounts import MAX_IMPORT_BYTES
    from herald.errors import ValidationError, Violation

    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise ValidationError([Violation("file", "格式", f"文件过大（{size} 字节，最多 {MAX_IMPORT_BYTES} 字节）")])
        return file.read_bytes()
    except OSError as error:
        raise ValidationError([Violation("file", "格式", f"无法读取文件“{path}”：{error.strerror}")]) from None


def cmd_account_import(args: argparse.Namespace) -> int:
    from herald.accounts.excel import import_form
    from herald.accounts.records import application_status
    from herald.boundary import parse_request
    from herald.boundary.accounts import AccountImportIn
    from herald.timeutil import now_utc

    cli = args.door
    data, now = _read_xlsx(args.file), now_utc()
    parsed = parse_request(AccountImportIn, {"filename": Path(args.file).name,
                                             "content_base64": base64.b64encode(data).decode("ascii")})

    def run(db, person_id: str) -> dict[str, Any]:
        filed = import_form(db, parsed.content_base64, filename=parsed.filename, applicant_id=person_id, now=now)
        return application_status(db, filed["application_id"])

    cli._print_json(cli._act(args, method="POST", path="/accounts/applications/import",
                             request=_ImportBody(parsed), operation="herald account import", run=run))
    return 0


class _ImportBody:
    """The import request as the door takes it (the file's bytes as base64 text)."""

    def __init__(self, parsed):
        self.parsed = parsed

    def model_dump(self, **_: Any) -> dict[str, str]:
        return {"filename": self.parsed.filename, "content_base64": base64.b64encode(self.parsed.content_base64).decode("ascii")}


def cmd_account_template(args: argparse.Namespace) -> int:
    from herald.accounts.excel import template_bytes

    out = Path(args.out)
    out.write_bytes(template_bytes())
    print(f"空白备案登记表已写入 {out}")
    return 0


def cmd_account_show(args: argparse.Namespace) -> int:
    cli = args.door
    if cli._override(args, acts_as_someone=False) is None:
        from herald.client import Door

        cli._print_json(Door.signed_in().call("GET", f"/accounts/applications/{args.application_id}").body)
        return 0
    from herald.accounts.records import application_status

    cli._print_json(application_status(cli._db(args), args.application_id))
    return 0


def cmd_account_list(args: argparse.Namespace) -> int:
    from urllib.parse import urlencode

    from herald.boundary import parse_request
    from herald.boundary.accounts import ApplicationsQueryIn

    cli = args.door
    query = parse_request(ApplicationsQueryIn, {k: v for k, v in (("state", args.state), ("limit", args.limit)) if v is not None})
    if cli._override(args, acts_as_someone=False) is None:
        from herald.client import Door

        rows = Door.signed_in().call("GET", "/accounts/applications?" + urlencode(
            query.model_dump(exclude_none=True))).body["applications"]
    else:
        from herald.accounts.records import list_applications

        rows = list_applications(cli._db(args), state=query.state, limit=query.limit)
    for row in rows:
        step = row.get("current_step") or {}
        where = f"第{step['step_no']}步 {step['label']}（{step['unit_name']}）" if step else row["state_reason"] or ""
        print(f"{row['application_id']}  {row['state_label']:<6} {row['account_name']}（{row['platform_label']}）"
              f"  {row['applying_unit']['name']}  {row.get('submitted_at_shanghai', '')}  {where}")
    print(f"共 {len(rows)} 份", file=sys.stderr)
    return 0


def cmd_account_decide(args: argparse.Namespace) -> int:
    from herald.accounts.approval import decide
    from herald.boundary import parse_request
    from herald.boundary.accounts import AccountDecisionIn
    from herald.timeutil import now_utc

    cli = args.door
    given = {"decision": args.decision, "reason": args.reason, "step_no": args.step, "is_sealed": args.sealed}
    decision, now = parse_request(AccountDecisionIn, {k: v for k, v in given.items() if v is not None}), now_utc()
    cli._print_json(cli._act(
        args, method="POST", path=f"/accounts/applications/{args.application_id}/decisions", request=decision,
        operation=f"herald account {args.account_command} {args.application_id}",
        run=lambda db, person_id: decide(db, application_id=args.application_id, approver_id=person_id,
                                         decision=decision.decision, reason=decision.reason, step_no=decision.step_no,
                                         is_sealed=decision.is_sealed, via="cli", now=now)))
    return 0


def add_account_commands(commands, door) -> None:
    """``account ...`` under the top-level parser. ``door`` is the command line's own module (``herald.__main__``),
    whose helpers every acting command shares: ``_act`` (the HTTP door or the administrator's override),
    ``_override``, ``_db``, ``_print_json``, ``_door_options``, ``_fields_epilog`` and ``OVERRIDE_HELP``."""
    from herald.boundary.accounts import APPLICATION_ID_PATTERN, AccountApplicationIn, AccountDecisionIn

    door_options, fields_epilog, override_help = door._door_options, door._fields_epilog, door.OVERRIDE_HELP
    application_id = door._identifier("开通申请编号", APPLICATION_ID_PATTERN, "APP- 加 16 位十六进制，见 account list")
    raw = argparse.RawDescriptionHelpFormatter
    account = commands.add_parser(
        "account", help="账号开通申请：提交备案登记表（JSON 或 Excel）、查看、审批（以登录的本人身份）", formatter_class=raw,
        description="账号开通申请（ACC-1、ACC-2、ACC-3）：提交备案登记表，沿制度规定的开通审批链逐步审批，全部批准后账号开通。",
        epilog=override_help)
    account.set_defaults(door=door)
    account = account.add_subparsers(dest="account_command", required=True)
    apply = account.add_parser("apply", help="提交开通申请（备案登记表 JSON，- 为标准输入）", formatter_class=raw,
                               allow_abbrev=False, description="提交账号开通申请，申请人为登录的本人。",
                               epilog=fields_epilog(AccountApplicationIn, "examples/requests/account_application.json")
                               + "\n\n" + override_help)
    apply.add_argument("file", help="请求：UTF-8 JSON 文件，或 - 表示标准输入")
    door_options(apply)
    apply.set_defaults(func=cmd_account_apply)
    imported = account.add_parser("import", help="导入单位填好的 Excel 备案登记表（.xlsx）；任一单元格有误则不导入",
                                  formatter_class=raw, allow_abbrev=False, epilog=override_help,
                                  description="导入 Excel 备案登记表（account template 生成的模板），申请人为登录的本人。"
                                              "有误的单元格逐一列出（工作表!单元格、栏目、规则），全部改正前不保存任何内容。")
    imported.add_argument("file", help="Excel 文件（.xlsx）")
    door_options(imported)
    imported.set_defaults(func=cmd_account_import)
    template = account.add_parser("template", help="生成空白 Excel 备案登记表模板", allow_abbrev=False,
                                  description="写出空白的公司新媒体建设备案登记表（Excel），供各单位填写后导入。")
    template.add_argument("out", help="输出文件，如 备案登记表.xlsx")
    template.set_defaults(func=cmd_account_template)
    show = account.add_parser("show", help="一份开通申请：登记信息、审批链和历史", allow_abbrev=False)
    show.add_argument("application_id", type=application_id, help="开通申请编号（APP-开头）")
    door_options(show, acts_as_someone=False)
    show.set_defaults(func=cmd_account_show)
    listed = account.add_parser("list", help="开通申请列表（最新在前）", allow_abbrev=False)
    listed.add_argument("--state", choices=("pending", "approved", "rejected"), help="只看这一状态")
    listed.add_argument("--limit", type=int, metavar="N", help="最多列出多少条（默认 200）")
    door_options(listed, acts_as_someone=False)
    listed.set_defaults(func=cmd_account_list)
    decided = AccountDecisionIn.model_fields
    for name, verb in (("approve", "同意"), ("reject", "驳回")):
        decision = account.add_parser(name, help=f"{verb}开通申请的当前一步（审批人为登录的本人）", formatter_class=raw,
                                      allow_abbrev=False, epilog=override_help,
                                      description=f"{verb}开通申请审批链的当前一步；审批人须担任本步骤所需角色（ACC-2）。")
        decision.add_argument("application_id", type=application_id, help="开通申请编号（APP-开头）")
        decision.add_argument("--reason", help=decided["reason"].description)
        decision.add_argument("--step", type=int, metavar="N", help=decided["step_no"].description)
        decision.add_argument("--sealed", action="store_true", default=None, help=decided["is_sealed"].description)
        door_options(decision)
        decision.set_defaults(func=cmd_account_decide, decision="approved" if name == "approve" else "rejected")
