"""Archive throughput: archive and verify 100,000 published items, beside raw hashing and writing of the same bytes.

Data, generated deterministically in this process: a SQLite Herald database (migrated) with the
small test organisation and ``HERALD_BENCH_ITEMS`` (default 100,000) published WeChat items, each
with its post (about 600 characters of Chinese text and a media list), a two-step approval chain,
two dispatch attempts and a state event, spread over 30 days.

Project: ``archive_published`` on a local folder (read the items from the database in batches,
build each bundle, hash every file once, write it through a staging folder renamed into place,
index the bundles, seal the days into the hash chain), then ``verify_archive`` (list, read and
re-hash every file, check the chain). Baseline, in the same process: the exact bytes of the same
bundles (same files, same count, same folders), SHA-256 and written with the same thread pool,
without the database, the bundle building or the atomic publish. The bytes are built batch by
batch outside the timed part.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "include"))
sys.path.insert(0, str(REPO / "tests"))

from common import emit  # noqa: E402
from herald.archive.archiver import archive_published  # noqa: E402
from herald.archive.bundle import bag_info, build_bundle, item_payload  # noqa: E402
from herald.archive.platform_records import default_fetcher  # noqa: E402
from herald.archive.records import load_records  # noqa: E402
from herald.archive.store import LocalStore  # noqa: E402
from herald.archive.verify import verify_archive  # noqa: E402
from herald.db import Database  # noqa: E402
from herald.ledger import TaskRun  # noqa: E402
from herald.migrate import migrate  # noqa: E402
from herald.timeutil import local_day  # noqa: E402

ITEMS = int(os.environ.get("HERALD_BENCH_ITEMS", "100000"))
WORKERS = 8
ROUNDS = 10
START = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)
NOW = START + timedelta(days=31)
TEXT = "华夏能源集团召开年度安全生产工作会议，总结经验，部署重点任务，强调压实责任、防范风险。" * 12


def build_database(path: Path) -> Database:
    from builders import small_org

    db = Database(f"sqlite:///{path}")
    migrate(db)
    small_org(db)
    raw = sqlite3.connect(path)
    iso = lambda moment: moment.isoformat(sep=" ")  # noqa: E731 - the adapter Herald uses for SQLite
    posts, steps, attempts, events, items = [], [], [], [], []
    for n in range(1, ITEMS + 1):
        at = START + timedelta(seconds=n * 30 * 86400 // ITEMS)
        post_id, item_id, digest = f"post-{n:07d}", f"pi-{n:07d}", hashlib.sha256(str(n).encode()).hexdigest()
        media = f'[{{"kind": "image", "filename": "IMG_{n}.jpg", "size_bytes": 1200000, "sha256": "{digest}"}}]'
        posts.append((post_id, "WX-GROUP", "author2", "article", f"第 {n} 期：年度工作会议", f"{n} {TEXT}",
                      "company_news", "集团办公室", media, iso(at), digest, "published", iso(at - timedelta(days=9)),
                      iso(at)))
        steps += [(f"as-{n}-1", post_id, "000-group", 1, "supervising_leader", "leader", "approved", "import", digest,
                   iso(at - timedelta(days=7))),
                  (f"as-{n}-2", post_id, "000-group", 2, "upper_platform_manager", "upper", "approved", "import",
                   digest, iso(at - timedelta(days=6)))]
        attempts += [(f"da-{n}-1", post_id, 1, "publish", "retry", "-1", "系统繁忙", None, iso(at), iso(at)),
                     (f"da-{n}-2", post_id, 2, "publish", "ok", None, None, f'{{"publish_id": "265{n}"}}', iso(at),
                      iso(at))]
        events.append((f"pe-{n}", post_id, "published", "平台接口发布成功", "herald:dispatch", iso(at)))
        items.append((item_id, post_id, "WX-GROUP", "wechat", "dispatch", f"art-{n}", f"265{n}",
                      f"https://mp.weixin.qq.com/s/item{n}", "author2", 0, iso(at), iso(at), "live", iso(at)))
    with raw:
        raw.executemany("INSERT INTO posts (post_id, account_id, author_id, kind, title, body, category, source, media, "
                        "publish_at, content_hash, state, requested_at, updated_at) VALUES "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", posts)
        raw.executemany("INSERT INTO approval_steps (step_id, post_id, chain, step_no, role, approver_id, decision, via, "
                        "content_hash, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", steps)
        raw.executemany("INSERT INTO dispatch_attempts (attempt_id, post_id, attempt_no, operation, outcome, error_code, "
                        "error_message, response, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        attempts)
        raw.executemany("INSERT INTO post_events (event_id, post_id, state, reason, actor_id, occurred_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", events)
        raw.executemany("INSERT INTO published_items (item_id, post_id, account_id, platform, origin, platform_item_id, "
                        "platform_publish_id, url, operator_id, is_mass_send, published_at, confirmed_at, "
                        "platform_status, status_checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
    raw.close()
    return db


def raw_hash_and_write(db: Database, ids: list[str], target: Path, pool: ThreadPoolExecutor) -> tuple[float, int, int]:
    """Seconds spent hashing and writing the same bundles' bytes; files and bytes written."""
    timed, files, octets = 0.0, 0, 0

    def write(bundle) -> None:
        base, made = f"{target}/{bundle.directory}", set()
        for name, data in bundle.files.items():
            hashlib.sha256(data).hexdigest()
            path = f"{base}/{name}"
            folder = path.rsplit("/", 1)[0]
            if folder not in made:  # each folder made once, as lean as writing can be
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            with open(path, "wb") as handle:
                handle.write(data)

    for start in range(0, len(ids), 1000):
        with db.transaction() as tx:
            records = load_records(tx, ids[start : start + 1000])
        bundles = [build_bundle(r.directory, item_payload(r, default_fetcher(r)), bag_info(r, NOW, "herald_log"))
                   for r in records]
        files += sum(len(b.files) for b in bundles)
        octets += sum(len(d) for b in bundles for d in b.files.values())
        began = time.perf_counter()
        list(pool.map(write, bundles))
        timed += time.perf_counter() - began
    return timed, files, octets


