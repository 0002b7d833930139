"""Console settings, read once from the environment.

Same rule as the order service: everything deployment-specific comes from
environment variables, so a laptop (SQLite under ``var/``, the dev secret) and a
merchant's server run the same code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from bot.settings import DEV_ORDER_API_TOKEN, Settings as BotSettings
from handoff.config import EnvReader
from handoff.db import REPO_ROOT, database_url


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
    # The merchant's order API (order_service/openapi.yaml), for refunds and address
    # changes. Same variables and defaults as the bot's, so one environment serves both.
    order_api_url: str = "http://127.0.0.1:8010"
    order_api_token: str = DEV_ORDER_API_TOKEN
    order_api_connect_timeout: float = 1.0
    order_api_read_timeout: float = 3.0
    # The Rasa project the review inbox writes examples into (data/, domain/, tests/data/).
    training_dir: Path = REPO_ROOT
    # Rasa's SQL tracker store (endpoints.yml), which conversation review reads.
    tracker_db_url: str = field(default_factory=lambda: tracker_db_url(os.environ))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, require_secret: bool = True) -> "ConsoleSettings":
        """``require_secret=False`` for commands that sign nothing (migrate, add-user)."""
        env = EnvReader(environ)
        dev = env.flag("CONSOLE_DEV", False)
        secret = (environ.get("CONSOLE_SECRET") or "").strip()
        if not secret:
            if not dev and require_secret:
                raise ValueError("CONSOLE_SECRET is required (set CONSOLE_DEV=1 to use the "
                                 "insecure development secret on your own machine)")
            secret = DEV_SECRET
        elif len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"CONSOLE_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        order_service_port = env.integer("ORDER_SERVICE_PORT", 8010, 1, 65535)
        return cls(
            database_url=database_url(environ),
            redis_url=environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            secret=secret,
            session_seconds=env.integer("CONSOLE_SESSION_HOURS", 8, 1, 24 * 7) * 3600,
            host=env.text("CONSOLE_HOST", "127.0.0.1"),
            port=env.integer("CONSOLE_PORT", 8020, 1, 65535),
            sweep_seconds=env.number("CONSOLE_SWEEP_SECONDS", 3.0, minimum=0),
            cookie_secure=env.flag("CONSOLE_COOKIE_SECURE", not dev),
            login_max_failures=env.integer("CONSOLE_LOGIN_MAX_FAILURES", 5, 1, 1000),
            login_window_seconds=env.integer("CONSOLE_LOGIN_WINDOW_SECONDS", 300, 1, 86_400),
            order_api_url=env.text("ORDER_API_URL", f"http://127.0.0.1:{order_service_port}").rstrip("/"),
            order_api_token=env.text("ORDER_API_TOKEN", DEV_ORDER_API_TOKEN),
            order_api_connect_timeout=env.number("ORDER_API_CONNECT_TIMEOUT", 1.0),
            order_api_read_timeout=env.number("ORDER_API_READ_TIMEOUT", 3.0),
            training_dir=Path(env.text("XIAOER_TRAINING_DIR", str(REPO_ROOT))),
            tracker_db_url=tracker_db_url(environ),
        )


def tracker_db_url(environ: Mapping[str, str] = os.environ) -> str:
    """Where Rasa keeps its trackers: TRACKER_DB_URL as endpoints.yml reads it, else the
    URL ``xiaoer run`` would give Rasa (bot/settings.py decides, so the two never drift)."""
    explicit = (environ.get("TRACKER_DB_URL") or "").strip()
    if explicit:
        return explicit
    var_dir = Path((environ.get("XIAOER_VAR_DIR") or "").strip() or REPO_ROOT / "var")
    bot = replace(BotSettings.from_env(), var_dir=var_dir,
                  database_url=(environ.get("DATABASE_URL") or "").strip() or None)
    return bot.tracker_db_url
