"""Headless Debian Chromium driven by Playwright (its own browser download cannot work here)."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from typing import Iterator, List, Tuple

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def console_page(browser: Browser, console_url: str, login: str, password: str,
                 viewport: Tuple[int, int] = (1360, 860)) -> Tuple[Page, List[str]]:
    """A console page signed in as ``login``, and the list its page errors are collected in."""
    page = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}).new_page()
    problems: List[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(console_url + "/console/")
    page.get_by_label("登录名").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.locator("#queue-list").wait_for()
    return page, problems
