"""Archive command line (PUB-4).

    python -m herald.archive archive --db URL --root URL [--since DAY] [--seal-today]
    python -m herald.archive verify  --db URL --root URL [--json]

``--db`` defaults as for ``python -m herald`` (``HERALD_DB_URL`` or ``AIRFLOW_CONN_HERALD_DB``);
``--root`` defaults to ``HERALD_ARCHIVE_ROOT`` or ``<repo>/.demo/archive``. An ``s3://bucket/prefix``
root takes ``--endpoint-url`` (MinIO and other S3-compatible stores); credentials come from the
usual AWS environment variables. ``verify`` exits 1 when it finds a problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta

from herald.connection_url import herald_db_url
from herald.db import Database
from herald.errors import HeraldError


def _store(args: argparse.Namespace):
    from herald.archive.store import default_archive_root, open_store

    options = {"client_kwargs": {"endpoint_url": args.endpoint_url}} if args.endpoint_url else None
    return open_store(args.root or default_archive_root(), options)


def cmd_archive(args: argparse.Namespace) -> int:
    from herald.archive.archiver import archive_published
    from herald.ledger import TaskRun
    from herald.timeutil import local_day, now_utc, shanghai_midnight_utc

    now = now_utc()
    since = shanghai_midnight_utc(date.fromisoformat(args.since)) if args.since else None
    today = local_day(now)
    entry = archive_published(
        Database(herald_db_url(args.db)), _store(args), TaskRun.manual("archive", now), since=since,
        seal_through=today if args.seal_today else today - timedelta(days=1), record_status_notes=True, now=now,
        workers=args.workers,
    )
    print(json.dumps({**entry.row_counts, "sealed_days": entry.outputs["sealed_days"]}, ensure_ascii=False, default=str))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from herald.archive.verify import report_as_dict, verify_archive
    from herald.ledger import TaskRun
    from herald.timeutil import now_utc

    now = now_utc()
    _, report = verify_archive(Database(herald_db_url(args.db)), _store(args), TaskRun.manual("verify_archive", now),
                               now=now, workers=args.workers)
    if args.json:
        print(json.dumps(report_as_dict(report), ensure_ascii=False, indent=2, default=str))
    else:
        print("\n".join(report.summary_lines()))
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m herald.archive", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, handler, text in (("archive", cmd_archive, "archive every published item not archived yet"),
                                ("verify", cmd_verify, "verify every bundle and the index chain")):
        command = sub.add_parser(name, help=text)
        command.add_argument("--db", help="Herald database URL")
        command.add_argument("--root", help="archive root: a folder, file:///..., or s3://bucket/prefix")
        command.add_argument("--endpoint-url", help="S3-compatible endpoint (MinIO, ...)")
        command.add_argument("--workers", type=int, default=8)
        command.set_defaults(handler=handler)
    sub.choices["archive"].add_argument("--since", help="only items published on or after this day (YYYY-MM-DD, Beijing)")
    sub.choices["archive"].add_argument("--seal-today", action="store_true",
                                        help="seal today's index too (later entries go to tomorrow)")
    sub.choices["verify"].add_argument("--json", action="store_true", help="print the full report as JSON")
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except HeraldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
