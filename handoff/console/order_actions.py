"""Order actions from the console: decide a shopper's refund, change a shipping address.

Who may act: the agent holding the ticket, or a supervisor; anyone who may see the
ticket may read its shopper's refunds and its audit. What may be acted on: only the
ticket's shopper's refunds and orders. The shopper id always comes from the ticket,
never from the request, and the order API scopes orders by shopper, so another
shopper's order number is simply "not found" there. Refund decisions are not
shopper-scoped in the API, so a refund id is first looked up among the shopper's
own refunds.

Every attempt that gets as far as a ticket the caller may see is written to
``console_audit`` (``ok``, ``refused`` or ``failed``). The row is written *before*
the order system is called and completed afterwards: if the database cannot take
the record, the order is not touched either.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from handoff.console.api import (Caller, authenticate, blocking, plain_text, read_json,
                                 refusal_error_not_found, run_db, visible_status)
from handoff.console.errors import ConsoleError, refusal_error
from handoff.console.masking import mask, mask_address, mask_text
from handoff.console.models import AuditEntry, User, utcnow
from handoff.console.order_client import OrderServiceDown, OrderServiceRefusal, valid_id
from handoff.tickets import Ticket, TicketStatus
from handoff.transitions import Refusal

log = logging.getLogger(__name__)

order_actions = Blueprint("console_order_actions", url_prefix="/console/api")

MAX_NOTE_CHARS = 500
# The contract's AddressRequest fields with their labels, in form order, and the
# most characters the console accepts for each (the order system judges the rest).
ADDRESS_FIELDS = {
    "receiver_name": ("收货人", 20),
    "receiver_phone": ("手机号", 20),
    "province": ("省份", 20),
    "city": ("城市", 20),
    "district": ("区县", 20),
    "detail": ("详细地址", 120),
}

# The order system's refusals as the console reports them (fixed texts, as in
# errors.REFUSALS). Unknown codes become a generic 409 ``order_refused``.
ORDER_REFUSALS: Dict[str, Tuple[int, str]] = {
    "refund_not_pending": (409, "该退款已经处理过了，请刷新查看最新状态 / The refund is no longer pending."),
    "refund_not_found": (404, "该顾客没有这笔退款 / No such refund for this shopper."),
    "order_not_found": (404, "该顾客没有这个订单 / No such order for this shopper."),
    "shopper_not_found": (404, "订单系统里找不到这位顾客 / The order system does not know this shopper."),
    "already_shipped": (409, "订单已发货，不能再改地址了，可以联系快递改派 / Already shipped: ask the carrier."),
    "already_delivered": (409, "订单已签收，不能再改地址了 / The order was already delivered."),
    "refund_in_progress": (409, "订单有进行中的退款，暂时不能修改 / A refund is open on this order."),
    "after_sale_in_progress": (409, "订单有进行中的售后，暂时不能修改 / An after-sales case is open on this order."),
    "order_closed": (409, "订单已关闭（已取消或已退款） / The order is closed."),
}


@dataclass(frozen=True)
class Attempt:
    """One audited action: who, on which ticket, what, and the request as recorded."""

    actor: str
    ticket_id: str
    action: str
    order_no: Optional[str]
    request: Dict[str, Any]

    def row(self, outcome: str, detail: str) -> AuditEntry:
        return AuditEntry(at=utcnow(), actor=self.actor, ticket_id=self.ticket_id, action=self.action,
                          order_no=self.order_no, outcome=outcome, detail=detail,
                          request=json.dumps(self.request, ensure_ascii=False, sort_keys=True))


# ---------------------------------------------------------------- audit

async def _record(request: Request, attempt: Attempt, outcome: str, detail: str) -> int:
    def write(db: DbSession) -> int:
        entry = attempt.row(outcome, detail)
        db.add(entry)
        db.flush()
        return entry.id

    return await run_db(request, write)


async def _settle(request: Request, entry_id: int, outcome: str, detail: str,
                  order_no: Optional[str] = None) -> None:
    def update(db: DbSession) -> None:
        entry = db.get(AuditEntry, entry_id)
        entry.outcome, entry.detail, entry.at = outcome, detail, utcnow()
        entry.order_no = entry.order_no or order_no

    await run_db(request, update)


async def _refuse(request: Request, attempt: Attempt, error: ConsoleError) -> ConsoleError:
    await _record(request, attempt, "refused", error.code)
    return error


async def _call_audited(request: Request, attempt: Attempt,
                        work: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
    """Runs ``work`` (blocking order API calls) between a write-ahead audit row and its outcome."""
    # Until the order system answers, the row says the attempt failed: that is the
    # truth if this process dies mid-call, and what an operator should check.
    entry_id = await _record(request, attempt, "failed", "awaiting the order system's answer")
    try:
        result = await blocking(work)
    except OrderServiceRefusal as refusal:
        await _settle(request, entry_id, "refused", refusal.code)
        raise _refusal_error(refusal) from None
    except OrderServiceDown as down:
        log.warning("order action %s on %s failed: %s", attempt.action, attempt.ticket_id, down)
        await _settle(request, entry_id, "failed", str(down))
        raise _order_service_down() from None
    # The answer's status (退款成功, 待发货 …) and, for refunds, the order it was about.
    await _settle(request, entry_id, "ok", str(result.get("status_label") or result.get("status") or ""),
                  order_no=result.get("order_no") if isinstance(result.get("order_no"), str) else None)
    return result


def _refusal_error(refusal: OrderServiceRefusal) -> ConsoleError:
    if refusal.code == "invalid_request":
        fields = refusal.details.get("fields")
        labels = [label for name, (label, _) in ADDRESS_FIELDS.items() if isinstance(fields, dict) and name in fields]
        if labels:
            return ConsoleError(422, "invalid_address",
                                f"以下信息不符合要求：{'、'.join(labels)} / Check these fields: "
                                f"{', '.join(n for n in ADDRESS_FIELDS if n in fields)}.")
        return ConsoleError(422, "invalid_request", "订单系统不接受填写的内容 / The order system refused the values.")
    status, message = ORDER_REFUSALS.get(refusal.code, (409, "订单系统拒绝了该操作 / The order system refused."))
    return ConsoleError(status, refusal.code if refusal.code in ORDER_REFUSALS else "order_refused", message)


def _order_service_down() -> ConsoleError:
    return ConsoleError(502, "order_service_unavailable",
                        "订单系统暂时没有响应，操作未完成，请稍后重试 / The order system is not answering; "
                        "nothing was changed that we know of. Try again shortly.")


# ---------------------------------------------------------------- the ticket

@dataclass(frozen=True)
class TicketOrders:
    """The ticket an action is about and the shopper whose orders it may touch."""

    status: TicketStatus
    ticket: Ticket

    @property
    def order_nos(self) -> Tuple[str, ...]:
        return tuple(str(o["order_no"]) for o in self.ticket.orders if isinstance(o, dict) and o.get("order_no"))


async def _ticket(request: Request, caller: Caller, ticket_id: str) -> TicketOrders:
    status = await visible_status(request, caller, ticket_id)
    ticket = await blocking(request.app.ctx.queue.ticket, ticket_id)
    if ticket is None:
        raise refusal_error_not_found()
    return TicketOrders(status, ticket)


async def _authorize(request: Request, caller: Caller, scope: TicketOrders, attempt: Attempt) -> str:
    """The shopper id to act for; refusals are audited."""
    holds = scope.status.state.held and scope.status.agent_id == caller.agent_id
    if not (caller.user.is_supervisor or holds):
        raise await _refuse(request, attempt, refusal_error(Refusal.NOT_YOURS))
    if not scope.ticket.shopper_id:
        raise await _refuse(request, attempt, ConsoleError(
            409, "no_shopper", "顾客未登录，无法查询或修改订单 / The shopper is anonymous: no orders to act on."))
    return scope.ticket.shopper_id


def refund_view(refund: Dict[str, Any], ticket_orders: Tuple[str, ...]) -> Dict[str, Any]:
    keys = ("refund_id", "order_no", "kind", "kind_label", "reason_label", "amount_cents", "status",
            "status_label", "description", "merchant_note", "created_at", "review_due_at")
    view = mask({key: refund.get(key) for key in keys})
    view["on_ticket"] = refund.get("order_no") in ticket_orders
    view["pending"] = refund.get("status") == "requested"
    return view


# ---------------------------------------------------------------- refunds

@order_actions.get("/tickets/<ticket_id>/refunds")
async def list_refunds(request: Request, ticket_id: str) -> HTTPResponse:
    """``{"refunds", "problem"}``: the ticket's shopper's refunds, newest first (``pending``
    ones await a decision), or none and why not.

    The panel asks for these whenever a chat opens, so an order system that is down
    or does not know the shopper is reported in ``problem`` (``{"code", "message"}``)
    rather than as an HTTP error each time.
    """
    caller = await authenticate(request)
    scope = await _ticket(request, caller, ticket_id)
    if not scope.ticket.shopper_id:
        return json_response({"refunds": [], "problem": None})
    try:
        refunds = await blocking(request.app.ctx.orders.refunds, scope.ticket.shopper_id)
    except (OrderServiceRefusal, OrderServiceDown) as failure:
        log.warning("refunds of ticket %s unavailable: %s", ticket_id, failure)
        error = (_refusal_error(failure) if isinstance(failure, OrderServiceRefusal) else _order_service_down())
        return json_response({"refunds": [], "problem": {"code": error.code, "message": error.message}})
    return json_response({"refunds": [refund_view(r, scope.order_nos) for r in refunds], "problem": None})


@order_actions.post("/tickets/<ticket_id>/refunds/<refund_id>/approve")
async def approve_refund(request: Request, ticket_id: str, refund_id: str) -> HTTPResponse:
    """Body: ``{"note": "..."}`` (optional, shown to the shopper)."""
    note = plain_text(read_json(request), "note", required=False, max_chars=MAX_NOTE_CHARS, multiline=True)
    return await _decide(request, ticket_id, refund_id, "refund_approve", note)


@order_actions.post("/tickets/<ticket_id>/refunds/<refund_id>/reject")
async def reject_refund(request: Request, ticket_id: str, refund_id: str) -> HTTPResponse:
    """Body: ``{"note": "..."}`` (required: the shopper is told why)."""
    note = plain_text(read_json(request), "note", max_chars=MAX_NOTE_CHARS, multiline=True)
    return await _decide(request, ticket_id, refund_id, "refund_reject", note)


async def _decide(request: Request, ticket_id: str, refund_id: str, action: str,
                  note: Optional[str]) -> HTTPResponse:
    caller = await authenticate(request)
    if not valid_id(refund_id):
        raise ConsoleError(404, "refund_not_found", ORDER_REFUSALS["refund_not_found"][1])
    scope = await _ticket(request, caller, ticket_id)
    attempt = Attempt(caller.agent_id, ticket_id, action, None,
                      {"refund_id": refund_id, "note": mask_text(note) if note else None})
    shopper_id = await _authorize(request, caller, scope, attempt)
    orders = request.app.ctx.orders
    decide = orders.approve_refund if action == "refund_approve" else orders.reject_refund

    def work() -> Dict[str, Any]:
        # Decisions are not shopper-scoped in the API: the refund must be this shopper's.
        if not any(r.get("refund_id") == refund_id for r in orders.refunds(shopper_id)):
            raise OrderServiceRefusal(404, "refund_not_found", {})
        return decide(refund_id, caller.agent_id, note)

    result = await _call_audited(request, attempt, work)
    return json_response({"refund": refund_view(result, scope.order_nos)})


# ---------------------------------------------------------------- addresses

@order_actions.post("/tickets/<ticket_id>/orders/<order_no>/address")
async def change_address(request: Request, ticket_id: str, order_no: str) -> HTTPResponse:
    """Body: the contract's AddressRequest (receiver_name, receiver_phone, province,
    city, district, detail). Allowed by the order system before shipment only."""
    caller = await authenticate(request)
    data = read_json(request)
    address = {name: plain_text(data, name, max_chars=limit) for name, (_, limit) in ADDRESS_FIELDS.items()}
    if not valid_id(order_no):
        raise ConsoleError(404, "order_not_found", ORDER_REFUSALS["order_not_found"][1])
    scope = await _ticket(request, caller, ticket_id)
    attempt = Attempt(caller.agent_id, ticket_id, "address_change", order_no, mask_address(address))
    shopper_id = await _authorize(request, caller, scope, attempt)
    orders = request.app.ctx.orders
    result = await _call_audited(request, attempt, lambda: orders.change_address(shopper_id, order_no, address))
    receiver = result.get("receiver") if isinstance(result.get("receiver"), dict) else {}
    return json_response({"order": mask({
        "order_no": result.get("order_no"), "status": result.get("status"),
        "status_label": result.get("status_label"),
        "receiver": {key: receiver.get(key) for key in ("name", "phone", "full_address")},
    })})


# ---------------------------------------------------------------- audit

@order_actions.get("/tickets/<ticket_id>/audit")
async def ticket_audit(request: Request, ticket_id: str) -> HTTPResponse:
    caller = await authenticate(request)
    await visible_status(request, caller, ticket_id)

    def load(db: DbSession) -> List[Dict[str, Any]]:
        rows = db.execute(select(AuditEntry, User.display_name)
                          .outerjoin(User, User.login == AuditEntry.actor)
                          .where(AuditEntry.ticket_id == ticket_id)
                          .order_by(AuditEntry.id)).all()
        return [audit_view(entry, name) for entry, name in rows]

    return json_response({"audit": await run_db(request, load)})


def audit_view(entry: AuditEntry, actor_name: Optional[str]) -> Dict[str, Any]:
    return {"id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor, "actor_name": actor_name,
            "action": entry.action, "order_no": entry.order_no, "request": json.loads(entry.request),
            "outcome": entry.outcome, "detail": mask_text(entry.detail)}
