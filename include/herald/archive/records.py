"""What Herald's database knows about a published item, read in batches for the archive.

One ``ItemRecord`` per item: the publishing log row, the post as it was sent, its approval
chain, every dispatch attempt and the post's state history. Four queries serve a whole
batch of items, whatever its size, so archiving 100,000 items makes a few hundred queries.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from herald.db import Transaction
from herald.timeutil import shanghai

_POST_PREFIX = "post_"
_INDEXED_PREFIX = "indexed_"


@dataclass(frozen=True)
class IndexedEntry:
    bundle_path: str
    manifest_sha256: str
    index_on: date


@dataclass(frozen=True)
class ItemRecord:
    item: dict[str, Any]  # the published_items row, with the account's name and the operator's name
    org_id: str  # the account's host unit: the bundle's organisation
    post: dict[str, Any] | None  # None for items Herald found on a platform but never dispatched
    approvals: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    indexed: IndexedEntry | None = None

    @property
    def item_id(self) -> str:
        return self.item["item_id"]

    @property
    def account_id(self) -> str:
        return self.item["account_id"]

    @property
    def platform(self) -> str:
        return self.item["platform"]

    @property
    def published_at(self) -> datetime:
        return self.item["published_at"]

    @property
    def content_hash(self) -> str:
        return (self.post or {}).get("content_hash") or ""

    @property
    def directory(self) -> str:
        return bundle_directory(self.org_id, self.account_id, self.published_at, self.item_id)


def bundle_directory(org_id: str, account_id: str, published_at: datetime, item_id: str) -> str:
    """``bundles/<organisation>/<account>/<year>/<month>/<item>``; year and month in Beijing time."""
    local = shanghai(published_at)
    parts = (_segment(org_id), _segment(account_id), f"{local:%Y}", f"{local:%m}", _segment(item_id))
    return "bundles/" + "/".join(parts)


def _segment(value: str) -> str:
    """An id as one safe path segment: ids are ASCII in practice; anything else is percent-encoded."""
    from urllib.parse import quote

    segment = quote(str(value), safe="-_.")
    if segment in ("", ".", ".."):
        raise ValueError(f"archive path segment: {value!r} cannot name a folder")
    return segment


def load_records(tx: Transaction, item_ids: Sequence[str]) -> list[ItemRecord]:
    """The records of ``item_ids`` that exist, in item id order."""
    if not item_ids:
        return []
    ids = json.dumps(list(item_ids))
    approvals = _group(tx.fetch("archive/approvals", item_ids=ids))
    attempts = _group(tx.fetch("archive/attempts", item_ids=ids))
    events = _group(tx.fetch("archive/events", item_ids=ids))
    records = []
    for row in tx.fetch("archive/items", item_ids=ids):
        item, post, indexed = {}, {}, {}
        for column, value in row.items():
            if column.startswith(_POST_PREFIX):
                post[column[len(_POST_PREFIX) :]] = value
            elif column.startswith(_INDEXED_PREFIX):
                indexed[column[len(_INDEXED_PREFIX) :]] = value
            else:
                item[column] = value
        org_id = item.pop("org_id")
        item_id = item["item_id"]
        records.append(ItemRecord(
            item=item,
            org_id=org_id,
            post=_post(post) if row["post_id"] else None,
            approvals=approvals.get(item_id, []),
            attempts=attempts.get(item_id, []),
            events=events.get(item_id, []),
            indexed=IndexedEntry(indexed["bundle_path"], indexed["manifest_sha256"], indexed["on"])
            if indexed["bundle_path"] else None,
        ))
    return records


def _post(columns: dict[str, Any]) -> dict[str, Any]:
    """JSON columns decoded, so the bundle shows the media list and chain as data, not as quoted text."""
    post = dict(columns)
    for name in ("media", "approval_chain"):
        if isinstance(post.get(name), str):
            post[name] = json.loads(post[name])
    return post


def _group(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        item_id = row.pop("item_id")
        grouped[item_id].append(row)
    return grouped
