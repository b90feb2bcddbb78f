"""Build the demo world: ``python -m herald_dev.world --db URL --as-of YYYY-MM-DD [--seed N] [--replace]``.

Applies pending migrations first, then prints the build summary as JSON. The demo passes today's
Shanghai date as ``--as-of``; tests pass a fixed one.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from herald.connection_url import herald_db_url
from herald.db import Database
from herald.errors import HeraldError
from herald.migrate import migrate
from herald_dev.world import DEFAULT_SEED, build_world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m herald_dev.world", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="Herald database URL (postgresql://... or sqlite:///path)")
    parser.add_argument("--as-of", required=True, type=date.fromisoformat, help="the world's today (YYYY-MM-DD)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--replace", action="store_true", help="delete an existing world and build again")
    args = parser.parse_args(argv)
    try:
        db = Database(herald_db_url(args.db))
        migrate(db)
        summary = build_world(db, seed=args.seed, as_of=args.as_of, replace=args.replace)
    except HeraldError as exc:
        print(f"herald_dev.world: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
