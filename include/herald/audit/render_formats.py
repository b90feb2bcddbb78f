"""The file formats of an audit pack: CSV, Excel, the HTML pages and the PDF, each identical to the byte for one pack.

What keeps them reproducible: rows in the pack's own (SQL) order, no wall-clock time anywhere (the pack's date
stands in: XlsxWriter's ``created``, the PDF's ``SOURCE_DATE_EPOCH`` for the font subsets and its metadata), one
fixed CJK font found through fontconfig, and sorted keys in every JSON.

The PDF needs a Chinese font: without one WeasyPrint prints boxes and raises nothing, so ``cjk_font_family`` asks
fontconfig first (``fc-list :lang=zh``) and ``FontMissing`` stops the build, saying what to install.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from herald.audit.model import STATUS_ZH, SUMMARY_ZH, Pack, Table
from herald.errors import HeraldError
from herald.policy.citation import people_citation
from herald.timeutil import SHANGHAI, format_shanghai, shanghai_midnight_utc

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Preferred families, best first; any other family fontconfig lists for Chinese is taken after these.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                "Source Han Sans SC", "Source Han Sans CN")
EXCEL_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header
PDF_SAMPLE_ROWS = 25  # the PDF carries summaries and exceptions; the full lists are in the workbook and the CSVs
PDF_MAX_COLUMNS = 8  # a table without a PDF view shows its first columns in the PDF (all of them elsewhere)
HTML_MAX_ROWS = 2_000  # a table page beyond this shows the first rows and points at the CSV / Excel files
FAILURE_TITLES = {"dataset": "数据集", "expectation": "检查项（期望）", "column": "字段", "critical": "关键",
                  "rows": "未通过的行", "unexpected_count": "未通过行数", "examples": "示例", "why": "原因",
                  "reason": "原因"}


class FontMissing(HeraldError):
    """No font with Chinese glyphs: the PDF would print boxes, so the pack is not built."""


def cjk_font_family() -> str:
    """The CJK font family the PDF and the charts use, as fontconfig names it; ``FontMissing`` when there is none."""
    return _cjk_font_family(os.environ.get("FONTCONFIG_FILE", ""), os.environ.get("FONTCONFIG_PATH", ""))


@lru_cache(maxsize=8)
def _cjk_font_family(_config_file: str, _config_path: str) -> str:  # cached per fontconfig setup
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=120,
                                check=False).stdout
    except FileNotFoundError as missing:
        raise FontMissing("找不到 fontconfig 的 fc-list 命令，无法确认中文字体：请安装 fontconfig 和 fonts-noto-cjk"
                          "（apt-get install fontconfig fonts-noto-cjk）后重试") from missing
    families = {name.strip() for line in listed.splitlines() for name in line.split(",") if name.strip()}
    for family in CJK_FAMILIES:
        if family in families:
            return family
    if families:
        return sorted(families)[0]
    raise FontMissing("未找到任何中文字体（fc-list :lang=zh 为空），PDF 将无法显示中文，审计包未生成：请安装 "
                      "fonts-noto-cjk 或 fonts-wqy-zenhei（apt-get install fonts-noto-cjk）后重试")


# --- values as people and machines read them ---------------------------------------------------------------------

def _as_text(value: Any, *, for_people: bool) -> str:
    """One cell as text; only booleans and instants read differently for people and for machines."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("是" if value else "否") if for_people else ("true" if value else "false")
    if isinstance(value, datetime):
        if not value.tzinfo:
            return value.isoformat(sep=" ") if for_people else value.isoformat()
        return format_shanghai(value) if for_people else value.astimezone(SHANGHAI).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def display(value: Any) -> str:
    """A cell as shown on a page: Shanghai time for instants, 是/否 for booleans, empty for nothing."""
    return _as_text(value, for_people=True)


def machine(value: Any) -> str:
    """A cell in a CSV: ISO 8601 with the Shanghai offset for instants, true/false, plain decimals."""
    return _as_text(value, for_people=False)


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return machine(value)


