"""The whole product, started by its own run command, for end-to-end tests.

One stack per test session: `xiaoer run` on free ports with a private data folder.
With DATABASE_URL set to PostgreSQL the stack gets a schema of its own, dropped at
the end; with REDIS_URL set it uses that Redis, else the embedded one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
import requests
import sqlalchemy as sa

from bot.chat_clients import ConsoleAgent, WidgetClient
from bot.settings import ROOT
from connectors.identity import issue_token
from handoff.config import HandoffConfig
from handoff.presence import AgentStatus, Presence
from handoff.store import Store
from tests.e2e import orders_db
from tests.services import PYTHON, free_port, isolated_database, seed_orders, training_copy

SECRET = "e2e-shopper-token-secret-0123456789abcdef"
ORDER_TOKEN = "e2e-order-api-token"
RASA_TOKEN = "e2e-rasa-api-token"


@dataclass
class Stack:
    rasa_url: str
    store_url: str
    console_url: str
    order_url: str
    database_url: str
    redis_url: str
    log_path: Path
    handoff: HandoffConfig
    env: Dict[str, str]
    # The first and last shoppers with exactly one parcel on the way, as seeded today (the
    # seed follows the calendar). Reserved for the tests that ask about that parcel:
    # ``pick``, ``fresh_shopper`` and ``quiet_shopper`` never hand them out.
    parcel_shoppers: Tuple[str, str]

    def token(self, shopper_id: str, ttl: int = 600) -> str:
        return issue_token(shopper_id, SECRET, ttl)

    def say(self, text, shopper_id: Optional[str] = None, sender: Optional[str] = None,
            token: Optional[str] = None) -> requests.Response:
        metadata = {}
        if token or shopper_id:
            metadata["token"] = token or self.token(shopper_id)
        return requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender or uuid.uuid4().hex, "message": text, "metadata": metadata},
            timeout=30,
        )

    def texts(self, text, shopper_id=None, sender=None) -> List[str]:
        response = self.say(text, shopper_id=shopper_id, sender=sender)
        assert response.status_code == 200, response.text
        return [m.get("text", "") for m in response.json()]

    def conversation(self, shopper_id: Optional[str]) -> "Conversation":
        return Conversation(self, shopper_id, f"t{uuid.uuid4().hex[:12]}")

    def tracker(self, conversation_id: str) -> dict:
        response = requests.get(
            f"{self.rasa_url}/conversations/{requests.utils.quote(conversation_id, safe=':')}/tracker",
            params={"token": RASA_TOKEN}, timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def handoff_store(self) -> Store:
        return Store.from_url(self.redis_url, self.handoff)

    def engine(self) -> sa.engine.Engine:
        return sa.create_engine(self.database_url)

    @contextmanager
    def replica(self, kind: str) -> Iterator[str]:
        """One more ``rasa`` or ``console`` process beside the stack, via ``xiaoer replica``."""
        port = free_port()
        log_path = self.log_path.with_name(f"replica-{kind}-{port}.log")
        with open(log_path, "wb") as log:
            process = subprocess.Popen([PYTHON, "-m", "bot.cli", "replica", kind, "--port", str(port)],
                                       cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + 300
                while b"replica healthy" not in log_path.read_bytes():
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(f"{kind} replica did not start:\n{log_path.read_text()[-3000:]}")
                    time.sleep(0.3)
                yield f"http://127.0.0.1:{port}"
            finally:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()

    def add_agent(self, login: str, name: str, groups=("presale", "logistics", "after_sales", "complaints"),
                  role: str = "agent") -> str:
        """Creates a console account with the product's own command; returns its password."""
        password = f"pw-{uuid.uuid4().hex}"
        subprocess.run([PYTHON, "-m", "handoff.console", "add-user", login, "--name", name,
                        "--role", role, "--groups", ",".join(groups), "--password-env", "AGENT_PASSWORD"],
                       cwd=ROOT, env={**self.env, "AGENT_PASSWORD": password}, check=True,
                       stdout=subprocess.DEVNULL)
        return password


@dataclass
class Conversation:
    """One shopper's chat over REST; ``say`` returns the bot's messages."""

    stack: Stack
    shopper_id: Optional[str]
    sender: str

    def say(self, text: str) -> List[dict]:
        response = self.stack.say(text, shopper_id=self.shopper_id, sender=self.sender)
        assert response.status_code == 200, response.text
        return response.json()

    def text(self, text: str) -> str:
        return "\n".join(m.get("text", "") for m in self.say(text))

    @property
    def conversation_id(self) -> str:
        return f"s-{self.shopper_id}:{self.sender}" if self.shopper_id else f"v-{self.sender}"


