"""Refund decisions and address changes from the console, against the real order service.

The order service runs seeded in its own process (``order_service_url``); tests pick
records by asking its API, so they do not depend on the seed's exact contents. Only
the failure tests use a fake server: one that answers 500, one that never answers
in time.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, Tuple

import pytest
import requests

from handoff.console.models import AuditEntry
from tests.console.asgi import Browser
from tests.console.conftest import NO_ORDER_SERVICE, ORDER_TOKEN, PASSWORD

NEW_ADDRESS = {"receiver_name": "王芳", "receiver_phone": "13812341234", "province": "浙江省",
               "city": "杭州市", "district": "西湖区", "detail": "文三路398号东信大厦5楼"}


class OrderService:
    """The seeded order service, asked directly to find and check test records."""

    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params) -> Dict:
        response = requests.get(self.url + "/api/v1" + path, params=params, timeout=10,
                                headers={"Authorization": f"Bearer {ORDER_TOKEN}"})
        response.raise_for_status()
        return response.json()

    def shoppers(self) -> List[str]:
        return [s["id"] for s in self.get("/shoppers")["shoppers"]]

    def refunds(self, shopper_id: str) -> List[Dict]:
        return self.get(f"/shoppers/{shopper_id}/refunds", limit=100)["refunds"]

    def pending_refund(self, exclude_shopper: str = "") -> Tuple[str, Dict]:
        for shopper_id in self.shoppers():
            pending = [r for r in self.refunds(shopper_id) if r["status"] == "requested"]
            if pending and shopper_id != exclude_shopper:
                return shopper_id, pending[0]
        raise AssertionError("the seed has no pending refund left")

    def changeable_order(self, exclude_shopper: str = "") -> Tuple[str, str]:
        for shopper_id in self.shoppers():
            for order in self.get(f"/shoppers/{shopper_id}/orders", limit=100)["orders"]:
                if "change_address" in order["allowed_actions"] and shopper_id != exclude_shopper:
                    return shopper_id, order["order_no"]
        raise AssertionError("the seed has no order whose address can change")

    def refund(self, shopper_id: str, refund_id: str) -> Dict:
        return next(r for r in self.refunds(shopper_id) if r["refund_id"] == refund_id)


@pytest.fixture
def shop(order_service_url) -> OrderService:
    return OrderService(order_service_url)


@pytest.fixture
def sign_in(make_server, order_service_url):
    """sign_in("amei") -> a Browser on a console wired to the order service at ``url``."""
    servers = {}

    async def make(login: str, url: str = order_service_url, **settings) -> Browser:
        key = (url, tuple(sorted(settings.items())))
        if key not in servers:
            servers[key] = await make_server(order_api_url=url, **settings)
        person = Browser(servers[key])
        assert (await person.login(login, PASSWORD)).status == 200
        return person

    return make


@pytest.fixture
def audit(db_sessions):
    def rows(ticket_id: str) -> List[AuditEntry]:
        with db_sessions() as session:
            return session.query(AuditEntry).filter_by(ticket_id=ticket_id).order_by(AuditEntry.id).all()

    return rows


def ticket_of(enqueue, shopper_id: str, *order_nos: str, conversation: str = "c1") -> str:
    return enqueue(conversation, intent="refund_request", shopper_id=shopper_id,
                   orders=[{"order_no": no, "status": "after_sale", "status_label": "售后中"} for no in order_nos])


async def test_holder_approves_a_refund_and_it_is_audited(sign_in, users, enqueue, shop, audit):
    users("amei", groups=("after_sales",), name="小美")
    shopper_id, refund = shop.pending_refund()
    ticket_id = ticket_of(enqueue, shopper_id, refund["order_no"])
    amei = await sign_in("amei")
    assert (await amei.post(f"/console/api/tickets/{ticket_id}/claim")).status == 200

    listed = await amei.get(f"/console/api/tickets/{ticket_id}/refunds")
    assert listed.status == 200, listed.body
    mine = [r for r in listed.json()["refunds"] if r["refund_id"] == refund["refund_id"]]
    assert mine and mine[0]["pending"] and mine[0]["on_ticket"] and mine[0]["status_label"] == "待商家处理"

    path = f"/console/api/tickets/{ticket_id}/refunds/{refund['refund_id']}/approve"
    approved = await amei.post(path, {"note": "已核实，同意退款，联系电话 13912345678"})
    assert approved.status == 200, approved.body
    decided = approved.json()["refund"]
    assert decided["status"] in ("refunded", "awaiting_return") and not decided["pending"]
    assert shop.refund(shopper_id, refund["refund_id"])["status"] == decided["status"]

    again = await amei.post(path, {})
    assert again.status == 409 and again.code == "refund_not_pending"
    assert "已经处理过" in again.json()["error"]["message"]

    rows = (await amei.get(f"/console/api/tickets/{ticket_id}/audit")).json()["audit"]
    assert [(r["action"], r["outcome"]) for r in rows] == [("refund_approve", "ok"), ("refund_approve", "refused")]
    assert rows[0]["actor"] == "amei" and rows[0]["actor_name"] == "小美"
    assert rows[0]["order_no"] == refund["order_no"] and rows[0]["detail"] == decided["status_label"]
    assert rows[0]["request"] == {"refund_id": refund["refund_id"], "note": "已核实，同意退款，联系电话 139****5678"}
    assert rows[1]["detail"] == "refund_not_pending"
    assert "13912345678" not in audit(ticket_id)[0].request


async def test_reject_needs_a_note_for_the_shopper(sign_in, users, enqueue, shop, audit):
    users("amei", groups=("after_sales",))
    shopper_id, refund = shop.pending_refund()
    ticket_id = ticket_of(enqueue, shopper_id, refund["order_no"])
    amei = await sign_in("amei")
    await amei.post(f"/console/api/tickets/{ticket_id}/claim")
    path = f"/console/api/tickets/{ticket_id}/refunds/{refund['refund_id']}/reject"

    assert (await amei.post(path, {})).code == "invalid_field"
    assert (await amei.post(path, {"note": "x" * 501})).code == "invalid_field"
    assert audit(ticket_id) == []    # malformed requests never reached the order

    rejected = await amei.post(path, {"note": "商品已拆封影响二次销售，暂不支持退款，\n抱歉~"})
    assert rejected.status == 200, rejected.body
    assert rejected.json()["refund"]["status"] == "rejected"
    assert shop.refund(shopper_id, refund["refund_id"])["merchant_note"].startswith("商品已拆封")
    assert [(r.action, r.outcome) for r in audit(ticket_id)] == [("refund_reject", "ok")]


async def test_address_change_works_and_is_audited_with_pii_masked(sign_in, users, enqueue, shop, audit):
    users("lulu", groups=("logistics",))
    shopper_id, order_no = shop.changeable_order()
    ticket_id = enqueue("c1", intent="change_address", shopper_id=shopper_id,
                        orders=[{"order_no": order_no, "status": "awaiting_shipment"}])
    lulu = await sign_in("lulu")
    await lulu.post(f"/console/api/tickets/{ticket_id}/claim")
    path = f"/console/api/tickets/{ticket_id}/orders/{order_no}/address"

    bad = await lulu.post(path, {**NEW_ADDRESS, "receiver_phone": "12345", "detail": "短"})
    assert bad.status == 422 and bad.code == "invalid_address"
    assert "手机号" in bad.json()["error"]["message"] and "详细地址" in bad.json()["error"]["message"]
    assert (await lulu.post(path, {**NEW_ADDRESS, "city": None})).code == "invalid_field"

    changed = await lulu.post(path, NEW_ADDRESS)
    assert changed.status == 200, changed.body
    order = changed.json()["order"]
    assert order["order_no"] == order_no and order["receiver"]["phone"] == "138****1234"
    assert order["receiver"]["full_address"].endswith(NEW_ADDRESS["detail"])
    assert "13812341234" not in changed.body.decode()
    receiver = shop.get(f"/shoppers/{shopper_id}/orders/{order_no}")["receiver"]
    assert receiver["detail"] == NEW_ADDRESS["detail"] and receiver["phone"] == "13812341234"

    rows = audit(ticket_id)
    assert [(r.action, r.outcome, r.order_no) for r in rows] == [
        ("address_change", "refused", order_no), ("address_change", "ok", order_no)]
    recorded = json.loads(rows[1].request)
    assert recorded == {"receiver_name": "王***", "receiver_phone": "138****1234", "province": "浙江省",
                        "city": "杭州市", "district": "西湖区", "detail": "文三路3***"}
    assert rows[0].detail == "invalid_request" and rows[1].actor == "lulu"


async def test_another_shoppers_order_and_refund_are_refused(sign_in, users, enqueue, shop, audit):
    users("boss", groups=(), role="supervisor")
    mine, _ = shop.changeable_order()
    other_shopper, other_order = shop.changeable_order(exclude_shopper=mine)
    refund_shopper, other_refund = shop.pending_refund(exclude_shopper=mine)
    ticket_id = enqueue("c1", intent="change_address", shopper_id=mine)
    boss = await sign_in("boss")   # supervisors may act without holding the ticket

    moved = await boss.post(f"/console/api/tickets/{ticket_id}/orders/{other_order}/address", NEW_ADDRESS)
    assert moved.status == 404 and moved.code == "order_not_found"
    assert shop.get(f"/shoppers/{other_shopper}/orders/{other_order}")["receiver"]["detail"] != NEW_ADDRESS["detail"]

    approved = await boss.post(f"/console/api/tickets/{ticket_id}/refunds/{other_refund['refund_id']}/approve")
    assert approved.status == 404 and approved.code == "refund_not_found"
    assert shop.refund(refund_shopper, other_refund["refund_id"])["status"] == "requested"
    listed = (await boss.get(f"/console/api/tickets/{ticket_id}/refunds")).json()["refunds"]
    assert other_refund["refund_id"] not in {r["refund_id"] for r in listed}
    unknown = enqueue("c2", intent="refund_request", shopper_id="u-unknown")
    problem = (await boss.get(f"/console/api/tickets/{unknown}/refunds")).json()["problem"]
    assert problem["code"] == "shopper_not_found" and problem["message"].startswith("订单系统里找不到这位顾客")

    for bad in ("..", "a%2Fb", "x" * 65):
        response = await boss.post(f"/console/api/tickets/{ticket_id}/orders/{bad}/address", NEW_ADDRESS)
        assert response.status == 404, bad
    assert [(r.action, r.outcome, r.detail) for r in audit(ticket_id)] == [
        ("address_change", "refused", "order_not_found"), ("refund_approve", "refused", "refund_not_found")]


async def test_only_the_holder_or_a_supervisor_may_act(sign_in, users, enqueue, shop, audit):
    users("amei", groups=("after_sales",))
    users("bobo", groups=("after_sales",))
    users("lulu", groups=("logistics",))
    shopper_id, refund = shop.pending_refund()
    ticket_id = ticket_of(enqueue, shopper_id, refund["order_no"])
    amei, bobo, lulu = await sign_in("amei"), await sign_in("bobo"), await sign_in("lulu")
    approve = f"/console/api/tickets/{ticket_id}/refunds/{refund['refund_id']}/approve"

    waiting = await amei.post(approve)   # nobody holds it yet
    assert waiting.status == 403 and waiting.code == "not_yours"
    await amei.post(f"/console/api/tickets/{ticket_id}/claim")
    assert (await bobo.post(approve)).code == "not_yours"
    assert (await bobo.get(f"/console/api/tickets/{ticket_id}/refunds")).status == 200   # reading is fine
    assert (await amei.post(approve, csrf=False)).code == "csrf_failed"

    # Another group's agent learns nothing, not even that the ticket exists.
    for response in (await lulu.post(approve), await lulu.get(f"/console/api/tickets/{ticket_id}/refunds"),
                     await lulu.get(f"/console/api/tickets/{ticket_id}/audit"),
                     await lulu.post(f"/console/api/tickets/{ticket_id}/orders/{refund['order_no']}/address",
                                     NEW_ADDRESS)):
        assert response.status == 404 and response.code == "not_found"
    assert shop.refund(shopper_id, refund["refund_id"])["status"] == "requested"
    assert [(r.actor, r.outcome, r.detail) for r in audit(ticket_id)] == [
        ("amei", "refused", "not_yours"), ("bobo", "refused", "not_yours")]


async def test_anonymous_shopper_has_no_orders_to_act_on(sign_in, users, enqueue, queue, store, audit):
    users("amei", groups=("after_sales",))
    ticket_id = enqueue("c1", intent="refund_request")
    content = queue.ticket(ticket_id)
    content.shopper_id = None
    store.redis.set(store.keys.ticket(ticket_id), content.to_json())
    amei = await sign_in("amei")
    await amei.post(f"/console/api/tickets/{ticket_id}/claim")
    assert (await amei.get(f"/console/api/tickets/{ticket_id}/refunds")).json() == {"refunds": [], "problem": None}
    refused = await amei.post(f"/console/api/tickets/{ticket_id}/refunds/RF1/approve")
    assert refused.status == 409 and refused.code == "no_shopper"
    assert [r.outcome for r in audit(ticket_id)] == ["refused"]


# ---------------------------------------------------------------- the order system failing

class _Broken(BaseHTTPRequestHandler):
    """GETs stall past the console's read timeout; POSTs answer 500 with a non-JSON body."""

    def do_GET(self) -> None:
        time.sleep(1.5)
        self._answer(200, b'{"refunds": []}')

    def do_POST(self) -> None:
        self._answer(500, b"<html>Internal Server Error</html>")

    def _answer(self, status: int, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass   # the console gave up waiting

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def broken_order_service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_order_service_down_slow_or_failing_is_a_clear_error_and_audited(
        sign_in, users, enqueue, audit, broken_order_service):
    users("amei", groups=("after_sales",))
    ticket_id = ticket_of(enqueue, "u10001", "251120-583920174650382")
    down = await sign_in("amei", NO_ORDER_SERVICE)
    await down.post(f"/console/api/tickets/{ticket_id}/claim")
    slow = await sign_in("amei", broken_order_service, order_api_read_timeout=0.3)
    approve = f"/console/api/tickets/{ticket_id}/refunds/RF4820193746502918/approve"
    address = f"/console/api/tickets/{ticket_id}/orders/251120-583920174650382/address"

    # Reading is part of opening a chat: the problem is reported as data, not as an error.
    listed = (await down.get(f"/console/api/tickets/{ticket_id}/refunds")).json()
    assert listed["refunds"] == [] and listed["problem"]["code"] == "order_service_unavailable"
    for response in (await down.post(approve), await down.post(address, NEW_ADDRESS),
                     await slow.post(approve), await slow.post(address, NEW_ADDRESS)):
        assert response.status == 502 and response.code == "order_service_unavailable"
        assert response.json()["error"]["message"].startswith("订单系统暂时没有响应")

    rows = audit(ticket_id)
    assert [(r.action, r.outcome) for r in rows] == [
        ("refund_approve", "failed"), ("address_change", "failed"),
        ("refund_approve", "failed"), ("address_change", "failed")]
    assert "ConnectionError" in rows[0].detail
    assert "Timeout" in rows[2].detail and rows[3].detail == "HTTP 500"
