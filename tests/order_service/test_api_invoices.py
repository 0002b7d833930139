"""发票 through the API: issuing, 换开, amounts, masking and the audit trail."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from order_service.models import Invoice
from order_service.states import OrderStatus
from tests.order_service.support import error_code

S = OrderStatus
TENCENT = "91440300708461136T"
INVOICE_KEYS = {
    "invoice_id", "order_no", "kind", "kind_label", "title_type", "title", "tax_id_masked",
    "email_masked", "amount_cents", "status", "status_label", "replaces_invoice_id",
    "created_at", "issued_at", "expected_issue_by", "voided_at",
}
PERSONAL_E = {"kind": "electronic_normal", "title_type": "personal", "title": "张伟",
              "email": "zhangwei2024@163.com"}


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def invoice(api, order, **body):
    return api.post(order.path + "/invoices", json=body)


def test_an_electronic_invoice_is_issued_at_once(api, orders, audit, service_log):
    order = orders.order(S.DELIVERED, paid_cents=12900)
    response = invoice(api, order, **PERSONAL_E)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == INVOICE_KEYS
    assert re.fullmatch(r"INV\d{16}", body["invoice_id"])
    assert (body["kind"], body["kind_label"]) == ("electronic_normal", "电子普通发票")
    assert (body["status"], body["status_label"]) == ("issued", "已开票")
    assert body["issued_at"] == body["created_at"] and body["expected_issue_by"] is None
    assert body["amount_cents"] == 12900 and body["title"] == "张伟"
    assert body["email_masked"] == "zh****@163.com" and body["tax_id_masked"] is None
    assert body["replaces_invoice_id"] is None and body["voided_at"] is None
    detail = api.get(order.path).json()
    assert [i["invoice_id"] for i in detail["invoices"]] == [body["invoice_id"]]
    assert detail["status"] == "delivered" and "invoice" in detail["allowed_actions"]
    (row,) = audit(order.order_no)
    assert (row.action, row.actor) == ("invoice_create", f"shopper:{order.shopper_id}")
    # The audit keeps the full address; the log only the masked one.
    assert row.after["invoice"]["email"] == "zhangwei2024@163.com"
    log = service_log.read_text(encoding="utf-8")
    assert f"invoice {body['invoice_id']}" in log and "zh****@163.com" in log
    assert "zhangwei2024@163.com" not in log


def test_a_special_vat_invoice_is_issued_within_the_policy_days(api, orders, audit, service_log):
    order = orders.order(S.AWAITING_SHIPMENT, paid_cents=45000)
    response = invoice(api, order, kind="special_vat", title_type="company",
                       title="  深圳市腾讯计算机系统有限公司 ", tax_id=TENCENT.lower())
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["status_label"]) == ("requested", "开票中")
    assert body["kind_label"] == "增值税专用发票" and body["issued_at"] is None
    assert when(body["expected_issue_by"]) - when(body["created_at"]) == timedelta(days=3)
    assert body["title"] == "深圳市腾讯计算机系统有限公司"
    assert body["tax_id_masked"] == "9144**********136T" and body["email_masked"] is None
    assert audit(order.order_no)[0].after["invoice"]["tax_id"] == TENCENT
    log = service_log.read_text(encoding="utf-8")
    assert "9144**********136T" in log and TENCENT not in log


def test_reissuing_voids_the_old_invoice_up_to_the_limit(api, orders, audit, stored):
    order = orders.order(S.COMPLETED, paid_cents=8800)
    first = invoice(api, order, **PERSONAL_E).json()
    second = invoice(api, order, kind="paper_normal", title_type="company", title="腾讯",
                     tax_id=TENCENT).json()
    assert second["replaces_invoice_id"] == first["invoice_id"]
    old = stored(Invoice, first["invoice_id"])
    assert old.status == "voided" and old.voided_at is not None
    third = invoice(api, order, **PERSONAL_E).json()
    assert third["replaces_invoice_id"] == second["invoice_id"] and third["status"] == "issued"
    listed = api.get(order.path + "/invoices").json()["invoices"]
    assert [(i["invoice_id"], i["status"]) for i in listed] == [
        (third["invoice_id"], "issued"), (second["invoice_id"], "voided"),
        (first["invoice_id"], "voided")]
    assert listed[1]["status_label"] == "已作废" and listed[1]["voided_at"]
    assert "invoice" not in api.get(order.path).json()["allowed_actions"]

    fourth = invoice(api, order, **PERSONAL_E)
    assert fourth.status_code == 409 and error_code(fourth) == "invoice_reissue_limit_reached"
    assert fourth.json()["error"]["details"] == {
        "invoice_id": third["invoice_id"], "limit": 2, "reissued": 2}
    rows = audit(order.order_no)
    assert [r.action for r in rows] == ["invoice_create", "invoice_reissue", "invoice_reissue"]
    assert rows[1].before["invoice"]["id"] == first["invoice_id"]
    assert rows[1].after["voided_invoice_id"] == first["invoice_id"]


def test_the_invoice_covers_what_was_paid_and_kept(api, orders):
    order = orders.order(S.AWAITING_SHIPMENT, paid_cents=12900)
    api.post(order.path + "/refunds", json={"kind": "refund_only", "reason": "wrong_size",
                                            "amount_cents": 2900})
    assert invoice(api, order, **PERSONAL_E).json()["amount_cents"] == 10000


def test_a_refund_under_review_does_not_reduce_the_invoice(api, orders):
    order = orders.order(S.DELIVERED, paid_cents=8000)
    api.post(order.path + "/refunds", json={"kind": "return_refund", "reason": "quality"})
    assert api.get(order.path).json()["status"] == "after_sale"
    response = invoice(api, order, kind="paper_normal", title_type="personal", title="个人")
    assert response.status_code == 201 and response.json()["amount_cents"] == 8000


@pytest.mark.parametrize("status", [S.PENDING_PAYMENT, S.CANCELLED, S.REFUNDED])
def test_orders_that_cannot_have_an_invoice(api, orders, audit, status):
    order = orders.order(status)
    response = invoice(api, order, **PERSONAL_E)
    assert response.status_code == 409 and error_code(response) == "order_not_invoiceable"
    assert response.json()["error"]["details"] == {"status": status.value, "invoiceable_cents": 0}
    assert audit(order.order_no) == []


@pytest.mark.parametrize(
    "changes,fields",
    [
        ({"tax_id": TENCENT}, {"tax_id": "is only for company titles"}),
        ({"title_type": "company"}, {"tax_id": "is required for company titles"}),
        ({"title_type": "company", "tax_id": TENCENT[:-1] + "X"}, {"tax_id": None}),
        ({"title_type": "company", "tax_id": "9144 0300 7084 6113 6T"}, {"tax_id": None}),
        ({"kind": "special_vat", "email": None}, {"kind": "special_vat needs a company title"}),
        ({"email": None}, {"email": "is required for electronic invoices"}),
        ({"email": "zhangwei@163"}, {"email": "must be a valid email address"}),
        ({"title": "名" * 51}, {"title": "must be 1-50 characters"}),
        ({"title": "名" * 101}, {"title": "must be at most 100 characters"}),
        ({"title": "张\x00伟"}, {"title": "must not contain control characters"}),
        ({"title": "张伟\n"}, None),
        ({"kind": "paper"}, {"kind": "must be one of: electronic_normal, paper_normal, special_vat"}),
        ({"kind": 1}, {"kind": "must be one of: electronic_normal, paper_normal, special_vat"}),
        ({"title_type": ["personal"]}, {"title_type": "must be one of: personal, company"}),
        ({"email": 12345}, {"email": "must be a string"}),
        ({"tax_id": "1" * 65}, {"tax_id": "must be at most 64 characters"}),
        ({"bank_account": "6222"}, {"bank_account": "unknown field"}),
    ],
)
def test_bad_invoice_requests_name_the_field(api, orders, audit, changes, fields):
    order = orders.order(S.DELIVERED)
    body = {k: v for k, v in {**PERSONAL_E, **changes}.items() if v is not None}
    response = invoice(api, order, **body)
    if fields is None:  # trailing whitespace, newline included, is trimmed
        assert response.status_code == 201 and response.json()["title"] == "张伟"
        return
    assert response.status_code == 422 and error_code(response) == "invalid_request"
    problems = response.json()["error"]["details"]["fields"]
    assert set(problems) == set(fields)
    for name, problem in fields.items():
        if problem:
            assert problems[name] == problem
    assert audit(order.order_no) == []


def test_invoice_listings(api, orders):
    order = orders.order(S.DELIVERED)
    first = invoice(api, order, **PERSONAL_E).json()
    listed = api.get(f"/api/v1/shoppers/{order.shopper_id}/invoices").json()["invoices"]
    assert [i["invoice_id"] for i in listed] == [first["invoice_id"]]
    assert all(set(i) == INVOICE_KEYS for i in listed)
    missing = api.get("/api/v1/shoppers/u99999/invoices")
    assert missing.status_code == 404 and error_code(missing) == "shopper_not_found"
    foreign = api.get(f"/api/v1/shoppers/u10001/orders/{order.order_no}/invoices")
    assert foreign.status_code == 404 and error_code(foreign) == "order_not_found"
