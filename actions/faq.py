"""Policy answers whose numbers come from the merchant's own policy.

The ResponseSelector picks ``utter_faq/<key>``; the response text has placeholders
({no_reason_return_days} …) filled from the order API's ``/policy``, the same
numbers the merchant's rules enforce, so an answer can never promise what the
rules refuse.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.order_api import OrderApiError
from actions.policy import store_policy

def policy_values(policy: Dict[str, Any]) -> Dict[str, Any]:
    arrival = policy.get("refund_arrival_days") or {}
    return {
        "no_reason_return_days": policy.get("no_reason_return_days"),
        "quality_return_days": policy.get("quality_return_days"),
        "ship_within_hours": policy.get("ship_within_hours"),
        "fast_refund_max_yuan": int(policy.get("fast_refund_max_cents") or 0) // 100,
        "refund_review_hours": policy.get("refund_review_hours"),
        "auto_complete_days": policy.get("auto_complete_days_after_delivery"),
        "refund_arrival_days_wechat": arrival.get("wechat"),
        "refund_arrival_days_alipay": arrival.get("alipay"),
        "refund_arrival_days_bank_card": arrival.get("bank_card"),
        "price_protection_days": policy.get("price_protection_days"),
    }


async def cached_policy_values() -> Optional[Dict[str, Any]]:
    try:
        return policy_values(await store_policy())
    except OrderApiError:
        return None


def selected_response(tracker: Tracker) -> Optional[str]:
    selector = (tracker.latest_message or {}).get("response_selector") or {}
    response = (selector.get("faq") or {}).get("response") or {}
    return response.get("utter_action")


class ActionAnswerFaq(Action):
    def name(self) -> Text:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        response = selected_response(tracker)
        if not response:
            dispatcher.utter_message(response="utter_default")
            return []
        values = await cached_policy_values()
        templates = (domain.get("responses") or {}).get(response) or []
        needs_numbers = any("{" in (t.get("text") or "") for t in templates)
        if values is None and needs_numbers:
            dispatcher.utter_message(response="utter_order_api_unavailable")
            return []
        dispatcher.utter_message(response=response, **(values or {}))
        return []
