"""The console's HTTP routes under ``/console``.

Every ``/console/api`` route but login needs a valid session cookie (401 without),
and every state-changing one the session's CSRF token in ``X-CSRF-Token`` (403
without). Agents see the tickets of their own groups, plus those they hold or
held; supervisors see all. A ticket an agent may not see is answered 404, exactly
like one that does not exist, so ids of other groups' tickets reveal nothing.

Redis and SQLAlchemy are blocking clients: their calls run in worker threads so
one slow round trip does not stall every other agent's request.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple, TypeVar

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from handoff.console.accounts import find_user
from handoff.console.announcements import announce
from handoff.console.errors import ConsoleError, refusal_error, unauthenticated
from handoff.console.models import Note, User
from handoff.console.passwords import DUMMY_HASH, verify_password
from handoff.console.sessions import COOKIE_NAME, CSRF_HEADER, Session
from handoff.console.views import note_view, status_view, ticket_view, user_view
from handoff.presence import Agent, AgentStatus
from handoff.tickets import GROUPS, TicketState, TicketStatus
from handoff.transitions import Outcome, Refusal

console = Blueprint("console", url_prefix="/console")

T = TypeVar("T")
TICKET_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_NOTE_CHARS = 2000
MAX_TRANSFER_NOTE_CHARS = 500
MAX_BODY_BYTES = 32 * 1024


@dataclass(frozen=True)
class Caller:
    user: User
    session: Session

    @property
    def agent_id(self) -> str:
        # The login is the agent's id in the handoff engine: stable and readable in logs.
        return self.user.login

    def may_see(self, status: TicketStatus) -> bool:
        return (self.user.is_supervisor or status.group in self.user.groups
                or status.agent_id == self.agent_id)


# ---------------------------------------------------------------- plumbing

async def blocking(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(work, *args, **kwargs)


async def run_db(request: Request, work: Callable[[DbSession], T]) -> T:
    """``work`` in one transaction in a worker thread (commit on return)."""
    sessions = request.app.ctx.sessions

    def in_transaction() -> T:
        with sessions.begin() as session:
            return work(session)

    return await asyncio.to_thread(in_transaction)


def read_json(request: Request) -> Dict[str, Any]:
    """The body as a JSON object; an empty body is ``{}``."""
    body = request.body or b""
    if len(body) > MAX_BODY_BYTES:
        raise ConsoleError(413, "payload_too_large", "请求过大 / Request body too large.")
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ConsoleError(400, "bad_json", "请求不是合法的 JSON / The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ConsoleError(400, "bad_json", "请求须为 JSON 对象 / The body must be a JSON object.")
    return data


def text_field(data: Dict[str, Any], name: str, *, required: bool = True, max_chars: int = 200) -> Optional[str]:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_chars:
        raise ConsoleError(400, "invalid_field",
                           f"字段 {name} 无效 / Field '{name}' is missing or invalid (text up to {max_chars}).")
    return value


CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
MULTILINE_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(data: Dict[str, Any], name: str, *, required: bool = True, max_chars: int = 200,
               multiline: bool = False) -> Optional[str]:
    """``text_field`` trimmed and free of control characters (PostgreSQL cannot even
    store NUL); line breaks and tabs only where ``multiline``. Blank optional text is None."""
    value = text_field(data, name, required=required, max_chars=max_chars)
    if value is None or not value.strip():
        return None
    if (MULTILINE_CONTROL_CHARS if multiline else CONTROL_CHARS).search(value):
        raise ConsoleError(400, "invalid_field",
                           f"字段 {name} 含有不可见的控制字符 / Field '{name}' contains control characters.")
    return value.strip()


async def authenticate(request: Request) -> Caller:
    """The signed-in, enabled user; checks CSRF on state-changing requests."""
    signer = request.app.ctx.signer
    session = await blocking(signer.read, request.cookies.get(COOKIE_NAME))
    if session is None:
        raise unauthenticated()
    if request.method not in SAFE_METHODS and not signer.csrf_ok(session, request.headers.get(CSRF_HEADER)):
        raise ConsoleError(403, "csrf_failed", "安全校验失败，请刷新页面 / Missing or wrong CSRF token.")
    user = await run_db(request, lambda db: find_user(db, session.login))
    if user is None or not user.active:
        raise unauthenticated()
    return Caller(user, session)


async def visible_status(request: Request, caller: Caller, ticket_id: str) -> TicketStatus:
    if not TICKET_ID.match(ticket_id):
        raise refusal_error_not_found()
    status = await blocking(request.app.ctx.queue.status, ticket_id)
    if status is None or not caller.may_see(status):
        raise refusal_error_not_found()
    return status


def refusal_error_not_found() -> ConsoleError:
    return ConsoleError(404, "not_found", "该会话不存在 / No such ticket.")


def outcome_response(request: Request, outcome: Outcome) -> HTTPResponse:
    if not outcome.ok:
        raise refusal_error(outcome.refusal)
    return json_response({"ticket": status_view(outcome.status, None, request.app.ctx.store.now())})


async def announced(request: Request, outcome: Outcome, notice: Optional[str],
                    agent_name: Optional[str] = None) -> HTTPResponse:
    """The outcome as a response, after telling the shopper what changed (if it did)."""
    response = outcome_response(request, outcome)
    if notice is not None:
        await announce(request.app.ctx, outcome.status, notice, agent_name)
    return response


def sign_in(request: Request, user: User) -> Optional[Dict[str, Any]]:
    """Registers the user with the queue; supervisors without groups only watch."""
    if not user.groups:
        return None
    presence = request.app.ctx.presence.sign_in(
        Agent(user.login, user.display_name, user.groups, user.max_chats))
    return presence_view(presence)


def presence_view(presence) -> Dict[str, Any]:
    return {"status": presence.status.value, "load": presence.load, "max_chats": presence.max_chats}


# ---------------------------------------------------------------- public

@console.get("/health")
async def health(request: Request) -> HTTPResponse:
    try:
        await blocking(request.app.ctx.store.redis.ping)
    except Exception:  # noqa: BLE001 - health reports, never raises
        return json_response({"status": "unavailable", "redis": False}, status=503)
    return json_response({"status": "ok", "redis": True})


@console.post("/api/login")
async def login(request: Request) -> HTTPResponse:
    data = read_json(request)
    login_name = text_field(data, "login", max_chars=64).strip().lower()
    password = text_field(data, "password", max_chars=1024)
    ctx = request.app.ctx
    wait = await blocking(ctx.limiter.blocked_for, login_name)
    if wait:
        raise ConsoleError(429, "too_many_attempts",
                           f"尝试次数过多，请 {wait} 秒后再试 / Too many failed attempts; retry in {wait} s.")

    def check(db: DbSession) -> Optional[User]:
        user = find_user(db, login_name)
        ok = verify_password(password, user.password_hash if user else DUMMY_HASH)
        return user if ok and user is not None and user.active else None

    user = await run_db(request, check)
    if user is None:
        await blocking(ctx.limiter.failed, login_name)
        raise ConsoleError(401, "invalid_credentials", "登录名或密码错误 / Wrong login or password.")
    await blocking(ctx.limiter.succeeded, login_name)
    token, session = ctx.signer.issue(user.login)
    presence = await blocking(sign_in, request, user)
    response = json_response({"user": user_view(user), "csrf_token": ctx.signer.csrf_token(session),
                              "expires_at": session.expires_at, "presence": presence})
    _set_cookie(response, token, ctx.settings.session_seconds, ctx.settings.cookie_secure)
    return response


def _set_cookie(response: HTTPResponse, value: str, max_age: int, secure: bool) -> None:
    response.cookies[COOKIE_NAME] = value
    cookie = response.cookies[COOKIE_NAME]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/console"
    cookie["max-age"] = max_age
    if secure:
        cookie["secure"] = True


# ---------------------------------------------------------------- session

@console.post("/api/logout")
async def logout(request: Request) -> HTTPResponse:
    caller = await authenticate(request)
    ctx = request.app.ctx
    await blocking(ctx.signer.revoke, caller.session)
    # Away rather than gone: no new offers; the sweep reclaims held chats once
    # heartbeats stop for the grace period.
    await blocking(ctx.presence.set_status, caller.agent_id, AgentStatus.AWAY)
    response = json_response({"ok": True})
    _set_cookie(response, "", 0, ctx.settings.cookie_secure)
    return response


@console.get("/api/me")
async def me(request: Request) -> HTTPResponse:
    caller = await authenticate(request)
    presence = await blocking(request.app.ctx.presence.get, caller.agent_id)
    return json_response({"user": user_view(caller.user),
                          "csrf_token": request.app.ctx.signer.csrf_token(caller.session),
                          "expires_at": caller.session.expires_at,
                          "presence": presence_view(presence) if presence else None})


@console.post("/api/heartbeat")
async def heartbeat(request: Request) -> HTTPResponse:
    caller = await authenticate(request)
    data = read_json(request)
    wanted = data.get("status")
    if wanted is not None and wanted not in (AgentStatus.ONLINE.value, AgentStatus.AWAY.value):
        raise ConsoleError(400, "invalid_field", "status 只能是 online 或 away / status must be online or away.")
    if not caller.user.groups:
        return json_response({"presence": None})
    presence = request.app.ctx.presence

    def beat() -> Dict[str, Any]:
        if not presence.heartbeat(caller.agent_id):
            sign_in(request, caller.user)    # Redis lost the agent (flush, failover): register again
        if wanted is not None:
            presence.set_status(caller.agent_id, AgentStatus(wanted))
        return presence_view(presence.get(caller.agent_id))

    return json_response({"presence": await blocking(beat)})


# ---------------------------------------------------------------- queue and chats

@console.get("/api/queue")
async def queue(request: Request) -> HTTPResponse:
    caller = await authenticate(request)
    groups: Tuple[str, ...] = tuple(GROUPS) if caller.user.is_supervisor else caller.user.groups
    wanted = request.args.get("group")
    if wanted is not None:
        if wanted not in groups:
            raise ConsoleError(403, "not_in_group", "不属于该技能组 / Not one of your groups.")
        groups = (wanted,)
    ctx = request.app.ctx

    def rows():
        now = ctx.store.now()
        return [status_view(status, ctx.queue.ticket(status.ticket_id), now)
                for group in groups for status in ctx.queue.waiting(group)]

    return json_response({"groups": list(groups), "tickets": await blocking(rows)})


@console.get("/api/chats")
async def chats(request: Request) -> HTTPResponse:
    caller = await authenticate(request)
    ctx = request.app.ctx

    def rows():
        now = ctx.store.now()
        return [status_view(status, ctx.queue.ticket(status.ticket_id), now)
                for status in ctx.desk.chats_of(caller.agent_id)]

    return json_response({"chats": await blocking(rows)})


@console.get("/api/colleagues")
async def colleagues(request: Request) -> HTTPResponse:
    """Online agents a chat can be transferred to: of the caller's groups (all, for supervisors)."""
    caller = await authenticate(request)
    groups = tuple(GROUPS) if caller.user.is_supervisor else caller.user.groups
    presence = request.app.ctx.presence

    def rows():
        found = {}
        for group in groups:
            for agent in presence.online(group):
                if agent.agent_id != caller.agent_id:
                    found[agent.agent_id] = {"login": agent.agent_id, "name": agent.name,
                                             "groups": list(agent.groups), "load": agent.load,
                                             "max_chats": agent.max_chats}
        return sorted(found.values(), key=lambda a: (a["load"] >= a["max_chats"], a["name"]))

    return json_response({"colleagues": await blocking(rows)})