def json_bytes(value: Any) -> bytes:
    return (json.dumps(jsonable(value), ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


# --- CSV -----------------------------------------------------------------------------------------------------------

def table_csv(table: Table) -> bytes:
    """UTF-8 with a BOM (Excel then reads the Chinese right), CRLF rows (RFC 4180), quoted only where needed."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([column.key for column in table.columns])
    for row in table.rows:
        writer.writerow([machine(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def rows_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[machine(value) for value in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


# --- Excel ---------------------------------------------------------------------------------------------------------

def _sheet_names(pack: Pack) -> list[tuple[Table, str, int, int]]:
    """(table, sheet name, first row, last row) per sheet: a table past Excel's row limit continues on more sheets."""
    used: set[str] = {"说明"}
    sheets = []
    for table in pack.tables:
        base = "".join("_" if ch in "[]:*?/\\" else ch for ch in table.title).strip("'") or table.key
        chunks = range(0, max(table.row_count, 1), EXCEL_MAX_ROWS)
        for part, start in enumerate(chunks):
            suffix = f"（{part + 1}）" if len(chunks) > 1 else ""
            name = base[: 31 - len(suffix)] + suffix
            counter = 2
            while name.lower() in {u.lower() for u in used}:
                tail = f"~{counter}"
                name, counter = base[: 31 - len(tail)] + tail, counter + 1
            used.add(name)
            sheets.append((table, name, start, min(start + EXCEL_MAX_ROWS, table.row_count)))
    return sheets


def workbook(pack: Pack) -> bytes:
    """One sheet per table (after a cover sheet 说明 with the verdict, sources and tie-outs); typed cells."""
    import xlsxwriter

    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False, "remove_timezone": True})
    created = datetime.combine(pack.pack_date, time())
    book.set_properties({"title": pack.title, "subject": f"{pack.year} 年度审计包", "author": "Herald",
                         "company": "", "created": created, "comments": f"数据截止 {format_shanghai(pack.cutoff)}"})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True})
    formats = {"datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
               "date": book.add_format({"num_format": "yyyy-mm-dd"})}
    cover = book.add_worksheet("说明")
    cover.set_column(0, 0, 28)
    cover.set_column(1, 6, 22)
    lines: list[list[Any]] = [[pack.title], ["状态", STATUS_ZH[pack.status]], ["数据截止", format_shanghai(pack.cutoff)]]
    if pack.verdict is not None:
        lines.append(["检查结论", pack.verdict.label])
        lines += [["理由", f"{r.rule_id}（{people_citation(r.clause, pack.policy_id)}）", r.text] for r in pack.verdict.reasons]
    lines += [[SUMMARY_ZH.get(str(k), str(k)), display(v)] for k, v in pack.summary.items()]
    lines += [[], ["工作表", "来源（SQL 文件）", "参数", "行数", "控制总数"]]
    lines += [[t.title, t.source, display(t.params), t.row_count, display(t.control_totals)] for t in pack.tables]
    lines += [[], ["勾稽核对", "左", "右", "左值", "右值", "结果"]]
    lines += [[t.name, t.left, t.right, t.left_value, t.right_value, "一致" if t.ok else "不一致"]
              for t in pack.tieouts]
    for index, line in enumerate(lines):
        for col, value in enumerate(line):
            cover.write(index, col, value, bold if index == 0 or (line and line[0] in ("工作表", "勾稽核对")) else None)
    for table, name, start, stop in _sheet_names(pack):
        sheet = book.add_worksheet(name)
        for col, column in enumerate(table.columns):
            sheet.write_string(0, col, column.title, header)
            sheet.set_column(col, col, max(10, min(40, 2 * len(column.title) + 4)),
                             formats.get(column.kind))
        sheet.freeze_panes(1, 0)
        if table.columns:
            sheet.autofilter(0, 0, max(stop - start, 1), len(table.columns) - 1)
        for offset, row in enumerate(table.rows[start:stop], start=1):
            for col, (column, value) in enumerate(zip(table.columns, row, strict=True)):
                _cell(sheet, offset, col, column.kind, value, formats)
    book.close()
    return output.getvalue()


def _cell(sheet, row: int, col: int, kind: str, value: Any, formats: dict) -> None:
    if value is None:
        sheet.write_blank(row, col, None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, datetime):
        local = value.astimezone(SHANGHAI).replace(tzinfo=None) if value.tzinfo else value
        sheet.write_datetime(row, col, local, formats["datetime"])
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime.combine(value, time()), formats["date"])
    elif isinstance(value, int | float | Decimal) and kind in ("int", "decimal"):
        sheet.write_number(row, col, float(value))
    else:
        sheet.write_string(row, col, display(value))


# --- what of a table the PDF shows ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PdfView:
    """How one table appears in the PDF: a few columns and, for the long lists, only the rows that are exceptions.

    The PDF is the pack's summary and exceptions (WeasyPrint lays out every cell it is given: a page of a wide table
    costs about a second here); every row and column stays in the workbook, the CSV and the HTML pages.
    ``exception`` picks the rows listed (None: the table's first rows, e.g. a ranking or a register); ``uses`` names
    the columns it reads, so a view applies only to a table that has them all (else the generic view: first rows,
    first columns).
    """

    columns: tuple[str, ...]
    exception: Callable[[dict[str, Any]], bool] | None = None
    uses: tuple[str, ...] = ()
    what: str = ""  # Chinese: which rows are the exceptions, e.g. "未更新或未达标的周"


_ITEM_COLUMNS = ("item_id", "published_at", "origin_label", "approved_steps", "is_chain_complete", "screening",
                 "lateness_seconds", "is_archived")
