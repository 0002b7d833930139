"""Quick replies (话术库): canned answers agents paste into the composer.

Every signed-in user reads the library; only supervisors change it, so what agents
say on the shop's behalf is reviewed by someone. A reply may carry the variables
``{shopper_name}``, ``{order_no}`` and ``{agent_name}``, filled per ticket by the
render endpoint; any other ``{...}`` is refused on save, because it would reach
the shopper as literal braces. The rendered text goes into the composer for the
agent to edit: nothing here sends a message.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from handoff.console.api import (Caller, authenticate, blocking, plain_text, read_json,
                                 refusal_error_not_found, run_db, text_field, visible_status)
from handoff.console.errors import ConsoleError
from handoff.console.masking import mask_text
from handoff.console.models import QUICK_REPLY_CATEGORIES, QuickReply, utcnow
from handoff.console.order_client import OrderServiceDown, OrderServiceRefusal
from handoff.tickets import Ticket

log = logging.getLogger(__name__)

quick_replies = Blueprint("console_quick_replies", url_prefix="/console/api")

SHORTCUT = re.compile(r"^/[a-z0-9]{1,16}$")
VARIABLE = re.compile(r"\{([^{}]*)\}")
# What an unresolvable variable becomes: a polite form of address for the shopper,
# a visible gap for the order number so the agent fills it in before sending.
FALLBACKS = {"shopper_name": "亲", "order_no": "【订单号】", "agent_name": "客服"}
MAX_TITLE_CHARS = 40
MAX_BODY_CHARS = 1000
MAX_POSITION = 9999
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class ReplyInput:
    """A quick reply as a supervisor submits it (POST creates, PUT replaces)."""

    category: str
    shortcut: str
    title: str
    body: str
    position: Optional[int]

    @classmethod
    def parse(cls, data: Dict[str, Any]) -> "ReplyInput":
        category = text_field(data, "category", max_chars=32)
        if category not in QUICK_REPLY_CATEGORIES:
            raise ConsoleError(400, "unknown_category", "话术分类不存在 / No such quick-reply category.")
        shortcut = text_field(data, "shortcut", max_chars=32).strip().lower()
        if not SHORTCUT.match(shortcut):
            raise ConsoleError(400, "invalid_shortcut",
                               "快捷指令须以 / 开头，后面跟 1-16 位小写字母或数字，例如 /hi "
                               "/ A shortcut is / and 1-16 lowercase letters or digits, e.g. /hi.")
        title = plain_text(data, "title", max_chars=MAX_TITLE_CHARS)
        body = plain_text(data, "body", max_chars=MAX_BODY_CHARS, multiline=True)
        if any(name not in FALLBACKS for name in VARIABLE.findall(body)):
            raise ConsoleError(400, "unknown_variable",
                               "话术中只能使用变量 {shopper_name}（顾客昵称）、{order_no}（订单号）和 "
                               "{agent_name}（客服名字） / Only {shopper_name}, {order_no} and "
                               "{agent_name} may be used.")
        position = data.get("position")
        if position is not None and (isinstance(position, bool) or not isinstance(position, int)
                                     or not 1 <= position <= MAX_POSITION):
            raise ConsoleError(400, "invalid_field",
                               f"字段 position 无效 / Field 'position' must be 1-{MAX_POSITION}.")
        return cls(category, shortcut, title, body, position)


def render(body: str, values: Mapping[str, str]) -> str:
    """Fills the variables in one pass, so a value that looks like ``{order_no}`` stays text."""
    return VARIABLE.sub(lambda m: values.get(m.group(1)) or FALLBACKS.get(m.group(1), m.group(0)), body)


def reply_view(reply: QuickReply) -> Dict[str, Any]:
    return {"id": reply.id, "category": reply.category, "shortcut": reply.shortcut,
            "title": reply.title, "body": reply.body, "position": reply.position,
            "updated_by": reply.updated_by, "updated_at": reply.updated_at.isoformat()}


def _require_supervisor(caller: Caller) -> None:
    if not caller.user.is_supervisor:
        raise ConsoleError(403, "forbidden", "只有主管可以修改话术库 / Only supervisors can edit quick replies.")


def _no_such_reply() -> ConsoleError:
    return ConsoleError(404, "quick_reply_not_found", "该话术不存在 / No such quick reply.")


def _shortcut_taken() -> ConsoleError:
    return ConsoleError(409, "shortcut_taken", "该快捷指令已被其他话术使用 / Another quick reply has this shortcut.")


def _find(db: DbSession, reply_id: int) -> QuickReply:
    reply = db.get(QuickReply, reply_id) if 0 < reply_id <= MAX_ID else None
    if reply is None:
        raise _no_such_reply()
    return reply


def _apply(reply: QuickReply, data: ReplyInput, caller: Caller) -> None:
    reply.category, reply.shortcut, reply.title, reply.body = data.category, data.shortcut, data.title, data.body
    if data.position is not None:
        reply.position = data.position
    reply.updated_by = caller.agent_id
    reply.updated_at = utcnow()


def _next_position(db: DbSession, category: str) -> int:
    last = db.scalar(select(func.max(QuickReply.position)).where(QuickReply.category == category))
    return min((last or 0) + 1, MAX_POSITION)


async def _saving(request: Request, work: Callable[[DbSession], Dict[str, Any]]) -> Dict[str, Any]:
    """Runs a write; the unique index, not a prior lookup, decides a shortcut race."""
    try:
        return await run_db(request, work)
    except IntegrityError:
        raise _shortcut_taken() from None


# ---------------------------------------------------------------- library

@quick_replies.get("/quick-replies")
async def list_replies(request: Request) -> HTTPResponse:
    await authenticate(request)
    order = {key: index for index, key in enumerate(QUICK_REPLY_CATEGORIES)}

    def load(db: DbSession) -> List[Dict[str, Any]]:
        rows = db.scalars(select(QuickReply)).all()
        return [reply_view(r) for r in sorted(rows, key=lambda r: (order[r.category], r.position, r.id))]

    return json_response({"categories": list(QUICK_REPLY_CATEGORIES), "variables": list(FALLBACKS),
                          "replies": await run_db(request, load)})


@quick_replies.post("/quick-replies")
async def create_reply(request: Request) -> HTTPResponse:
    caller = await authenticate(request)
    _require_supervisor(caller)
    data = ReplyInput.parse(read_json(request))

    def save(db: DbSession) -> Dict[str, Any]:
        reply = QuickReply(position=_next_position(db, data.category))
        _apply(reply, data, caller)
        db.add(reply)
        db.flush()
        return reply_view(reply)

    return json_response({"reply": await _saving(request, save)}, status=201)


@quick_replies.put("/quick-replies/<reply_id:int>")
async def update_reply(request: Request, reply_id: int) -> HTTPResponse:
    caller = await authenticate(request)
    _require_supervisor(caller)
    data = ReplyInput.parse(read_json(request))

    def save(db: DbSession) -> Dict[str, Any]:
        reply = _find(db, reply_id)
        _apply(reply, data, caller)
        db.flush()
        return reply_view(reply)

    return json_response({"reply": await _saving(request, save)})


@quick_replies.delete("/quick-replies/<reply_id:int>")
async def delete_reply(request: Request, reply_id: int) -> HTTPResponse:
    caller = await authenticate(request)
    _require_supervisor(caller)
    await run_db(request, lambda db: db.delete(_find(db, reply_id)))
    return json_response({"ok": True})


# ---------------------------------------------------------------- one ticket

@quick_replies.post("/tickets/<ticket_id>/quick-replies/<reply_id:int>/render")
async def render_for_ticket(request: Request, ticket_id: str, reply_id: int) -> HTTPResponse:
    """``{"text", "missing"}``: the reply filled in for this ticket's shopper.

    ``missing`` names the variables that fell back (no order on the ticket, an
    anonymous shopper, the order system not answering), so the console can point
    the agent at them.
    """
    caller = await authenticate(request)
    await visible_status(request, caller, ticket_id)
    body = await run_db(request, lambda db: _find(db, reply_id).body)
    ticket = await blocking(request.app.ctx.queue.ticket, ticket_id)
    if ticket is None:
        raise refusal_error_not_found()
    used = set(VARIABLE.findall(body))
    values = {"agent_name": caller.user.display_name}
    order_no = _first_order_no(ticket)
    if order_no:
        values["order_no"] = order_no
    if "shopper_name" in used:
        nickname = await _nickname(request, ticket.shopper_id)
        if nickname:
            values["shopper_name"] = nickname
    return json_response({"text": render(body, values), "missing": sorted(used - set(values))})


def _first_order_no(ticket: Ticket) -> Optional[str]:
    """The bot puts the order the conversation was about first (actions.handoff)."""
    for order in ticket.orders:
        if isinstance(order, dict) and order.get("order_no"):
            return str(order["order_no"])
    return None


async def _nickname(request: Request, shopper_id: Optional[str]) -> Optional[str]:
    if not shopper_id:
        return None
    try:
        profile = await blocking(request.app.ctx.orders.shopper, shopper_id)
    except (OrderServiceDown, OrderServiceRefusal) as error:
        log.warning("quick reply without the shopper's nickname: %s", error)
        return None
    nickname = profile.get("nickname")
    # Masked like everything else the console shows: some people use their number as a name.
    return mask_text(nickname.strip()) if isinstance(nickname, str) and nickname.strip() else None
