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
from herald.errors import HeraldError, ValidationError


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


def _print_json(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _read_json(path: str):
    source = sys.stdin if path == "-" else open(path, encoding="utf-8")
    with source:
        return json.load(source)


def cmd_post_queue(args: argparse.Namespace) -> int:
    from herald.posts.model import PostRequest
    from herald.posts.queue import queue_post
    from herald.timeutil import now_utc

    request = PostRequest.from_mapping(_read_json(args.file))
    post_id = queue_post(_db(args), request, now=now_utc())
    print(post_id)
    return 0


def cmd_post_release(args: argparse.Namespace) -> int:
    from herald.posts.model import ReleaseRequest
    from herald.posts.queue import queue_release
    from herald.timeutil import now_utc

    data = _read_json(args.file)
    release = ReleaseRequest(tuple(data.get("account_ids") or ()), data.get("base") or {}, data.get("variants") or {})
    release_id, post_ids = queue_release(_db(args), release, now=now_utc())
    _print_json({"release_id": release_id, "post_ids": post_ids})
    return 0


def cmd_post_decide(args: argparse.Namespace) -> int:
    from herald.posts.approval import decide
    from herald.timeutil import now_utc

    result = decide(_db(args), post_id=args.post_id, approver_id=args.as_person, decision=args.decision,
                    content_hash=args.content_hash, reason=args.reason, via="cli", now=now_utc())
    _print_json(result)
    return 0


def cmd_post_edit(args: argparse.Namespace) -> int:
    from herald.posts.lifecycle import edit_post
    from herald.timeutil import now_utc

    _print_json(edit_post(_db(args), args.post_id, editor_id=args.as_person, changes=_read_json(args.file),
                          now=now_utc()))
    return 0


def cmd_post_show(args: argparse.Namespace) -> int:
    from herald.posts.lifecycle import post_status

    _print_json(post_status(_db(args), args.post_id))
    return 0


def cmd_dispatch_confirm_manual(args: argparse.Namespace) -> int:
    from herald.dispatch.manual import confirm_manual
    from herald.timeutil import now_utc

    _print_json(confirm_manual(_db(args), args.post_id, link=args.link, person_id=args.as_person, now=now_utc()))
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
    post = commands.add_parser("post", help="queue, approve, edit and inspect timed releases").add_subparsers(
        dest="post_command", required=True)
    queue = post.add_parser("queue", help="queue one post from a JSON request (file or - for stdin)")
    queue.add_argument("file")
    queue.set_defaults(func=cmd_post_queue)
    release = post.add_parser("release", help="queue a matrix release: {account_ids, base, variants}")
    release.add_argument("file")
    release.set_defaults(func=cmd_post_release)
    for name in ("approve", "reject"):
        decision = post.add_parser(name, help=f"{name} the next step of a post's chain")
        decision.add_argument("post_id")
        decision.add_argument("--as", dest="as_person", required=True, help="your person id")
        decision.add_argument("--content-hash", required=True, help="the hash of the content you reviewed")
        decision.add_argument("--reason", help="required when rejecting")
        decision.set_defaults(func=cmd_post_decide, decision="approved" if name == "approve" else "rejected")
    edit = post.add_parser("edit", help="change a post (JSON of the fields to change); voids signatures")
    edit.add_argument("post_id")
    edit.add_argument("file")
    edit.add_argument("--as", dest="as_person", required=True)
    edit.set_defaults(func=cmd_post_edit)
    show = post.add_parser("show", help="a post's state, chain and history")
    show.add_argument("post_id")
    show.set_defaults(func=cmd_post_show)
    dispatch = commands.add_parser("dispatch", help="timed release: manual channels").add_subparsers(
        dest="dispatch_command", required=True)
    confirm = dispatch.add_parser("confirm-manual", help="confirm the link of an item you published by hand")
    confirm.add_argument("post_id")
    confirm.add_argument("--link", required=True, help="the http(s) link of the published item")
    confirm.add_argument("--as", dest="as_person", required=True, help="your person id (the designated operator)")
    confirm.set_defaults(func=cmd_dispatch_confirm_manual)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as exc:
        print("herald: refused:", file=sys.stderr)
        for violation in exc.violations:
            print(f"  - {violation}", file=sys.stderr)
        return 2
    except HeraldError as exc:
        print(f"herald: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
