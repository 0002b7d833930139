"""Merchant-side refund handling, for the agent console."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from order_service import operations, views
from order_service.api.database import run_db
from order_service.api.inputs import Fields, json_object
from order_service.api.responses import json_response
from order_service.clock import utc_now
from order_service.commands import ReviewCommand
from order_service.models import Refund

bp = Blueprint("refunds")


def review_command(request: Request, note_required: bool) -> ReviewCommand:
    """A merchant's decision, for refunds and exchanges alike."""
    fields = Fields(json_object(request), {"note", "actor"})
    note = fields.text("note", 500, required=note_required, multiline=True)
    actor = fields.text("actor", 64)
    fields.done()
    return ReviewCommand(actor=actor, note=note)


@bp.post("/refunds/<refund_id:str>/approve")
async def approve(request: Request, refund_id: str) -> HTTPResponse:
    command = review_command(request, note_required=False)
    return await _respond(
        request,
        lambda session, now: operations.review_refund(session, refund_id, True, command, now),
    )


@bp.post("/refunds/<refund_id:str>/reject")
async def reject(request: Request, refund_id: str) -> HTTPResponse:
    """A rejection must say why: the shopper will be told."""
    command = review_command(request, note_required=True)
    return await _respond(
        request,
        lambda session, now: operations.review_refund(session, refund_id, False, command, now),
    )


@bp.post("/refunds/<refund_id:str>/confirm-return")
async def confirm_return(request: Request, refund_id: str) -> HTTPResponse:
    """The returned goods have arrived; pay the refund out."""
    command = review_command(request, note_required=False)
    return await _respond(
        request, lambda session, now: operations.confirm_return(session, refund_id, command, now)
    )


async def _respond(
    request: Request, operation: Callable[[Session, datetime], Refund]
) -> HTTPResponse:
    policy, now = request.app.ctx.policy, utc_now()
    body = await run_db(request, lambda session: views.refund_view(operation(session, now), policy))
    return json_response(body)
