"""Create the git-ignored ``.env`` with fresh secrets for a local setup, once.

Every Airflow process of one deployment must share the JWT secret and the Fernet key, or
tasks fail with "Invalid auth token"; docker-compose reads the same file.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path


def ensure_env_file(path: Path) -> bool:
    """Write ``path`` with new secrets unless it exists; return whether it was written."""
    if path.exists():
        return False
    from cryptography.fernet import Fernet

    # Passwords in hex: a URL-safe token may start with "-", which `airflow users create --password` (airflow-init)
    # would read as an option.
    path.write_text(
        "# Local secrets, made by `make`; never commit this file.\n"
        f"AIRFLOW__API_AUTH__JWT_SECRET={secrets.token_urlsafe(32)}\n"
        f"AIRFLOW__CORE__FERNET_KEY={Fernet.generate_key().decode()}\n"
        f"HERALD_DB_PASSWORD={secrets.token_hex(16)}\n"
        f"POSTGRES_PASSWORD={secrets.token_hex(16)}\n"
        f"MINIO_ROOT_PASSWORD={secrets.token_hex(16)}\n"
        f"HERALD_ROUTER_PASSWORD={secrets.token_hex(16)}\n"
        f"AIRFLOW_ADMIN_PASSWORD={secrets.token_hex(16)}\n"
        "AIRFLOW_UID=50000\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    print(f"{'wrote' if ensure_env_file(target) else 'kept'} {target}")
