"""Escalating to a human: a ticket with the whole context, queued for the right group."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.order_api import Order, OrderApiError
from actions.runtime import call, latest_intent, order_api, shopper_id
from bot.settings import get_settings
from handoff.queue import HandoffQueue, Place
from handoff.tickets import Ticket, Turn, group_for

logger = logging.getLogger(__name__)

TRANSCRIPT_TURNS = 20
INTERNAL_SLOTS = {"requested_slot", "session_started_metadata", "handoff_reason",
                  "form_failures", "form_stopped", "pending_request"}


@lru_cache(maxsize=1)
def handoff_queue() -> Optional[HandoffQueue]:
    url = get_settings().redis_url
    return HandoffQueue.from_url(url) if url else None


def transcript(tracker: Tracker) -> List[Turn]:
    turns: List[Turn] = []
    for event in tracker.events:
        if event.get("event") == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            turns.append(Turn("shopper", event.get("text") or "", event.get("timestamp") or 0,
                              intent.get("name"), intent.get("confidence"),
                              parse.get("sentiment")))
        elif event.get("event") == "bot" and event.get("text"):
            turns.append(Turn("bot", event["text"], event.get("timestamp") or 0))
    return turns[-TRANSCRIPT_TURNS:]


def last_intent(tracker: Tracker) -> Optional[str]:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if name not in ("request_human", "complaint", "nlu_fallback"):
                return name
    return None


async def escalate(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> List[EventType]:
    """Queues the conversation for a person with its whole context and tells the shopper.

    Actions that find a case needs a person call this themselves rather than following
    up with ``action_handoff``, so that no rule has to predict what comes after them.
    """
    shopper = shopper_id(tracker)
    ticket = Ticket(
        conversation_id=tracker.sender_id,
        shopper_id=shopper,
        reason=reason,
        group=group_for(reason, last_intent(tracker)),
        transcript=transcript(tracker),
        slots={k: v for k, v in tracker.slots.items() if v is not None and k not in INTERNAL_SLOTS},
        orders=await context_orders(shopper, tracker.get_slot("order_no")),
    )
    queue = handoff_queue()
    try:
        if queue is None:
            raise ConnectionError("no Redis configured")
        place = await call(queue.enqueue, ticket)
    except Exception:  # Redis down: say so honestly rather than pretend
        logger.exception("could not queue handoff for %s", tracker.sender_id)
        dispatcher.utter_message(response="utter_handoff_unavailable")
        return [SlotSet("handoff_reason", None)]
    tell_place(dispatcher, place, str(queue.store.config.service_hours))
    return [SlotSet("handoff_reason", None)]


def tell_place(dispatcher: CollectingDispatcher, place: Place, hours: str) -> None:
    """Where the shopper stands, honestly: with a person, in line, or waiting for staff."""
    if place.position == 0:
        dispatcher.utter_message(response="utter_handoff_with_agent")
    elif not place.within_hours:
        dispatcher.utter_message(response="utter_handoff_after_hours", hours=hours)
    elif not place.staffed:
        dispatcher.utter_message(response="utter_handoff_nobody_online")
    else:
        minutes = max(1, round((place.eta_seconds or 0) / 60))
        dispatcher.utter_message(response="utter_handoff_queued", position=place.position,
                                 minutes=minutes)


async def context_orders(shopper: Optional[str], discussed: Optional[str]) -> List[Dict[str, Any]]:
    """The order the conversation is about first, then the shopper's most recent ones."""
    if shopper is None:
        return []
    orders: List[Order] = []
    try:
        orders = await call(order_api().list_orders, shopper, (), 5)
        if discussed and discussed not in {o.order_no for o in orders}:
            orders.insert(0, await call(order_api().get_order, shopper, discussed))
    except OrderApiError:
        logger.warning("handoff of %s goes without (all) orders: order API failed", shopper)
    return [
        {"order_no": o.order_no, "status": o.status, "status_label": o.status_label,
         "title": o.title, "paid_cents": o.paid_cents,
         "tracking_no": o.raw.get("tracking_no"), "carrier_name": o.raw.get("carrier_name")}
        for o in orders
    ]


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        intent = latest_intent(tracker)
        reason = tracker.get_slot("handoff_reason") or (
            "complaint" if intent == "complaint" else "request_human")
        return await escalate(dispatcher, tracker, reason)