def main() -> int:
    bench_root = REPO / ".bench"
    bench_root.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=bench_root, prefix="archive-") as scratch:
        scratch = Path(scratch)
        began = time.perf_counter()
        db = build_database(scratch / "herald.db")
        print(f"data: {ITEMS:,} published items with posts, approvals, attempts, events in SQLite "
              f"({time.perf_counter() - began:.1f} s to build, not timed)")

        # Rounds alternate which side goes first, so both see the same load on a shared machine.
        store = LocalStore(scratch / "archive")
        ids = [f"pi-{n:07d}" for n in range(1, ITEMS + 1)]
        size = -(-ITEMS // ROUNDS)
        archive_seconds = raw_seconds = 0.0
        files = octets = archived = 0
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for number, start in enumerate(range(0, ITEMS, size)):
                batch = ids[start : start + size]
                last = start + size >= ITEMS
                for side in (("raw", "archive") if number % 2 == 0 else ("archive", "raw")):
                    began = time.perf_counter()
                    if side == "archive":
                        entry = archive_published(db, store, TaskRun("bench", f"round-{number}", "archive"),
                                                  item_ids=batch, now=NOW, workers=WORKERS,
                                                  seal_through=local_day(NOW) if last else None)
                        archive_seconds += time.perf_counter() - began
                        archived += entry.row_counts["archived"]
                    else:
                        seconds, round_files, round_octets = raw_hash_and_write(db, batch, scratch / "raw", pool)
                        raw_seconds += seconds
                        files += round_files
                        octets += round_octets
        assert archived == ITEMS, archived

        began = time.perf_counter()
        _, report = verify_archive(db, store, TaskRun("bench", "bench", "verify"), now=NOW, workers=WORKERS)
        verify_seconds = time.perf_counter() - began
        assert report.ok and report.by_status["verified"] == ITEMS, report.summary_lines()

        archive_rate, verify_rate, raw_rate = ITEMS / archive_seconds, ITEMS / verify_seconds, ITEMS / raw_seconds
        print(f"archive: {ITEMS:,} bundles ({files:,} files, {octets / 1e6:,.0f} MB) in {archive_seconds:.1f} s "
              f"= {archive_rate:,.0f} items/s (DB read, build, hash, staged write + rename, index, "
              f"{report.sealed_days} day sealed; {ROUNDS} runs)")
        print(f"verify:  {ITEMS:,} bundles in {verify_seconds:.1f} s = {verify_rate:,.0f} items/s "
              "(list, read, re-hash every file, check the chain)")
        print(f"baseline (same process, interleaved): SHA-256 + write of the same {files:,} files, {WORKERS} threads: "
              f"{raw_seconds:.1f} s = {raw_rate:,.0f} items/s")
        print(f"archive / raw = {archive_rate / raw_rate:.2f} (target >= 0.5)")
        db.dispose()
        emit("archive", "archive_items_per_second", archive_rate, raw_rate, "items/s", items=ITEMS, files=files,
             verify_items_per_second=round(verify_rate, 1), target_ratio=0.5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
