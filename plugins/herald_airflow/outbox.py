"""The digest outbox: every digest a run produced, as Markdown files, whether or not it was sent."""

from __future__ import annotations

import re
from pathlib import Path

DEFAULT_OUTBOX = Path(__file__).resolve().parents[2] / ".demo" / "digests"


def outbox_dir() -> Path:
    from airflow.sdk import Variable

    return Path(Variable.get("herald_digest_outbox", default=None) or DEFAULT_OUTBOX)


def write_digests(digests: list, run_id: str | None = None, directory: Path | None = None) -> list[Path]:
    """Write each digest to ``<outbox>/<Shanghai date of its as-of>/<its title>.md`` (``2026-12-03/集团办公室.md``),
    as people look for them; a later run of the same day replaces that day's digest of the unit. Return the paths.
    (``run_id`` is kept for callers; the run is in the ledger.)"""
    from herald.timeutil import local_day

    paths = []
    for digest in digests:
        folder = (directory or outbox_dir()) / local_day(digest.as_of).isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{_file_name(digest.title or digest.unit_name)}.md"
        path.write_text(digest.markdown() + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _file_name(title: str) -> str:
    """The title as a file name: path separators and characters Windows refuses become 「_」."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", title).strip(". ") or "_"
