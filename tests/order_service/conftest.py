"""Fixtures: a freshly migrated database and the service running against it.

SQLite in a temporary directory by default; with ``DATABASE_URL`` pointing at
PostgreSQL, a schema of its own that is dropped afterwards, so other suites
sharing that database (Rasa's tracker store, for one) never see our tables.
The service runs as a real subprocess (``python -m order_service serve``):
sanic-testing is not installed, and a real socket also exercises the
HTTP-level limits such as the 64 KB body cap.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.engine import Engine

from order_service.db import engine_for, migrate, session_factory
from order_service.models import OrderAudit
from order_service.policy import StorePolicy, load_policy
from order_service.seed import seed
from order_service.settings import REPO_ROOT
from tests.order_service.builders import OrderBuilder
from tests.order_service.support import TOKEN, Api, isolated_database


@pytest.fixture(scope="session")
def policy() -> StorePolicy:
    return load_policy(REPO_ROOT / "store_policy.yml")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    with isolated_database(tmp_path_factory.mktemp("orders")) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url) -> Iterator[Engine]:
    engine = engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def seed_counts(engine, policy) -> dict[str, int]:
    counts = seed(engine, policy)
    assert counts is not None
    return counts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def service_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("service") / "service.log"


@pytest.fixture(scope="session")
def service(database_url, seed_counts, service_log) -> Iterator[str]:
    port = _free_port()
    log_path = service_log
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ORDER_API_TOKEN": TOKEN,
        "PYTHONPATH": str(REPO_ROOT),
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "order_service", "serve", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log_path)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
    # Every test below must have produced a 4xx rather than a crash.
    assert "unhandled error" not in log_path.read_text(encoding="utf-8", errors="replace")


def _wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"order service did not start:\n{log_path.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def api(service) -> Iterator[Api]:
    client = Api(service)
    yield client
    client.http.close()


@pytest.fixture
def orders(engine) -> OrderBuilder:
    return OrderBuilder(engine)


@pytest.fixture
def audit(engine):
    """The audit rows of an order, oldest first."""

    def rows(order_no):
        with session_factory(engine)() as session:
            query = select(OrderAudit).where(OrderAudit.order_no == order_no)
            return list(session.scalars(query.order_by(OrderAudit.id)))

    return rows


@pytest.fixture
def stored(engine):
    """A row as the database has it now."""

    def load(model, key):
        with session_factory(engine)() as session:
            return session.get(model, key)

    return load
