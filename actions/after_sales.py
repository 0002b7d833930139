"""After-sales questions that need no form: refund progress and delivery problems."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import is_past, money, normalize_order_no, short_time
from actions.handoff import escalate
from actions.runtime import ShopperAction, call, latest_entity, latest_text, order_api

OPEN_REFUND = ("requested", "approved", "awaiting_return")
# What went wrong, from the shopper's words, checked in this order.
PROBLEMS = [
    ("signed_not_received", ("签收了", "显示签收", "已签收", "没收到", "未收到", "被签收", "代签")),
    ("missing_item", ("少发", "少件", "漏发", "少了", "缺")),
    ("wrong_item", ("发错", "错发", "不是我买的", "颜色不对", "型号不对")),
    ("damaged", ("破损", "碎了", "坏了", "压坏", "破了", "裂", "漏了", "变形")),
    ("lost", ("丢件", "丢了", "不动了", "没有物流", "没更新")),
    ("courier", ("快递员", "态度", "放门口", "不送上门", "骂人", "不打电话", "驿站")),
]


def refund_line(refund: Dict[str, Any]) -> str:
    return (f"{refund.get('kind_label', '')} {money(int(refund.get('amount_cents') or 0))}元"
            f"（{refund.get('status_label', '')}）")


class ActionRefundStatus(ShopperAction):
    def name(self) -> Text:
        return "action_refund_status"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     shopper: str) -> List[EventType]:
        refunds = await call(order_api().list_refunds, shopper)
        order_no = latest_entity(tracker, "order_no")
        if order_no:
            refunds = [r for r in refunds if r.get("order_no") == normalize_order_no(order_no)]
        if not refunds:
            dispatcher.utter_message(response="utter_no_refunds")
            return []
        refund = next((r for r in refunds if r.get("status") in OPEN_REFUND), refunds[0])
        status = refund.get("status")
        if status == "requested" and is_past(refund.get("review_due_at")):
            status = "requested_overdue"
        values = {
            "order_no": refund.get("order_no", ""), "refund_line": refund_line(refund),
            "review_due": short_time(refund.get("review_due_at")),
            "arrival": short_time(refund.get("expected_arrival_by")),
            "resolved_at": short_time(refund.get("resolved_at")),
            "merchant_note": refund.get("merchant_note") or "无",
        }
        dispatcher.utter_message(response=f"utter_refund_status_{status}", **values)
        events: List[EventType] = [SlotSet("order_no", refund.get("order_no"))]
        if status == "requested_overdue":
            # The merchant missed its own review deadline: a person follows it up.
            events += await escalate(dispatcher, tracker, "refund_review_overdue")
        return events


def problem_kind(text: str) -> Optional[str]:
    for kind, words in PROBLEMS:
        if any(w in text for w in words):
            return kind
    return None


class ActionDeliveryProblem(ShopperAction):
    """Damaged, missing or wrong items become an after-sales request; a parcel that
    was signed for but never arrived, or a courier's behaviour, needs a person."""

    def name(self) -> Text:
        return "action_delivery_problem"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     shopper: str) -> List[EventType]:
        kind = problem_kind(latest_text(tracker))
        if kind in ("missing_item", "wrong_item", "damaged"):
            dispatcher.utter_message(response=f"utter_delivery_problem_{kind}")
            return [SlotSet("refund_reason", kind), FollowupAction("refund_form")]
        dispatcher.utter_message(response=f"utter_delivery_problem_{kind or 'other'}")
        return await escalate(dispatcher, tracker, f"delivery_problem:{kind or 'other'}")
