"""Write an audit pack as a BagIt bag (RFC 8493) and find, list and verify the packs written (ACC-6, SEC-5).

A pack lives at ``<root>/<year>/<cutoff as YYYYMMDDTHHMMSSZ>/<account id or "group">/``::

    bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
    data/index.html            the pack to browse (style.css, tables/<key>.html, charts/<key>.svg)
    data/<stem>.pdf            summaries and exceptions, in Chinese (needs a CJK font: FontMissing otherwise)
    data/<stem>.xlsx           one sheet per table (after the cover sheet 说明)
    data/csv/<key>.csv         every table in full
    data/quality/              the GX validation results (JSON) and, for a draft, the data-quality report
    data/pack.json             the pack's figures (what ``changes.md`` of a later version compares against)
    data/changes.md            what changed against the previous version of the same pack

The same pack gives the same bytes in every file: nothing carries the time of the run (the bag's date is the pack's
date). A pack is never overwritten: rendering into an existing folder with the same bytes is a no-op, with other
bytes a ``PackConflict``. The bag is assembled in a staging folder beside it and renamed into place, so a reader
never sees half a pack. The bag is written here rather than by the ``bagit`` package, whose ``make_bag`` stamps
today's date; ``bagit`` validates it (``verify_pack``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from herald.audit.model import STATUS_ZH, SUMMARY_ZH, VERDICT_ZH, Pack
from herald.audit.render_charts import chart_svg
from herald.audit.render_formats import (
    FAILURE_TITLES,
    HTML_MAX_ROWS,
    _sheet_names,
    cjk_font_family,
    data_uri,
    display,
    json_bytes,
    pdf,
    pdf_table,
    render_template,
    rows_csv,
    table_csv,
    workbook,
)
from herald.errors import HeraldError
from herald.timeutil import format_shanghai, shanghai_midnight_utc

if TYPE_CHECKING:
    from herald.audit.build import AuditWindow
    from herald.db import Database

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
GROUP = "group"


class PackConflict(HeraldError):
    """A pack folder exists with other bytes: packs are never overwritten (a later cutoff makes a new version)."""


def default_pack_root() -> Path:
    """``HERALD_PACK_ROOT`` if set, else ``<repo>/.demo/packs`` (the embedded demo), like the archive's root."""
    configured = os.environ.get("HERALD_PACK_ROOT")
    return Path(configured) if configured else Path(__file__).resolve().parents[3] / ".demo" / "packs"


def cutoff_stamp(cutoff: datetime) -> str:
    return cutoff.astimezone(UTC).strftime(STAMP_FORMAT)


def pack_folder(root: Path | str, pack: Pack) -> Path:
    return Path(root) / str(pack.year) / cutoff_stamp(pack.cutoff) / (pack.account_id or GROUP)


def file_stem(pack: Pack) -> str:
    return f"herald-audit-{pack.year}-{pack.account_id or GROUP}"


# --- what goes into data/ ------------------------------------------------------------------------------------------

def _failures(pack: Pack) -> dict[str, list]:
    """The GX failure rows as a table: known keys first with Chinese titles, then any others in first-seen order."""
    keys: list[str] = [k for k in FAILURE_TITLES if any(k in row for row in pack.quality.failures)]
    for row in pack.quality.failures:
        keys += [k for k in row if k not in keys]
    return {"keys": keys, "titles": [FAILURE_TITLES.get(k, k) for k in keys],
            "rows": [[display(row.get(k)) for k in keys] for row in pack.quality.failures]}


def pack_figures(pack: Pack) -> dict[str, Any]:
    """What ``data/pack.json`` holds: enough to list the pack and to say what changed in the next version."""
    verdict = None
    if pack.verdict is not None:
        verdict = {"level": pack.verdict.level, "label": pack.verdict.label,
                   "may_be_rated_advanced": pack.verdict.may_be_rated_advanced,
                   "reasons": [{"rule_id": r.rule_id, "clause": r.clause, "text": r.text} for r in pack.verdict.reasons]}
    return {
        "year": pack.year, "cutoff": pack.cutoff.astimezone(UTC).isoformat(), "account_id": pack.account_id,
        "title": pack.title, "status": pack.status, "quality_passed": pack.quality.passed,
        "quality_failures": len(pack.quality.failures), "policy_id": pack.policy_id, "verdict": verdict,
        "summary": pack.summary, "stem": file_stem(pack),
        "tables": [{"key": t.key, "title": t.title, "source": t.source, "params": t.params, "rows": t.row_count,
                    "control_totals": t.control_totals} for t in pack.tables],
        "tieouts": [{"name": t.name, "left": t.left, "right": t.right, "left_value": t.left_value,
                     "right_value": t.right_value, "ok": t.ok} for t in pack.tieouts],
    }


