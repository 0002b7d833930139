"""Asking for a refund (仅退款) or a return with refund (退货退款).

Which kinds an order allows, and which reasons fit a kind, come from the order
service (``allowed_actions`` and the policy's reason list), so the buttons only ever
offer what the merchant's rules will accept.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.formatting import is_past, money, short_time
from actions.forms.base import (
    OrderFormValidation, SubmitForm, answers_freely, choice_button, is_requested, latest_choice,
    register,
)
from actions.forms.kinds import REFUND_KINDS
from actions.order_api import Order
from actions.policy import refund_reasons
from actions.runtime import call, latest_intent, latest_text, order_api, shopper_id

KIND_SLOT = "refund_kind"
REASON_SLOT = "refund_reason"
KIND_WORDS = {"refund_only": ("仅退款", "只退款", "不退货", "不用退货"), "return_refund": ("退货",)}
# Words shoppers use for each platform reason, checked in this order.
REASON_WORDS = [
    ("not_received", ("没收到", "未收到", "没到", "丢件", "丢了")),
    ("missing_item", ("少件", "少发", "漏发", "少了", "缺件")),
    ("wrong_item", ("发错", "错发", "不是我买的")),
    ("fake", ("假货", "假的", "不是正品")),
    # A named quality problem outranks the damage it caused: "质量太差 用两天就坏了".
    ("quality", ("质量", "起球", "掉色", "开线", "异味", "做工")),
    ("damaged", ("破损", "碎了", "坏了", "压坏", "破了", "裂")),
    ("not_as_described", ("不符", "色差", "不一样", "货不对板")),
    ("wrong_size", ("尺码", "太大", "太小", "偏大", "偏小", "不合适")),
    ("no_reason", ("不想要", "不要了", "七天无理由", "拍错", "买多了", "不喜欢")),
]


DELIVERED = ("delivered", "completed")


def allowed_kinds(order: Order) -> List[str]:
    return [k for k in REFUND_KINDS if k in order.allowed_actions]


def reason_from_text(text: str) -> Optional[str]:
    for code, words in REASON_WORDS:
        if any(w in text for w in words):
            return code
    return None


@register
class ValidateRefundForm(OrderFormValidation):
    form = "refund_form"
    order_action = "refund"
    action_label = "申请退款"
    trigger_intent = "refund_request"
    specific_slots = [KIND_SLOT, REASON_SLOT]

    def allows(self, order: Order) -> bool:
        return bool(allowed_kinds(order))

    def order_chosen(self, order: Order) -> Dict[Text, Any]:
        kinds = allowed_kinds(order)
        return {KIND_SLOT: kinds[0]} if len(kinds) == 1 else {}

    async def extract_refund_kind(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        choice = latest_choice(tracker)
        if choice in REFUND_KINDS:
            return {KIND_SLOT: choice}
        text = latest_text(tracker)
        for kind, words in KIND_WORDS.items():
            if any(w in text for w in words) and (is_requested(tracker, KIND_SLOT) or not tracker.get_slot(KIND_SLOT)):
                return {KIND_SLOT: kind}
        return {}

    async def validate_refund_kind(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if not tracker.get_slot("form_order_no"):
            return {KIND_SLOT: value}
        order = await self.chosen_order(tracker)
        if value not in allowed_kinds(order):
            dispatcher.utter_message(
                response="utter_refund_kind_not_allowed", kind_label=REFUND_KINDS.get(value, value),
                status_label=order.status_label,
            )
            return self.failed(dispatcher, tracker, KIND_SLOT)
        return self.passed(KIND_SLOT, value)

    async def extract_refund_reason(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        choice = latest_choice(tracker)
        policy_codes = {r["code"] for r in await refund_reasons()}
        if choice in policy_codes:
            return {REASON_SLOT: choice}
        text = latest_text(tracker)
        code = reason_from_text(text)
        if code and (is_requested(tracker, REASON_SLOT) or not tracker.get_slot(REASON_SLOT)):
            return {REASON_SLOT: code}
        # Any other typed answer to the question is the shopper's own reason: 其他.
        restated = (is_requested(tracker, REASON_SLOT) and latest_intent(tracker) == self.trigger_intent
                    and not text.startswith("/"))
        if answers_freely(tracker, REASON_SLOT) or restated:
            return {REASON_SLOT: "other"}
        return {}

    async def validate_refund_reason(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        kind = tracker.get_slot(KIND_SLOT)
        order = await self.chosen_order(tracker) if tracker.get_slot("form_order_no") else None
        reasons = await refund_reasons()
        if value not in {r["code"] for r in reasons_for(reasons, kind, order)}:
            reason_refused(dispatcher, reasons, value, order, REFUND_KINDS.get(kind, ""))
            return self.failed(dispatcher, tracker, REASON_SLOT)
        return self.passed(REASON_SLOT, value)

    async def summary(self, tracker: Tracker) -> Dict[str, Any]:
        order = await self.chosen_order(tracker)
        labels = {r["code"]: r["label"] for r in await refund_reasons()}
        return {
            "order_no": order.order_no, "title": order.title,
            "kind_label": REFUND_KINDS[tracker.get_slot(KIND_SLOT)],
            "reason_label": labels.get(tracker.get_slot(REASON_SLOT), "其他"),
            "amount": money(int(order.raw.get("refundable_cents") or order.paid_cents)),
        }


def window_open(reason: Dict[str, Any], order: Order) -> bool:
    """Whether the return window this reason counts against is still open.

    Before delivery no window has started. After it, quality problems count against
    the quality window and the rest against the no-reason one, which the order
    service reports as null when an item is excluded from no-reason returns.
    """
    if order.status not in DELIVERED:
        return True
    deadline = order.deadline("quality_return_until" if reason.get("quality")
                              else "no_reason_return_until")
    return deadline is not None and not is_past(deadline)


def reasons_for(reasons: List[Dict[str, Any]], kind: Optional[str],
                order: Optional[Order]) -> List[Dict[str, Any]]:
    """The reasons the merchant's rules accept for ``kind`` on ``order`` right now.

    Only these are offered, so a shopper never confirms a request the order service
    would refuse. After delivery a refund without returning the goods is for quality
    problems only.
    """
    fitting = [r for r in reasons
               if r["code"] != "price_protection" and (not kind or kind in r.get("kinds", []))]
    if order is None:
        return fitting
    if kind == "refund_only" and order.status in DELIVERED:
        fitting = [r for r in fitting if r.get("quality")]
    return [r for r in fitting if window_open(r, order)]


async def fitting_reasons(tracker: Tracker) -> List[Dict[str, Any]]:
    order_no = tracker.get_slot("form_order_no")
    order = await call(order_api().get_order, shopper_id(tracker), order_no) if order_no else None
    return reasons_for(await refund_reasons(), tracker.get_slot(KIND_SLOT), order)


def reason_refused(dispatcher: CollectingDispatcher, reasons: List[Dict[str, Any]], code: str,
                   order: Optional[Order], kind_label: str) -> None:
    """Tells the shopper why a reason is not accepted: its window closed, or it does not fit."""
    reason = next((r for r in reasons if r["code"] == code), None)
    if reason is not None and order is not None and not window_open(reason, order):
        dispatcher.utter_message(response="utter_reason_window_closed", reason_label=reason["label"])
    else:
        dispatcher.utter_message(response="utter_refund_reason_not_applicable", kind_label=kind_label)


class AskRefundKind(Action):
    def name(self) -> Text:
        return "action_ask_refund_kind"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(
            response="utter_ask_refund_kind",
            buttons=[choice_button(label, kind) for kind, label in REFUND_KINDS.items()],
        )
        return []


class AskRefundReason(Action):
    def name(self) -> Text:
        return "action_ask_refund_reason"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(
            response="utter_ask_refund_reason",
            buttons=[choice_button(r["label"], r["code"])
                     for r in await fitting_reasons(tracker)],
        )
        return []


class SubmitRefundForm(SubmitForm):
    form = "refund_form"
    after_sales = ("refund", REASON_SLOT)

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     shopper: str, order_no: str) -> Optional[int]:
        refund = await call(
            order_api().create_refund, shopper, order_no,
            tracker.get_slot(KIND_SLOT), tracker.get_slot(REASON_SLOT),
        )
        values = {
            "order_no": order_no, "refund_id": refund.get("refund_id", ""),
            "amount": money(int(refund.get("amount_cents") or 0)),
            "review_due": short_time(refund.get("review_due_at")),
            "arrival": short_time(refund.get("expected_arrival_by")),
        }
        if refund.get("status") == "refunded":
            dispatcher.utter_message(response="utter_refund_done", **values)
            return None
        response = ("utter_refund_requested_return" if refund.get("kind") == "return_refund"
                    else "utter_refund_requested")
        dispatcher.utter_message(response=response, **values)
        return int(refund.get("amount_cents") or 0)
