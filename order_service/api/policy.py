"""The store policy, so clients quote the numbers the service enforces."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from order_service.api.responses import json_response

bp = Blueprint("policy")


@bp.get("/policy")
async def policy(request: Request) -> HTTPResponse:
    return json_response(request.app.ctx.policy.to_json())