@console.post("/api/next")
async def take_next(request: Request) -> HTTPResponse:
    caller = await authenticate(request)
    outcome = await blocking(request.app.ctx.desk.take_next, caller.agent_id)
    return await announced(request, outcome, "joined", caller.user.display_name)


# ---------------------------------------------------------------- one ticket

@console.get("/api/tickets/<ticket_id>")
async def ticket(request: Request, ticket_id: str) -> HTTPResponse:
    caller = await authenticate(request)
    status = await visible_status(request, caller, ticket_id)
    ctx = request.app.ctx
    content = await blocking(ctx.queue.ticket, ticket_id)
    if content is None:
        raise refusal_error_not_found()
    # Visitors have no history: their messages carry no shopper id (and asking the chat
    # log for None would list every visitor's handoffs).
    previous = (await blocking(ctx.chatlog.previous_handoffs, content.shopper_id, exclude_ticket=ticket_id)
                if content.shopper_id else [])
    return json_response({"ticket": ticket_view(status, content, ctx.store.now(), previous)})


@console.post("/api/tickets/<ticket_id>/claim")
async def claim(request: Request, ticket_id: str) -> HTTPResponse:
    caller = await authenticate(request)
    await visible_status(request, caller, ticket_id)
    outcome = await blocking(request.app.ctx.desk.claim, ticket_id, caller.agent_id)
    return await announced(request, outcome, "joined", caller.user.display_name)


