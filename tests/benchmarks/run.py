"""Run benchmarks by name: ``python tests/benchmarks/run.py [NAME ...]`` (all when none given).

Each benchmark is ``tests/benchmarks/bench_<name>.py`` with a ``main()`` that prints
what it measured, on which data, beside its baseline from the same process, and
ends with one JSON line (see ``common.emit``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# Absolute, so each benchmark finds Herald whatever directory it runs in.
SEARCH_PATH = os.pathsep.join(str(p) for p in (REPO / "include", REPO / "plugins", REPO / "dev", REPO / "tests", HERE))


def available() -> list[str]:
    return sorted(p.stem[len("bench_") :].replace("_", "-") for p in HERE.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {', '.join(available())}", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        print(f"=== bench {name}", flush=True)
        # One process per benchmark so imports and caches of one do not flatter another.
        module = f"bench_{name.replace('-', '_')}"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SEARCH_PATH, os.environ.get("PYTHONPATH")]))}
        # SIGTERM becomes SystemExit so a stopped benchmark still runs its clean-up (stacks, databases).
        code = subprocess.call([sys.executable, "-c",
                                f"import signal, sys; signal.signal(signal.SIGTERM, lambda *_: sys.exit(143)); "
                                f"import {module}; raise SystemExit({module}.main())"], cwd=HERE, env=env)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
