"""Unauthenticated endpoints: liveness and the contract itself."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, raw
from sqlalchemy import text

from order_service.api.database import run_db
from order_service.api.responses import json_response

bp = Blueprint("public")


@bp.get("/health")
async def health(request: Request) -> HTTPResponse:
    """Healthy means the database answers, not merely that the process is up;
    if it does not, the error handler turns that into 503 ``unavailable``."""
    await run_db(request, lambda session: session.execute(text("SELECT 1")).scalar())
    return json_response({"status": "ok"})


@bp.get("/openapi.yaml")
async def openapi(request: Request) -> HTTPResponse:
    return raw(request.app.ctx.openapi, content_type="application/yaml; charset=utf-8")