@console.post("/api/tickets/<ticket_id>/release")
async def release(request: Request, ticket_id: str) -> HTTPResponse:
    caller = await authenticate(request)
    before = await visible_status(request, caller, ticket_id)
    outcome = await blocking(request.app.ctx.desk.release, ticket_id, caller.agent_id)
    # Declining an offer changes nothing the shopper saw; giving back a taken chat does.
    return await announced(request, outcome, "released" if before.state != TicketState.OFFERED else None)


@console.post("/api/tickets/<ticket_id>/resolve")
async def resolve(request: Request, ticket_id: str) -> HTTPResponse:
    caller = await authenticate(request)
    await visible_status(request, caller, ticket_id)
    outcome = await blocking(request.app.ctx.desk.resolve, ticket_id, caller.agent_id)
    return await announced(request, outcome, "resolved")


@console.post("/api/tickets/<ticket_id>/transfer")
async def transfer(request: Request, ticket_id: str) -> HTTPResponse:
    """Body: ``{"group": "logistics"}`` or ``{"agent": "<login>"}``, plus an optional ``note``.

    Agents transfer only chats they hold; supervisors may move any open ticket.
    """
    caller = await authenticate(request)
    data = read_json(request)
    to_group = text_field(data, "group", required=False, max_chars=32)
    to_agent = text_field(data, "agent", required=False, max_chars=64)
    note = text_field(data, "note", required=False, max_chars=MAX_TRANSFER_NOTE_CHARS) or ""
    if (to_group is None) == (to_agent is None):
        raise ConsoleError(400, "invalid_field", "须指定 group 或 agent 之一 / Give exactly one of group and agent.")
    if to_group is not None and to_group not in GROUPS:
        raise ConsoleError(400, "unknown_group", "技能组不存在 / No such group.")
    status = await visible_status(request, caller, ticket_id)
    by: Optional[str] = None
    if not caller.user.is_supervisor:
        if not (status.state.held and status.agent_id == caller.agent_id):
            raise refusal_error(Refusal.NOT_YOURS)
        by = caller.agent_id
    outcome = await blocking(request.app.ctx.desk.transfer, ticket_id, to_group=to_group,
                             to_agent=to_agent, note=note.strip(), by=by)
    return await announced(request, outcome, "transferred" if status.state.held else None)


@console.get("/api/tickets/<ticket_id>/notes")
async def list_notes(request: Request, ticket_id: str) -> HTTPResponse:
    caller = await authenticate(request)
    await visible_status(request, caller, ticket_id)

    def load(db: DbSession):
        rows = db.execute(select(Note, User).join(User, Note.author_id == User.id)
                          .where(Note.ticket_id == ticket_id).order_by(Note.created_at, Note.id)).all()
        return [note_view(note, author) for note, author in rows]

    return json_response({"notes": await run_db(request, load)})


@console.post("/api/tickets/<ticket_id>/notes")
async def add_note(request: Request, ticket_id: str) -> HTTPResponse:
    caller = await authenticate(request)
    body = text_field(read_json(request), "body", max_chars=MAX_NOTE_CHARS).strip()
    await visible_status(request, caller, ticket_id)

    def save(db: DbSession):
        note = Note(ticket_id=ticket_id, author_id=caller.user.id, body=body)
        db.add(note)
        db.flush()
        return note_view(note, caller.user)

    return json_response({"note": await run_db(request, save)}, status=201)
