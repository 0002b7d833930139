"""Shopper-scoped listings: profile, orders, refunds, coupons."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from order_service import queries, views
from order_service.api.database import run_db
from order_service.api.inputs import query_enums, query_limit
from order_service.api.responses import json_response
from order_service.clock import utc_now
from order_service.states import CouponStatus, OrderStatus

bp = Blueprint("shoppers")


@bp.get("/shoppers")
async def list_shoppers(request: Request) -> HTTPResponse:
    """Merchant-side listing, e.g. for the demo storefront's shopper picker."""
    shoppers = await run_db(
        request, lambda session: [views.shopper_brief(s) for s in queries.list_shoppers(session)]
    )
    return json_response({"shoppers": shoppers})


@bp.get("/shoppers/<shopper_id:str>")
async def shopper_profile(request: Request, shopper_id: str) -> HTTPResponse:
    def work(session):
        shopper = queries.find_shopper(session, shopper_id)
        return views.shopper_profile(shopper, queries.count_orders(session, shopper_id))

    return json_response(await run_db(request, work))


@bp.get("/shoppers/<shopper_id:str>/orders")
async def list_orders(request: Request, shopper_id: str) -> HTTPResponse:
    statuses = query_enums(request, "status", OrderStatus)
    limit = query_limit(request)
    policy, now = request.app.ctx.policy, utc_now()

    def work(session):
        orders = queries.list_orders(session, shopper_id, statuses, limit)
        return [views.order_summary(order, policy, now) for order in orders]

    return json_response({"orders": await run_db(request, work)})


@bp.get("/shoppers/<shopper_id:str>/refunds")
async def list_refunds(request: Request, shopper_id: str) -> HTTPResponse:
    limit = query_limit(request)
    policy = request.app.ctx.policy

    def work(session):
        refunds = queries.list_refunds(session, shopper_id, limit)
        return [views.refund_view(r, policy) for r in refunds]

    return json_response({"refunds": await run_db(request, work)})


@bp.get("/shoppers/<shopper_id:str>/coupons")
async def list_coupons(request: Request, shopper_id: str) -> HTTPResponse:
    wanted = set(query_enums(request, "status", CouponStatus))
    now = utc_now()

    def work(session):
        coupons = [views.coupon_view(c, now) for c in queries.list_coupons(session, shopper_id)]
        return [c for c in coupons if not wanted or CouponStatus(c["status"]) in wanted]

    return json_response({"coupons": await run_db(request, work)})
