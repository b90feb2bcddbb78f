"""The digest outbox: every digest a run produced, as Markdown files, whether or not it was sent."""

from __future__ import annotations

import re
from pathlib import Path

DEFAULT_OUTBOX = Path(__file__).resolve().parents[2] / ".demo" / "digests"


def outbox_dir() -> Path:
    from airflow.sdk import Variable

    return Path(Variable.get("herald_digest_outbox", default=None) or DEFAULT_OUTBOX)


def write_digests(digests: list, run_id: str, directory: Path | None = None) -> list[Path]:
    """Write each digest to ``<outbox>/<run_id>/<audience>-<unit>.md``; return the paths."""
    folder = (directory or outbox_dir()) / re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for digest in digests:
        path = folder / f"{digest.audience}-{digest.unit_id}.md"
        path.write_text(digest.markdown() + "\n", encoding="utf-8")
        paths.append(path)
    return paths
