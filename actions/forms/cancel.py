"""Cancelling an order that has not shipped yet (paid orders are refunded at once)."""

from __future__ import annotations

from typing import Any, Dict

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import money
from actions.forms.base import OrderFormValidation, SubmitForm, register
from actions.runtime import call, order_api

CANCEL_REASON = "买家通过客服取消"


@register
class ValidateCancelForm(OrderFormValidation):
    form = "cancel_form"
    order_action = "cancel"
    action_label = "取消"
    trigger_intent = "cancel_order"

    async def summary(self, tracker: Tracker) -> Dict[str, Any]:
        order = await self.chosen_order(tracker)
        return {"order_no": order.order_no, "title": order.title,
                "amount": money(order.paid_cents)}


class SubmitCancelForm(SubmitForm):
    form = "cancel_form"

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     shopper: str, order_no: str) -> None:
        order = await call(order_api().cancel_order, shopper, order_no, CANCEL_REASON)
        refunds = order.raw.get("refunds") or []
        if order.paid_cents and refunds:
            dispatcher.utter_message(
                response="utter_cancelled_refunded", order_no=order_no,
                amount=money(refunds[0].get("amount_cents") or order.paid_cents),
            )
        else:
            dispatcher.utter_message(response="utter_cancelled", order_no=order_no)
