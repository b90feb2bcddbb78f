"""The registration form as an Excel workbook (ACC-3): a blank template, and importing the forms units fill in.

The workbook keeps the form's own layout (公司新媒体建设备案登记表, 003 §5.1): label cells, each with its value in the
cell to its right (after the label's merged range); the supervising leader's row carries the leader's office phone
and mobile beside the name; the administrators are a small table under the header row 姓名 / 办公电话 / 手机号码 /
电子邮箱. Labels are found wherever they are on the sheet, so a unit that moved rows or merged cells differently
still imports. Herald adds three rows the paper form lacks: 上级账号编号 (a subordinate platform's parent, ORG-3),
相关部门 (000 §3.2) and the opinions, which the creation chain signs (left blank on import).

Units and people are written as people write them (names, with phones and email to tell namesakes apart) and are
matched to the organisation and the roster here. Every bad cell is named with its sheet and reference, the form's
field and the rule, in Chinese, all at once; on any bad cell nothing is stored (``import_form``).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from herald.errors import ValidationError, Violation

SHEET = "备案登记表"
TITLE = "公司新媒体建设备案登记表"
FORMAT_RULE = "格式"
# Simple fields: the label people read -> (request field, rule). The value sits right of the label.
FIELDS = {
    "创建单位": ("creating_unit_id", "ACC-3"),
    "创建时间": ("planned_opened_on", "ACC-3"),
    "新媒体平台": ("platform", "ORG-1"),
    "上级账号编号": ("parent_account_id", "ORG-3"),
    "账号名称": ("name", "ACC-3"),
    "账号ID": ("platform_account_id", "ACC-3"),
    "媒体链接地址或服务号": ("link", "ACC-3"),
    "是否认证": ("is_verified", "ACC-3"),
    "认证需要文件": ("verification_documents", "ACC-3"),
    "宗旨": ("purpose", "ACC-3"),
    "内容范围": ("content_scope", "ACC-3"),
    "主管领导": ("supervising_leader_id", "ACC-3"),
    "相关部门": ("related_unit_ids", "ACC-2"),
    "主办单位意见": ("host_unit_opinion", "ACC-2"),
    "主管部门意见": ("competent_opinion", "ACC-2"),
}
OPTIONAL_LABELS = ("上级账号编号", "相关部门", "主办单位意见", "主管部门意见")  # a unit's older copy may lack them
ADMIN_LABEL, ADMIN_COLUMNS = "管理员信息", ("姓名", "办公电话", "手机号码", "电子邮箱")
LEADER_PHONES = ("办公电话", "手机号码")
MAX_ADMIN_ROWS = 20
PLATFORM_WORDS = {
    "wechat": ("微信", "微信公众号", "官方微信", "公众号", "wechat"),
    "weibo": ("微博", "官方微博", "weibo"),
    "qq": ("qq", "qq工作群", "qq群"),
    "website": ("网站", "企业官方网站", "官方网站", "website"),
    "blog": ("博客", "blog"),
    "tieba": ("贴吧", "百度贴吧", "百度官方贴吧", "tieba"),
    "forum": ("论坛", "bbs", "论坛/bbs", "forum"),
    "mobile_newspaper": ("手机报", "mobile_newspaper"),
    "app": ("app", "app客户端", "客户端"),
    "network_video": ("网络视频", "network_video"),
    "mobile_tv": ("移动电视", "mobile_tv"),
}
PLATFORM_CHOICES = ("微信公众号", "微博", "QQ工作群", "企业官方网站", "博客", "百度贴吧", "论坛", "手机报", "APP客户端",
                    "网络视频", "移动电视")
YES, NO = ("是", "已认证", "true", "yes", "y", "1"), ("否", "未认证", "false", "no", "n", "0")

# The template's cells: label cell -> value cell (the merged ranges are in ``_MERGES``).
TEMPLATE_CELLS = {
    "创建单位": ("A3", "B3"), "创建时间": ("D3", "E3"),
    "新媒体平台": ("A4", "B4"), "上级账号编号": ("D4", "E4"),
    "账号名称": ("A5", "B5"), "账号ID": ("D5", "E5"),
    "媒体链接地址或服务号": ("A6", "B6"),
    "是否认证": ("A7", "B7"), "认证需要文件": ("D7", "E7"),
    "宗旨": ("A8", "B8"), "内容范围": ("A9", "B9"),
    "主管领导": ("A10", "B10"),
    "相关部门": ("A17", "B17"), "主办单位意见": ("A18", "B18"), "主管部门意见": ("A19", "B19"),
}
_MERGES = ("A1:F1", "A2:F2", "B3:C3", "E3:F3", "B4:C4", "E4:F4", "B5:C5", "E5:F5", "B6:F6", "B7:C7", "E7:F7", "B8:F8",
           "B9:F9", "A11:A16", "B17:F17", "B18:F18", "B19:F19", "A20:F20")
ADMIN_HEADER_ROW, ADMIN_FIRST_ROW, ADMIN_ROWS = 11, 12, 5
NOTE = ("填写说明：单位按组织机构名称填写（同名时写“公司/部门”）；主管领导、管理员按人员名册的姓名填写，并填手机号码或电子邮箱"
        "以便核对；新媒体平台、是否认证从下拉列表选择；创建时间写日期（如 2026-06-01）；上级账号编号仅下级平台填写；"
        "相关部门为需会签的部门，多个用“、”分隔。主办单位意见、主管部门意见由审批流程中的负责人在系统中签批，导入时请留空。")
REMARKS = ("备注：（1）此表一式两份，主管部门、主办单位各留一份备案；（2）账号名、管理队伍人员或维护方式发生变更，"
           "应在 5 个工作日内以书面形式报主管部门备案。")


# --- the blank template ---------------------------------------------------------------------------------------------


def template_workbook():
    """The blank form as an openpyxl ``Workbook`` (labels, merged value cells, drop-down lists, the note)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet["A1"] = TITLE
    sheet["A2"] = NOTE
    for label, (label_cell, _value_cell) in TEMPLATE_CELLS.items():
        sheet[label_cell] = label
    sheet["C10"], sheet["E10"] = LEADER_PHONES
    sheet.cell(ADMIN_HEADER_ROW, 1, ADMIN_LABEL)
    for offset, header in enumerate(ADMIN_COLUMNS):
        sheet.cell(ADMIN_HEADER_ROW, 2 + offset, header)
    sheet["A20"] = REMARKS
    for merged in _MERGES:
        sheet.merge_cells(merged)
    thin = Side(style="thin")
    for row in sheet.iter_rows(min_row=3, max_row=19, min_col=1, max_col=6):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    for label_cell, _value_cell in TEMPLATE_CELLS.values():
        sheet[label_cell].font = Font(bold=True)
    for cell in ("C10", "E10", "A11", "B11", "C11", "D11", "E11"):
        sheet[cell].font = Font(bold=True)
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet["A2"].alignment = sheet["A20"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 64
    sheet.row_dimensions[20].height = 36
    for column, width in zip("ABCDEF", (22, 16, 16, 16, 22, 16), strict=True):
        sheet.column_dimensions[column].width = width
    platforms = DataValidation(type="list", formula1='"' + ",".join(PLATFORM_CHOICES) + '"', allow_blank=True)
    verified = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    sheet.add_data_validation(platforms)
    sheet.add_data_validation(verified)
    platforms.add(TEMPLATE_CELLS["新媒体平台"][1])
    verified.add(TEMPLATE_CELLS["是否认证"][1])
    return book


def template_bytes() -> bytes:
    output = io.BytesIO()
    template_workbook().save(output)
    return output.getvalue()


def fill_template(values: Mapping[str, Any], administrators: list[Mapping[str, Any]] = (), *,
                  leader_phones: tuple[Any, Any] = (None, None)) -> bytes:
    """A filled form made by code (tests, the demo): ``values`` by label, ``administrators`` as dicts by column header."""
    book = template_workbook()
    sheet = book[SHEET]
    for label, value in values.items():
        sheet[TEMPLATE_CELLS[label][1]] = value
    sheet["D10"], sheet["F10"] = leader_phones
    for index, admin in enumerate(administrators):
        for offset, header in enumerate(ADMIN_COLUMNS):
            sheet.cell(ADMIN_FIRST_ROW + index, 2 + offset, admin.get(header))
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


# --- reading a filled form ------------------------------------------------------------------------------------------


@dataclass
class ParsedForm:
    """What a workbook says, before units and people are matched: raw values with the cell each came from."""

    values: dict[str, Any] = field(default_factory=dict)  # label -> value (None: blank)
    cells: dict[str, str] = field(default_factory=dict)  # label -> "备案登记表!B5"
    leader_phones: dict[str, Any] = field(default_factory=dict)
    administrators: list[dict[str, Any]] = field(default_factory=list)  # each with "_cell" (its name cell) and "_row"
    violations: list[Violation] = field(default_factory=list)


def _label_text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return re.sub(r"[\s:：*＊]", "", value) or None


def _plain(value: Any) -> Any:
    """A cell's value as the form means it: text stripped (blank is None), whole floats as integers."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _bad(where: str, label: str, rule: str, message: str) -> Violation:
    return Violation(f"{where}（{label}）", rule, message)


def read_form(data: bytes) -> ParsedForm:
    """The labelled values of the form's sheet; unreadable files and missing labels are violations of their own."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    form = ParsedForm()
    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # openpyxl raises zip, XML and key errors alike for a file that is no workbook
        form.violations.append(Violation("文件", FORMAT_RULE, "不是可读取的 Excel .xlsx 文件（请用模板填写后另存为 .xlsx）"))
        return form
    if SHEET not in book.sheetnames:
        form.violations.append(Violation("文件", FORMAT_RULE, f"找不到工作表“{SHEET}”（现有：{'、'.join(book.sheetnames)}）；"
                                                              "请使用备案登记表模板"))
        return form
    sheet = book[SHEET]
    merged_end = {}
    for merged in sheet.merged_cells.ranges:
        merged_end[(merged.min_row, merged.min_col)] = merged.max_col
    labels: dict[str, tuple[int, int]] = {}
    for row in sheet.iter_rows():
        for cell in row:
            text = _label_text(cell.value)
            if text in FIELDS or text == ADMIN_LABEL:
                labels.setdefault(text, (cell.row, cell.column))

    def ref(row: int, column: int) -> str:
        return f"{SHEET}!{get_column_letter(column)}{row}"

    def right_of(row: int, column: int) -> tuple[int, int]:
        return row, merged_end.get((row, column), column) + 1

    for label, (_field, _rule) in FIELDS.items():
        if label not in labels:
            if label not in OPTIONAL_LABELS:
                form.violations.append(Violation(SHEET, FORMAT_RULE, f"找不到标签“{label}”：请使用备案登记表模板，不要改动标签"))
            continue
        row, column = right_of(*labels[label])
        form.values[label] = _plain(sheet.cell(row, column).value)
        form.cells[label] = ref(row, column)
    if "主管领导" in labels:
        row = labels["主管领导"][0]
        for cell in sheet[row]:
            text = _label_text(cell.value)
            if text in LEADER_PHONES:
                value_row, value_column = right_of(cell.row, cell.column)
                form.leader_phones[text] = (_plain(sheet.cell(value_row, value_column).value), ref(value_row, value_column))
    if ADMIN_LABEL not in labels:
        form.violations.append(Violation(SHEET, FORMAT_RULE, f"找不到标签“{ADMIN_LABEL}”：请使用备案登记表模板，不要改动标签"))
        return form
    header_row, label_column = labels[ADMIN_LABEL]
    columns = {}
    for cell in sheet[header_row]:
        text = _label_text(cell.value)
        if text in ADMIN_COLUMNS and cell.column > label_column:
            columns[text] = cell.column
    missing = [h for h in ADMIN_COLUMNS if h not in columns]
    if missing:
        form.violations.append(Violation(ref(header_row, label_column), FORMAT_RULE,
                                         f"管理员信息表头缺少“{'、'.join(missing)}”：请使用备案登记表模板"))
        return form
    for row in range(header_row + 1, header_row + 1 + MAX_ADMIN_ROWS):
        first = _label_text(sheet.cell(row, label_column).value)
        if first in FIELDS:
            break  # the next labelled row: the table ended
        entry = {header: _plain(sheet.cell(row, column).value) for header, column in columns.items()}
        if all(value is None for value in entry.values()):
            continue
        entry["_cell"], entry["_row"] = ref(row, columns["姓名"]), row
        entry["_cells"] = {header: ref(row, column) for header, column in columns.items()}
        form.administrators.append(entry)
    return form


# --- matching to the organisation and the roster ---------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip() or None


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", _text(value) or "")


def parse_day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if text is None:
        return None
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if match is None:
        raise ValueError(text)
    return date(int(match[1]), int(match[2]), int(match[3]))


def _platform(value: Any) -> str | None:
    text = (_text(value) or "").lower().replace(" ", "")
    for code, words in PLATFORM_WORDS.items():
        if text in words:
            return code
    return None


@dataclass
class Roster:
    """Units and people to match names against (``sql/accounts/units``, ``sql/accounts/people``)."""

    units: list[dict[str, Any]]
    people: list[dict[str, Any]]

    def unit(self, text: str) -> tuple[str | None, str | None]:
        """(unit id, None) or (None, why not), for an id, a unique name, or "公司/部门"."""
        by_id = {u["unit_id"]: u for u in self.units}
        if text in by_id:
            return text, None
        parts = [p.strip() for p in re.split(r"[/／\\]", text) if p.strip()]
        if len(parts) == 2:
            parents = {u["unit_id"] for u in self.units if u["name"] == parts[0]}
            found = [u for u in self.units if u["name"] == parts[1] and u["parent_id"] in parents]
        else:
            found = [u for u in self.units if u["name"] == text]
        if len(found) == 1:
            return found[0]["unit_id"], None
        if not found:
            return None, f"组织机构中没有“{text}”"
        owners = "、".join(f"{by_id[u['parent_id']]['name'] if u['parent_id'] in by_id else ''}/{u['name']}" for u in found)
        return None, f"组织机构中有 {len(found)} 个“{text}”，请写成“公司/部门”（{owners}）"

    def person(self, name: str, *, mobile: Any = None, office_phone: Any = None, email: Any = None
               ) -> tuple[str | None, str | None]:
        """(person id, None) or (None, why not): by email first, else by name narrowed by the phones."""
        mail = (_text(email) or "").lower()
        if mail:
            by_mail = [p for p in self.people if (p["email"] or "").lower() == mail]
            if len(by_mail) == 1:
                if by_mail[0]["name"] != name:
                    return None, f"电子邮箱“{mail}”在人员名册中属于“{by_mail[0]['name']}”，与姓名“{name}”不符"
                return by_mail[0]["person_id"], None
        named = [p for p in self.people if p["name"] == name]
        for value, column in ((mobile, "mobile"), (office_phone, "office_phone")):
            digits = _digits(value)
            if digits and len(named) > 1:
                narrowed = [p for p in named if _digits(p[column]) == digits]
                named = narrowed or named
        if not named:
            return None, f"人员名册中没有“{name}”（在册人员方可登记）"
        if len(named) > 1:
            return None, f"人员名册中有 {len(named)} 位“{name}”，请填写手机号码或电子邮箱以便区分"
        person, digits = named[0], _digits(mobile)
        if digits and _digits(person["mobile"]) != digits:
            return None, f"手机号码与人员名册中“{name}”的不符（名册为 {person['mobile'] or '空'}），请核对"
        return person["person_id"], None


def form_to_request(form: ParsedForm, roster: Roster) -> tuple[dict[str, Any], dict[str, str], list[Violation]]:
    """The form as the door's request fields, the cell each field came from, and every bad cell."""
    from herald.boundary.accounts import AccountApplicationIn

    violations = list(form.violations)
    fields: dict[str, Any] = {}
    cells: dict[str, str] = {}
    values = form.values
    for label, (name, rule) in FIELDS.items():
        if label not in form.cells:
            continue
        cells[name] = form.cells[label]
        value, where = values.get(label), form.cells[label]
        if value is None:
            continue
        if name in ("host_unit_opinion", "competent_opinion"):
            violations.append(_bad(where, label, rule, f"“{label}”由审批流程中的负责人在系统中签批，导入时请留空"))
        elif name == "creating_unit_id":
            unit_id, why = roster.unit(_text(value))
            if why:
                violations.append(_bad(where, label, rule, why))
            fields[name] = unit_id or "?"
        elif name == "related_unit_ids":
            ids = []
            for part in [p.strip() for p in re.split(r"[、,，;；\n]", _text(value)) if p.strip()]:
                unit_id, why = roster.unit(part)
                if why:
                    violations.append(_bad(where, label, rule, why))
                else:
                    ids.append(unit_id)
            fields[name] = ids
        elif name == "planned_opened_on":
            try:
                fields[name] = parse_day(value).isoformat()
            except ValueError:
                violations.append(_bad(where, label, FORMAT_RULE, f"“{_text(value)[:40]}”不是日期（如 2026-06-01）"))
        elif name == "platform":
            code = _platform(value)
            if code is None:
                violations.append(_bad(where, label, rule, f"“{_text(value)[:40]}”不是可选的平台（{'、'.join(PLATFORM_CHOICES)}）"))
            else:
                fields[name] = code
        elif name == "is_verified":
            text = (_text(value) or "").lower()
            if value is True or text in YES:
                fields[name] = True
            elif value is False or text in NO:
                fields[name] = False
            else:
                violations.append(_bad(where, label, rule, f"“{text[:40]}”无效：请填“是”或“否”"))
        elif name == "supervising_leader_id":
            phones = {k: v[0] for k, v in form.leader_phones.items()}
            person_id, why = roster.person(_text(value), mobile=phones.get("手机号码"), office_phone=phones.get("办公电话"))
            if why:
                violations.append(_bad(where, label, rule, why))
            fields[name] = person_id or "?"
        else:
            fields[name] = _text(value)
    admin_ids = []
    for index, admin in enumerate(form.administrators):
        cells[f"administrator_ids[{index}]"] = admin["_cell"]
        if admin.get("姓名") is None:
            violations.append(_bad(admin["_cell"], "管理员姓名", "ACC-3", "管理员姓名未填写（同一行已填电话或邮箱）"))
            continue
        person_id, why = roster.person(_text(admin["姓名"]), mobile=admin.get("手机号码"), office_phone=admin.get("办公电话"),
                                       email=admin.get("电子邮箱"))
        if why:
            violations.append(_bad(admin["_cell"], "管理员", "ACC-3", why))
        admin_ids.append(person_id or "?")
    fields["administrator_ids"] = admin_ids
    cells["administrator_ids"] = f"{SHEET}!{ADMIN_LABEL}"
    if not violations:  # the door's own shape checks, named by cell too
        from herald.boundary import parse_request

        try:
            parse_request(AccountApplicationIn, {k: v for k, v in fields.items() if v is not None})
        except ValidationError as refused:
            violations += [on_cells(v, cells) for v in refused.violations]
    return fields, cells, violations


_LABEL_OF_FIELD = {name: label for label, (name, _rule) in FIELDS.items()}


def on_cells(violation: Violation, cells: Mapping[str, str]) -> Violation:
    """A violation named by request field, renamed by the cell the field came from (with the form's label)."""
    name = violation.field
    base = name.split("[")[0]
    where = cells.get(name) or cells.get(base)
    if where is None:
        return violation
    label = _LABEL_OF_FIELD.get(base, "管理员" if base == "administrator_ids" else base)
    return Violation(f"{where}（{label}）", violation.rule_id, violation.message)


def _blank_required(fields: Mapping[str, Any], cells: Mapping[str, str], roster: Roster,
                    found: list[Violation]) -> list[Violation]:
    """With other cells bad, the policy's required cells left blank too (ACC-3), so one pass names them all."""
    from herald.accounts.registration import FIELD_LABELS, ApplicationRequest, missing_fields
    from herald.posts.policies import default_policy_for

    unit = next((u for u in roster.units if u["unit_id"] == fields.get("creating_unit_id")), None)
    if unit is None:
        return []
    known = {k: v for k, v in fields.items() if k in ApplicationRequest.__dataclass_fields__ and v not in (None, "?")}
    request = ApplicationRequest.from_mapping({"platform": "", "name": "", "creating_unit_id": unit["unit_id"], **known})
    named = {v.field for v in found}
    out = []
    for name in missing_fields(request, default_policy_for(unit["policy_id"])):
        if name in ("platform", "name") and name in fields:
            continue  # given (a bad value was named above)
        violation = on_cells(Violation(name, "ACC-3", f"备案登记表必填项“{FIELD_LABELS.get(name, name)}”未填写"), cells)
        if violation.field not in named:
            out.append(violation)
    return out


def import_form(db, data: bytes, *, filename: str, applicant_id: str, now: datetime,
                apply: Callable[..., dict[str, Any]] | None = None) -> dict[str, Any]:
    """Import one filled form as an application (via ``import``): every bad cell refused at once, nothing stored."""
    from herald.accounts.registration import ApplicationRequest, Source, apply_for_account
    from herald.boundary import parse_request
    from herald.boundary.accounts import AccountApplicationIn

    with db.transaction() as tx:
        roster = Roster(tx.fetch("accounts/units"), tx.fetch("accounts/people"))
    fields, cells, violations = form_to_request(read_form(data), roster)
    if violations:
        raise ValidationError(violations + _blank_required(fields, cells, roster, violations))
    request: ApplicationRequest = parse_request(
        AccountApplicationIn, {k: v for k, v in fields.items() if v is not None}).to_domain()
    source = Source(filename, hashlib.sha256(data).hexdigest(), cells)
    try:
        return (apply or apply_for_account)(db, request, applicant_id=applicant_id, via="import", now=now, source=source)
    except ValidationError as refused:
        raise ValidationError([on_cells(v, cells) for v in refused.violations]) from None
