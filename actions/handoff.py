"""Escalating to a human: a ticket with the whole context, queued for the right group."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms.kinds import INVOICE_KINDS, REFUND_KINDS
from actions.order_api import Order, OrderApiError
from actions.policy import refund_reasons
from actions.runtime import call, latest_intent, order_api, shopper_id
from bot.settings import get_settings
from handoff.chatlog import ChatLog, Entry
from handoff.config import HandoffConfig
from handoff.db import database_url
from handoff.queue import HandoffQueue, Place
from handoff.tickets import Ticket, Turn, group_for

logger = logging.getLogger(__name__)

TRANSCRIPT_TURNS = 20
INTERNAL_SLOTS = {"requested_slot", "session_started_metadata", "handoff_reason",
                  "form_failures", "form_stopped", "pending_request"}
# Logistics look-ups per escalation: the shopper waits for them before hearing back.
LOGISTICS_ORDERS = 3
CONTEXT_ORDERS = 5          # the shopper's most recent orders a ticket lists


@lru_cache(maxsize=1)
def handoff_queue() -> Optional[HandoffQueue]:
    url = get_settings().redis_url
    return HandoffQueue.from_url(url) if url else None


@lru_cache(maxsize=1)
def chat_log() -> ChatLog:
    return ChatLog.from_url(database_url())


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
    slots = {k: v for k, v in tracker.slots.items() if v is not None and k not in INTERNAL_SLOTS}
    labels, orders, vip = await asyncio.gather(slot_labels(slots),
                                               context_orders(shopper, tracker.get_slot("order_no")),
                                               is_vip(shopper))
    ticket = Ticket(
        conversation_id=tracker.sender_id,
        shopper_id=shopper,
        reason=reason,
        group=group_for(reason, last_intent(tracker)),
        transcript=transcript(tracker),
        slots=slots,
        slot_labels=labels,
        orders=orders,
        vip=vip,
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
    if not place.already_open:
        # The chat log's record of the handoff: from here on the conversation's messages
        # carry the ticket id, and "previous conversations" read the reason from here.
        try:
            await call(chat_log().append, Entry(
                ticket.conversation_id, "system", "已为您转接人工客服", shopper, place.ticket_id,
                payload={"event": "handoff", "reason": reason, "group": ticket.group}))
        except Exception:  # the ticket is queued; an agent can serve it without this record
            logger.exception("could not record the handoff of %s", tracker.sender_id)
    tell_place(dispatcher, place, str(queue.store.config.service_hours))
    return [SlotSet("handoff_reason", None)]


async def order_api_down(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """The order system did not answer: say so, and let a person take it from here."""
    dispatcher.utter_message(response="utter_order_api_unavailable_handoff")
    return await escalate(dispatcher, tracker, "order_api_failure")


async def is_vip(shopper: Optional[str]) -> bool:
    """A VIP by the merchant's own levels; unknown (visitor, order API down) counts as not."""
    if shopper is None:
        return False
    try:
        profile = await call(order_api().get_shopper, shopper)
    except OrderApiError:
        return False
    return int(profile.get("vip_level") or 0) >= handoff_config().vip_level


async def follow_up(dispatcher: CollectingDispatcher, tracker: Tracker, shopper: str,
                    amount_cents: int = 0) -> List[EventType]:
    """The merchant's business rules: a request the bot has just filed also gets a person
    when it is a large refund or the shopper is a VIP. The request stands either way;
    the person reviews it (the console approves refunds) and answers what comes next."""
    if amount_cents > handoff_config().refund_review_above_cents:
        dispatcher.utter_message(response="utter_handoff_large_refund")
        return await escalate(dispatcher, tracker, "high_value_refund")
    if await is_vip(shopper):
        dispatcher.utter_message(response="utter_handoff_vip")
        return await escalate(dispatcher, tracker, "vip_after_sales")
    return []


def handoff_config() -> HandoffConfig:
    queue = handoff_queue()
    return queue.store.config if queue else HandoffConfig.from_env()


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


async def slot_labels(slots: Dict[str, Any]) -> Dict[str, str]:
    """The words the shopper was shown for coded slot values (refund_reason "quality" →
    质量问题): the console does not know the merchant's reason list, the bot does."""
    tables: Dict[str, Dict[str, str]] = {"refund_kind": REFUND_KINDS, "invoice_kind": INVOICE_KINDS}
    if slots.get("refund_reason") or slots.get("exchange_reason"):
        try:
            reasons = {r["code"]: r["label"] for r in await refund_reasons()}
        except OrderApiError:
            reasons = {}  # the console shows the codes
        tables.update(refund_reason=reasons, exchange_reason=reasons)
    return {name: tables[name][value] for name, value in slots.items()
            if name in tables and isinstance(value, str) and value in tables[name]}


async def context_orders(shopper: Optional[str], discussed: Optional[str]) -> List[Dict[str, Any]]:
    """The order the conversation is about first, then the shopper's most recent ones;
    the first few with a parcel carry its latest tracking event."""
    if shopper is None:
        return []
    orders: List[Order] = []
    try:
        orders = await call(order_api().list_orders, shopper, (), CONTEXT_ORDERS)
        if discussed and discussed not in {o.order_no for o in orders}:
            orders.insert(0, await call(order_api().get_order, shopper, discussed))
    except OrderApiError:
        logger.warning("handoff of %s goes without (all) orders: order API failed", shopper)
    traced = [o.order_no for o in orders if o.raw.get("tracking_no")][:LOGISTICS_ORDERS]
    events = dict(zip(traced, await asyncio.gather(*(latest_event(shopper, no) for no in traced))))
    return [
        {"order_no": o.order_no, "status": o.status, "status_label": o.status_label,
         "title": o.title, "paid_cents": o.paid_cents,
         "tracking_no": o.raw.get("tracking_no"), "carrier_name": o.raw.get("carrier_name"),
         "latest_event": events.get(o.order_no)}
        for o in orders
    ]


async def latest_event(shopper: str, order_no: str) -> Optional[Dict[str, str]]:
    """The parcel's newest tracking event; None when the order API cannot say, so the
    ticket goes without it rather than not at all."""
    try:
        shipment = await call(order_api().get_logistics, shopper, order_no)
    except OrderApiError:
        logger.warning("handoff of %s goes without the logistics of %s: order API failed", shopper, order_no)
        return None
    return asdict(shipment.latest_event) if shipment.latest_event else None


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        intent = latest_intent(tracker)
        reason = tracker.get_slot("handoff_reason") or (
            "complaint" if intent == "complaint" else "request_human")
        return await escalate(dispatcher, tracker, reason)
