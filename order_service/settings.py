"""Runtime settings, read once from the environment.

Everything deployment-specific comes from environment variables so the same
code runs on a laptop (SQLite under ``var/``) and next to a merchant's
PostgreSQL without edits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent

# Documented development default; production deployments must override it
# because anyone who knows it can read every shopper's orders.
DEV_API_TOKEN = "dev-order-api-token"


@dataclass(frozen=True)
class Settings:
    database_url: str
    api_token: str
    host: str
    port: int
    policy_path: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        default_db = f"sqlite:///{REPO_ROOT / 'var' / 'orders.db'}"
        return cls(
            database_url=environ.get("DATABASE_URL") or default_db,
            api_token=environ.get("ORDER_API_TOKEN") or DEV_API_TOKEN,
            host=environ.get("ORDER_SERVICE_HOST") or "127.0.0.1",
            port=_port(environ.get("ORDER_SERVICE_PORT") or "8010"),
            policy_path=Path(
                environ.get("STORE_POLICY_PATH") or REPO_ROOT / "store_policy.yml"
            ),
        )


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"ORDER_SERVICE_PORT must be an integer, got {raw!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"ORDER_SERVICE_PORT out of range: {port}")
    return port
