"""Actions run against the real order service, with trackers built like Rasa's."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
import sqlalchemy as sa
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import handoff, runtime
from handoff.db import migrate
from tests.services import isolated_database, order_service

TOKEN = "actions-test-order-token"


@pytest.fixture(scope="session")
def order_db(tmp_path_factory):
    with isolated_database(tmp_path_factory.mktemp("orders")) as url:
        yield url


@pytest.fixture(scope="session")
def order_service_url(order_db):
    with order_service(order_db, TOKEN) as url:
        yield url


@pytest.fixture(scope="session")
def engine(order_db):
    engine = sa.create_engine(order_db)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def chat_log_db(tmp_path_factory):
    with isolated_database(tmp_path_factory.mktemp("chatlog")) as url:
        migrate(url)
        yield url


@pytest.fixture(autouse=True)
def api_points_at_the_test_service(monkeypatch, order_service_url, redis_url, prefix, chat_log_db):
    """The order service of this session; handoffs go to this test's own queue and chat log."""
    monkeypatch.setenv("ORDER_API_URL", order_service_url)
    monkeypatch.setenv("ORDER_API_TOKEN", TOKEN)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("HANDOFF_KEY_PREFIX", prefix)
    monkeypatch.setenv("CONSOLE_DATABASE_URL", chat_log_db)
    caches = (runtime.order_api, handoff.handoff_queue, handoff.chat_log)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def tracker(
    text: str = "",
    intent: str = "",
    shopper_id: Optional[str] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
) -> Tracker:
    return Tracker(
        sender_id=f"s-{shopper_id}:test" if shopper_id else "v-test",
        slots=slots or {},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities or [],
            "metadata": {"shopper_id": shopper_id, "channel": "rest"},
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def order_entity(order_no: str) -> List[Dict[str, Any]]:
    return [{"entity": "order_no", "value": order_no, "start": 0, "end": len(order_no)}]


async def run(action, t: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return dispatcher.messages, events
