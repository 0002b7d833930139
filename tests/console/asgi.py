"""A minimal in-process ASGI client for the console app (sanic-testing is not installed).

``Server`` runs the app's lifespan (so its listeners and routes are set up) and
``Browser`` is one person's cookie jar talking to it, so two agents are two Browsers.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from sanic import Sanic


@dataclass
class Response:
    status: int
    headers: List[Tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.body)

    @property
    def code(self) -> Optional[str]:
        return self.json().get("error", {}).get("code")

    def header_values(self, name: str) -> List[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


class Server:
    def __init__(self, app: Sanic) -> None:
        self.app = app
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._outbox: asyncio.Queue = asyncio.Queue()
        self._task: Optional[asyncio.Task] = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.app({"type": "lifespan", "asgi": {"version": "3.0"}},
                                                  self._inbox.get, self._outbox.put))
        await self._inbox.put({"type": "lifespan.startup"})
        message = await asyncio.wait_for(self._outbox.get(), 10)
        assert message["type"] == "lifespan.startup.complete", message

    async def stop(self) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(self._outbox.get(), 10)
        try:
            await asyncio.wait_for(self._task, 10)
        except AttributeError:
            # Sanic 21.12 treats the finished lifespan scope as a request afterwards
            # and fails; ASGI servers ignore that, and so do we.
            pass

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: Optional[Dict[str, str]] = None) -> Response:
        path, _, query = path.partition("?")
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
        raw_headers.append((b"content-length", str(len(body)).encode()))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": raw_headers, "client": ("127.0.0.1", 5000),
                 "server": ("127.0.0.1", 8020)}
        sent = False
        messages: List[dict] = []

        async def receive() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            messages.append(message)

        await self.app(scope, receive, send)
        start = next(m for m in messages if m["type"] == "http.response.start")
        payload = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        decoded = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
        return Response(start["status"], decoded, payload)


@dataclass
class Browser:
    """One agent's browser: keeps the session cookie and the CSRF token from login."""

    server: Server
    cookies: Dict[str, str] = field(default_factory=dict)
    csrf: Optional[str] = None

    async def call(self, method: str, path: str, json: Any = None, body: Optional[bytes] = None,
                   csrf: bool = True, headers: Optional[Dict[str, str]] = None) -> Response:
        all_headers = {"content-type": "application/json", **(headers or {})}
        if self.cookies:
            all_headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            all_headers["x-csrf-token"] = self.csrf
        if body is None:
            body = b"" if json is None else jsonlib.dumps(json, ensure_ascii=False).encode()
        response = await self.server.request(method, path, body, all_headers)
        for header in response.header_values("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0].strip('"')
            if value and "max-age=0" not in header.lower():
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response

    async def get(self, path: str, **kw: Any) -> Response:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, json: Any = None, **kw: Any) -> Response:
        return await self.call("POST", path, json=json, **kw)

    async def login(self, login: str, password: str) -> Response:
        response = await self.post("/console/api/login", {"login": login, "password": password})
        if response.status == 200:
            self.csrf = response.json()["csrf_token"]
        return response