def pytest_collection_modifyitems(items) -> None:
    """Tests marked ``changes_orders`` go last (a stable sort keeps every other order):
    they may change any seeded order, which ``pick`` hands out to the others."""
    items.sort(key=lambda item: item.get_closest_marker("changes_orders") is not None)


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    var_dir = tmp_path_factory.mktemp("xiaoer-var")
    ports = {name: free_port() for name in ("rasa", "actions", "orders", "store", "console", "redis")}
    database = isolated_database(var_dir)
    database_url = database.__enter__()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("ORDER_API_URL",)},
        "XIAOER_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "RASA_PORT": str(ports["rasa"]),
        "ACTION_PORT": str(ports["actions"]),
        "ORDER_SERVICE_PORT": str(ports["orders"]),
        "STOREFRONT_PORT": str(ports["store"]),
        "CONSOLE_PORT": str(ports["console"]),
        "EMBEDDED_REDIS_PORT": str(ports["redis"]),
        "SHOPPER_TOKEN_SECRET": SECRET,
        "ORDER_API_TOKEN": ORDER_TOKEN,
        "RASA_API_TOKEN": RASA_TOKEN,
        "NO_COLOR": "1",
        # Own keys on a shared Redis; people answer around the clock in tests.
        "HANDOFF_KEY_PREFIX": f"xiaoer-e2e-{uuid.uuid4().hex[:8]}:handoff",
        "HANDOFF_SERVICE_HOURS": "00:00-24:00",
        # Trainers label into a copy of the training files, never into the checkout.
        "XIAOER_TRAINING_DIR": str(training_copy(var_dir / "training")),
        # Agents pick chats by hand here: an offer racing a test's claim to another agent
        # signed in by an earlier test made claims flaky. Offers are tested in tests/handoff.
        "HANDOFF_AUTO_ASSIGN": "false",
    }
    seed_orders(env)
    seeded = sa.create_engine(database_url)
    one_parcel = orders_db.shoppers_with_in_transit(seeded, 1)
    seeded.dispose()
    TAKEN_SHOPPERS.update((one_parcel[0], one_parcel[-1]))
    log_path = var_dir / "run.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [PYTHON, "-m", "bot.cli", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 900
    while b"all services healthy" not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("xiaoer run did not start:\n" + log_path.read_text()[-5000:])
        time.sleep(0.5)
    yield Stack(
        rasa_url=f"http://127.0.0.1:{ports['rasa']}",
        store_url=f"http://127.0.0.1:{ports['store']}",
        console_url=f"http://127.0.0.1:{ports['console']}",
        order_url=f"http://127.0.0.1:{ports['orders']}",
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL") or f"redis://127.0.0.1:{ports['redis']}/0",
        log_path=log_path,
        handoff=HandoffConfig.from_env(env),
        env=env,
        parcel_shoppers=(one_parcel[0], one_parcel[-1]),
    )
    process.send_signal(signal.SIGINT)
    try:
        code = process.wait(timeout=30)
    finally:
        log.close()
        database.__exit__(None, None, None)
    assert code == 0, log_path.read_text()[-3000:]
    for name, port in ports.items():
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"{name} still listening after Ctrl-C"


@pytest.fixture
def connect(stack):
    """Opens widget sockets to the stack (``connect(token=…)`` or ``connect(visitor_id=…)``), closed after the test."""
    clients = []

    def _connect(**kwargs) -> WidgetClient:
        client = WidgetClient(stack.rasa_url, **kwargs)
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        client.close()


@pytest.fixture(autouse=True)
def nobody_left_online(request):
    """After each test, every agent it signed in is away: a test that fails halfway (or
    signs an agent in directly) must not leave someone online for the next one."""
    yield
    if "stack" not in request.fixturenames:
        return
    store = request.getfixturevalue("stack").handoff_store()
    presence = Presence(store)
    for agent_id in store.redis.zrange(store.keys.heartbeats(), 0, -1):
        presence.set_status(agent_id, AgentStatus.AWAY)


@pytest.fixture
def agent(stack):
    """An agent of every group, signed in to the console and listening on its socket;
    signed out after the test, so later tests find nobody online unless they sign someone in."""
    login = f"agent-{uuid.uuid4().hex[:6]}"
    person = ConsoleAgent(stack.console_url, login, stack.add_agent(login, "小美")).listen()
    yield person
    person.close()


# Shoppers some test talks as in their widget conversation (``s-<id>:web``), which must
# not be shared; ``fresh_shopper`` and test_widget_browser's ``quiet_shopper`` both use it.
TAKEN_SHOPPERS: set = set()


@pytest.fixture(scope="session")
def fresh_shopper(stack):
    """Hands out shoppers no other test talks as: for tests about a conversation, not about
    one order (those ``pick`` an order). Shoppers with a shipped order come first, since
    ``quiet_shopper`` never takes those."""
    engine = stack.engine()

    def _fresh() -> str:
        with engine.connect() as conn:
            ids = conn.execute(sa.text(
                "SELECT s.id FROM shoppers s LEFT JOIN orders o ON o.shopper_id = s.id AND o.status = 'shipped'"
                " GROUP BY s.id ORDER BY COUNT(o.order_no) = 0, s.id DESC")).scalars().all()
        for shopper in ids:
            if shopper not in TAKEN_SHOPPERS:
                TAKEN_SHOPPERS.add(shopper)
                return shopper
        pytest.fail("every seeded shopper is taken")

    yield _fresh
    engine.dispose()


@pytest.fixture(scope="session")
def pick(stack):
    """Hands out orders no other test in this session has used: (shopper_id, order_no),
    never one of ``stack.parcel_shoppers``'s."""
    engine = stack.engine()
    used = set()
    reserved = set(stack.parcel_shoppers)

    def _pick(status: str, where: str = "", **params) -> tuple:
        query = sa.text(
            f"SELECT shopper_id, order_no FROM orders WHERE status = :status {where} "
            "ORDER BY order_no"
        )
        with engine.connect() as conn:
            for shopper, order_no in conn.execute(query, {"status": status, **params}):
                if order_no not in used and shopper not in reserved:
                    used.add(order_no)
                    return shopper, order_no
        pytest.fail(f"no unused {status} order {where}")

    yield _pick
    engine.dispose()
