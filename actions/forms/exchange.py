"""Exchanging an item for another size or colour of the same product (换货)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.forms.base import (
    OrderFormValidation, SubmitForm, choice_button, is_requested, latest_choice, register,
)
from actions.forms.refund import reason_from_text, reason_refused, reasons_for
from actions.order_api import Order
from actions.policy import refund_reasons
from actions.runtime import call, latest_text, order_api, shopper_id

SKU_SLOT = "exchange_sku"
REASON_SLOT = "exchange_reason"


async def exchange_options(order: Order) -> List[Dict[str, Any]]:
    """In-stock SKUs of the ordered product other than the one bought."""
    items = order.raw.get("items") or []
    if not items:
        return []
    item = items[0]
    product = await call(order_api().get_product, str(item["product_id"]))
    return [s for s in product.get("skus", [])
            if s.get("stock", 0) > 0 and s.get("id") != item.get("sku_id")]


async def exchange_reasons() -> List[Dict[str, Any]]:
    return [r for r in await refund_reasons() if "exchange" in r.get("kinds", [])]


def spec_parts(spec: str) -> List[str]:
    return [p for p in re.split(r"[\s/,，;；、]+", spec.lower()) if p]


def names(text: str, part: str) -> bool:
    """Whether ``text`` mentions a spec part; "L" must not be found inside "XL"."""
    if part.isascii():
        return re.search(rf"(?<![a-z0-9]){re.escape(part)}(?![a-z0-9])", text) is not None
    return part in text


def sku_from_text(options: List[Dict[str, Any]], text: str, current_spec: str) -> Optional[str]:
    """The one in-stock SKU the shopper names in a sentence ("能换成黑色XL吗").

    A part of the spec the shopper leaves out stays as bought: "换大一码" with 黑色 L
    bought means 黑色 XL, not any XL.
    """
    text, current = text.lower(), set(spec_parts(current_spec))
    matches = []
    for sku in options:
        parts = spec_parts(str(sku.get("spec", "")))
        named = [p for p in parts if names(text, p)]
        if named and all(p in named or p in current for p in parts):
            matches.append((len(named), str(sku["id"])))
    best = max((n for n, _ in matches), default=0)
    chosen = [sku for n, sku in matches if n == best]
    return chosen[0] if len(chosen) == 1 else None


@register
class ValidateExchangeForm(OrderFormValidation):
    form = "exchange_form"
    order_action = "exchange"
    action_label = "换货"
    trigger_intent = "exchange_request"
    specific_slots = [SKU_SLOT, REASON_SLOT]

    async def extract_exchange_sku(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        choice = latest_choice(tracker)
        if choice and is_requested(tracker, SKU_SLOT):
            return {SKU_SLOT: choice}
        text = latest_text(tracker)
        if text and not text.startswith("/") and tracker.get_slot("form_order_no"):
            order = await self.chosen_order(tracker)
            sku = sku_from_text(await exchange_options(order), text, order.spec)
            if sku:
                return {SKU_SLOT: sku}
        return {}

    async def validate_exchange_sku(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        order = await self.chosen_order(tracker)
        options = {str(s["id"]) for s in await exchange_options(order)}
        if str(value) not in options:
            dispatcher.utter_message(response="utter_exchange_sku_unavailable")
            return self.failed(dispatcher, tracker, SKU_SLOT)
        return self.passed(SKU_SLOT, str(value))

    async def extract_exchange_reason(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        codes = {r["code"] for r in await exchange_reasons()}
        choice = latest_choice(tracker)
        if choice in codes:
            return {REASON_SLOT: choice}
        code = reason_from_text(latest_text(tracker))
        if code in codes and (is_requested(tracker, REASON_SLOT) or not tracker.get_slot(REASON_SLOT)):
            return {REASON_SLOT: code}
        return {}

    async def validate_exchange_reason(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        order = await self.chosen_order(tracker) if tracker.get_slot("form_order_no") else None
        reasons = await exchange_reasons()
        if value not in {r["code"] for r in reasons_for(reasons, "exchange", order)}:
            reason_refused(dispatcher, reasons, value, order, "换货")
            return self.failed(dispatcher, tracker, REASON_SLOT)
        return self.passed(REASON_SLOT, value)

    async def summary(self, tracker: Tracker) -> Dict[str, Any]:
        order = await self.chosen_order(tracker)
        options = {str(s["id"]): s for s in await exchange_options(order)}
        labels = {r["code"]: r["label"] for r in await exchange_reasons()}
        wanted = options.get(str(tracker.get_slot(SKU_SLOT)), {})
        return {"order_no": order.order_no, "title": order.title, "spec": order.spec,
                "wanted_spec": wanted.get("spec", ""),
                "reason_label": labels.get(tracker.get_slot(REASON_SLOT), "")}


class AskExchangeSku(Action):
    def name(self) -> Text:
        return "action_ask_exchange_sku"

    async def run(self, dispatcher, tracker, domain):
        order = await call(order_api().get_order, shopper_id(tracker), tracker.get_slot("form_order_no"))
        options = await exchange_options(order)
        if not options:
            dispatcher.utter_message(response="utter_exchange_no_stock", title=order.title)
            return []
        dispatcher.utter_message(
            response="utter_ask_exchange_sku", title=order.title, spec=order.spec,
            buttons=[choice_button(s["spec"], s["id"])
                     for s in options[:8]],
        )
        return []


class AskExchangeReason(Action):
    def name(self) -> Text:
        return "action_ask_exchange_reason"

    async def run(self, dispatcher, tracker, domain):
        order = await call(order_api().get_order, shopper_id(tracker), tracker.get_slot("form_order_no"))
        dispatcher.utter_message(
            response="utter_ask_exchange_reason",
            buttons=[choice_button(r["label"], r["code"])
                     for r in reasons_for(await exchange_reasons(), "exchange", order)],
        )
        return []


class SubmitExchangeForm(SubmitForm):
    form = "exchange_form"
    after_sales = ("exchange", REASON_SLOT)

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     shopper: str, order_no: str) -> Optional[int]:
        api = order_api()
        order = await call(api.get_order, shopper, order_no)
        item_sku = str((order.raw.get("items") or [{}])[0].get("sku_id"))
        exchange = await call(api.create_exchange, shopper, order_no, item_sku,
                              str(tracker.get_slot(SKU_SLOT)), tracker.get_slot(REASON_SLOT))
        dispatcher.utter_message(
            response="utter_exchange_requested", order_no=order_no,
            exchange_id=exchange.get("exchange_id", ""),
            wanted_spec=(exchange.get("wanted") or {}).get("spec", ""),
        )
        return 0     # the exchange waits for review; no money is at stake
