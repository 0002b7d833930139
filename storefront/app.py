"""The demo store's web app."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import requests
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import Settings
from connectors.identity import issue_token

STATIC = Path(__file__).parent / "static"
_SHOPPER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status)


def create_app(settings: Settings, name: str = "storefront") -> Sanic:
    app = Sanic(name)
    app.config.ACCESS_LOG = False
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {settings.order_api_token}"
    timeout = (settings.order_api_connect_timeout, settings.order_api_read_timeout)

    def order_api(path: str) -> requests.Response:
        return session.get(settings.order_api_url + path, timeout=timeout)

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/")
    async def index(_: Request) -> HTTPResponse:
        return await response.file(STATIC / "index.html")

    @app.get("/config.json")
    async def config(_: Request) -> HTTPResponse:
        return response.json({"chat_port": settings.rasa_port})

    @app.get("/api/shoppers")
    async def shoppers(_: Request) -> HTTPResponse:
        try:
            answer = await asyncio.to_thread(order_api, "/api/v1/shoppers")
            answer.raise_for_status()
            return response.json({"shoppers": answer.json()["shoppers"]})
        except (requests.RequestException, ValueError, KeyError):
            return _error(503, "order_api_unavailable", "订单系统暂时不可用，请稍后刷新重试")

    @app.post("/api/login")
    async def login(request: Request) -> HTTPResponse:
        body = request.json if request.body and _is_json(request) else None
        shopper_id = body.get("shopper_id") if isinstance(body, dict) else None
        if not isinstance(shopper_id, str) or not _SHOPPER_ID.match(shopper_id):
            return _error(422, "invalid_shopper", "请选择一位演示买家")
        try:
            answer = await asyncio.to_thread(order_api, f"/api/v1/shoppers/{shopper_id}")
        except requests.RequestException:
            return _error(503, "order_api_unavailable", "订单系统暂时不可用，请稍后重试")
        if answer.status_code == 404:
            return _error(404, "unknown_shopper", "没有这位买家")
        if answer.status_code != 200:
            return _error(503, "order_api_unavailable", "订单系统暂时不可用，请稍后重试")
        token = issue_token(
            shopper_id, settings.shopper_token_secret, settings.shopper_token_ttl_seconds
        )
        profile = answer.json()
        shopper = {k: profile.get(k) for k in ("id", "nickname", "vip_level")}
        return response.json({"token": token, "shopper": shopper})

    return app


def _is_json(request: Request) -> bool:
    try:
        request.json
        return True
    except Exception:  # sanic raises InvalidUsage on a malformed body
        return False
