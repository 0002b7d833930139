"""One order of one shopper: details, logistics and the shopper's requests."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from order_service import operations, queries, views
from order_service.api.database import run_db
from order_service.api.inputs import Fields, json_object
from order_service.api.responses import json_response
from order_service.clock import iso, utc_now
from order_service.commands import RefundCommand
from order_service.errors import ErrorCode, ServiceError
from order_service.rules import deadlines, validate_address
from order_service.snapshots import snapshot_of
from order_service.states import RefundKind

bp = Blueprint("orders")

ORDER = "/shoppers/<shopper_id:str>/orders/<order_no:str>"


@bp.get(ORDER)
async def order_detail(request: Request, shopper_id: str, order_no: str) -> HTTPResponse:
    policy, now = request.app.ctx.policy, utc_now()

    def work(session):
        return views.order_detail(queries.find_order(session, shopper_id, order_no), policy, now)

    return json_response(await run_db(request, work))


@bp.get(ORDER + "/logistics")
async def order_logistics(request: Request, shopper_id: str, order_no: str) -> HTTPResponse:
    policy = request.app.ctx.policy

    def work(session):
        order = queries.find_order(session, shopper_id, order_no)
        if order.shipment is None:
            ship_by = deadlines(snapshot_of(order), policy).ship_by
            raise ServiceError(
                ErrorCode.NOT_SHIPPED,
                "The order has not been handed to a carrier.",
                {"status": order.status, "ship_by": iso(ship_by)},
            )
        return views.logistics(order.shipment)

    return json_response(await run_db(request, work))


@bp.post(ORDER + "/cancel")
async def cancel(request: Request, shopper_id: str, order_no: str) -> HTTPResponse:
    fields = Fields(json_object(request), {"reason"})
    reason = fields.text("reason", 200)
    fields.done()
    policy, now = request.app.ctx.policy, utc_now()

    def work(session):
        order = operations.cancel_order(session, shopper_id, order_no, reason, now)
        return views.order_detail(order, policy, now)

    return json_response(await run_db(request, work))


_ADDRESS_FIELDS = ("receiver_name", "receiver_phone", "province", "city", "district", "detail")


@bp.post(ORDER + "/address")
async def change_address(request: Request, shopper_id: str, order_no: str) -> HTTPResponse:
    fields = Fields(json_object(request), _ADDRESS_FIELDS)
    # Generous limits here; validate_address applies the store's real ones.
    values = {name: fields.text(name, 200) for name in _ADDRESS_FIELDS}
    fields.done()
    address = validate_address(values)
    policy, now = request.app.ctx.policy, utc_now()

    def work(session):
        order = operations.change_address(session, shopper_id, order_no, address, now)
        return views.order_detail(order, policy, now)

    return json_response(await run_db(request, work))


@bp.post(ORDER + "/refunds")
async def create_refund(request: Request, shopper_id: str, order_no: str) -> HTTPResponse:
    fields = Fields(json_object(request), {"kind", "reason", "amount_cents", "description"})
    kind = fields.choice("kind", RefundKind)
    reason = fields.text("reason", 32)
    amount = fields.integer("amount_cents")
    description = fields.text("description", 500, required=False, multiline=True)
    fields.done()
    command = RefundCommand(kind=kind, reason=reason, amount_cents=amount, description=description)
    policy, now = request.app.ctx.policy, utc_now()

    def work(session):
        refund = operations.create_refund(session, policy, shopper_id, order_no, command, now)
        return views.refund_view(refund, policy)

    return json_response(await run_db(request, work), status=201)


@bp.post(ORDER + "/price-protection")
async def price_protection(request: Request, shopper_id: str, order_no: str) -> HTTPResponse:
    """价保: the body is empty (or ``{}``); the prices decide."""
    Fields(json_object(request), ()).done()
    policy, now = request.app.ctx.policy, utc_now()

    def work(session):
        refund, decision = operations.claim_price_protection(
            session, policy, shopper_id, order_no, now
        )
        return views.price_protection_view(refund, decision, policy)

    return json_response(await run_db(request, work), status=201)
