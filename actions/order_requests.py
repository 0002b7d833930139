"""Questions about one specific order, and how the bot finds which order is meant.

A shopper rarely types an order number. Each request kind knows which of the
shopper's orders it could be about; one candidate is answered directly, several are
offered as buttons, and the choice comes back as an ``inform`` carrying the number.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import logistics_card, order_card
from actions.formatting import money, normalize_order_no, short_time
from actions.handoff import order_api_down
from actions.order_api import (
    Order,
    OrderApi,
    OrderApiError,
    OrderApiUnavailable,
    OrderNotFound,
    RuleRefusal,
    Shipment,
)
from actions.runtime import call, latest_entity, order_api, shopper_id
from bot.settings import get_settings

MAX_CHOICES = 5
IN_TRANSIT = ("shipped", "out_for_delivery")


@dataclass(frozen=True)
class Context:
    dispatcher: CollectingDispatcher
    api: OrderApi
    shopper_id: str


class OrderRequest(ABC):
    kind: str
    none_response: str

    @abstractmethod
    async def candidates(self, ctx: Context) -> List[Order]:
        """The shopper's orders this request could be about, most likely first."""

    @abstractmethod
    async def answer(self, ctx: Context, order: Order) -> None:
        """Tells the shopper about one order."""

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, order_no: str = None
    ) -> List[EventType]:
        """Answers within the action deadline, or says honestly that we could not."""
        try:
            return await asyncio.wait_for(
                self._handle(dispatcher, tracker, order_no),
                timeout=get_settings().action_deadline_seconds,
            )
        except asyncio.TimeoutError:
            dispatcher.messages.clear()
            return await order_api_down(dispatcher, tracker)

    async def _handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, order_no: str = None
    ) -> List[EventType]:
        shopper = shopper_id(tracker)
        if shopper is None:
            dispatcher.utter_message(response="utter_ask_login")
            return []
        ctx = Context(dispatcher, order_api(), shopper)
        order_no = order_no or latest_entity(tracker, "order_no")
        try:
            if order_no:
                order = await call(ctx.api.get_order, shopper, normalize_order_no(order_no))
                return await self._answered(ctx, order)
            candidates = await self.candidates(ctx)
        except OrderNotFound:
            dispatcher.utter_message(response="utter_order_not_found", order_no=order_no)
            return [SlotSet("order_no", None)]
        except OrderApiError:
            return await order_api_down(dispatcher, tracker)
        if not candidates:
            dispatcher.utter_message(response=self.none_response)
            return [SlotSet("pending_request", None)]
        if len(candidates) == 1:
            try:
                return await self._answered(ctx, candidates[0])
            except OrderApiError:
                return await order_api_down(dispatcher, tracker)
        dispatcher.utter_message(
            response="utter_choose_order",
            count=len(candidates),
            buttons=[order_button(o) for o in candidates[:MAX_CHOICES]],
        )
        return [SlotSet("pending_request", self.kind)]

    async def _answered(self, ctx: Context, order: Order) -> List[EventType]:
        if not order.is_detail:
            order = await call(ctx.api.get_order, ctx.shopper_id, order.order_no)
        await self.answer(ctx, order)
        return [SlotSet("order_no", order.order_no), SlotSet("pending_request", None)]


def order_button(order: Order) -> Dict[str, str]:
    title = order.title if len(order.title) <= 14 else order.title[:13] + "…"
    return {
        "title": f"{title}｜{order.status_label}｜尾号{order.order_no[-4:]}",
        "payload": '/inform{"order_no":"%s"}' % order.order_no,
    }


def order_vars(order: Order) -> Dict[str, Any]:
    raw = order.raw
    return {
        "order_no": order.order_no,
        "title": order.title,
        "spec": order.spec,
        "status_label": order.status_label,
        "amount": money(order.amount_cents),
        "created_at": short_time(order.created_at),
        "delivered_at": short_time(raw.get("delivered_at")),
        "cancel_reason": raw.get("cancel_reason") or "订单已关闭",
        "ship_by": short_time(order.deadline("ship_by")),
    }


class OrderStatusRequest(OrderRequest):
    kind = "order_status"
    none_response = "utter_no_orders"

    async def candidates(self, ctx: Context) -> List[Order]:
        return await call(ctx.api.list_orders, ctx.shopper_id, (), MAX_CHOICES)

    async def answer(self, ctx: Context, order: Order) -> None:
        values = order_vars(order)
        if order.in_transit or order.status == "delivered":
            values.update(trace_vars(order, await _shipment(ctx, order)))
        ctx.dispatcher.utter_message(response=f"utter_order_status_{order.status}", **values)
        ctx.dispatcher.utter_message(json_message=order_card(order))


class LogisticsRequest(OrderRequest):
    kind = "track_logistics"
    none_response = "utter_no_orders"
    # Where a parcel question most likely points: moving parcels, then parcels not
    # yet sent, then the most recently delivered one.
    groups: Sequence[Sequence[str]] = (IN_TRANSIT, ("awaiting_shipment",), ("delivered",))

    async def candidates(self, ctx: Context) -> List[Order]:
        for statuses in self.groups:
            orders = await call(ctx.api.list_orders, ctx.shopper_id, statuses, 20)
            if orders:
                return orders if statuses != ("delivered",) else orders[:1]
        return []

    async def answer(self, ctx: Context, order: Order) -> None:
        values = order_vars(order)
        if order.status in ("pending_payment", "awaiting_shipment"):
            ctx.dispatcher.utter_message(response=f"utter_logistics_{order.status}", **values)
            return
        if order.status in ("cancelled", "refunded"):
            ctx.dispatcher.utter_message(response="utter_logistics_closed", **values)
            return
        try:
            shipment = await _shipment(ctx, order)
        except RuleRefusal:
            ctx.dispatcher.utter_message(response="utter_logistics_no_trace", **values)
            return
        values.update(trace_vars(order, shipment))
        response = "utter_logistics_delivered" if values["delivered"] else "utter_logistics_in_transit"
        ctx.dispatcher.utter_message(response=response, **values)
        ctx.dispatcher.utter_message(json_message=logistics_card(order.order_no, shipment))


async def _shipment(ctx: Context, order: Order) -> Shipment:
    """The order's parcel; one without a single event cannot be talked about."""
    shipment = await call(ctx.api.get_logistics, ctx.shopper_id, order.order_no)
    if shipment.latest_event is None:
        raise OrderApiUnavailable("shipment without events")
    return shipment


def trace_vars(order: Order, shipment: Shipment) -> Dict[str, Any]:
    latest = shipment.latest_event
    earlier = "\n".join(
        f"· {short_time(e.occurred_at)} {e.description}" for e in shipment.events[1:3]
    )
    return {
        "carrier": shipment.carrier_name,
        "tracking_no": shipment.tracking_no,
        "latest_event": latest.description,
        "latest_time": short_time(latest.occurred_at),
        "earlier_events": earlier,
        "delivered": order.status not in IN_TRANSIT,
    }


REQUESTS: Dict[str, OrderRequest] = {
    r.kind: r for r in (OrderStatusRequest(), LogisticsRequest())
}
