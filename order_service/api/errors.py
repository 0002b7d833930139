"""Every failure leaves the service in the contract's JSON error shape.

Sanic's own errors (unknown route, wrong method, oversized body) are mapped to
contract codes, a database that stops answering becomes ``unavailable`` (503,
so clients know to retry later), and anything else unexpected becomes a logged
``internal_error`` rather than an HTML page the bot cannot parse. Messages are fixed strings:
nothing from the request is echoed back unescaped.
"""

from __future__ import annotations

import logging

from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import OperationalError

from order_service.api.responses import json_response
from order_service.errors import ErrorCode, ServiceError, error_body

log = logging.getLogger(__name__)

_SANIC_ERRORS = {
    404: (ErrorCode.NOT_FOUND, "No such endpoint."),
    405: (ErrorCode.METHOD_NOT_ALLOWED, "Method not allowed on this endpoint."),
    413: (ErrorCode.PAYLOAD_TOO_LARGE, "Request exceeds the size limit (64 KB body)."),
}


def render_error(request: Request, exception: Exception) -> HTTPResponse:
    if isinstance(exception, ServiceError):
        return json_response(exception.to_json(), exception.status)
    if isinstance(exception, SanicException) and 400 <= exception.status_code < 500:
        code, message = _SANIC_ERRORS.get(
            exception.status_code, (ErrorCode.BAD_REQUEST, "Malformed request.")
        )
        return json_response(error_body(code, message), exception.status_code)
    if isinstance(exception, OperationalError):
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exception)
        code = ErrorCode.UNAVAILABLE
        return json_response(error_body(code, "The database is not answering."), 503)
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exception)
    return json_response(error_body(ErrorCode.INTERNAL_ERROR, "Internal error."), 500)