class Phases:
    """Seconds spent in each phase of rendering and writing packs, summed over the packs it is given to.

    ``with phases("pdf"): ...`` adds the block's time to ``seconds["pdf"]``; the benchmark prints them and the DAG's
    task logs them, so where the time goes is a figure, not a guess.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def add(self, other: Phases) -> None:
        for name, seconds in other.seconds.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.seconds.items())


def _untimed(_name: str) -> AbstractContextManager[None]:
    return nullcontext()


def quality_files(pack: Pack, common: dict[str, Any], failures: dict[str, list]) -> dict[str, bytes]:
    """``data/quality/``: GX's validation results (JSON) and, for a draft, the Chinese data-quality report."""
    files = {"quality/validation_results.json": pack.quality.results_json.encode("utf-8")}
    if pack.status == "draft":
        files["quality/report.html"] = render_template("quality.html", up="../", **common)
        if failures["rows"]:
            files["quality/failures.csv"] = rows_csv(failures["keys"], [
                [row.get(k) for k in failures["keys"]] for row in pack.quality.failures])
    return files


def render_payload(pack: Pack, previous: dict[str, Any] | None = None,
                   previous_label: str = "", phases: Phases | None = None) -> dict[str, bytes]:
    """Every file of ``data/`` (path relative to ``data/`` -> bytes). ``FontMissing`` without a CJK font.

    ``phases`` (optional) is told how long the charts, CSV, HTML, Excel and PDF took.
    """
    phase = phases or _untimed
    font = cjk_font_family()
    stem, files = file_stem(pack), {}
    status_label = STATUS_ZH[pack.status]
    failed_tieouts = [t for t in pack.tieouts if not t.ok]
    failures = _failures(pack)
    sheets = {table.key: name for table, name, _, _ in reversed(_sheet_names(pack))}
    charts, tables = [], []
    for table in pack.tables:
        with phase("charts"):
            svg = chart_svg(table, pack.year, font)
        chart_path = f"charts/{table.key}.svg" if svg else None
        if svg:
            files[chart_path] = svg.encode("utf-8")
            charts.append({"path": chart_path, "title": table.title, "uri": data_uri(svg)})
        with phase("csv"):
            files[f"csv/{table.key}.csv"] = table_csv(table)
        tables.append({"table": table, "page": f"tables/{table.key}.html", "csv": f"csv/{table.key}.csv",
                       "chart": chart_path, "sheet": sheets[table.key], "truncated": table.row_count > HTML_MAX_ROWS,
                       "params_text": display(table.params),
                       "tieouts": [t for t in pack.tieouts if _names(t.left, table.key) or _names(t.right, table.key)]})
    summary = [(SUMMARY_ZH.get(str(k), str(k)), v) for k, v in pack.summary.items()]
    downloads = [{"path": f"{stem}.pdf", "title": "PDF 报告（概要与例外事项）"},
                 {"path": f"{stem}.xlsx", "title": "Excel 工作簿（每张表一个工作表）"},
                 {"path": "quality/validation_results.json", "title": "数据质量检查结果（Great Expectations JSON）"},
                 {"path": "changes.md", "title": "与上一版本相比的变化"},
                 {"path": "pack.json", "title": "审计包数据摘要（JSON）"}]
    if pack.status == "draft":
        downloads.insert(2, {"path": "quality/report.html", "title": "数据质量报告（草稿原因）"})
    common = {"pack": pack, "status_label": status_label, "summary": summary, "tieouts": pack.tieouts,
              "failed_tieouts": failed_tieouts, "failures": failures, "font_family": font}
    with phase("data_docs"):  # GX's own Data Docs of the validation results, readable offline (herald.audit.data_docs)
        from herald.audit.data_docs import INDEX, data_docs

        docs = data_docs(pack)
    files.update(docs)
    common["docs_index"] = INDEX if docs else None
    with phase("html"):
        files["style.css"] = render_template("style.css", font_family=font)
        files["index.html"] = render_template("index.html", up="", tables=tables, charts=charts, downloads=downloads,
                                              **common)
        for t in tables:
            files[t["page"]] = render_template("table.html", up="../", t=t, rows=t["table"].rows[:HTML_MAX_ROWS],
                                               **common)
        files.update(quality_files(pack, common, failures))
    with phase("excel"):
        files[f"{stem}.xlsx"] = workbook(pack)
    with phase("pdf"):
        for t in tables:
            t["pdf"] = pdf_table(t["table"])
        running_title = "".join(ch for ch in f"{pack.title} · {status_label}" if ch not in '"\\\n<>')
        html = render_template("pdf.html", tables=tables, charts=charts, running_title=running_title,
                               css=files["style.css"].decode("utf-8"),
                               pack_date_iso=shanghai_midnight_utc(pack.pack_date).strftime("%Y-%m-%dT%H:%M:%SZ"),
                               **common)
        files[f"{stem}.pdf"] = pdf(html, pack)
    figures = pack_figures(pack)
    files["pack.json"] = json_bytes(figures)
    files["changes.md"] = changes_markdown(figures, previous, previous_label).encode("utf-8")
    return files


