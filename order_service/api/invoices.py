"""发票: requesting (or replacing) an order's invoice, and listing invoices."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from order_service import operations, queries, views
from order_service.api.database import run_db
from order_service.api.inputs import Fields, json_object, query_limit
from order_service.api.responses import json_response
from order_service.clock import utc_now
from order_service.rules import validate_invoice
from order_service.states import InvoiceKind, InvoiceTitleType

bp = Blueprint("invoices")

ORDER = "/shoppers/<shopper_id:str>/orders/<order_no:str>"


@bp.post(ORDER + "/invoices")
async def create_invoice(request: Request, shopper_id: str, order_no: str) -> HTTPResponse:
    fields = Fields(json_object(request), {"kind", "title_type", "title", "tax_id", "email"})
    kind = fields.choice("kind", InvoiceKind)
    title_type = fields.choice("title_type", InvoiceTitleType)
    # Generous limits here; validate_invoice applies the store's real ones.
    title = fields.text("title", 100)
    tax_id = fields.text("tax_id", 64, required=False)
    email = fields.text("email", 254, required=False)
    fields.done()
    invoice_title = validate_invoice(kind, title_type, title, tax_id, email)
    policy, now = request.app.ctx.policy, utc_now()

    def work(session):
        invoice = operations.create_invoice(
            session, policy, shopper_id, order_no, invoice_title, now
        )
        return views.invoice_view(invoice)

    return json_response(await run_db(request, work), status=201)


@bp.get(ORDER + "/invoices")
async def order_invoices(request: Request, shopper_id: str, order_no: str) -> HTTPResponse:
    def work(session):
        order = queries.find_order(session, shopper_id, order_no)
        invoices = sorted(order.invoices, key=lambda i: (i.created_at, i.id), reverse=True)
        return [views.invoice_view(i) for i in invoices]

    return json_response({"invoices": await run_db(request, work)})


@bp.get("/shoppers/<shopper_id:str>/invoices")
async def shopper_invoices(request: Request, shopper_id: str) -> HTTPResponse:
    limit = query_limit(request)

    def work(session):
        return [views.invoice_view(i) for i in queries.list_invoices(session, shopper_id, limit)]

    return json_response({"invoices": await run_db(request, work)})
