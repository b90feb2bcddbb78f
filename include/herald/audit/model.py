"""The shapes of an audit pack, shared by the builder, the data-quality gate and the renderers.

Everything here is plain data, ordered and free of wall-clock times: the same database and cutoff give equal
objects, so every format rendered from them is identical to the byte (the cutoff is the pack's date).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

ColumnKind = Literal["text", "int", "decimal", "date", "datetime", "bool"]
VerdictLevel = Literal["pass", "pass_with_remarks", "fail"]
VERDICT_ZH = {"pass": "合格", "pass_with_remarks": "基本合格（有整改意见）", "fail": "不合格（建议注销）"}
PackStatus = Literal["final", "draft"]
STATUS_ZH = {"final": "正式", "draft": "草稿（数据质量未通过）"}
# The headline figures of a pack's cover, as a reader reads them (the keys stay ASCII in pack.json).
SUMMARY_ZH = {
    "year": "审计年度", "cutoff": "数据截止", "account": "账号", "platform": "平台", "policy": "适用制度",
    "host_unit": "主办单位", "competent_department": "主管部门", "items": "已发布信息（条）",
    "observed_items": "平台上发现的未经 Herald 发布的信息（条）", "unapproved_items": "审批链不完整的信息（条）",
    "unarchived_items": "没有归档包的信息（条）", "missed_weeks": "未按周更新的周数", "findings": "问题（条）",
    "verdict": "年检结论", "may_be_rated_advanced": "可参评先进", "accounts": "受检账号（个）", "pass": "合格（个）",
    "pass_with_remarks": "基本合格（个）", "fail": "不合格（个）", "units_may_be_rated_advanced": "可参评先进的单位（个）",
    "previous_year": "上一年度", "run_ledger": "流水线运行核对（Herald 台账与 Airflow 运行历史）",
    "complaints": "客户投诉（件）", "late_complaints": "未在时限内处理的投诉（件）", "escalations": "评论监测上报（条）",
    "unsent_escalations": "未报送的评论上报（条）", "open_crises": "尚未处置完毕的舆情危机（起）",
}


@dataclass(frozen=True)
class Column:
    key: str  # ASCII, stable: the CSV header and the Excel column's key
    title: str  # Chinese, what a reader sees
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Table:
    """One table of a pack, with what an auditor needs to test it as information produced by the entity."""

    key: str  # ASCII file stem: e.g. "published_items" -> published_items.csv, sheet "已发布信息"
    title: str  # Chinese
    source: str  # the SQL file it came from, e.g. "sql/audit/published_items.sql"
    params: dict[str, Any]  # the parameters bound (year, cutoff, account ids ...), JSON-able
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]  # in a stable order (the SQL's ORDER BY)
    control_totals: dict[str, int | str] = field(default_factory=dict)  # e.g. {"rows": 120, "items": 118}
    note: str = ""  # Chinese: how to read it, what it ties out with
    # Drawn as an SVG chart by the renderer (herald.audit.render_charts): "" none; "week_calendar" the ISO weeks of
    # the year coloured by the weekly rule (columns "week" = ISO week number or "2026-W05", "items", and optional
    # "status" in ok/missed/exempt); "bar" a bar per row (first column the label, first int/decimal column the value).
    chart: str = ""

    @property
    def row_count(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Reason:
    rule_id: str
    text: str  # Chinese
    clause: str  # the policy's citation, e.g. "003 §3.1.2"


@dataclass(frozen=True)
class Verdict:
    level: VerdictLevel
    reasons: tuple[Reason, ...]
    may_be_rated_advanced: bool  # SEC-5: a unit with violations cannot be rated advanced

    @property
    def label(self) -> str:
        return VERDICT_ZH[self.level]


@dataclass(frozen=True)
class TieOut:
    """A control total that must agree across tables (e.g. published items = archive bundles)."""

    name: str  # Chinese
    left: str  # "published_items.rows"
    right: str  # "archive_bundles.rows"
    left_value: int
    right_value: int

    @property
    def ok(self) -> bool:
        return self.left_value == self.right_value


@dataclass(frozen=True)
class QualityResult:
    """The Great Expectations gate's outcome for the pack: critical failures make the pack a draft."""

    passed: bool
    results_json: str  # GX validation results (JSON text, stamped with the cutoff, not the run time)
    failures: tuple[dict[str, Any], ...] = ()  # Chinese report rows: dataset, expectation, rows that failed, why


@dataclass(frozen=True)
class Pack:
    """One account's pack (``account_id`` set) or the group's (``account_id`` None)."""

    year: int
    cutoff: datetime  # timezone-aware UTC; shown in Shanghai time
    account_id: str | None
    title: str  # Chinese, e.g. "华夏能源集团官方微博（acct-grp-weibo）2026 年度审计包"
    summary: dict[str, Any]  # headline figures for the cover page
    tables: tuple[Table, ...]
    tieouts: tuple[TieOut, ...]
    verdict: Verdict | None  # None for the group pack
    quality: QualityResult
    policy_id: str | None = None

    @property
    def status(self) -> PackStatus:
        return "final" if self.quality.passed and all(t.ok for t in self.tieouts) else "draft"

    @property
    def pack_date(self) -> date:
        """The date printed on the pack and used for every file time: the cutoff's Shanghai date."""
        from herald.timeutil import SHANGHAI

        return self.cutoff.astimezone(SHANGHAI).date()
