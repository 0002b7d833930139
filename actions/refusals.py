"""Explaining the merchant's refusals to the shopper in plain words.

The order service answers a forbidden request with a stable code (openapi.yaml); each
code has a response ``utter_refused_<code>`` saying what happened and what the
shopper can do next. Unknown codes get a general answer, never silence.
"""

from __future__ import annotations

from typing import Any, Dict

from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import money, short_time
from actions.order_api import RuleRefusal

EXPLAINED = {
    "order_not_paid", "not_shipped_yet", "not_delivered_yet", "already_shipped",
    "already_delivered", "return_required", "return_window_expired",
    "not_eligible_for_no_reason_return", "refund_in_progress", "order_closed",
    "invalid_reason", "reason_not_applicable", "invalid_amount", "invalid_request",
    "out_of_stock", "order_not_invoiceable", "no_price_drop", "price_protection_expired",
    "price_protection_used", "invoice_reissue_limit_reached", "after_sale_in_progress",
    "invalid_sku", "same_sku", "item_not_in_order",
}


def refusal_values(refusal: RuleRefusal) -> Dict[str, Any]:
    """Details made readable: ISO times become 11月20日 14:32, cents become yuan."""
    values: Dict[str, Any] = {}
    for key, value in refusal.details.items():
        if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
            values[key] = short_time(value)
        elif key.endswith("_cents") and isinstance(value, int):
            values[key[: -len("_cents")] + "_yuan"] = money(value)
        elif isinstance(value, (str, int, float)):
            values[key] = value
    return values


def explain(dispatcher: CollectingDispatcher, refusal: RuleRefusal, order_no: str = "") -> None:
    response = f"utter_refused_{refusal.code}" if refusal.code in EXPLAINED else "utter_refused_other"
    dispatcher.utter_message(response=response, order_no=order_no, **refusal_values(refusal))
