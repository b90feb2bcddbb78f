"""The archive run: file every published item as a write-once bundle, index it, seal past days.

One run is one transaction with its ledger row (``run_recorded``). Bundles are written to the
store before the transaction commits, so a run that fails half way leaves committed bundles
without index entries; the retry finds each of them, verifies it and indexes it instead of
writing it again. Nothing in the store is ever overwritten: an existing bundle that does not
verify is a finding (possible tampering or corruption) and stays as it is.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from herald.archive import chain
from herald.archive.bundle import MARKER, MediaSource, bag_info, build_bundle, item_payload
from herald.archive.platform_records import FetchPlatformRecord, PlatformRecordUnavailable, default_fetcher
from herald.archive.records import ItemRecord, load_records
from herald.archive.store import ArchiveStore
from herald.archive.verify import bundle_finding, check_stored_bundle
from herald.db import Database, Transaction
from herald.findings import Finding, record_event_findings
from herald.jobs import run_recorded
from herald.ledger import LedgerEntry, TaskRun
from herald.timeutil import local_day, now_utc, require_aware

DEFAULT_WORKERS = 8  # bundle writes are I/O: threads overlap them (hashing releases the GIL too)
CHUNK_SIZE = 500  # items read from the database and indexed per batch

# What happened to each item in a run
ARCHIVED = "archived"  # a new bundle was written and indexed
ADOPTED = "adopted"  # a complete bundle from an earlier, failed run was verified and indexed
VERIFIED = "verified"  # already indexed; the bundle verified again
DEFERRED = "deferred"  # the platform could not be asked for its record now; the next run tries again
PROBLEM = "problem"  # an existing bundle does not verify: a finding, the bundle kept


@dataclass
class ItemOutcome:
    item_id: str
    status: str
    directory: str
    marker_sha256: str | None = None
    finding: Finding | None = None
    note: str = ""


@dataclass
class ArchiveResult:
    counts: Counter = field(default_factory=Counter)
    sealed_days: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def archive_published(
    db: Database,
    store: ArchiveStore,
    run: TaskRun,
    *,
    item_ids: Sequence[str] | None = None,
    since: datetime | None = None,
    settle: timedelta = timedelta(0),
    seal_through: date | None = None,
    record_status_notes: bool = False,
    fetch_record: FetchPlatformRecord = default_fetcher,
    media_source: MediaSource | None = None,
    now: datetime | None = None,
    workers: int = DEFAULT_WORKERS,
) -> LedgerEntry:
    """Archive ``item_ids`` (an asset event's items), or every item not archived yet (the sweep).

    ``settle`` leaves items published in the last minutes to the event-driven run; ``seal_through``
    seals the index days up to that day (the daily sweep seals yesterday).
    """
    now = require_aware(now or now_utc(), "now")

    def body(tx: Transaction, entry: LedgerEntry) -> None:
        result = archive_in_transaction(
            tx, store, item_ids=item_ids, since=since, settle=settle, seal_through=seal_through,
            record_status_notes=record_status_notes, fetch_record=fetch_record, media_source=media_source,
            now=now, workers=workers, detected_by=f"{run.dag_id}.{run.task_id}",
        )
        entry.inputs.update({
            "store": store.url, "item_ids": len(item_ids) if item_ids is not None else None,
            "since": since.isoformat() if since else None, "seal_through": seal_through, "as_of": now.isoformat(),
        })
        entry.row_counts.update(result.counts)
        entry.outputs.update({
            "sealed_days": [{"day": d["index_on"].isoformat(), "sha256": d["index_sha256"], "entries": d["entry_count"]}
                            for d in result.sealed_days],
            "findings": sorted(f.finding_id for f in result.findings),
        })

    return run_recorded(db, run, body)


def archive_in_transaction(
    tx: Transaction,
    store: ArchiveStore,
    *,
    item_ids: Sequence[str] | None,
    since: datetime | None,
    settle: timedelta,
    seal_through: date | None,
    record_status_notes: bool,
    fetch_record: FetchPlatformRecord,
    media_source: MediaSource | None,
    now: datetime,
    workers: int,
    detected_by: str,
) -> ArchiveResult:
    result = ArchiveResult()
    result.counts["staging_cleaned"] = store.clean_staging()
    if item_ids is None:
        rows = tx.fetch("archive/unarchived_ids", since=since, settled_before=now - settle)
        item_ids = [row["item_id"] for row in rows]
    else:
        item_ids = sorted(set(item_ids))
    result.counts["requested"] = len(item_ids)
    today = local_day(now)

    def handle(record: ItemRecord) -> ItemOutcome:
        return archive_item(store, record, fetch_record=fetch_record, media_source=media_source, now=now)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        # The next batch is read from the database while the pool writes the current one.
        pending: list[Future] = []
        for chunk in [*_chunks(item_ids, CHUNK_SIZE), ()]:
            records = load_records(tx, chunk)
            result.counts["unknown_item"] += len(chunk) - len(records)
            submitted = [pool.submit(handle, record) for record in records]
            rows = []
            for outcome in _results_stopping_on_error(pending + submitted, len(pending)):
                result.counts[outcome.status] += 1
                if outcome.finding:
                    result.findings.append(outcome.finding)
                if outcome.status in (ARCHIVED, ADOPTED):
                    rows.append({"item_id": outcome.item_id, "bundle_path": outcome.directory,
                                 "manifest_sha256": outcome.marker_sha256, "archived_at": now, "today": today})
            tx.execute_many("archive/insert_entry", rows)
            pending = submitted
        if record_status_notes:
            result.counts["status_notes"] = sum(pool.map(
                lambda row: write_status_note(store, row, now), tx.fetch("archive/status_changes")))
    if seal_through is not None:
        result.sealed_days = chain.seal_days(tx, store, through=seal_through, now=now)
    result.counts["days_sealed"] = len(result.sealed_days)
    record_event_findings(tx, result.findings, detected_by=detected_by, now=now)
    result.counts["findings"] = len(result.findings)
    return result


def archive_item(store: ArchiveStore, record: ItemRecord, *, fetch_record: FetchPlatformRecord,
                 media_source: MediaSource | None, now: datetime) -> ItemOutcome:
    """Archive one item, or verify the bundle it already has; never overwrite one."""
    expected_info = {"External-Identifier": record.item_id, "Herald-Content-Hash": record.content_hash}
    if record.indexed is not None:
        check = check_stored_bundle(store, record.indexed.bundle_path,
                                    expected_marker_sha256=record.indexed.manifest_sha256, expected_info=expected_info)
        return _existing(record, check, VERIFIED)
    directory = record.directory
    if store.exists(f"{directory}/{MARKER}"):
        return _existing(record, check_stored_bundle(store, directory, expected_info=expected_info), ADOPTED)
    try:
        platform_record = fetch_record(record)
    except PlatformRecordUnavailable as exc:
        return ItemOutcome(record.item_id, DEFERRED, directory, note=str(exc))
    payload = item_payload(record, platform_record, media_source)
    source = _record_source(platform_record[1])
    bundle = build_bundle(directory, payload, bag_info(record, now, source))
    if store.publish_bundle(directory, bundle.files, MARKER):
        return ItemOutcome(record.item_id, ARCHIVED, directory, bundle.marker_sha256)
    # Another writer got there first, or something already occupies the place: check what is there.
    return _existing(record, check_stored_bundle(store, directory, expected_info=expected_info), ADOPTED)


def _existing(record: ItemRecord, check, status_if_ok: str) -> ItemOutcome:
    if check.ok:
        return ItemOutcome(record.item_id, status_if_ok, check.directory, check.marker_sha256)
    return ItemOutcome(record.item_id, PROBLEM, check.directory, check.marker_sha256,
                       finding=bundle_finding(record.item_id, record.published_at, check))


def _record_source(data: bytes) -> str:
    try:
        return str(json.loads(data).get("source") or "unknown")
    except (ValueError, AttributeError):
        return "unknown"


def status_note_key(bundle_path: str, status: str) -> str:
    """Platform status changes live beside the bundle (``notes/`` mirrors ``bundles/``), never inside it."""
    return "notes/" + bundle_path.removeprefix("bundles/") + f"/{status}.json"


def write_status_note(store: ArchiveStore, row: dict[str, Any], now: datetime) -> int:
    """Record that the platform later deleted or banned an item; the bundle itself stays. 1 if new."""
    note = {
        "item_id": row["item_id"],
        "platform_status": row["platform_status"],
        "status_checked_at": row["status_checked_at"].isoformat() if row["status_checked_at"] else None,
        "recorded_at": now.isoformat(),
        "bundle": row["bundle_path"],
        "note": {"deleted_by_user": "发布后被账号运营者删除", "banned": "发布后被平台屏蔽或封禁",
                 "unknown": "平台状态无法确认"}.get(row["platform_status"], row["platform_status"])
                + "；存档包保持原样",
    }
    data = json.dumps(note, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")
    return int(store.write_once(status_note_key(row["bundle_path"], row["platform_status"]), data))


def _results_stopping_on_error(futures: Sequence[Future], count: int) -> Iterator:
    """The results of the first ``count`` futures; the first failure cancels every future not started yet."""
    try:
        for future in futures[:count]:
            yield future.result()
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _chunks(values: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def item_ids_from_events(events: Iterable[Any]) -> list[str] | None:
    """Item ids carried by asset events (``extra={"item_ids": [...]}``); None when no event names any."""
    ids: list[str] = []
    named = False
    for event in events:
        extra = getattr(event, "extra", None) if not isinstance(event, dict) else event.get("extra")
        values = (extra or {}).get("item_ids")
        if values is not None:
            named = True
            ids += [str(v) for v in values]
    return sorted(set(ids)) if named else None
