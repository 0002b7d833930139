"""Every failure as JSON ``{"error": {"code", "message"}}`` with a stable code.

The console's script branches on ``code``; ``message`` is for people (Chinese
first, English after, since agents read it and developers grep it). Messages are
fixed strings, so nothing from the request is echoed back. Redis or the database
not answering becomes 503 (retry later), anything else unexpected a logged 500.
"""

from __future__ import annotations

import logging
from typing import Dict, Tuple

from redis.exceptions import RedisError
from sanic.exceptions import SanicException, ServiceUnavailable
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import OperationalError

from handoff.transitions import Refusal

log = logging.getLogger(__name__)


class ConsoleError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> HTTPResponse:
    return json({"error": {"code": code, "message": message}}, status=status)


def unauthenticated() -> ConsoleError:
    return ConsoleError(401, "unauthenticated", "请先登录 / Please sign in.")


# The desk's refusals as HTTP: 409 when the ticket's state or the agent's load is in
# the way (reload and try again), 403 when this agent may not do it at all.
REFUSALS: Dict[Refusal, Tuple[int, str]] = {
    Refusal.NOT_FOUND: (404, "该会话不存在 / No such ticket."),
    Refusal.CLOSED: (409, "会话已结束 / The ticket is already closed."),
    Refusal.TAKEN: (409, "会话已被其他客服接入 / Another agent already took this ticket."),
    Refusal.NOT_YOURS: (403, "这不是您的会话 / You do not hold this ticket."),
    Refusal.WRONG_STATE: (409, "会话当前状态不允许此操作 / Not possible in the ticket's current state."),
    Refusal.ALREADY_OPEN: (409, "该对话已有进行中的会话 / The conversation already has an open ticket."),
    Refusal.UNKNOWN_AGENT: (409, "请先签到 / Sign in to the queue first."),
    Refusal.AGENT_OFFLINE: (409, "客服离线 / The agent is offline."),
    Refusal.AGENT_AWAY: (409, "客服处于离开状态 / The agent is away."),
    Refusal.AGENT_BACK: (409, "客服已重新上线 / The agent came back."),
    Refusal.NOT_IN_GROUP: (403, "不属于该技能组 / Not in the ticket's group."),
    Refusal.AT_CAPACITY: (409, "已达接待上限 / At the maximum number of chats."),
    Refusal.QUEUE_EMPTY: (409, "队列中没有等待的会话 / Nobody is waiting."),
}


def refusal_error(refusal: Refusal) -> ConsoleError:
    status, message = REFUSALS.get(refusal, (409, "操作被拒绝 / Refused."))
    return ConsoleError(status, refusal.value, message)


_SANIC_ERRORS = {
    404: ("no_such_endpoint", "接口不存在 / No such endpoint."),
    405: ("method_not_allowed", "不支持该请求方法 / Method not allowed."),
    413: ("payload_too_large", "请求过大 / Request body too large."),
}


def render_error(request: Request, exception: Exception) -> HTTPResponse:
    if isinstance(exception, ConsoleError):
        return error_response(exception.status, exception.code, exception.message)
    if isinstance(exception, SanicException) and 400 <= exception.status_code < 500:
        code, message = _SANIC_ERRORS.get(exception.status_code, ("bad_request", "请求格式错误 / Malformed request."))
        return error_response(exception.status_code, code, message)
    if isinstance(exception, ServiceUnavailable):
        # Sanic cancels a request whose client went away (a closed tab's socket): not a fault.
        return error_response(503, "unavailable", "服务暂时不可用 / Service temporarily unavailable.")
    if isinstance(exception, (RedisError, OperationalError)):
        log.warning("backend unavailable on %s %s: %s", request.method, request.path, exception)
        return error_response(503, "unavailable", "服务暂时不可用 / Service temporarily unavailable.")
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exception)
    return error_response(500, "internal_error", "内部错误 / Internal error.")
