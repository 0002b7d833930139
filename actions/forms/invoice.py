"""Issuing or re-issuing an invoice (开票 / 换开) for an order."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import money, short_time
from actions.forms.base import (
    OrderFormValidation, SubmitForm, answers_freely, is_requested, latest_choice, register,
)
from actions.forms.kinds import INVOICE_KINDS
from actions.runtime import call, latest_text, order_api

KIND_SLOT = "invoice_kind"
TITLE_SLOT = "invoice_title"
TAX_SLOT = "invoice_tax_id"
EMAIL_SLOT = "invoice_email"
KIND_WORDS = [("special_vat", ("专票", "专用发票", "增值税专用")),
              ("paper_normal", ("纸质", "纸票", "寄")),
              ("electronic_normal", ("电子", "普票", "普通发票"))]
PERSONAL = ("个人", "本人", "自己")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
TAX_ID = re.compile(r"(?<![0-9A-Z])([0-9A-HJ-NPQRTUWXY]{18}|\d{15}|\d{20})(?![0-9A-Z])")
# GB 32100-2015 统一社会信用代码: the 18th character is a mod-31 check over the others,
# so a mistyped character is caught here, while the shopper is still answering.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LEGACY_TAX_ID = re.compile(r"\d{15}|\d{20}")


def is_valid_tax_id(code: str) -> bool:
    if LEGACY_TAX_ID.fullmatch(code):
        return True
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
    return USCC_ALPHABET[-total % 31] == code[17]


def is_personal(title: Optional[str]) -> bool:
    return bool(title) and any(word in title for word in PERSONAL) and len(title) <= 6


@register
class ValidateInvoiceForm(OrderFormValidation):
    form = "invoice_form"
    order_action = "invoice"
    action_label = "开发票"
    trigger_intent = "invoice_request"
    specific_slots = [KIND_SLOT, TITLE_SLOT, TAX_SLOT, EMAIL_SLOT]

    def details_needed(self, tracker: Tracker) -> List[str]:
        needed = [KIND_SLOT, TITLE_SLOT]
        title = tracker.get_slot(TITLE_SLOT)
        if title is None or not is_personal(title):
            needed.append(TAX_SLOT)
        if tracker.get_slot(KIND_SLOT) in (None, "electronic_normal"):
            needed.append(EMAIL_SLOT)
        return needed

    async def extract_invoice_kind(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        choice = latest_choice(tracker)
        if choice in INVOICE_KINDS:
            return {KIND_SLOT: choice}
        text = latest_text(tracker)
        for kind, words in KIND_WORDS:
            if any(w in text for w in words):
                return {KIND_SLOT: kind}
        return {}

    async def extract_invoice_title(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if not answers_freely(tracker, TITLE_SLOT):
            return {}
        text = latest_text(tracker)
        text = re.sub(r"^(抬头|发票抬头)(是|写|开)?[:：]?", "", text).strip()
        return {TITLE_SLOT: "个人" if is_personal(text) else text}

    async def validate_invoice_title(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if not 1 <= len(str(value)) <= 50:
            dispatcher.utter_message(response="utter_invoice_title_invalid")
            return self.failed(dispatcher, tracker, TITLE_SLOT)
        if tracker.get_slot(KIND_SLOT) == "special_vat" and is_personal(value):
            dispatcher.utter_message(response="utter_invoice_special_needs_company")
            return self.failed(dispatcher, tracker, TITLE_SLOT)
        return self.passed(TITLE_SLOT, value)

    async def extract_invoice_tax_id(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        # Only when asked: a 15-digit tax id looks like the tail of an order number.
        if not is_requested(tracker, TAX_SLOT):
            return {}
        match = TAX_ID.search(latest_text(tracker).upper())
        if match:
            return {TAX_SLOT: match.group(1)}
        if answers_freely(tracker, TAX_SLOT):
            return {TAX_SLOT: latest_text(tracker).upper()}
        return {}

    async def validate_invoice_tax_id(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if not is_valid_tax_id(str(value)):
            dispatcher.utter_message(response="utter_invoice_tax_id_invalid")
            return self.failed(dispatcher, tracker, TAX_SLOT)
        return self.passed(TAX_SLOT, value)

    async def extract_invoice_email(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = latest_text(tracker)
        match = EMAIL.search(text)
        if match:
            return {EMAIL_SLOT: match.group(0)}
        if answers_freely(tracker, EMAIL_SLOT):
            dispatcher.utter_message(response="utter_invoice_email_invalid")
            return self.failed(dispatcher, tracker, EMAIL_SLOT)
        return {}

    async def summary(self, tracker: Tracker) -> Dict[str, Any]:
        order = await self.chosen_order(tracker)
        title = tracker.get_slot(TITLE_SLOT)
        tax = tracker.get_slot(TAX_SLOT)
        return {
            "order_no": order.order_no,
            "kind_label": INVOICE_KINDS[tracker.get_slot(KIND_SLOT)],
            "title": title,
            "tax_id": f"税号 {tax}" if tax and not is_personal(title) else "个人抬头无需税号",
            "delivery": tracker.get_slot(EMAIL_SLOT) or "随包裹或单独寄出",
            "amount": money(int(order.raw.get("refundable_cents") or order.paid_cents)),
        }


def invoice_request(tracker: Tracker) -> Dict[str, Any]:
    title = tracker.get_slot(TITLE_SLOT)
    request: Dict[str, Any] = {
        "kind": tracker.get_slot(KIND_SLOT),
        "title_type": "personal" if is_personal(title) else "company",
        "title": title,
    }
    if not is_personal(title):
        request["tax_id"] = tracker.get_slot(TAX_SLOT)
    if tracker.get_slot(EMAIL_SLOT):
        request["email"] = tracker.get_slot(EMAIL_SLOT)
    return request


class SubmitInvoiceForm(SubmitForm):
    form = "invoice_form"

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     shopper: str, order_no: str) -> None:
        invoice = await call(order_api().create_invoice, shopper, order_no, invoice_request(tracker))
        values = {"order_no": order_no, "kind_label": invoice.get("kind_label", ""),
                  "invoice_id": invoice.get("invoice_id", "")}
        if invoice.get("status") == "issued":
            dispatcher.utter_message(response="utter_invoice_issued",
                                     email=tracker.get_slot(EMAIL_SLOT) or "", **values)
        else:
            dispatcher.utter_message(response="utter_invoice_requested",
                                     issue_by=short_time(invoice.get("expected_issue_by")), **values)
