"""Catalogue look-ups, for questions about specs, prices and stock."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from order_service import queries, views
from order_service.api.database import run_db
from order_service.api.inputs import query_limit, query_text
from order_service.api.responses import json_response

bp = Blueprint("products")


@bp.get("/products")
async def search(request: Request) -> HTTPResponse:
    text = query_text(request, "q", 50)
    limit = query_limit(request)

    def work(session):
        return [views.product_view(p) for p in queries.search_products(session, text, limit)]

    return json_response({"products": await run_db(request, work)})


@bp.get("/products/<product_id:str>")
async def product(request: Request, product_id: str) -> HTTPResponse:
    def work(session):
        return views.product_view(queries.find_product(session, product_id))

    return json_response(await run_db(request, work))
