"""Herald's command line: ``python -m herald <command>``.

The database comes from ``--db URL``, else ``HERALD_DB_URL``, else the Airflow connection
variable ``AIRFLOW_CONN_HERALD_DB`` (the same one the DAGs use).
"""

from __future__ import annotations

import argparse
import json
import sys

from herald.connection_url import herald_db_url
from herald.db import Database
from herald.errors import HeraldError


def _db(args: argparse.Namespace) -> Database:
    return Database(herald_db_url(args.db))


def cmd_migrate(args: argparse.Namespace) -> int:
    from herald.migrate import current_version, migrate

    db = _db(args)
    applied = migrate(db)
    for migration in applied:
        print(f"applied {migration.version:04d}_{migration.name}")
    print(f"schema at version {current_version(db)} on {db!r}")
    return 0


def cmd_check_registry(args: argparse.Namespace) -> int:
    from herald.jobs import registry_check
    from herald.ledger import TaskRun
    from herald.timeutil import now_utc

    now = now_utc()
    entry = registry_check(_db(args), TaskRun.manual("check_registry", now), now=now)
    print(json.dumps(entry.row_counts, ensure_ascii=False))
    return 0


def cmd_findings(args: argparse.Namespace) -> int:
    from herald.timeutil import format_shanghai

    db = _db(args)
    rows = db.fetch("findings/open" if not args.all else "findings/all")
    for row in rows:
        print(f"{row['rule_id']:6} {row['state']:12} {row['period']:10} {row['subject_id']:24} "
              f"{format_shanghai(row['last_detected_at'])}  {row['summary']}")
    print(f"{len(rows)} finding(s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="herald", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="Herald database URL (postgresql://... or sqlite:///path)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply pending schema migrations").set_defaults(func=cmd_migrate)
    commands.add_parser("check-registry", help="run the ACC-1/ACC-3 registry check now").set_defaults(
        func=cmd_check_registry
    )
    findings = commands.add_parser("findings", help="list open findings")
    findings.add_argument("--all", action="store_true", help="include resolved findings")
    findings.set_defaults(func=cmd_findings)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HeraldError as exc:
        print(f"herald: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
