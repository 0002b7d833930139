"""What every action shares: the order API client and who the shopper is."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Text, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.order_api import OrderApi, OrderApiError
from bot.settings import get_settings

T = TypeVar("T")


@lru_cache(maxsize=1)
def order_api() -> OrderApi:
    return OrderApi(get_settings())


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs a blocking API call off the action server's event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def shopper_id(tracker: Tracker) -> Optional[str]:
    """The shopper the channel verified for the latest message, if any.

    Channels put only verified identities into metadata (connectors/identity.py);
    nothing a shopper types can change it.
    """
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    value = metadata.get("shopper_id")
    return value if isinstance(value, str) and value else None


def latest_text(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("text") or "").strip()


def latest_intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def latest_entity(tracker: Tracker, name: str) -> Optional[str]:
    values = list(tracker.get_latest_entity_values(name))
    return str(values[0]) if values else None


class ShopperAction(Action, ABC):
    """An action about the logged-in shopper's own data.

    Visitors are asked to log in, and when the order API cannot answer the shopper is
    told so and handed to a person, so each action only has to say what it knows.
    """

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        shopper = shopper_id(tracker)
        if shopper is None:
            dispatcher.utter_message(response="utter_ask_login")
            return []
        try:
            return await self.answer(dispatcher, tracker, shopper)
        except OrderApiError:
            # Imported here: actions.handoff builds on this module.
            from actions.handoff import order_api_down

            return await order_api_down(dispatcher, tracker)

    @abstractmethod
    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     shopper: str) -> List[EventType]:
        """Answers for this shopper; OrderApiError is handled by ``run``."""