def _names(side: str, key: str) -> bool:
    return side == key or side.startswith(key + ".")


# --- what changed --------------------------------------------------------------------------------------------------

def changes_markdown(current: dict[str, Any], previous: dict[str, Any] | None, previous_label: str = "") -> str:
    """A short Chinese list of what changed against the previous version of the same pack (same year and account)."""
    cutoff = format_shanghai(datetime.fromisoformat(current["cutoff"]))
    if previous is None:
        return f"# 版本说明\n\n本版本数据截止 {cutoff}，是本审计包的第一个版本，没有更早的版本可比较。\n"
    lines = ["# 与上一版本相比的变化\n", f"本版本数据截止 {cutoff}；上一版本数据截止 "
             f"{format_shanghai(datetime.fromisoformat(previous['cutoff']))}（{previous_label}）。\n"]
    changes: list[str] = []
    if previous["status"] != current["status"]:
        changes.append(f"状态：{STATUS_ZH[previous['status']]} → {STATUS_ZH[current['status']]}")
    old_verdict, new_verdict = previous.get("verdict") or {}, current.get("verdict") or {}
    if old_verdict.get("level") != new_verdict.get("level"):
        changes.append(f"检查结论：{VERDICT_ZH.get(old_verdict.get('level'), '无')} → "
                       f"{VERDICT_ZH.get(new_verdict.get('level'), '无')}")
    reason = "{rule_id}（{clause}）：{text}".format_map
    old_reasons = [reason(r) for r in old_verdict.get("reasons", [])]
    new_reasons = [reason(r) for r in new_verdict.get("reasons", [])]
    changes += [f"新增理由：{r}" for r in new_reasons if r not in old_reasons]
    changes += [f"不再适用的理由：{r}" for r in old_reasons if r not in new_reasons]
    old_tables = {t["key"]: t for t in previous.get("tables", [])}
    new_tables = {t["key"]: t for t in current.get("tables", [])}
    for key, table in new_tables.items():
        old = old_tables.get(key)
        if old is None:
            changes.append(f"新增表「{table['title']}」（{table['rows']} 行）")
            continue
        parts = [f"行数 {old['rows']} → {table['rows']}"] if old["rows"] != table["rows"] else []
        for total in sorted(set(old["control_totals"]) | set(table["control_totals"])):
            before, after = old["control_totals"].get(total, "—"), table["control_totals"].get(total, "—")
            if before != after:
                parts.append(f"控制总数 {total} {before} → {after}")
        if parts:
            changes.append(f"表「{table['title']}」：" + "；".join(parts))
    changes += [f"删除表「{t['title']}」" for key, t in old_tables.items() if key not in new_tables]
    old_ties = {t["name"]: t for t in previous.get("tieouts", [])}
    for tie in current.get("tieouts", []):
        before = old_ties.get(tie["name"])
        if before is not None and before["ok"] != tie["ok"]:
            changes.append(f"勾稽核对「{tie['name']}」：{'一致' if before['ok'] else '不一致'} → "
                           f"{'一致' if tie['ok'] else '不一致'}（{tie['left_value']} 对 {tie['right_value']}）")
    if previous.get("quality_failures") != current.get("quality_failures"):
        changes.append(f"未通过的数据质量检查：{previous.get('quality_failures', 0)} 项 → "
                       f"{current.get('quality_failures', 0)} 项")
    lines += [f"- {change}" for change in changes] or ["- 没有变化：各表行数、控制总数、勾稽核对和检查结论都与上一版本相同。"]
    return "\n".join(lines) + "\n"


