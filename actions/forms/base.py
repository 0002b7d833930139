"""What every order-changing form shares.

All forms use the same generic slots — ``form_order_no`` (which order),
``form_confirmed`` (the shopper's final yes), ``form_failures`` and ``form_stopped`` —
because only one form is active at a time; each form adds the slots of its own
request. The flow is always: pick an eligible order (auto-picked when there is only
one), collect the details, show a summary, and only then call the order service.
Two failed answers in a row stop the form and hand over to a person, as a patient 客服
would; so does an order service that fails the submission.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.formatting import normalize_order_no
from actions.handoff import escalate, follow_up
from actions.service_record import record_after_sales
from actions.order_api import Order, OrderApiError, OrderNotFound, RuleRefusal
from actions.order_requests import order_button
from actions.refusals import explain
from actions.runtime import (
    call, latest_entity, latest_intent, latest_text, order_api, shopper_id,
)

ORDER_SLOT = "form_order_no"
CONFIRM_SLOT = "form_confirmed"
FAILURES_SLOT = "form_failures"
STOPPED_SLOT = "form_stopped"
GENERIC_SLOTS = (ORDER_SLOT, CONFIRM_SLOT, FAILURES_SLOT, STOPPED_SLOT)
MAX_FAILURES = 2
MAX_CHOICES = 5

YES_WORDS = ("确定", "确认", "是的", "没错", "对的", "好的", "可以", "提交", "嗯嗯", "行")
# "优惠券还可以退回吗" holds 可以 but asks something: a yes word only counts in a short
# answer that is not a question.
QUESTION_MARKS = ("吗", "么", "?", "？", "呢", "能不能", "可不可以", "是不是", "行不行", "好不好")
SHORT_ANSWER = 8
# Intents under which a free-text answer (an address, an invoice title) is taken as
# the answer to the form's question; any other intent is the shopper talking about
# something else, which the rules or the fallback handle.
FREE_TEXT_INTENTS = ("inform", "nlu_fallback", "out_of_scope")
# Messages that ask something else: nothing is read out of them ("七天无理由退货是怎么算的"
# names neither the refund kind nor the reason); the rules answer them and the form
# asks its question again.
DIGRESSION_INTENTS = ("faq", "bot_challenge", "request_human", "greet", "thanks")
NO_WORDS = ("算了", "先不", "不用了", "不确定", "不提交", "不办了", "不取消", "不要取消", "别取消",
            "不改了", "不退了", "不换了", "不开了", "再想想", "等等")

def choice_button(title: str, value: Any) -> Dict[str, str]:
    """A button answering the form's question; the value is JSON-encoded, so a merchant's
    SKU id or reason code with quotes in it still makes a valid payload."""
    choice = json.dumps({"choice": str(value)}, ensure_ascii=False, separators=(",", ":"))
    return {"title": str(title), "payload": "/inform" + choice}


CONFIRM_BUTTONS = [
    {"title": "确认提交", "payload": '/affirm'},
    choice_button("换一笔订单", "other_order"),
    {"title": "先不办了", "payload": '/deny'},
]


def latest_choice(tracker: Tracker) -> Optional[str]:
    return latest_entity(tracker, "choice")


def is_requested(tracker: Tracker, slot: str) -> bool:
    return tracker.get_slot("requested_slot") == slot


def answers_freely(tracker: Tracker, slot: str) -> bool:
    """Whether the latest message is a typed answer to the question about ``slot``."""
    text = latest_text(tracker)
    return (is_requested(tracker, slot) and bool(text) and not text.startswith("/")
            and latest_intent(tracker) in FREE_TEXT_INTENTS)


def is_plain_yes(text: str) -> bool:
    return (len(text) <= SHORT_ANSWER and any(w in text for w in YES_WORDS)
            and not any(q in text for q in QUESTION_MARKS))


class OrderFormValidation(FormValidationAction):
    """Validation for one order-changing form; subclasses add their own slots."""

    form: str            # the form's name in the domain
    order_action: str    # the key in an order's ``allowed_actions``
    action_label: str    # how the shopper calls it: 取消订单, 申请退款 …
    trigger_intent: str  # the intent that starts the form
    specific_slots: List[str] = []

    def name(self) -> Text:
        return f"validate_{self.form}"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
        tracker: Tracker, domain: DomainDict,
    ) -> List[Text]:
        if tracker.get_slot(STOPPED_SLOT):
            return []
        return [ORDER_SLOT, *self.details_needed(tracker), CONFIRM_SLOT]

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if latest_intent(tracker) in DIGRESSION_INTENTS and not latest_text(tracker).startswith("/"):
            return []
        return await super().get_extraction_events(dispatcher, tracker, domain)

    def details_needed(self, tracker: Tracker) -> List[str]:
        """The request's own slots, in the order they are asked."""
        return list(self.specific_slots)

    # --- which order ---------------------------------------------------------

    async def extract_form_order_no(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        typed = latest_entity(tracker, "order_no")
        if typed:
            return {ORDER_SLOT: normalize_order_no(typed), CONFIRM_SLOT: None}
        if latest_choice(tracker) == "other_order" and tracker.get_slot(ORDER_SLOT):
            return {ORDER_SLOT: None, CONFIRM_SLOT: None}
        if tracker.get_slot(ORDER_SLOT) or tracker.get_slot(STOPPED_SLOT):
            return {}
        shopper = shopper_id(tracker)
        if shopper is None:
            dispatcher.utter_message(response="utter_ask_login")
            return {STOPPED_SLOT: True}
        try:
            eligible = await self.eligible_orders(shopper)
        except OrderApiError:
            dispatcher.utter_message(response="utter_order_api_unavailable")
            return {STOPPED_SLOT: True}
        if not eligible:
            dispatcher.utter_message(
                response="utter_no_eligible_order", action_label=self.action_label
            )
            return {STOPPED_SLOT: True}
        if len(eligible) == 1:
            return {ORDER_SLOT: eligible[0].order_no}
        return {}

    def allows(self, order: Order) -> bool:
        return self.order_action in order.allowed_actions

    async def eligible_orders(self, shopper: str) -> List[Order]:
        orders = await call(order_api().list_orders, shopper, (), 20)
        return [o for o in orders if self.allows(o)]

    async def validate_form_order_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is None:
            return {ORDER_SLOT: None}
        shopper = shopper_id(tracker)
        try:
            order = await call(order_api().get_order, shopper, str(value))
        except OrderNotFound:
            dispatcher.utter_message(response="utter_order_not_found", order_no=value)
            return self.failed(dispatcher, tracker, ORDER_SLOT)
        except OrderApiError:
            dispatcher.utter_message(response="utter_order_api_unavailable")
            return {STOPPED_SLOT: True}
        if not self.allows(order):
            dispatcher.utter_message(
                response=f"utter_not_allowed_{self.order_action}",
                order_no=order.order_no, title=order.title, status_label=order.status_label,
            )
            return {ORDER_SLOT: None, STOPPED_SLOT: True}
        return {**self.passed(ORDER_SLOT, order.order_no), **self.order_chosen(order)}

    def order_chosen(self, order: Order) -> Dict[Text, Any]:
        """Slots a form can fill from the order itself (e.g. the only allowed kind)."""
        return {}

    @abstractmethod
    async def summary(self, tracker: Tracker) -> Dict[str, Any]:
        """Values for ``utter_confirm_<order_action>``: what exactly will be done."""

    async def chosen_order(self, tracker: Tracker) -> Order:
        return await call(order_api().get_order, shopper_id(tracker), tracker.get_slot(ORDER_SLOT))

    # --- the final yes ------------------------------------------------------------

    async def extract_form_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if not is_requested(tracker, CONFIRM_SLOT):
            return {}
        intent = latest_intent(tracker)
        text = latest_text(tracker)
        # An explicit "no" wins over everything: "算了 不取消了" must never cancel.
        if any(w in text for w in NO_WORDS):
            return {CONFIRM_SLOT: False}
        # "确定取消" / "这单不要了" restate the request: as clear a yes as "好的".
        if intent == self.trigger_intent:
            return {CONFIRM_SLOT: True}
        if intent == "deny":
            return {CONFIRM_SLOT: False}
        if intent == "affirm" or is_plain_yes(text.strip()):
            return {CONFIRM_SLOT: True}
        return {}

    # --- shared helpers -------------------------------------------------------------

    def passed(self, slot: str, value: Any) -> Dict[Text, Any]:
        """Accepts an answer; the failure count is for failures in a row, so it restarts."""
        return {slot: value, FAILURES_SLOT: 0}

    def failed(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> Dict[Text, Any]:
        """Counts a failed answer; the second one stops the form (the submit hands over)."""
        failures = int(tracker.get_slot(FAILURES_SLOT) or 0) + 1
        if failures >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_form_too_many_failures")
            return {slot: None, FAILURES_SLOT: failures, STOPPED_SLOT: True}
        return {slot: None, FAILURES_SLOT: failures}


class AskOrder(Action):
    """Offers the shopper's eligible orders as buttons (when there are several)."""

    def name(self) -> Text:
        return "action_ask_form_order_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        form = FORMS.get(tracker.active_loop.get("name") or "")
        shopper = shopper_id(tracker)
        if form is None or shopper is None:
            dispatcher.utter_message(response="utter_ask_order_no")
            return []
        try:
            eligible = await form.eligible_orders(shopper)
        except OrderApiError:
            dispatcher.utter_message(response="utter_ask_order_no")
            return []
        dispatcher.utter_message(
            response="utter_ask_form_order_no",
            action_label=form.action_label,
            buttons=[order_button(o) for o in eligible[:MAX_CHOICES]],
        )
        return []


class AskConfirmation(Action):
    """Shows what will be done, with the order, before anything irreversible."""

    def name(self) -> Text:
        return "action_ask_form_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        form = FORMS.get(tracker.active_loop.get("name") or "")
        if form is None:
            return []
        summary = await form.summary(tracker)
        dispatcher.utter_message(
            response=f"utter_confirm_{form.order_action}", buttons=CONFIRM_BUTTONS, **summary
        )
        return []


class SubmitForm(Action, ABC):
    """Carries out a completed form through the order service, then clears it."""

    form: str
    # ("refund" | "exchange", the slot with the shopper's reason) for requests supervisors
    # count by reason; None for forms that file no after-sales request.
    after_sales: Optional[Tuple[str, str]] = None

    def name(self) -> Text:
        return f"action_submit_{self.form}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        reset = [SlotSet(s, None) for s in (*GENERIC_SLOTS, *FORMS[self.form].specific_slots)]
        if tracker.get_slot(STOPPED_SLOT):
            if int(tracker.get_slot(FAILURES_SLOT) or 0) >= MAX_FAILURES:
                return reset + await escalate(dispatcher, tracker, "form_failed")
            return reset
        order_no = tracker.get_slot(ORDER_SLOT)
        if tracker.get_slot(CONFIRM_SLOT) is not True:
            dispatcher.utter_message(response="utter_form_dropped")
            return reset
        shopper = shopper_id(tracker)
        done = reset + [SlotSet("order_no", order_no)]
        try:
            in_review = await asyncio.wait_for(self.submit(dispatcher, tracker, shopper, order_no), 10)
        except RuleRefusal as refusal:
            explain(dispatcher, refusal, order_no)
            return done
        except (OrderApiError, asyncio.TimeoutError):
            dispatcher.utter_message(response="utter_submit_failed")
            return done + await escalate(dispatcher, tracker, "order_api_failure")
        if self.after_sales:
            kind, reason_slot = self.after_sales
            await record_after_sales(tracker, kind, tracker.get_slot(reason_slot))
        if in_review is None:
            return done
        return done + await follow_up(dispatcher, tracker, shopper, in_review)

    @abstractmethod
    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, shopper: str, order_no: str
    ) -> Optional[int]:
        """Calls the order service and tells the shopper what happens next.

        Returns the amount (cents) of a request now waiting for the merchant's review,
        which the business rules may give a person (``actions.handoff.follow_up``), or
        None when nothing waits.
        """


FORMS: Dict[str, OrderFormValidation] = {}


def register(form_class: type) -> type:
    """Makes a form's validation known to the shared ask and submit actions."""
    FORMS[form_class.form] = form_class()
    return form_class
