"""Rich messages for the shopper's widget: an order card and a parcel's timeline.

They go out as custom JSON (``dispatcher.utter_message(json_message=…)``, which the
widget receives as ``{"custom": {...}}``) *beside* the text answer, never instead of
it: REST clients, the chat log and agents read text, and the widget draws the card.
The shapes are a contract with the widget's script; change them together.
"""

from __future__ import annotations

from typing import Any, Dict

from actions.formatting import minute_time, money, spec_text
from actions.order_api import Order, Shipment

MAX_TIMELINE_EVENTS = 8


def order_card(order: Order) -> Dict[str, Any]:
    return {
        "type": "order_card",
        "order_no": order.order_no,
        "title": order.title,
        "sku": spec_text(order.spec),
        "price": money(order.amount_cents),
        "status_label": order.status_label,
        "image": None,            # the order API has no product pictures yet
    }


def logistics_card(order_no: str, shipment: Shipment) -> Dict[str, Any]:
    """The parcel's latest events, newest first (the order API's order)."""
    return {
        "type": "logistics",
        "order_no": order_no,
        "carrier": shipment.carrier_name,
        "tracking_no": shipment.tracking_no,
        "events": [{"time": minute_time(e.occurred_at), "location": e.location,
                    "description": e.description} for e in shipment.events[:MAX_TIMELINE_EVENTS]],
    }
