"""Actions answering order and logistics questions."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.order_requests import REQUESTS
from actions.runtime import latest_entity


class ActionOrderStatus(Action):
    def name(self) -> Text:
        return "action_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return await REQUESTS["order_status"].handle(dispatcher, tracker)


class ActionTrackLogistics(Action):
    def name(self) -> Text:
        return "action_track_logistics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return await REQUESTS["track_logistics"].handle(dispatcher, tracker)


# Where a message that carries an order number *and* a request should go.
REQUEST_ROUTES = {
    "cancel_order": "cancel_form", "change_address": "address_form",
    "refund_request": "refund_form", "exchange_request": "exchange_form",
    "invoice_request": "invoice_form", "order_status": "action_order_status",
    "track_logistics": "action_track_logistics", "refund_status": "action_refund_status",
    "payment_issue": "action_payment_issue", "delivery_problem": "action_delivery_problem",
}
RUNNER_UP_CONFIDENCE = 0.25
_NON_WORDS = re.compile(r"[0-9A-Za-z\-\s，。,.!?！？~]+")


def request_behind_number(tracker: Tracker) -> Optional[str]:
    """The request a number-bearing message makes, when NLU ranked it just below inform.

    "订单2511…我要退货" scores high on inform because of the number; if the words
    around it point clearly enough to a request, that request is what was meant.
    """
    message = tracker.latest_message or {}
    words = _NON_WORDS.sub("", message.get("text") or "")
    if len(words) < 2:
        return None
    for candidate in (message.get("intent_ranking") or [])[1:3]:
        if candidate.get("name") in REQUEST_ROUTES and candidate.get("confidence", 0) >= RUNNER_UP_CONFIDENCE:
            return REQUEST_ROUTES[candidate["name"]]
    return None


class ActionHandleInform(Action):
    """The shopper gave an order number: finish what they asked before, or ask what for."""

    def name(self) -> Text:
        return "action_handle_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        order_no = latest_entity(tracker, "order_no")
        pending = REQUESTS.get(tracker.get_slot("pending_request") or "")
        if order_no and pending:
            return await pending.handle(dispatcher, tracker, order_no)
        routed = request_behind_number(tracker) if order_no else None
        if routed:
            return [FollowupAction(routed)]
        if order_no:
            dispatcher.utter_message(
                response="utter_ask_order_topic",
                order_no=order_no,
                buttons=[
                    {"title": "查订单状态", "payload": '/order_status{"order_no":"%s"}' % order_no},
                    {"title": "查物流进度", "payload": '/track_logistics{"order_no":"%s"}' % order_no},
                ],
            )
            return []
        dispatcher.utter_message(response="utter_ask_order_no")
        return []
