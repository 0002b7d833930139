"""换货: the shopper's requests and listings, and the merchant's handling."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from order_service import operations, queries, views
from order_service.api.database import run_db
from order_service.api.inputs import Fields, json_object, query_limit
from order_service.api.refunds import review_command
from order_service.api.responses import json_response
from order_service.clock import utc_now
from order_service.commands import ExchangeCommand
from order_service.models import Exchange

bp = Blueprint("exchanges")

ORDER = "/shoppers/<shopper_id:str>/orders/<order_no:str>"


@bp.post(ORDER + "/exchanges")
async def create_exchange(request: Request, shopper_id: str, order_no: str) -> HTTPResponse:
    fields = Fields(
        json_object(request), {"item_sku_id", "wanted_sku_id", "reason", "description"}
    )
    item_sku_id = fields.text("item_sku_id", 64, required=False)
    wanted_sku_id = fields.text("wanted_sku_id", 64)
    reason = fields.text("reason", 32)
    description = fields.text("description", 500, required=False, multiline=True)
    fields.done()
    command = ExchangeCommand(
        item_sku_id=item_sku_id,
        wanted_sku_id=wanted_sku_id,
        reason=reason,
        description=description,
    )
    policy, now = request.app.ctx.policy, utc_now()

    def work(session):
        exchange = operations.create_exchange(session, policy, shopper_id, order_no, command, now)
        return views.exchange_view(exchange, policy)

    return json_response(await run_db(request, work), status=201)


@bp.get(ORDER + "/exchanges")
async def order_exchanges(request: Request, shopper_id: str, order_no: str) -> HTTPResponse:
    policy = request.app.ctx.policy

    def work(session):
        order = queries.find_order(session, shopper_id, order_no)
        exchanges = sorted(order.exchanges, key=lambda e: (e.created_at, e.id), reverse=True)
        return [views.exchange_view(e, policy) for e in exchanges]

    return json_response({"exchanges": await run_db(request, work)})


@bp.get("/shoppers/<shopper_id:str>/exchanges")
async def shopper_exchanges(request: Request, shopper_id: str) -> HTTPResponse:
    limit = query_limit(request)
    policy = request.app.ctx.policy

    def work(session):
        exchanges = queries.list_exchanges(session, shopper_id, limit)
        return [views.exchange_view(e, policy) for e in exchanges]

    return json_response({"exchanges": await run_db(request, work)})


@bp.post("/exchanges/<exchange_id:str>/approve")
async def approve(request: Request, exchange_id: str) -> HTTPResponse:
    command = review_command(request, note_required=False)
    return await _respond(
        request,
        lambda session, now: operations.review_exchange(session, exchange_id, True, command, now),
    )


@bp.post("/exchanges/<exchange_id:str>/reject")
async def reject(request: Request, exchange_id: str) -> HTTPResponse:
    """A rejection must say why: the shopper will be told."""
    command = review_command(request, note_required=True)
    return await _respond(
        request,
        lambda session, now: operations.review_exchange(session, exchange_id, False, command, now),
    )


@bp.post("/exchanges/<exchange_id:str>/confirm-return")
async def confirm_return(request: Request, exchange_id: str) -> HTTPResponse:
    """The original is back; the replacement ships."""
    command = review_command(request, note_required=False)
    return await _respond(
        request,
        lambda session, now: operations.confirm_exchange_return(
            session, exchange_id, command, now
        ),
    )


async def _respond(
    request: Request, operation: Callable[[Session, datetime], Exchange]
) -> HTTPResponse:
    policy, now = request.app.ctx.policy, utc_now()
    body = await run_db(
        request, lambda session: views.exchange_view(operation(session, now), policy)
    )
    return json_response(body)
