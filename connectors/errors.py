"""The JSON error shape every channel endpoint answers bad input with."""

from __future__ import annotations

from sanic import response
from sanic.response import HTTPResponse


class ChannelError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}

    def response(self) -> HTTPResponse:
        return response.json(self.as_dict(), status=self.status)
