"""The demo store's web app: a merchant's page that embeds the chat widget with one tag.

Like a real merchant site, the page is rendered with the logged-in shopper's signed
token in the widget's tag (``data-token``); "logging in" here is picking a demo shopper,
remembered in a cookie so that a reload keeps the shopper (and the conversation).
"""

from __future__ import annotations

import asyncio
import html
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
SHOPPER_COOKIE = "xiaoer_demo_shopper"
WIDGET_PATH = "/webhooks/widget/static/xiaoer-widget.js"


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
    async def index(request: Request) -> HTTPResponse:
        shopper = request.cookies.get(SHOPPER_COOKIE) or ""
        if not _SHOPPER_ID.match(shopper):
            shopper = ""
        token = issue_token(shopper, settings.shopper_token_secret,
                            settings.shopper_token_ttl_seconds) if shopper else ""
        # The widget is served by the Rasa server, on the host the shopper reached us by.
        widget_src = f"{request.scheme}://{request.server_name}:{settings.rasa_port}{WIDGET_PATH}"
        page = (STATIC / "index.html").read_text(encoding="utf-8")
        for name, value in (("WIDGET_SRC", widget_src), ("SHOPPER_TOKEN", token), ("SHOPPER_ID", shopper)):
            page = page.replace("{{%s}}" % name, html.escape(value, quote=True))
        return response.html(page, headers={"Cache-Control": "no-store"})

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
        reply = response.json({"token": token, "shopper": shopper})
        reply.cookies[SHOPPER_COOKIE] = shopper_id
        reply.cookies[SHOPPER_COOKIE]["httponly"] = True
        reply.cookies[SHOPPER_COOKIE]["samesite"] = "Lax"
        reply.cookies[SHOPPER_COOKIE]["max-age"] = settings.shopper_token_ttl_seconds
        return reply

    @app.post("/api/logout")
    async def logout(_: Request) -> HTTPResponse:
        reply = response.json({"ok": True})
        del reply.cookies[SHOPPER_COOKIE]
        return reply

    return app


def _is_json(request: Request) -> bool:
    try:
        request.json
        return True
    except Exception:  # sanic raises InvalidUsage on a malformed body
        return False