def previous_version(root: Path | str, pack: Pack) -> tuple[dict[str, Any], str] | None:
    """The figures of the latest earlier-cutoff version of the same pack under ``root``, and where it is."""
    import json

    year_folder, stamp, subject = Path(root) / str(pack.year), cutoff_stamp(pack.cutoff), pack.account_id or GROUP
    if not year_folder.is_dir():
        return None
    earlier = sorted(p.name for p in year_folder.iterdir() if p.name < stamp and not p.name.startswith(".")
                     and (p / subject / "data" / "pack.json").is_file())
    if not earlier:
        return None
    path = year_folder / earlier[-1] / subject / "data" / "pack.json"
    return json.loads(path.read_text(encoding="utf-8")), f"{pack.year}/{earlier[-1]}/{subject}"


# --- the bag -------------------------------------------------------------------------------------------------------

def _manifest(files: dict[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(files[p]).hexdigest()}  {p}\n" for p in sorted(files)).encode("utf-8")


def bag_files(pack: Pack, payload: dict[str, bytes]) -> dict[str, bytes]:
    """The whole bag: ``data/...`` plus the tag files, with the pack's date as the bag's date."""
    files = {f"data/{path}": content for path, content in payload.items()}
    info = [("Bag-Software-Agent", "Herald audit pack renderer"),
            ("Bagging-Date", pack.pack_date.isoformat()),
            ("External-Identifier", f"herald-audit-pack/{pack.year}/{cutoff_stamp(pack.cutoff)}/{pack.account_id or GROUP}"),
            ("External-Description", pack.title.replace("\n", " ")),
            ("Payload-Oxum", f"{sum(len(c) for c in payload.values())}.{len(payload)}"),
            ("Herald-Year", str(pack.year)),
            ("Herald-Account", pack.account_id or GROUP),
            ("Herald-Cutoff", pack.cutoff.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("Herald-Status", pack.status),
            ("Herald-Quality", "passed" if pack.quality.passed else "failed"),
            ("Herald-Verdict", pack.verdict.level if pack.verdict else "none")]
    files["bagit.txt"] = BAGIT_TXT
    files["bag-info.txt"] = "".join(f"{k}: {v}\n" for k, v in info).encode("utf-8")
    files["manifest-sha256.txt"] = _manifest({p: c for p, c in files.items() if p.startswith("data/")})
    files["tagmanifest-sha256.txt"] = _manifest({p: files[p] for p in TAG_FILES})
    return files


def _existing(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write_pack(pack: Pack, root: Path | str, phases: Phases | None = None) -> Path:
    """Write ``pack`` under ``root`` as a BagIt bag and return its folder (see the module's docstring).

    Same bytes already there: a no-op. Other bytes there: ``PackConflict``, nothing touched. ``phases`` (optional)
    is told the time of each rendering phase and of the bag (hashing and writing the files).
    """
    root = Path(root)
    folder = pack_folder(root, pack)
    found = previous_version(root, pack)
    payload = render_payload(pack, *(found or (None, "")), phases=phases)
    with (phases or _untimed)("bag"):
        return _write_bag(folder, bag_files(pack, payload), pack)


# Accounts per mapped task of herald_audit_pack. A task process pays its imports once (Great Expectations alone
# takes 6-17 s here) and then ~1-2 s a pack (gate, PDF, workbook): one task per account would spend more time
# importing than building on two cores (1,000 x 6-17 s), while runs of 40 keep 1,000 accounts at 25 tasks, enough to
# keep LocalExecutor's four slots busy (tests/benchmarks/bench_pack.py measures it).
PACKS_PER_TASK = 40


def account_batches(account_ids: Sequence[str], size: int = PACKS_PER_TASK) -> list[list[str]]:
    """The accounts in runs of at most ``size``, in order (each run is one mapped task's share)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    ids = list(account_ids)
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def write_account_packs(db: Database, account_ids: Sequence[str], window: AuditWindow, root: Path | str,
                        phases: Phases | None = None) -> list[Path]:
    """Build, gate and write each named account's pack in turn (what one mapped task does); the folders written.

    Each pack is complete on disk before the next is built, so a task that fails part-way leaves whole packs only,
    and its retry re-writes the same bytes as no-ops before carrying on.
    """
    from herald.audit.build import build_account_pack, with_quality

    phase = phases or _untimed
    written = []
    for account_id in account_ids:
        with phase("build"):
            pack = build_account_pack(db, account_id, window, gate=False)
        with phase("gate"):
            pack = with_quality(pack)
        written.append(write_pack(pack, root, phases))
    return written


def _write_bag(folder: Path, files: dict[str, bytes], pack: Pack) -> Path:
    if folder.exists():
        existing = _existing(folder)
        if existing == files:
            return folder
        differing = sorted(p for p in set(existing) | set(files) if existing.get(p) != files.get(p))
        raise PackConflict(f"审计包 {folder} 已存在且内容不同（{len(differing)} 个文件不同，如 {', '.join(differing[:3])}）："
                           "审计包不会被覆盖，请以更晚的数据截止时间生成新版本")
    staging = folder.parent / f".staging-{folder.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    stamp = shanghai_midnight_utc(pack.pack_date).timestamp()
    try:
        for path, content in files.items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            os.utime(target, (stamp, stamp))
        os.rename(staging, folder)  # atomic; fails if another writer got there first with a non-empty folder
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if folder.exists() and _existing(folder) == files:
            return folder
        raise
    return folder


# --- reading packs back --------------------------------------------------------------------------------------------

def verify_pack(folder: Path | str) -> list[str]:
    """What is wrong with a pack on disk, in Chinese: files changed, missing or added, a broken bag; [] when intact.

    The ``bagit`` package (the Library of Congress's reference implementation) does the checking.
    """
    import bagit

    folder = Path(folder)
    if not (folder / "bagit.txt").is_file():
        return [f"{folder} 不是审计包（缺少 bagit.txt）"]
    try:
        bag = bagit.Bag(str(folder))
        bag.validate(processes=1)
    except bagit.BagValidationError as invalid:
        details = list(invalid.details or [])
        if not details:  # the quick size check (Payload-Oxum) failed first: ask for the file-by-file answer
            for check in (bag._validate_completeness, lambda: bag._validate_entries(1)):  # bagit 1.9's own steps
                try:
                    check()
                except bagit.BagValidationError as found:
                    details += found.details or []
        missing = {d.path for d in details if isinstance(d, bagit.FileMissing)}
        problems = set()
        for detail in details:
            if isinstance(detail, bagit.ChecksumMismatch) and detail.path not in missing:
                problems.add(f"已被修改：{detail.path}（SHA-256 与清单不符）")
            elif isinstance(detail, bagit.FileMissing):
                problems.add(f"缺失：{detail.path}（清单中有，包中没有）")
            elif isinstance(detail, bagit.UnexpectedFile):
                problems.add(f"多出：{detail.path}（包中有，清单中没有）")
            elif not isinstance(detail, bagit.ChecksumMismatch):
                problems.add(f"校验失败：{detail}")
        return sorted(problems) or [f"校验失败：{invalid.message}"]
    except bagit.BagError as broken:
        return [f"包结构损坏：{broken}"]
    return []


@dataclass(frozen=True)
class PackEntry:
    """One pack on disk, as the packs page and ``herald pack list`` show it."""

    year: int
    stamp: str
    account_id: str | None
    title: str
    cutoff: datetime
    status: str
    quality_passed: bool
    verdict_label: str
    stem: str
    folder: Path

    @property
    def relative(self) -> str:
        return f"{self.year}/{self.stamp}/{self.account_id or GROUP}"

    @property
    def status_label(self) -> str:
        return STATUS_ZH.get(self.status, self.status)


def list_packs(root: Path | str, year: int | None = None, account_id: str | None = None) -> list[PackEntry]:
    """The packs under ``root`` (newest year first, then the group, then accounts, each version by cutoff)."""
    import json

    root, entries = Path(root), []
    if not root.is_dir():
        return []
    for figures_path in root.glob("*/*/*/data/pack.json"):
        subject_folder = figures_path.parent.parent
        stamp, year_name = subject_folder.parent.name, subject_folder.parent.parent.name
        if stamp.startswith(".") or not year_name.isdigit() or (year is not None and int(year_name) != year):
            continue
        figures = json.loads(figures_path.read_text(encoding="utf-8"))
        if account_id is not None and (figures.get("account_id") or GROUP) != account_id:
            continue
        verdict = figures.get("verdict") or {}
        entries.append(PackEntry(year=int(year_name), stamp=stamp, account_id=figures.get("account_id"),
                                 title=figures.get("title", ""), cutoff=datetime.fromisoformat(figures["cutoff"]),
                                 status=figures.get("status", "draft"), quality_passed=bool(figures.get("quality_passed")),
                                 verdict_label=verdict.get("label", ""), stem=figures.get("stem", ""),
                                 folder=subject_folder))
    entries.sort(key=lambda e: (-e.year, e.account_id is not None, e.account_id or "", e.stamp))
    return entries


def pack_files(folder: Path | str) -> list[str]:
    """The files a pack's manifests name (relative POSIX paths): what may be served from it."""
    folder, names = Path(folder), []
    for manifest in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
        path = folder / manifest
        if path.is_file():
            names += [line.split(None, 1)[1] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted(set(names) | ({"manifest-sha256.txt", "tagmanifest-sha256.txt"} if names else set()))
