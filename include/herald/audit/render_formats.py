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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from herald.audit.model import STATUS_ZH, SUMMARY_ZH, Pack, Table
from herald.errors import HeraldError
from herald.timeutil import SHANGHAI, format_shanghai, shanghai_midnight_utc

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Preferred families, best first; any other family fontconfig lists for Chinese is taken after these.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                "Source Han Sans SC", "Source Han Sans CN")
EXCEL_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header
PDF_SAMPLE_ROWS = 25  # the PDF carries summaries and exceptions; the full lists are in the workbook and the CSVs
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
        lines += [["理由", f"{r.rule_id}（{r.clause}）", r.text] for r in pack.verdict.reasons]
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


# --- HTML and PDF --------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["show"] = display
    env.filters["shanghai"] = format_shanghai
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


def pdf(html: bytes, pack: Pack) -> bytes:
    """The PDF from its HTML. It may embed only what the pack carries (data: URIs): nothing is fetched from a disk or
    a network, and a reference to anything else stops the build."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    with _source_date_epoch(pack):
        return HTML(string=html.decode("utf-8"), url_fetcher=fetcher).write_pdf()
