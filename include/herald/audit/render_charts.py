"""Charts of an audit pack as hand-written SVG: no plotting library, no script, the same bytes for the same table.

Two kinds, chosen by ``Table.chart``:

- ``week_calendar``: every ISO week of the audit year (52 or 53: ISO 2026 has a week 53) as a cell coloured by the
  weekly rule (PUB-5): met, missed, not applicable (before opening, suspended), or no row at all.
- ``bar``: one horizontal bar per row (publishing by month, verdicts by unit ...).

Text is drawn in the CJK font the PDF uses (``font_family``), so the charts read the same in the browser and in the PDF.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

from herald.audit.model import Table

CALENDAR_COLOURS = {"ok": "#81c784", "missed": "#e57373", "short": "#ffb74d", "exempt": "#e0e0e0",
                    "pending": "#fff59d", "none": "#ffffff"}
CALENDAR_LABELS = {"ok": "达标", "missed": "未更新（违规）", "short": "未达标，未判定", "exempt": "不判定",
                   "pending": "尚未结束", "none": "无数据"}
# The builder's week judgements (herald.audit.build, column "judgement") as calendar states.
JUDGEMENTS = {"met": "ok", "missed": "missed", "short": "short", "not_judged": "exempt", "not_yet": "pending"}
# Tables drawn without asking (``Table.chart`` empty), by key.
DEFAULT_CHARTS = {"weekly": "week_calendar", "publishing_by_week": "week_calendar", "publishing_by_month": "bar",
                  "publishing_by_platform": "bar", "publishing_by_category": "bar"}
CALENDAR_COLUMNS = 9  # 53 weeks -> 6 rows of 9: fits the PDF's width with readable cells


def iso_weeks_in(year: int) -> int:
    """52 or 53: 28 December always lies in the year's last ISO week."""
    return date(year, 12, 28).isocalendar().week


def _week_number(value: object, year: int) -> int | None:
    """The ISO week number of a row's ``week`` (a number, or a label such as "2026-W05"); None for a label of
    another ISO week-year, so a row of the previous year's last week never colours this year's cell of that number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    if "-W" in text:
        label_year, text = text.split("-W", 1)
        if label_year.isdigit() and int(label_year) != year:
            return None
    return int(text) if text.isdigit() else None


def _column(table: Table, key: str) -> int | None:
    for index, column in enumerate(table.columns):
        if column.key == key:
            return index
    return None


def week_states(table: Table, year: int) -> dict[int, tuple[str, int]]:
    """ISO week -> (state, items) from a ``week_calendar`` table; weeks without a row are "none"."""
    week_at = _column(table, "week")
    items_at = _column(table, "items") if _column(table, "items") is not None else _column(table, "counted_items")
    status_at = _column(table, "status") if _column(table, "status") is not None else _column(table, "judgement")
    if week_at is None or items_at is None:
        raise ValueError(f"table {table.key}: a week_calendar needs the columns 'week' and 'items'")
    states = {week: ("none", 0) for week in range(1, iso_weeks_in(year) + 1)}
    for row in table.rows:
        week = _week_number(row[week_at], year)
        if week not in states:
            continue
        items = int(row[items_at] or 0)
        status = str(row[status_at]) if status_at is not None and row[status_at] is not None else ""
        status = JUDGEMENTS.get(status, status)
        if status not in CALENDAR_COLOURS:
            status = "ok" if items > 0 else "missed"
        states[week] = (status, items)
    return states


def week_calendar_svg(table: Table, year: int, font_family: str) -> str:
    states = week_states(table, year)
    cell_w, cell_h, gap, top, left = 62, 40, 4, 34, 4
    rows = -(-len(states) // CALENDAR_COLUMNS)
    width = left * 2 + CALENDAR_COLUMNS * (cell_w + gap)
    legend_y = top + rows * (cell_h + gap) + 10
    height = legend_y + 24
    met = sum(1 for state, _ in states.values() if state == "ok")
    missed = sum(1 for state, _ in states.values() if state in ("missed", "short"))
    parts = [_svg_open(width, height, font_family),
             f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(table.title)}：'
             f'{year} 年共 {len(states)} 个 ISO 周，达标 {met} 周，未达标 {missed} 周</text>']
    for week, (state, items) in states.items():
        col, row = (week - 1) % CALENDAR_COLUMNS, (week - 1) // CALENDAR_COLUMNS
        x, y = left + col * (cell_w + gap), top + row * (cell_h + gap)
        parts.append(f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" rx="3" '
                     f'fill="{CALENDAR_COLOURS[state]}" stroke="#9e9e9e" stroke-width="0.5">'
                     f'<title>第 {week} 周：{CALENDAR_LABELS[state]}，{items} 条</title></rect>')
        parts.append(f'<text x="{x + 5}" y="{y + 16}" font-size="11">W{week:02d}</text>')
        parts.append(f'<text x="{x + cell_w - 5}" y="{y + 33}" font-size="12" text-anchor="end">{items} 条</text>')
    x = left
    shown = {state for state, _ in states.values()} | {"ok", "missed"}
    for state in [s for s in CALENDAR_COLOURS if s in shown]:
        parts.append(f'<rect x="{x}" y="{legend_y}" width="14" height="14" fill="{CALENDAR_COLOURS[state]}" '
                     f'stroke="#9e9e9e" stroke-width="0.5"/>')
        parts.append(f'<text x="{x + 18}" y="{legend_y + 12}" font-size="12">{CALENDAR_LABELS[state]}</text>')
        x += 30 + 13 * len(CALENDAR_LABELS[state])
    parts.append("</svg>\n")
    return "\n".join(parts)


def bar_svg(table: Table, font_family: str) -> str:
    value_at = next((i for i, c in enumerate(table.columns) if c.kind in ("int", "decimal")), None)
    if value_at is None or not table.columns:
        raise ValueError(f"table {table.key}: a bar chart needs an int or decimal column")
    label_at = next((i for i, c in enumerate(table.columns) if c.key.endswith("_label")), 0)
    bars = [(str(row[label_at]), float(row[value_at] or 0)) for row in table.rows]
    label_w, bar_w, bar_h, gap, top = 170, 380, 18, 6, 34
    width = label_w + bar_w + 80
    height = top + len(bars) * (bar_h + gap) + 8
    largest = max((value for _, value in bars), default=0) or 1
    parts = [_svg_open(width, height, font_family),
             f'<text x="4" y="20" font-size="14" font-weight="bold">{escape(table.title)}'
             f'（{escape(table.columns[value_at].title)}）</text>']
    for index, (label, value) in enumerate(bars):
        y = top + index * (bar_h + gap)
        length = round(bar_w * value / largest, 1)
        shown = _number(value)
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" font-size="12" text-anchor="end">{escape(label[:16])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{length}" height="{bar_h}" fill="#5c8fd6">'
                     f'<title>{escape(label)}：{shown}</title></rect>')
        parts.append(f'<text x="{label_w + length + 4}" y="{y + 13}" font-size="12">{shown}</text>')
    parts.append("</svg>\n")
    return "\n".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(Decimal(str(value)).normalize())


def _svg_open(width: int, height: int, font_family: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{escape(font_family)}, sans-serif" fill="#212121">')


def chart_svg(table: Table, year: int, font_family: str) -> str | None:
    """The chart a table asks for (``Table.chart``), or None."""
    kind = table.chart or DEFAULT_CHARTS.get(table.key, "")
    if kind == "week_calendar":
        return week_calendar_svg(table, year, font_family)
    if kind == "bar" and table.rows:  # an empty table draws no chart
        return bar_svg(table, font_family)
    return None
