"""The order API client against a scripted local HTTP server (a test double)."""

import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from actions.order_api import (
    OrderApi,
    OrderApiUnavailable,
    OrderNotFound,
    RuleRefusal,
)
from bot.settings import get_settings

ORDER = {
    "order_no": "251120-583920174650382",
    "status": "shipped",
    "status_label": "运输中",
    "created_at": "2025-11-20T08:00:00+00:00",
    "paid_cents": 5990,
    "total_cents": 5990,
    "items": [{"title": "纯棉T恤", "spec": "白色;XL", "quantity": 1}],
    "allowed_actions": ["refund_only"],
}


class Script:
    """What the fake server answers, one entry per request, and what it saw."""

    def __init__(self):
        self.answers = []
        self.seen = []


@pytest.fixture
def server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            script.seen.append((self.command, self.path, self.headers.get("Authorization")))
            delay, status, raw = script.answers.pop(0) if script.answers else (0, 500, b"{}")
            time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = _answer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield script
    httpd.shutdown()


def client(url, retries=1, read_timeout=0.5):
    settings = dataclasses.replace(
        get_settings(), order_api_url=url, order_api_retries=retries,
        order_api_read_timeout=read_timeout, order_api_token="t0ken",
    )
    return OrderApi(settings)


def ok(body, delay=0.0, status=200):
    return (delay, status, json.dumps(body).encode())


def test_reads_an_order_and_sends_the_service_token(server):
    server.answers = [ok(ORDER)]
    order = client(server.url).get_order("u10001", ORDER["order_no"])
    assert (order.order_no, order.title, order.spec) == (ORDER["order_no"], "纯棉T恤", "白色;XL")
    assert server.seen == [("GET", f"/api/v1/shoppers/u10001/orders/{ORDER['order_no']}", "Bearer t0ken")]


def test_path_segments_are_quoted_so_input_cannot_escape_the_shopper(server):
    server.answers = [ok(ORDER)]
    client(server.url).get_order("u10001", "x/../../u2/orders/1?a=b")
    assert server.seen[0][1] == "/api/v1/shoppers/u10001/orders/x%2F..%2F..%2Fu2%2Forders%2F1%3Fa%3Db"


def test_dot_segments_never_reach_the_server(server):
    with pytest.raises(OrderNotFound):
        client(server.url).get_order("u10001", "..")
    assert server.seen == []


def test_a_read_timeout_is_retried_then_reported(server):
    server.answers = [ok(ORDER, delay=1.0), ok(ORDER, delay=1.0)]
    started = time.monotonic()
    with pytest.raises(OrderApiUnavailable):
        client(server.url, retries=1, read_timeout=0.3).get_order("u1", "o1")
    assert len(server.seen) == 2
    assert time.monotonic() - started < 2.0


def test_a_slow_first_answer_is_recovered_by_the_retry(server):
    server.answers = [ok(ORDER, delay=1.0), ok(ORDER)]
    assert client(server.url, read_timeout=0.3).get_order("u1", "o1").status == "shipped"


def test_5xx_is_retried_for_reads(server):
    server.answers = [ok({"error": {"code": "boom"}}, status=503), ok(ORDER)]
    assert client(server.url).get_order("u1", "o1").order_no == ORDER["order_no"]
    assert len(server.seen) == 2


def test_5xx_on_every_attempt_is_unavailable(server):
    server.answers = [ok({}, status=500), ok({}, status=502)]
    with pytest.raises(OrderApiUnavailable):
        client(server.url).list_orders("u1")


def test_404_means_not_found_without_retry(server):
    server.answers = [ok({"error": {"code": "order_not_found", "message": "x"}}, status=404)]
    with pytest.raises(OrderNotFound):
        client(server.url).get_order("u1", "o1")
    assert len(server.seen) == 1


def test_409_carries_the_rule_that_refused(server):
    error = {"code": "not_shipped", "message": "not yet", "details": {"status": "awaiting_shipment"}}
    server.answers = [ok({"error": error}, status=409)]
    with pytest.raises(RuleRefusal) as refused:
        client(server.url).get_logistics("u1", "o1")
    assert refused.value.code == "not_shipped"
    assert refused.value.details == {"status": "awaiting_shipment"}


def test_401_is_a_configuration_problem_not_a_shopper_problem(server):
    server.answers = [ok({"error": {"code": "unauthorized"}}, status=401)]
    with pytest.raises(OrderApiUnavailable):
        client(server.url).get_order("u1", "o1")


@pytest.mark.parametrize(
    "raw",
    [b"<html>oops</html>", b"", b'{"orders": "not a list"}', b'{"orders": [{"order_no": 1}]}', b"[]"],
)
def test_malformed_answers_are_unavailable_not_crashes(server, raw):
    server.answers = [(0, 200, raw)]
    with pytest.raises(OrderApiUnavailable):
        client(server.url, retries=0).list_orders("u1")


def test_an_error_without_an_error_object_is_unavailable(server):
    server.answers = [(0, 409, b'{"detail": "conflict"}')]
    with pytest.raises(OrderApiUnavailable):
        client(server.url).get_order("u1", "o1")


def test_connection_refused_is_unavailable():
    with pytest.raises(OrderApiUnavailable):
        client("http://127.0.0.1:9", retries=0).get_order("u1", "o1")
