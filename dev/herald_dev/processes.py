"""Environment for the Airflow processes the tooling starts: the product's import path only.

The demo and ``make up`` run with ``dev/`` on ``PYTHONPATH`` (they are tooling); the Airflow processes they start
must see what a production deployment sees, so ``dev/`` is taken off again.
"""

from __future__ import annotations

import os
from pathlib import Path

DEV_DIR = Path(__file__).resolve().parents[1]


def product_pythonpath(pythonpath: str | None = None) -> str:
    """``PYTHONPATH`` without the tooling's folder."""
    value = os.environ.get("PYTHONPATH", "") if pythonpath is None else pythonpath
    kept = [entry for entry in value.split(os.pathsep) if entry and Path(entry).resolve() != DEV_DIR]
    return os.pathsep.join(kept)


def product_environment(**overrides: str) -> dict[str, str]:
    """This process's environment for an Airflow child: ``dev/`` off the import path, then ``overrides``."""
    return {**os.environ, "PYTHONPATH": product_pythonpath(), **overrides}
