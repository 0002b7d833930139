"""Builds the Sanic application from settings."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from sanic import Sanic
from sanic.config import Config

from order_service.api import api_v1, public_routes
from order_service.api.errors import render_error
from order_service.db import engine_for, session_factory
from order_service.policy import StorePolicy, load_policy
from order_service.settings import Settings

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"

# Every request body in the contract is a few hundred bytes.
MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings, policy: Optional[StorePolicy] = None) -> Sanic:
    """A ready-to-serve app; the schema must already be migrated.

    Apps stay out of Sanic's global name registry, so a process (a test run,
    or one that also hosts Rasa's Sanic app) can create several without name
    clashes; logging configuration is left to the caller for the same reason.
    Starting more than one Sanic app in a process additionally needs
    ``Sanic.test_mode = True``, because Sanic 21.12 rewrites some of its own
    methods on first start.
    """
    config = Config()
    config.REGISTER = False
    config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    app = Sanic("order_service", config=config, configure_logging=False)

    engine = engine_for(settings.database_url)
    app.ctx.settings = settings
    app.ctx.policy = policy or load_policy(settings.policy_path)
    app.ctx.engine = engine
    app.ctx.sessions = session_factory(engine)
    app.ctx.openapi = OPENAPI_PATH.read_bytes()

    app.blueprint(public_routes)
    app.blueprint(api_v1)
    app.error_handler.add(Exception, render_error)

    # Before rather than after stop: Sanic warns about after-stop listeners
    # when served over ASGI, and disposing only drops idle pooled connections.
    @app.before_server_stop
    async def dispose_engine(app: Sanic, _loop) -> None:
        engine.dispose()

    return app
