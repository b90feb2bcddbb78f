"""The archive index as a hash chain of daily documents (tamper evidence for PUB-4).

Each archive entry is filed on a Beijing-time day. Sealing a day writes its index document::

    herald-archive-index/1
    day: 2026-05-01
    previous-day: 2026-04-30
    previous-sha256: <sha256 of the 2026-04-30 document>
    entries: 2

    pi-000001<TAB>bundles/G/WX-GROUP/2026/05/pi-000001<TAB><sha256 of its tag manifest>
    pi-000002<TAB>...

into the store (write-once, ``index/YYYY/MM/<day>-<hash prefix>.txt``) and its hash into
``archive_days``. Each document commits to the one before, so altering or removing a bundle,
an entry or a whole day breaks a hash that a later day (and the database) still holds.
Days are sealed in order; once a day is sealed, later entries are filed on a later day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from herald.archive.bundle import sha256
from herald.archive.store import ArchiveStore
from herald.db import Transaction
from herald.errors import HeraldError

FORMAT = "herald-archive-index/1"
GENESIS = "0" * 64  # what the first sealed day commits to
INDEX_PREFIX = "index"


class ChainIntegrityError(HeraldError):
    """The store holds a different document where this one must go: never overwritten."""


@dataclass(frozen=True)
class IndexEntry:
    item_id: str
    bundle_path: str
    manifest_sha256: str


@dataclass(frozen=True)
class IndexDocument:
    day: date
    prev_day: date | None
    prev_sha256: str
    entries: tuple[IndexEntry, ...]

    def render(self) -> bytes:
        lines = [
            FORMAT,
            f"day: {self.day.isoformat()}",
            f"previous-day: {self.prev_day.isoformat() if self.prev_day else '-'}",
            f"previous-sha256: {self.prev_sha256}",
            f"entries: {len(self.entries)}",
            "",
        ]
        lines += [f"{e.item_id}\t{e.bundle_path}\t{e.manifest_sha256}" for e in sorted(self.entries, key=_entry_key)]
        return ("\n".join(lines) + "\n").encode("utf-8")


def _entry_key(entry: IndexEntry) -> str:
    return entry.item_id


def parse_index(data: bytes) -> IndexDocument:
    """The document back from its bytes; ValueError when it is not one."""
    lines = data.decode("utf-8").split("\n")
    if len(lines) < 6 or lines[0] != FORMAT or lines[5] != "":
        raise ValueError(f"not a {FORMAT} document")
    header = {}
    for line in lines[1:5]:
        key, sep, value = line.partition(": ")
        if not sep:
            raise ValueError(f"bad header line {line!r}")
        header[key] = value
    entries = []
    for line in lines[6:]:
        if not line:
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"bad entry line {line!r}")
        entries.append(IndexEntry(*parts))
    if int(header["entries"]) != len(entries):
        raise ValueError(f"the header counts {header['entries']} entries, the document lists {len(entries)}")
    prev_day = None if header["previous-day"] == "-" else date.fromisoformat(header["previous-day"])
    return IndexDocument(date.fromisoformat(header["day"]), prev_day, header["previous-sha256"], tuple(entries))


def index_path(day: date, digest: str) -> str:
    return f"{INDEX_PREFIX}/{day:%Y}/{day:%m}/{day.isoformat()}-{digest[:16]}.txt"


def seal_days(tx: Transaction, store: ArchiveStore, *, through: date, now: datetime) -> list[dict]:
    """Seal every filing day up to ``through`` that has entries and no document yet, oldest first."""
    tx.execute("archive/lock_for_sealing")
    last = tx.fetch_one("archive/last_day")
    sealed = []
    for row in tx.fetch("archive/unsealed_days", through=through):
        day = row["index_on"]
        if isinstance(day, str):  # SQLite returns DISTINCT dates under their column name: converted, but be sure
            day = date.fromisoformat(day)
        entries = tuple(IndexEntry(**e) for e in tx.fetch("archive/entries_for_day", index_on=day))
        document = IndexDocument(day, last["index_on"] if last else None, last["index_sha256"] if last else GENESIS,
                                 entries)
        data = document.render()
        digest = sha256(data)
        path = index_path(day, digest)
        if not store.write_once(path, data) and store.read(path) != data:
            raise ChainIntegrityError(f"{path}: the store holds a different index document; it is kept, not replaced")
        head = {"index_on": day, "entry_count": len(entries), "index_path": path, "index_sha256": digest,
                "prev_index_on": document.prev_day, "prev_sha256": document.prev_sha256, "sealed_at": now}
        tx.execute("archive/insert_day", **head)
        sealed.append(head)
        last = head
    return sealed


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    day: date
    kind: str  # chain_broken, or missing / altered for an entry
    message: str  # Chinese, for the people responsible
    item_id: str | None = None


def check_chain(
    heads: Sequence[Mapping],
    entries_by_day: Mapping[date, Iterable[IndexEntry]],
    documents: Mapping[str, bytes | Exception],
    stored_index_paths: Iterable[str],
) -> list[ChainProblem]:
    """Check the sealed days: links between heads, each document against its head and the database's entries.

    ``documents`` holds what the store returned for each head's ``index_path``;
    ``stored_index_paths`` every document found in the store (one whose day has no head means
    a sealed day vanished from the database).
    """
    problems: list[ChainProblem] = []
    previous: Mapping | None = None
    for head in heads:
        day = head["index_on"]
        want_prev_day = previous["index_on"] if previous else None
        want_prev_sha = previous["index_sha256"] if previous else GENESIS
        if head["prev_sha256"] != want_prev_sha or head["prev_index_on"] != want_prev_day:
            problems.append(ChainProblem(day, "chain_broken",
                                         f"{day} 的索引未指向前一已封存日（{want_prev_day or '链首'}）：中间的日索引被删除或改动"))
        problems += _check_document(head, documents.get(head["index_path"]), entries_by_day.get(day, ()))
        previous = head
    sealed_days = {head["index_on"] for head in heads}
    for path in stored_index_paths:
        name = path.rsplit("/", 1)[-1]
        try:
            day = date.fromisoformat(name[:10])
        except ValueError:
            problems.append(ChainProblem(date.min, "chain_broken", f"存储中有无法识别的索引文件 {path}"))
            continue
        if day not in sealed_days:
            problems.append(ChainProblem(day, "chain_broken", f"存储中有 {day} 的索引文件 {path}，数据库中却没有该日的封存记录"))
    return problems


def _check_document(head: Mapping, data: bytes | Exception | None, db_entries: Iterable[IndexEntry]) -> list[ChainProblem]:
    day = head["index_on"]
    if data is None or isinstance(data, FileNotFoundError):
        return [ChainProblem(day, "chain_broken", f"{day} 的索引文件 {head['index_path']} 已丢失")]
    if isinstance(data, Exception):
        return [ChainProblem(day, "chain_broken", f"{day} 的索引文件无法读取：{data}")]
    if sha256(data) != head["index_sha256"]:
        return [ChainProblem(day, "chain_broken", f"{day} 的索引文件与封存时的 SHA-256 不符：已被改动")]
    try:
        document = parse_index(data)
    except ValueError as exc:
        return [ChainProblem(day, "chain_broken", f"{day} 的索引文件格式错误：{exc}")]
    problems = []
    sealed = {e.item_id: e for e in document.entries}
    current = {e.item_id: e for e in db_entries}
    for item_id in sorted(sealed.keys() - current.keys()):
        problems.append(ChainProblem(day, "chain_broken", f"已封存的 {day} 索引列有 {item_id}，数据库索引中该条目已被删除",
                                     item_id))
    for item_id in sorted(current.keys() - sealed.keys()):
        problems.append(ChainProblem(day, "chain_broken", f"{item_id} 出现在已封存的 {day} 之后补入的索引中", item_id))
    for item_id in sorted(sealed.keys() & current.keys()):
        if sealed[item_id] != current[item_id]:
            problems.append(ChainProblem(day, "chain_broken", f"{item_id} 的索引条目与封存的 {day} 索引不符", item_id))
    return problems
