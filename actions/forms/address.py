"""Changing the delivery address (and receiver) of an order not yet shipped."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.addresses import parse_address
from actions.forms.base import (
    OrderFormValidation, SubmitForm, answers_freely, register,
)
from actions.runtime import call, latest_text, order_api

ADDRESS_SLOT = "new_address"


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) == 11 else (phone or "")


@register
class ValidateAddressForm(OrderFormValidation):
    form = "address_form"
    order_action = "change_address"
    action_label = "修改地址"
    trigger_intent = "change_address"
    specific_slots = [ADDRESS_SLOT]

    async def extract_new_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = latest_text(tracker)
        if not text or text.startswith("/"):
            return {}
        # The first message ("地址写错了改成…") may already carry the new address.
        if parse_address(text) or answers_freely(tracker, ADDRESS_SLOT):
            return {ADDRESS_SLOT: text}
        return {}

    async def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        parsed = parse_address(str(value or ""))
        if parsed is None:
            dispatcher.utter_message(response="utter_address_not_understood")
            return self.failed(dispatcher, tracker, ADDRESS_SLOT)
        return self.passed(ADDRESS_SLOT, str(value))

    async def summary(self, tracker: Tracker) -> Dict[str, Any]:
        order = await self.chosen_order(tracker)
        request = address_request(tracker.get_slot(ADDRESS_SLOT), order.raw.get("receiver") or {})
        return {
            "order_no": order.order_no,
            "receiver_name": request["receiver_name"],
            "receiver_phone": mask_phone(request["receiver_phone"]),
            "full_address": full_address(request),
        }


def full_address(parts: Dict[str, str]) -> str:
    """Municipalities are their own province: 上海市浦东新区…, not 上海市上海市浦东新区…."""
    city = "" if parts["city"] == parts["province"] else parts["city"]
    return parts["province"] + city + parts["district"] + parts["detail"]


def address_request(text: str, current_receiver: Dict[str, Any]) -> Dict[str, str]:
    """The API body: the typed address, keeping the current receiver where none was typed."""
    parsed = parse_address(text or "")
    if parsed is None:
        raise ValueError("address was validated before")
    return {
        "receiver_name": parsed.receiver_name or str(current_receiver.get("name") or ""),
        "receiver_phone": parsed.receiver_phone or str(current_receiver.get("phone") or ""),
        "province": parsed.province,
        "city": parsed.city,
        "district": parsed.district,
        "detail": parsed.detail,
    }


class SubmitAddressForm(SubmitForm):
    form = "address_form"

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     shopper: str, order_no: str) -> None:
        api = order_api()
        order = await call(api.get_order, shopper, order_no)
        request = address_request(tracker.get_slot(ADDRESS_SLOT), order.raw.get("receiver") or {})
        updated = await call(api.change_address, shopper, order_no, request)
        receiver = updated.raw.get("receiver") or {}
        dispatcher.utter_message(
            response="utter_address_changed", order_no=order_no,
            full_address=receiver.get("full_address") or "",
            receiver_name=receiver.get("name") or "",
            receiver_phone=receiver.get("phone_masked") or "",
        )
