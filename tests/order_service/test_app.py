"""The app factory and the command line."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from contextlib import suppress

from sanic import Sanic

from order_service.app import MAX_BODY_BYTES, create_app
from order_service.settings import REPO_ROOT, Settings
from tests.order_service.support import TOKEN, isolated_database


class AsgiSession:
    """Drives a Sanic app in-process over ASGI: lifespan startup, then plain GETs.

    Sanic 21.12's lifespan handler trips over itself after a shutdown message,
    so on exit the lifespan task is cancelled and the engine disposed directly.
    """

    def __init__(self, app: Sanic) -> None:
        self.app = app
        self._lifespan_in: asyncio.Queue = asyncio.Queue()
        self._lifespan_out: asyncio.Queue = asyncio.Queue()

    async def __aenter__(self) -> "AsgiSession":
        self._task = asyncio.create_task(
            self.app({"type": "lifespan", "asgi": {"version": "3.0"}},
                     self._lifespan_in.get, self._lifespan_out.put)
        )
        await self._lifespan_in.put({"type": "lifespan.startup"})
        assert (await self._lifespan_out.get())["type"] == "lifespan.startup.complete"
        return self

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task
        self.app.ctx.engine.dispose()

    async def get(self, path: str, token: str = "") -> tuple[int, dict]:
        headers = [(b"host", b"test")]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "headers": headers, "server": ("test", 80), "client": ("127.0.0.1", 50000),
        }
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return sent[0]["status"], json.loads(body)


async def test_several_apps_can_live_in_one_process(monkeypatch, database_url, policy):
    monkeypatch.setattr(Sanic, "test_mode", True)
    settings = Settings.from_env({"DATABASE_URL": database_url, "ORDER_API_TOKEN": TOKEN})
    apps = [create_app(settings, policy), create_app(settings)]
    assert apps[0] is not apps[1] and "order_service" not in Sanic._app_registry
    for app in apps:
        assert app.config.REQUEST_MAX_SIZE == MAX_BODY_BYTES == 64 * 1024
        async with AsgiSession(app) as session:
            assert await session.get("/health") == (200, {"status": "ok"})
            status, body = await session.get("/api/v1/policy")
            assert status == 401 and body["error"]["code"] == "unauthorized"
            status, body = await session.get("/api/v1/policy", token=TOKEN)
            assert status == 200 and body == policy.to_json()


def _cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "order_service", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_cli_migrates_and_seeds_only_once(tmp_path):
    with isolated_database(tmp_path) as url:
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPO_ROOT)}
        assert _cli(env, "migrate").returncode == 0
        first = _cli(env, "seed")
        assert first.returncode == 0 and first.stdout.startswith("Seeded ")
        second = _cli(env, "seed")
        assert second.returncode == 0 and "already has data" in second.stdout
        forced = _cli(env, "seed", "--force")
        assert forced.returncode == 0 and forced.stdout.startswith("Seeded ")


def test_cli_requires_a_command():
    assert _cli(os.environ.copy()).returncode == 2