PDF_VIEWS: dict[str, PdfView] = {
    "registration": PdfView(("label", "value", "is_required", "is_present")),
    "events": PdfView(("event_id", "kind", "occurred_at", "filed_at", "item", "actor", "detail")),
    "weekly": PdfView(("week", "monday_on", "counted_items", "judgement_label", "finding_id"),
                      lambda r: r["judgement"] in ("missed", "short"), ("judgement",), "未更新或未达标的周"),
    "findings": PdfView(("finding_id", "rule_id", "period", "summary", "state_label", "detected_at", "resolved_at")),
    "published_items": PdfView(_ITEM_COLUMNS,
                               lambda r: not r["is_chain_complete"] or not r["is_archived"] or bool(r["is_handoff_late"]),
                               ("is_handoff_late",), "审批链不完整（含平台上发现的信息）、未归档或人工发布逾期的信息"),
    "observed_items": PdfView(("item_id", "published_at", "platform_item_id", "platform_status", "published_by",
                               "is_archived")),
    "approvals": PdfView(("item_id", "step_no", "role", "approver", "decision", "via", "decided_at"),
                         lambda r: r["decision"] != "approved" or not r["is_for_published"], ("is_for_published",),
                         "驳回的、或不针对发布内容哈希的审批"),
    "accounts_ranked": PdfView(("rank", "account", "host_unit", "platform", "verdict_label", "items", "missed_weeks",
                                "findings"), lambda r: r["verdict"] == "fail", ("verdict",), "不合格（建议注销）的账号"),
    "pipeline_runs": PdfView(("ledger_id", "dag_id", "run_id", "task_id", "try_number", "status", "started_at"),
                             lambda r: r["status"] != "success", (), "未成功的任务运行"),
    "run_ledger": PdfView(("dag_id", "run_id", "match_label", "reason", "ledger_id"),
                          lambda r: r["match"] not in ("matched", "outside_airflow"), ("match",), "核对不一致或未核对的运行"),
    "finding_runs": PdfView(("finding_id", "rule_id", "first_detected_at", "has_run", "ledger_id", "dag_id", "run_id"),
                            lambda r: not r["has_run"], (), "找不到对应运行的检查发现"),
}


def pdf_table(table: Table, limit: int = PDF_SAMPLE_ROWS) -> dict[str, Any]:
    """What the PDF shows of ``table``: the columns, at most ``limit`` rows as text, column widths (percent, from the
    text lengths: the PDF lays tables out with fixed widths) and how many rows the listed kind has in the table."""
    keys = [c.key for c in table.columns]
    view = PDF_VIEWS.get(table.key)
    if view is not None and not set(view.columns) | set(view.uses) <= set(keys):
        view = None
    chosen = list(view.columns) if view else keys[:PDF_MAX_COLUMNS]
    at = [keys.index(k) for k in chosen]
    if view is not None and view.exception is not None:
        matching = [row for row in table.rows if view.exception(dict(zip(keys, row, strict=True)))]
    else:
        matching = list(table.rows)
    rows = [[display(row[i]) for i in at] for row in matching[:limit]]
    columns = [table.columns[i] for i in at]
    lengths = [max([len(c.title), *(len(r[n]) for r in rows)]) for n, c in enumerate(columns)]
    weights = [min(max(length, 4), 36) for length in lengths]
    widths = [round(100 * w / sum(weights), 1) for w in weights] if weights else []
    return {"columns": columns, "rows": rows, "widths": widths, "matching": len(matching),
            "exceptions": bool(view and view.exception), "what": view.what if view else "",
            "columns_cut": len(chosen) < len(keys)}


# --- HTML and PDF --------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["show"] = display
    env.filters["shanghai"] = format_shanghai
    env.filters["cite"] = people_citation
    return env


def render_template(name: str, **context: Any) -> bytes:
    return environment().get_template(name).render(**context).encode("utf-8")


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@contextmanager
def _source_date_epoch(pack: Pack) -> Iterator[None]:
    """Font subsets and document dates from the pack's date, not now (fontTools and WeasyPrint read the variable)."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(shanghai_midnight_utc(pack.pack_date).timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


@lru_cache(maxsize=1)
def _font_config():
    """One WeasyPrint font configuration per process (fontconfig set up once, not per PDF)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def pdf(html: bytes, pack: Pack) -> bytes:
    """The PDF from its HTML. It may embed only what the pack carries (data: URIs): nothing is fetched from a disk or
    a network, and a reference to anything else stops the build. Images are embedded as they are (no
    re-compression pass) and only the glyphs used are embedded (the default subset of the CJK font)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    with _source_date_epoch(pack):
        return HTML(string=html.decode("utf-8"), url_fetcher=fetcher).write_pdf(
            font_config=_font_config(), optimize_images=False, presentational_hints=False)
