"""Verification: every indexed bundle re-hashed from the store, and the index chain checked.

Reports, as PUB-4 findings, what is missing (a bundle or a file gone, an item never archived),
altered (a hash differs, a file added), unreadable, incomplete (no commit marker), and breaks in
the chain of daily index documents (a day or an entry removed or changed). Findings are events:
they stay until a person acknowledges or resolves them, because a write-once archive cannot heal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from herald.archive.bundle import MARKER, BundleCheck, check_bundle
from herald.archive.chain import INDEX_PREFIX, ChainProblem, IndexEntry, check_chain
from herald.archive.store import ArchiveStore
from herald.db import Database, Transaction
from herald.findings import Finding, record_event_findings
from herald.jobs import run_recorded
from herald.ledger import LedgerEntry, TaskRun
from herald.timeutil import local_day, now_utc, require_aware

RULE = "PUB-4"
BUNDLE_DEPTH = 6  # bundles/<org>/<account>/<YYYY>/<MM>/<item>
VERIFY_BATCH = 64  # bundles read in one batch (one concurrent request burst on object stores)
DEFAULT_MISSING_AFTER = timedelta(days=1)
_SEVERITY = {"missing": "high", "altered": "critical", "unreadable": "high", "incomplete": "medium",
             "chain_broken": "critical"}
_WHAT = {"missing": "存档缺失", "altered": "存档被改动或损坏", "unreadable": "存档无法读取", "incomplete": "存档未写完整"}


def check_stored_bundle(store: ArchiveStore, directory: str, *, expected_marker_sha256: str | None = None,
                        expected_info: Mapping[str, str] | None = None) -> BundleCheck:
    """Read one bundle from the store and check it."""
    names = [key[len(directory) + 1 :] for key in store.list_files(directory)]
    contents = store.read_many(f"{directory}/{name}" for name in names)
    return check_bundle(directory, names, {k[len(directory) + 1 :]: v for k, v in contents.items()},
                        expected_marker_sha256=expected_marker_sha256, expected_info=expected_info)


def bundle_finding(item_id: str, published_at: datetime, check: BundleCheck) -> Finding:
    return Finding(
        rule_id=RULE, subject_type="published_item", subject_id=item_id, period=local_day(published_at).isoformat(),
        severity=_SEVERITY[check.status],
        summary=f"已发布条目 {item_id} {_WHAT[check.status]}：{'；'.join(check.problems[:3])}（原存档保留，不覆盖）",
        evidence={"kind": check.status, "bundle": check.directory, "problems": list(check.problems),
                  "marker_sha256": check.marker_sha256},
    )


@dataclass
class VerifyReport:
    checked: int = 0
    by_status: Counter = field(default_factory=Counter)
    sealed_days: int = 0
    pending_entries: int = 0  # filed on days not sealed yet: bundles checked, chain not yet
    unarchived_overdue: list[str] = field(default_factory=list)
    incomplete_unindexed: list[str] = field(default_factory=list)  # crashed writes the next run completes
    chain_problems: list[ChainProblem] = field(default_factory=list)
    bundle_problems: list[tuple[str, BundleCheck]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.bundle_problems or self.chain_problems or self.unarchived_overdue)

    def counts(self) -> dict[str, int]:
        return {
            "bundles_checked": self.checked, **{f"bundles_{k}": v for k, v in sorted(self.by_status.items())},
            "days_sealed": self.sealed_days, "entries_pending_seal": self.pending_entries,
            "unarchived_overdue": len(self.unarchived_overdue), "incomplete_unindexed": len(self.incomplete_unindexed),
            "chain_problems": len(self.chain_problems), "findings": len(self.findings),
        }

    def summary_lines(self) -> list[str]:
        """The result as people read it (Chinese)."""
        verdict = "通过" if self.ok else "发现问题"
        lines = [
            f"存档核验{verdict}：核验存档包 {self.checked} 个，完好 {self.by_status.get('verified', 0)} 个，"
            f"缺失 {self.by_status.get('missing', 0)}、被改动 {self.by_status.get('altered', 0)}、"
            f"无法读取 {self.by_status.get('unreadable', 0)}、未写完整 {self.by_status.get('incomplete', 0)}",
            f"索引哈希链：已封存 {self.sealed_days} 天，链问题 {len(self.chain_problems)} 处；"
            f"待封存条目 {self.pending_entries} 个",
            f"超期未存档的已发布条目 {len(self.unarchived_overdue)} 个",
        ]
        lines += [f"  [{c.status}] {item_id}: {'；'.join(c.problems[:2])}" for item_id, c in self.bundle_problems[:10]]
        lines += [f"  [chain] {p.day}: {p.message}" for p in self.chain_problems[:10]]
        lines += [f"  [missing] {item_id}: 已发布但未存档" for item_id in self.unarchived_overdue[:10]]
        return lines


def verify_archive(db: Database, store: ArchiveStore, run: TaskRun, *, now: datetime | None = None,
                   missing_after: timedelta = DEFAULT_MISSING_AFTER, workers: int = 8) -> tuple[LedgerEntry, VerifyReport]:
    """Verify everything and record the findings; the ledger keeps the counts."""
    now = require_aware(now or now_utc(), "now")
    holder: dict[str, VerifyReport] = {}

    def body(tx: Transaction, entry: LedgerEntry) -> None:
        report = verify_in_transaction(tx, store, now=now, missing_after=missing_after, workers=workers)
        record_event_findings(tx, report.findings, detected_by=f"{run.dag_id}.{run.task_id}", now=now)
        entry.inputs.update({"store": store.url, "as_of": now.isoformat(), "tables": ["archive_index", "archive_days"]})
        entry.row_counts.update(report.counts())
        entry.outputs.update({"ok": report.ok, "findings": sorted(f.finding_id for f in report.findings)})
        holder["report"] = report

    entry = run_recorded(db, run, body)
    return entry, holder["report"]


def verify_in_transaction(tx: Transaction, store: ArchiveStore, *, now: datetime, missing_after: timedelta,
                          workers: int = 8) -> VerifyReport:
    report = VerifyReport()
    entries = tx.fetch("archive/entries")
    heads = tx.fetch("archive/days")
    listing = _group_bundles(store.list_files("bundles"))

    def check(batch: Sequence[dict]) -> list[tuple[dict, BundleCheck]]:
        keys = [f"{e['bundle_path']}/{name}" for e in batch for name in listing.get(e["bundle_path"], ())]
        contents = store.read_many(keys)
        results = []
        for e in batch:
            prefix = e["bundle_path"] + "/"
            names = listing.get(e["bundle_path"], ())
            results.append((e, check_bundle(
                e["bundle_path"], names, {name: contents.get(prefix + name) for name in names},
                expected_marker_sha256=e["manifest_sha256"],
                expected_info={"External-Identifier": e["item_id"], "Herald-Content-Hash": e["content_hash"] or ""},
            )))
        return results

    batches = [entries[i : i + VERIFY_BATCH] for i in range(0, len(entries), VERIFY_BATCH)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for results in pool.map(check, batches):
            for entry, result in results:
                report.checked += 1
                report.by_status[result.status] += 1
                if not result.ok:
                    report.bundle_problems.append((entry["item_id"], result))
                    report.findings.append(bundle_finding(entry["item_id"], entry["published_at"], result))

    indexed = {e["bundle_path"] for e in entries}
    report.incomplete_unindexed = sorted(d for d, names in listing.items() if d not in indexed and MARKER not in names)

    entries_by_day: dict[date, list[IndexEntry]] = defaultdict(list)
    for e in entries:
        entries_by_day[e["index_on"]].append(IndexEntry(e["item_id"], e["bundle_path"], e["manifest_sha256"]))
    documents = store.read_many(h["index_path"] for h in heads)
    report.chain_problems = check_chain(heads, entries_by_day, documents, store.list_files(INDEX_PREFIX))
    report.sealed_days = len(heads)
    last_sealed = heads[-1]["index_on"] if heads else None
    report.pending_entries = sum(1 for e in entries if last_sealed is None or e["index_on"] > last_sealed)
    report.findings += _day_findings(report.chain_problems)

    for row in tx.fetch("archive/overdue_unarchived", cutoff=now - missing_after):
        report.unarchived_overdue.append(row["item_id"])
        report.findings.append(Finding(
            rule_id=RULE, subject_type="published_item", subject_id=row["item_id"],
            period=local_day(row["published_at"]).isoformat(), severity="high",
            summary=f"已发布条目 {row['item_id']}（账号 {row['account_id']}）发布已超过 "
                    f"{_hours(missing_after)} 小时仍未存档",
            evidence={"kind": "missing", "reason": "not_archived", "published_at": row["published_at"].isoformat()},
        ))
    return report


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def _group_bundles(keys: Sequence[str]) -> dict[str, list[str]]:
    """Stored file keys grouped by bundle directory, names relative to it."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        parts = key.split("/", BUNDLE_DEPTH)
        if len(parts) > BUNDLE_DEPTH:
            grouped["/".join(parts[:BUNDLE_DEPTH])].append(parts[BUNDLE_DEPTH])
    return grouped


def _day_findings(problems: Sequence[ChainProblem]) -> list[Finding]:
    by_day: dict[date, list[ChainProblem]] = defaultdict(list)
    for problem in problems:
        by_day[problem.day].append(problem)
    findings = []
    for day, found in sorted(by_day.items()):
        label = day.isoformat() if day != date.min else "unknown"
        findings.append(Finding(
            rule_id=RULE, subject_type="archive_day", subject_id=label, period=label, severity="critical",
            summary=f"存档索引哈希链在 {label} 断裂：{found[0].message}" + (f" 等 {len(found)} 处" if len(found) > 1 else ""),
            evidence={"kind": "chain_broken", "problems": [p.message for p in found],
                      "item_ids": sorted({p.item_id for p in found if p.item_id})},
        ))
    return findings


def report_as_dict(report: VerifyReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        **report.counts(),
        "problems": [{"item_id": i, "status": c.status, "problems": list(c.problems)} for i, c in report.bundle_problems],
        "chain": [{"day": p.day.isoformat(), "message": p.message, "item_id": p.item_id} for p in report.chain_problems],
        "unarchived_overdue": report.unarchived_overdue,
    }
