"""The shopper widget's figures: what a browser downloads, and how soon the launcher shows.

``xiaoer widget-figures`` against a running ``xiaoer run`` (or ``--url`` any Rasa with the
widget channel). It serves a plain merchant page with the one ``<script>`` tag from a
local origin of its own and loads it in headless Chromium ``--loads`` times, each in a
fresh browser context (empty cache, a new visitor), then reports:

* the widget's files (``xiaoer-widget.js`` + ``xiaoer-chat.js``; its CSS is inside the
  script) raw and gzipped (level 6, a web server's usual setting), and the bytes the
  browser actually received for them;
* time to first render: navigation start → the launcher drawn (the widget's own
  ``performance.mark("xiaoer-widget:rendered")``, taken in the first animation frame
  after the launcher is in the page), and → the conversation loaded and ready to send
  (``xiaoer-widget:ready``), p50 and p95.

Playwright and Debian's ``chromium`` are test dependencies (``make test`` installs them).
"""

from __future__ import annotations

import gzip
import json
import shutil
import statistics
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple

from bot.settings import ROOT

STATIC = ROOT / "connectors" / "static"
FILES = ("xiaoer-widget.js", "xiaoer-chat.js")
WIDGET_PATH = "/webhooks/widget/static/xiaoer-widget.js"
PLAIN_HOST = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>店铺</title></head>
<body><h1>一家店铺</h1><p>商家自己的页面内容。</p>
<script src="{src}" data-key="web" data-token="" data-locale="zh" async></script>
</body></html>"""


class HostPages:
    """A merchant's site on an origin of its own (127.0.0.1, another port): path → HTML."""

    def __init__(self) -> None:
        pages: Dict[str, Tuple[str, Dict[str, str]]] = {}
        self.pages = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                page = pages.get(self.path.split("?")[0])
                if page is None:
                    self.send_error(404)
                    return
                body, headers = page
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, html: str, headers: Optional[Dict[str, str]] = None) -> str:
        self.pages[path] = (html, headers or {})
        return self.url + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def asset_sizes(static_dir: Path = STATIC) -> Dict[str, Dict[str, int]]:
    sizes = {}
    for name in FILES:
        data = (static_dir / name).read_bytes()
        sizes[name] = {"raw": len(data), "gzip": len(gzip.compress(data, compresslevel=6))}
    sizes["total"] = {key: sum(sizes[name][key] for name in FILES) for key in ("raw", "gzip")}
    return sizes


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _chromium(playwright):
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    return playwright.chromium.launch(executable_path=executable, args=[
        "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"])


def _loads(page_url: str, loads: int, browser=None) -> Iterator[Dict[str, float]]:
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            own = _chromium(playwright)
            try:
                yield from _loads(page_url, loads, own)
            finally:
                own.close()
        return
    for _ in range(loads):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        received = {}

        def on_finished(request, received=received):
            name = request.url.rsplit("/", 1)[-1]
            if name in FILES:
                received[name] = request.sizes()["responseBodySize"]

        page.on("requestfinished", on_finished)
        page.goto(page_url)
        page.wait_for_function("window.XiaoerWidget && XiaoerWidget.timing().ready !== null", timeout=30000)
        timing = page.evaluate("XiaoerWidget.timing()")
        page.wait_for_timeout(50)       # the last requestfinished events
        yield {"rendered": timing["rendered"], "ready": timing["ready"], "received": sum(received.values())}
        context.close()


def measure(rasa_url: str, loads: int = 20, browser=None) -> Dict[str, object]:
    """``browser``: a Playwright Chromium to use (tests have one); else one is started."""
    host = HostPages()
    try:
        url = host.add("/", PLAIN_HOST.format(src=rasa_url.rstrip("/") + WIDGET_PATH))
        runs = list(_loads(url, loads, browser))
    finally:
        host.close()
    rendered = [r["rendered"] for r in runs]
    ready = [r["ready"] for r in runs]
    return {
        "files": asset_sizes(),
        "received_bytes": max(r["received"] for r in runs),
        "loads": loads,
        "first_render_ms": {"p50": round(statistics.median(rendered), 1),
                            "p95": round(percentile(rendered, 0.95), 1)},
        "ready_ms": {"p50": round(statistics.median(ready), 1), "p95": round(percentile(ready, 0.95), 1)},
    }


def report(figures: Dict[str, object]) -> str:
    files = figures["files"]
    lines = ["file                 raw bytes   gzip bytes"]
    for name in (*FILES, "total"):
        lines.append(f"{name:<20} {files[name]['raw']:>9}   {files[name]['gzip']:>10}")
    lines += [
        f"received by the browser (served uncompressed): {figures['received_bytes']} bytes",
        f"time to first render (launcher drawn), {figures['loads']} cold loads: "
        f"p50 {figures['first_render_ms']['p50']} ms, p95 {figures['first_render_ms']['p95']} ms",
        f"time to ready (socket up, history loaded): "
        f"p50 {figures['ready_ms']['p50']} ms, p95 {figures['ready_ms']['p95']} ms",
    ]
    return "\n".join(lines)


def write(figures: Dict[str, object], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
