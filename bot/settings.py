"""Every setting of the bot side (channels, actions, the runner) in one place.

Values come from the environment so that secrets never live in the repository; the
development defaults let the product start on a fresh machine and are refused
nowhere, so a production deployment must override them (see README, "Configuration").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

DEV_SHOPPER_TOKEN_SECRET = "dev-shopper-token-secret-change-me"
DEV_ORDER_API_TOKEN = "dev-order-api-token"
DEV_RASA_API_TOKEN = "dev-rasa-api-token"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _optional_env(name: str) -> Optional[str]:
    value = os.environ.get(name, "").strip()
    return value or None


@dataclass(frozen=True)
class RedisAddress:
    """A Redis URL split into the parts Rasa's lock store configuration wants."""

    host: str
    port: int
    db: int
    password: str

    @classmethod
    def parse(cls, url: str) -> "RedisAddress":
        parts = urlsplit(url)
        db = (parts.path or "/0").lstrip("/") or "0"
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            db=int(db),
            password=parts.password or "",
        )


@dataclass(frozen=True)
class Settings:
    root: Path
    var_dir: Path
    # Where trainers' config.yml, domain/, data/ and tests/ live (tests point it elsewhere).
    training_dir: Path
    database_url: Optional[str]
    redis_url: Optional[str]
    order_api_url: str
    order_api_token: str
    order_api_connect_timeout: float
    order_api_read_timeout: float
    order_api_retries: int
    shopper_token_secret: str
    shopper_token_ttl_seconds: int
    rasa_api_token: str
    rasa_port: int
    action_port: int
    # Where Rasa calls the action server: this machine's ACTION_PORT unless it runs elsewhere.
    action_endpoint_url: str
    order_service_port: int
    storefront_port: int
    console_port: int
    embedded_redis_port: int
    max_message_chars: int
    action_deadline_seconds: float
    bind_host: str
    widget_allowed_origins: Tuple[str, ...]

    @classmethod
    def from_env(cls) -> "Settings":
        var_dir = Path(_env("XIAOER_VAR_DIR", str(ROOT / "var")))
        order_service_port = int(_env("ORDER_SERVICE_PORT", "8010"))
        action_port = int(_env("ACTION_PORT", "5055"))
        origins = _env("WIDGET_ALLOWED_ORIGINS", "*")
        return cls(
            root=ROOT,
            var_dir=var_dir,
            training_dir=Path(_env("XIAOER_TRAINING_DIR", str(ROOT))),
            database_url=_optional_env("DATABASE_URL"),
            redis_url=_optional_env("REDIS_URL"),
            order_api_url=_env(
                "ORDER_API_URL", f"http://127.0.0.1:{order_service_port}"
            ).rstrip("/"),
            order_api_token=_env("ORDER_API_TOKEN", DEV_ORDER_API_TOKEN),
            order_api_connect_timeout=float(_env("ORDER_API_CONNECT_TIMEOUT", "1.0")),
            order_api_read_timeout=float(_env("ORDER_API_READ_TIMEOUT", "3.0")),
            order_api_retries=int(_env("ORDER_API_RETRIES", "1")),
            shopper_token_secret=_env("SHOPPER_TOKEN_SECRET", DEV_SHOPPER_TOKEN_SECRET),
            shopper_token_ttl_seconds=int(_env("SHOPPER_TOKEN_TTL_SECONDS", "7200")),
            rasa_api_token=_env("RASA_API_TOKEN", DEV_RASA_API_TOKEN),
            rasa_port=int(_env("RASA_PORT", "5005")),
            action_port=action_port,
            action_endpoint_url=_env("ACTION_ENDPOINT_URL", f"http://127.0.0.1:{action_port}/webhook"),
            order_service_port=order_service_port,
            storefront_port=int(_env("STOREFRONT_PORT", "8000")),
            console_port=int(_env("CONSOLE_PORT", "8020")),
            embedded_redis_port=int(_env("EMBEDDED_REDIS_PORT", "6390")),
            max_message_chars=int(_env("MAX_MESSAGE_CHARS", "1000")),
            action_deadline_seconds=float(_env("ACTION_DEADLINE_SECONDS", "10")),
            bind_host=_env("BIND_HOST", "127.0.0.1"),
            widget_allowed_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
        )

    @property
    def live_redis_url(self) -> str:
        """The Redis ``xiaoer run`` uses: REDIS_URL, else the embedded one it starts."""
        return self.redis_url or f"redis://127.0.0.1:{self.embedded_redis_port}/0"

    @property
    def tracker_db_url(self) -> str:
        """Conversations share the product database when one is configured."""
        return self.database_url or f"sqlite:///{self.var_dir / 'trackers.db'}"


def get_settings() -> Settings:
    return Settings.from_env()
