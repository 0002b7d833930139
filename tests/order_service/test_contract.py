"""openapi.yaml documents what the service does: every route, every error code,
every value of the vocabularies the bot reads."""

from __future__ import annotations

import re

import pytest
import yaml

from order_service.app import OPENAPI_PATH, create_app
from order_service.errors import ErrorCode
from order_service.settings import REPO_ROOT, Settings
from order_service.states import (
    ExchangeStatus,
    InvoiceKind,
    InvoiceStatus,
    InvoiceTitleType,
    ReasonKind,
)

README = (REPO_ROOT / "order_service" / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def contract():
    return yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('contract') / 'unused.db'}"
    app = create_app(Settings.from_env({"DATABASE_URL": url}))
    try:
        found = set()
        for route in app.router.routes:
            path = "/" + re.sub(r"<(\w+):\w+>", r"{\1}", route.path)
            found |= {(path, method.lower()) for method in route.methods}
        return found
    finally:
        app.ctx.engine.dispose()


def test_every_route_is_documented_and_every_documented_route_exists(contract, routes):
    documented = {
        (path, method)
        for path, operations in contract["paths"].items()
        for method in operations
        if method != "parameters"
    }
    assert documented == routes


def test_every_error_code_is_in_the_error_enum(contract):
    enum = contract["components"]["schemas"]["Error"]["properties"]["error"]["properties"][
        "code"]["enum"]
    assert sorted(enum) == sorted(code.value for code in ErrorCode)


NEW_CODES = [
    "exchange_not_found", "item_not_in_order", "invalid_sku", "same_sku", "out_of_stock",
    "after_sale_in_progress", "exchange_not_pending", "exchange_not_awaiting_return",
    "order_not_invoiceable", "invoice_reissue_limit_reached", "no_price_drop",
    "price_protection_expired", "price_protection_used",
]


@pytest.mark.parametrize("code", NEW_CODES)
def test_new_error_codes_are_explained(code):
    """Beyond the enum: where they occur in the contract, and in the README."""
    assert f"`{code}`" in OPENAPI_PATH.read_text(encoding="utf-8")
    assert f"`{code}`" in README


def test_the_listed_codes_exist():
    assert set(NEW_CODES) <= {code.value for code in ErrorCode}


@pytest.mark.parametrize(
    "schema,enum",
    [
        ("ExchangeStatus", ExchangeStatus),
        ("InvoiceKind", InvoiceKind),
        ("InvoiceStatus", InvoiceStatus),
        ("InvoiceTitleType", InvoiceTitleType),
        ("ReasonKind", ReasonKind),
    ],
)
def test_vocabularies_match(contract, schema, enum):
    assert contract["components"]["schemas"][schema]["enum"] == [m.value for m in enum]


def test_actions_and_policy_keys_match(contract, policy):
    schemas = contract["components"]["schemas"]
    assert schemas["Action"]["enum"] == [
        "cancel", "change_address", "refund_only", "return_refund", "exchange",
        "price_protection", "invoice"]
    assert set(schemas["Policy"]["required"]) == set(policy.to_json())
    assert set(schemas["Deadlines"]["required"]) >= {"price_protection_until"}
    order = schemas["Order"]["allOf"][1]
    assert {"exchanges", "invoices"} <= set(order["required"])
