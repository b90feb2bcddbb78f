"""Herald's tooling, kept apart from the product: the demo and scale worlds, the local fake platforms and inbox,
the ``make demo`` / ``make up`` runners.

Nothing here is on an Airflow process's import path in production (the Docker image installs only ``include/``
and ``plugins/``); the demo and the tests put ``dev/`` on ``sys.path`` themselves. Importing this package lets
Herald's SQL loader find the tooling's own statements under ``dev/sql/``.
"""

from __future__ import annotations

from pathlib import Path

from herald.db import add_sql_root

DEV_SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
add_sql_root(DEV_SQL_DIR)
