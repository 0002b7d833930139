"""Builds the console's Sanic app from settings (and, in tests, a given Store)."""

from __future__ import annotations

import asyncio
from typing import Optional

from sanic import Sanic
from sanic.config import Config

from handoff.assignment import Dispatcher
from handoff.chatlog import ChatLog
from handoff.console.api import console
from handoff.console.chat import chat
from handoff.console.conversation_review import conversation_review
from handoff.console.dashboard import dashboard
from handoff.console.live import ConsoleLive
from handoff.db import engine_for, session_factory
from handoff.console.errors import render_error
from handoff.console.order_actions import order_actions
from handoff.console.order_client import OrderClient
from handoff.console.pages import pages
from handoff.console.quick_replies import quick_replies
from handoff.console.recorder import record_forever
from handoff.console.review import review
from handoff.console.ratelimit import LoginLimiter
from handoff.console.sessions import SessionSigner
from handoff.console.settings import ConsoleSettings
from handoff.console.sweeper import sweep_forever
from handoff.desk import Desk
from handoff.event_stream import EventRecorder
from handoff.live import LiveFeed
from handoff.presence import Presence
from handoff.queue import HandoffQueue
from handoff.store import Store
from handoff.uploads import UploadStore

# Every request body is a login, a note, a transfer, a quick reply or an address: a few KB at most.
MAX_BODY_BYTES = 32 * 1024
# How often queue events reach the service record: the dashboard's history lags by at most this.
RECORD_SECONDS = 1.0


def create_app(settings: ConsoleSettings, store: Optional[Store] = None) -> Sanic:
    """A ready-to-serve app; the schema must already be migrated.

    Like the order service's app it stays out of Sanic's name registry, so a test
    run can build one per test (with ``Sanic.test_mode = True``).
    """
    config = Config()
    config.REGISTER = False
    config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    app = Sanic("handoff_console", config=config, configure_logging=False)

    store = store or Store.from_url(settings.redis_url)
    engine = engine_for(settings.database_url)
    prefix = store.config.key_prefix
    app.ctx.settings = settings
    app.ctx.engine = engine
    app.ctx.sessions = session_factory(engine)
    app.ctx.chatlog = ChatLog(app.ctx.sessions)
    app.ctx.uploads = UploadStore(app.ctx.sessions)
    app.ctx.store = store
    app.ctx.queue = HandoffQueue(store)
    app.ctx.desk = Desk(store)
    app.ctx.presence = Presence(store)
    app.ctx.dispatcher = Dispatcher(store)
    app.ctx.signer = SessionSigner(settings.secret, settings.session_seconds, store.redis, prefix)
    app.ctx.limiter = LoginLimiter(store.redis, prefix, settings.login_max_failures,
                                   settings.login_window_seconds)
    app.ctx.orders = OrderClient(settings.order_api_url, settings.order_api_token,
                                 settings.order_api_connect_timeout, settings.order_api_read_timeout)
    app.ctx.feed = LiveFeed(settings.redis_url, store.config)
    app.ctx.live = ConsoleLive(app)
    app.ctx.recorder = EventRecorder(store, app.ctx.chatlog.events)
    app.ctx.sweeper = None
    app.ctx.relay = None
    app.ctx.recording = None

    app.blueprint(console)
    app.blueprint(chat)
    app.blueprint(quick_replies)
    app.blueprint(dashboard)
    app.blueprint(conversation_review)
    app.blueprint(order_actions)
    app.blueprint(review)
    app.blueprint(pages)
    app.error_handler.add(Exception, render_error)

    @app.after_server_start
    async def start_background(app: Sanic, _loop) -> None:
        live = app.ctx.live
        app.ctx.relay = app.add_task(app.ctx.feed.listen(live.on_entry, live.on_event, live.on_signal),
                                     name="console.relay")
        if settings.sweep_seconds > 0:
            app.ctx.sweeper = app.add_task(sweep_forever(app.ctx.dispatcher, settings.sweep_seconds),
                                           name="console.sweeper")
            app.ctx.recording = app.add_task(record_forever(app.ctx.recorder, RECORD_SECONDS),
                                             name="console.recorder")

    # Before rather than after stop: Sanic warns about after-stop listeners over ASGI.
    @app.before_server_stop
    async def stop(app: Sanic, _loop) -> None:
        for task in (app.ctx.sweeper, app.ctx.recording):
            if task is None:
                continue
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        app.ctx.orders.close()
        engine.dispose()

    return app
