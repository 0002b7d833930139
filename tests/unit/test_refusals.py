import re

from rasa.shared.core.domain import Domain
from rasa_sdk.executor import CollectingDispatcher

from actions.order_api import RuleRefusal
from actions.refusals import EXPLAINED, explain, refusal_values
from bot.settings import ROOT

DOMAIN = Domain.load(str(ROOT / "domain"))


def test_every_explained_code_has_a_response_that_only_uses_the_order_number():
    for code in EXPLAINED | {"other"}:
        for variation in DOMAIN.responses[f"utter_refused_{code}"]:
            assert set(re.findall(r"{(\w+)}", variation["text"])) <= {"order_no"}, code


def test_every_error_code_of_the_order_service_is_explained():
    from order_service.errors import ErrorCode

    shopper_facing = {c.value for c in ErrorCode} - {
        "unauthorized", "not_found", "shopper_not_found", "refund_not_found",
        "product_not_found", "order_not_found", "method_not_allowed", "invalid_json",
        "bad_request", "payload_too_large", "unavailable", "internal_error",
        "refund_not_pending", "refund_not_awaiting_return", "not_shipped",
        "exchange_not_found", "exchange_not_pending", "exchange_not_awaiting_return",
        "invoice_not_found",
    }
    assert shopper_facing <= EXPLAINED, shopper_facing - EXPLAINED


def test_unknown_codes_still_get_an_answer():
    dispatcher = CollectingDispatcher()
    explain(dispatcher, RuleRefusal("brand_new_rule"), "251120-000000000000001")
    assert dispatcher.messages[0]["response"] == "utter_refused_other"


def test_details_become_readable():
    values = refusal_values(RuleRefusal("x", details={
        "deadline": "2026-11-20T06:32:00+00:00", "refundable_cents": 5990, "status": "shipped"}))
    assert values == {"deadline": "11月20日 14:32", "refundable_yuan": "59.90", "status": "shipped"}
