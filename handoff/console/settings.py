"""Console settings, read once from the environment.

Same rule as the order service: everything deployment-specific comes from
environment variables, so a laptop (SQLite under ``var/``, the dev secret) and a
merchant's server run the same code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent.parent

# DEV ONLY. Anyone who knows this value can mint a session for any agent, so it is
# accepted only when CONSOLE_DEV=1 says "this is a developer's machine".
DEV_SECRET = "dev-only-console-secret-do-not-deploy"
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class ConsoleSettings:
    database_url: str
    redis_url: str
    secret: str
    session_seconds: int
    host: str
    port: int
    sweep_seconds: float        # 0 disables the in-process sweeper (another replica runs it)
    cookie_secure: bool         # False only for plain-http development
    login_max_failures: int
    login_window_seconds: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, require_secret: bool = True) -> "ConsoleSettings":
        """``require_secret=False`` for commands that sign nothing (migrate, add-user)."""
        dev = _flag(environ, "CONSOLE_DEV", False)
        var_dir = Path(environ.get("XIAOER_VAR_DIR") or REPO_ROOT / "var")
        default_db = f"sqlite:///{var_dir / 'console.db'}"
        secret = (environ.get("CONSOLE_SECRET") or "").strip()
        if not secret:
            if not dev and require_secret:
                raise ValueError("CONSOLE_SECRET is required (set CONSOLE_DEV=1 to use the "
                                 "insecure development secret on your own machine)")
            secret = DEV_SECRET
        elif len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"CONSOLE_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        return cls(
            database_url=environ.get("CONSOLE_DATABASE_URL") or environ.get("DATABASE_URL") or default_db,
            redis_url=environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            secret=secret,
            session_seconds=_integer(environ, "CONSOLE_SESSION_HOURS", 8, 1, 24 * 7) * 3600,
            host=environ.get("CONSOLE_HOST") or "127.0.0.1",
            port=_integer(environ, "CONSOLE_PORT", 8020, 1, 65535),
            sweep_seconds=_number(environ, "CONSOLE_SWEEP_SECONDS", 3.0),
            cookie_secure=_flag(environ, "CONSOLE_COOKIE_SECURE", not dev),
            login_max_failures=_integer(environ, "CONSOLE_LOGIN_MAX_FAILURES", 5, 1, 1000),
            login_window_seconds=_integer(environ, "CONSOLE_LOGIN_WINDOW_SECONDS", 300, 1, 86_400),
        )


def _integer(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")
