"""Bearer-token check for everything under /api/v1.

The bot (or the agent console) is the only client; it authenticates as a
service with one shared token, and shopper scoping happens through the URL.
"""

from __future__ import annotations

import hmac
from typing import Optional

from sanic.request import Request
from sanic.response import HTTPResponse

from order_service.api.responses import json_response
from order_service.errors import ErrorCode, error_body, http_status


async def require_token(request: Request) -> Optional[HTTPResponse]:
    expected = request.app.ctx.settings.api_token.encode("utf-8")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    # Header bytes that are not valid UTF-8 arrive surrogate-escaped; encoding
    # them back the same way compares the raw bytes instead of crashing.
    provided = token.strip().encode("utf-8", "surrogateescape")
    if scheme.lower() == "bearer" and hmac.compare_digest(provided, expected):
        return None
    code = ErrorCode.UNAUTHORIZED
    return json_response(
        error_body(code, "Missing or invalid bearer token."),
        http_status(code),
        headers={"WWW-Authenticate": 'Bearer realm="order_service"'},
    )
