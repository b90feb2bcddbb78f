"""The evidence of an escalated comment, archived write-once like a published item's bundle (PUB-4's store).

    comments/<account>/<YYYY>/<MM>/<escalation_id>/
        bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt (written last)
        data/platform_record.json   the comment exactly as the platform returned it
        data/screening.json         the screening hits, the verdict, the lexicon's version and hash

The bundle is a pure function of the comment and its screening (the archive time is when the comment was
pulled), so a re-run builds the same bytes and finds the bundle already committed. The escalation row keeps
the SHA-256 of the tag manifest, which pins every file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from herald.archive.bundle import MARKER, build_bundle
from herald.archive.store import ArchiveStore
from herald.comments.platforms import PulledComment
from herald.timeutil import local_day

SOFTWARE = "herald-comment-watch/1"


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def archive_comment(store: ArchiveStore, comment: PulledComment, escalation_id: str, screening: Mapping[str, Any],
                    pulled_at) -> tuple[str, str]:
    """Write the comment's evidence bundle (once); return (directory, SHA-256 of its tag manifest)."""
    day = local_day(pulled_at)
    directory = f"comments/{comment.account_id}/{day:%Y}/{day:%m}/{escalation_id}"
    payload = {
        "data/platform_record.json": canonical_json({"platform": comment.platform, "account_id": comment.account_id,
                                                     "source_key": comment.source_key, "record": comment.record}),
        "data/screening.json": canonical_json(dict(screening)),
    }
    info = {
        "Source-Organization": "herald",
        "External-Identifier": escalation_id,
        "Herald-Account": comment.account_id,
        "Herald-Platform": comment.platform,
        "Herald-Comment": comment.platform_comment_id,
        "Herald-Lexicon-Sha256": str(screening.get("lexicon_sha256", "")),
        "Herald-Archived-At": pulled_at.isoformat(),
        "Bagging-Date": day.isoformat(),
        "Bag-Software-Agent": SOFTWARE,
    }
    bundle = build_bundle(directory, payload, info)
    store.publish_bundle(bundle.directory, bundle.files, MARKER)
    return directory, bundle.marker_sha256
