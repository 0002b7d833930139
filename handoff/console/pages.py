"""The agent console page: ``GET /console/`` and its assets under ``/console/static/``.

Plain files from ``static/`` (ES modules and CSS, no build step). Only names that
exist in that directory and match a strict pattern are served, so no path from the
request ever reaches the file system. Every response carries a strict
Content-Security-Policy (scripts and styles only from this origin, no inline code)
and ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import re
from pathlib import Path

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, raw, redirect

from handoff.console.errors import ConsoleError

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\.(?:js|css|svg|png|ico)$")
CONTENT_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

# The Socket.IO client is the widget's own (one client for both sides of the chat).
SHARED_ASSETS = {"xiaoer-chat.js": Path(__file__).resolve().parents[2] / "connectors" / "static" / "xiaoer-chat.js"}
# Third-party files, vendored as released (their names keep the upstream dots).
VENDOR_ASSETS = {"chart.umd.min.js": STATIC_DIR / "vendor" / "chart.umd.min.js"}

pages = Blueprint("console_pages", url_prefix="/console")


def _file_response(path: Path, content_type: str, cache: str) -> HTTPResponse:
    return raw(path.read_bytes(), content_type=content_type,
               headers={**SECURITY_HEADERS, "Cache-Control": cache})


@pages.get("/", strict_slashes=True)
async def index(request: Request) -> HTTPResponse:
    # no-store: the page is tiny and agents should always get the current script version.
    return _file_response(STATIC_DIR / "index.html", "text/html; charset=utf-8", "no-store")


@pages.get("", strict_slashes=True)
async def index_without_slash(request: Request) -> HTTPResponse:
    return redirect("/console/", headers=SECURITY_HEADERS)


@pages.get("/dashboard", strict_slashes=True)
async def dashboard_page(request: Request) -> HTTPResponse:
    """The supervisors' dashboard; the page is public, its figures are not (the API checks the role)."""
    return _file_response(STATIC_DIR / "dashboard.html", "text/html; charset=utf-8", "no-store")


@pages.get("/review", strict_slashes=True)
async def review_page(request: Request) -> HTTPResponse:
    """The trainers' review inbox; like the dashboard, the API checks the role, not the page."""
    return _file_response(STATIC_DIR / "review.html", "text/html; charset=utf-8", "no-store")


@pages.get("/conversations", strict_slashes=True)
async def conversations_page(request: Request) -> HTTPResponse:
    """Conversation review for trainers and supervisors; the API checks the role, not the page."""
    return _file_response(STATIC_DIR / "conversations.html", "text/html; charset=utf-8", "no-store")


@pages.get("/static/vendor/<name>")
async def vendor_asset(request: Request, name: str) -> HTTPResponse:
    path = VENDOR_ASSETS.get(name)
    if path is None or not path.is_file():
        raise ConsoleError(404, "not_found", "文件不存在 / No such file.")
    return _file_response(path, CONTENT_TYPES["js"], "no-cache")


@pages.get("/static/<name>")
async def asset(request: Request, name: str) -> HTTPResponse:
    path = SHARED_ASSETS.get(name) or STATIC_DIR / name
    if not ASSET_NAME.match(name) or not path.is_file():
        raise ConsoleError(404, "not_found", "文件不存在 / No such file.")
    extension = name.rsplit(".", 1)[1]
    return _file_response(path, CONTENT_TYPES[extension], "no-cache")
