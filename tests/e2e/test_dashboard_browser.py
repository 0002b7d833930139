"""The supervisor dashboard after ``xiaoer simulate-month``: what the page shows is what the API says.

The simulator files refunds and cancellations on whatever seeded orders it meets, so
this test carries ``changes_orders`` and runs after the tests that ``pick`` orders.
A screenshot goes to tests/artifacts/dashboard.png.
"""

from __future__ import annotations

import math
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.e2e.browser import chromium, console_page
from tests.services import PYTHON

pytestmark = [pytest.mark.browser, pytest.mark.changes_orders]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


# How a table's rows are keyed on the page (``data-row``).
ROW_KEYS = {"groups": lambda r: r["group"], "agents": lambda r: r["agent_id"],
            "after_sales": lambda r: f"{r['type']}:{r['reason']}"}


def lookup(data, path: str, row_key=None):
    """``volume.conversations`` in the report, or a table cell: ``groups.wait_avg`` of the row
    the page keyed ``row_key``."""
    section, *rest = path.split(".")
    value = data[section]
    if isinstance(value, list):
        (value,) = [r for r in value if ROW_KEYS[section](r) == row_key]
    for key in rest:
        value = value[key]
    return value


def same(shown: str, answered) -> bool:
    if answered is None:
        return shown == "null"
    return math.isclose(float(shown), float(answered), rel_tol=1e-9, abs_tol=1e-9)


def test_the_dashboard_shows_the_apis_figures_after_a_simulated_month(stack):
    ran = subprocess.run([PYTHON, "-m", "bot.cli", "simulate-month", "--conversations", "60", "--days", "28",
                          "--seed", "3"],
                         env=stack.env, capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "errors 0" in ran.stdout

    login = f"boss-{uuid.uuid4().hex[:6]}"
    password = stack.add_agent(login, "店长", groups=(), role="supervisor")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page, problems = console_page(browser, stack.console_url, login, password, viewport=(1400, 1800))
        page.goto(stack.console_url + "/console/dashboard")
        page.locator("[data-metric='volume.conversations']").wait_for()
        page.wait_for_function("document.querySelector(\"[data-metric='volume.conversations']\")"
                               ".dataset.value !== undefined")
        # Each chart is a canvas Chart.js drew on.
        assert page.evaluate("Object.keys(Chart.instances).length") >= 4

        report = page.request.get(stack.console_url + "/console/api/dashboard/report").json()
        shown = page.eval_on_selector_all("[data-metric]:not([data-metric^='live.'])", """nodes => nodes.map(n => ({
            path: n.dataset.metric, value: n.dataset.value,
            row: n.closest('tr') ? n.closest('tr').dataset.row : null}))""")
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        csv = page.request.get(stack.console_url + "/console/api/dashboard/export.csv")
        csv_body = csv.body()
        assert problems == []

    assert report["volume"]["conversations"] >= 60 and report["escalation"]["escalated"] > 0
    assert report["response"]["first_response_avg"] is not None and report["csat"]["ratings"] > 0
    assert len(shown) >= 15
    for item in shown:
        expected = lookup(report, item["path"], item["row"])
        assert same(item["value"], expected), (item, expected)
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    assert csv_body.startswith("\ufeff".encode()) and b"\r\nvolume,conversations," in csv_body
