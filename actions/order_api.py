"""Client for the merchant's order API (the contract in order_service/openapi.yaml).

Every call is bounded: connect and read timeouts, and a few quick retries for reads
only. Rasa would otherwise wait up to 300 s for an action while holding the
conversation lock, and the shopper would stare at a silent chat.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence
from urllib.parse import quote

import requests

from bot.settings import Settings

logger = logging.getLogger(__name__)


class OrderApiError(Exception):
    """Base of everything the client raises."""


class OrderApiUnavailable(OrderApiError):
    """Timeout, connection failure, 5xx, or an answer we cannot read."""


class OrderNotFound(OrderApiError):
    """No such order for this shopper (an order of someone else looks the same)."""


@dataclass
class RuleRefusal(OrderApiError):
    """The merchant's business rules refuse the request; ``code`` says which rule."""

    code: str
    message: str = ""
    details: Dict[str, Any] = field(default_factory=dict)
    status: int = 409

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class TrackingEvent:
    occurred_at: str
    status: str
    location: str
    description: str


@dataclass(frozen=True)
class Shipment:
    carrier_code: str
    carrier_name: str
    tracking_no: str
    shipped_at: Optional[str]
    events: List[TrackingEvent]

    @property
    def latest_event(self) -> Optional[TrackingEvent]:
        return self.events[0] if self.events else None


@dataclass(frozen=True)
class Order:
    """The parts of an order the bot talks about."""

    order_no: str
    status: str
    status_label: str
    created_at: str
    paid_cents: int
    total_cents: int
    title: str
    spec: str
    item_count: int
    allowed_actions: List[str]
    raw: Dict[str, Any]
    shipment: Optional[Shipment] = None

    @property
    def is_detail(self) -> bool:
        """List endpoints return summaries; only the detail has items and deadlines."""
        return "deadlines" in self.raw

    def deadline(self, name: str) -> Optional[str]:
        return (self.raw.get("deadlines") or {}).get(name)

    @property
    def in_transit(self) -> bool:
        return self.status in ("shipped", "out_for_delivery")

    @property
    def amount_cents(self) -> int:
        """What the shopper pays: the paid amount once paid, else the order total."""
        return self.paid_cents or self.total_cents


def _tracking_event(data: Dict[str, Any]) -> TrackingEvent:
    return TrackingEvent(
        occurred_at=str(data["occurred_at"]),
        status=str(data.get("status") or ""),
        location=str(data.get("location") or ""),
        description=str(data["description"]),
    )


def parse_shipment(data: Dict[str, Any]) -> Shipment:
    return Shipment(
        carrier_code=str(data["carrier_code"]),
        carrier_name=str(data["carrier_name"]),
        tracking_no=str(data["tracking_no"]),
        shipped_at=data.get("shipped_at"),
        events=[_tracking_event(e) for e in data.get("events") or []],
    )


def parse_order(data: Dict[str, Any]) -> Order:
    items = data.get("items") or []
    first = items[0] if items else {}
    shipment = data.get("shipment")
    return Order(
        order_no=str(data["order_no"]),
        status=str(data["status"]),
        status_label=str(data["status_label"]),
        created_at=str(data["created_at"]),
        paid_cents=int(data.get("paid_cents") or 0),
        total_cents=int(data.get("total_cents") or 0),
        title=str(data.get("first_item_title") or first.get("title") or ""),
        spec=str(data.get("first_item_spec") or first.get("spec") or ""),
        item_count=int(data.get("item_count") or sum(int(i.get("quantity", 1)) for i in items) or 0),
        allowed_actions=list(data.get("allowed_actions") or []),
        raw=data,
        shipment=parse_shipment(shipment) if shipment else None,
    )


def _path(*segments: str) -> str:
    """Quotes every segment: an order number typed by a shopper must never become
    ``../`` into another shopper's orders."""
    if any(str(s) in ("", ".", "..") for s in segments):
        raise OrderNotFound("not a valid path segment")
    return "/api/v1/" + "/".join(quote(str(s), safe="") for s in segments)


class OrderApi:
    def __init__(self, settings: Settings, session: Optional[requests.Session] = None):
        self.base_url = settings.order_api_url
        self.timeout = (settings.order_api_connect_timeout, settings.order_api_read_timeout)
        self.retries = settings.order_api_retries
        self.session = session or requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {settings.order_api_token}",
                "Accept": "application/json",
            }
        )

    # --- reads -----------------------------------------------------------------

    def list_orders(
        self, shopper_id: str, statuses: Sequence[str] = (), limit: int = 20
    ) -> List[Order]:
        params: Dict[str, Any] = {"limit": limit}
        if statuses:
            params["status"] = ",".join(statuses)
        body = self._request("GET", _path("shoppers", shopper_id, "orders"), params=params)
        return self._parse(lambda: [parse_order(o) for o in body["orders"]])

    def get_order(self, shopper_id: str, order_no: str) -> Order:
        body = self._request("GET", _path("shoppers", shopper_id, "orders", order_no))
        return self._parse(lambda: parse_order(body))

    def get_logistics(self, shopper_id: str, order_no: str) -> Shipment:
        body = self._request(
            "GET", _path("shoppers", shopper_id, "orders", order_no, "logistics")
        )
        return self._parse(lambda: parse_shipment(body))

    def get_policy(self) -> Dict[str, Any]:
        body = self._request("GET", _path("policy"))
        return self._parse(lambda: dict(body))

    def get_shopper(self, shopper_id: str) -> Dict[str, Any]:
        body = self._request("GET", _path("shoppers", shopper_id))
        return self._parse(lambda: dict(body))

    def list_refunds(self, shopper_id: str) -> List[Dict[str, Any]]:
        body = self._request("GET", _path("shoppers", shopper_id, "refunds"))
        return self._parse(lambda: list(body["refunds"]))

    def list_coupons(self, shopper_id: str, status: str = "unused") -> List[Dict[str, Any]]:
        body = self._request(
            "GET", _path("shoppers", shopper_id, "coupons"), params={"status": status}
        )
        return self._parse(lambda: list(body["coupons"]))

    def search_products(self, query: str, limit: int = 5) -> List[Dict[str, Any]]:
        body = self._request("GET", _path("products"), params={"q": query, "limit": limit})
        return self._parse(lambda: list(body["products"]))

    def get_product(self, product_id: str) -> Dict[str, Any]:
        body = self._request("GET", _path("products", product_id))
        return self._parse(lambda: dict(body))

    # --- writes: never retried once the request may have reached the server ----

    def cancel_order(self, shopper_id: str, order_no: str, reason: str) -> Order:
        body = self._request(
            "POST", _path("shoppers", shopper_id, "orders", order_no, "cancel"),
            json={"reason": reason},
        )
        return self._parse(lambda: parse_order(body))

    def change_address(self, shopper_id: str, order_no: str, address: Dict[str, str]) -> Order:
        body = self._request(
            "POST", _path("shoppers", shopper_id, "orders", order_no, "address"), json=address
        )
        return self._parse(lambda: parse_order(body))

    def create_refund(
        self, shopper_id: str, order_no: str, kind: str, reason: str,
        amount_cents: Optional[int] = None, description: Optional[str] = None,
    ) -> Dict[str, Any]:
        payload: Dict[str, Any] = {"kind": kind, "reason": reason}
        if amount_cents is not None:
            payload["amount_cents"] = amount_cents
        if description:
            payload["description"] = description
        body = self._request(
            "POST", _path("shoppers", shopper_id, "orders", order_no, "refunds"), json=payload
        )
        return self._parse(lambda: dict(body))

    def create_exchange(
        self, shopper_id: str, order_no: str, item_sku_id: str, wanted_sku_id: str, reason: str
    ) -> Dict[str, Any]:
        body = self._request(
            "POST", _path("shoppers", shopper_id, "orders", order_no, "exchanges"),
            json={"item_sku_id": item_sku_id, "wanted_sku_id": wanted_sku_id, "reason": reason},
        )
        return self._parse(lambda: dict(body))

    def create_invoice(self, shopper_id: str, order_no: str, request: Dict[str, Any]) -> Dict[str, Any]:
        body = self._request(
            "POST", _path("shoppers", shopper_id, "orders", order_no, "invoices"), json=request
        )
        return self._parse(lambda: dict(body))

    def claim_price_protection(self, shopper_id: str, order_no: str) -> Dict[str, Any]:
        body = self._request(
            "POST", _path("shoppers", shopper_id, "orders", order_no, "price-protection")
        )
        return self._parse(lambda: dict(body))

    # --- plumbing --------------------------------------------------------------

    @staticmethod
    def _parse(build):
        try:
            return build()
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise OrderApiUnavailable(f"unexpected response shape: {error!r}") from error

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        idempotent = method in ("GET", "HEAD", "PUT", "DELETE")
        attempts = 1 + (self.retries if idempotent else 0)
        url = self.base_url + path
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.ConnectTimeout as error:
                failure: OrderApiError = OrderApiUnavailable(f"connect timeout: {error}")
                retryable = True  # nothing reached the server: safe even for writes
            except requests.RequestException as error:
                failure = OrderApiUnavailable(f"{type(error).__name__}: {error}")
                retryable = idempotent
            else:
                logger.debug(
                    "%s %s -> %s in %.0f ms",
                    method, path, response.status_code, (time.monotonic() - started) * 1000,
                )
                if response.status_code >= 500:
                    failure = OrderApiUnavailable(f"HTTP {response.status_code}")
                    retryable = idempotent
                else:
                    return self._read(response)
            if not retryable or attempt == attempts:
                raise failure
            time.sleep(0.1 * attempt)
        raise AssertionError("unreachable")

    @staticmethod
    def _read(response: requests.Response) -> Any:
        try:
            body = response.json()
        except ValueError as error:
            raise OrderApiUnavailable(f"HTTP {response.status_code}: body is not JSON") from error
        if response.status_code < 400:
            return body
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict) or not isinstance(error.get("code"), str):
            raise OrderApiUnavailable(f"HTTP {response.status_code}: no error object")
        if response.status_code == 404:
            raise OrderNotFound(error["code"])
        if response.status_code in (401, 403):
            raise OrderApiUnavailable(f"order API refused our credentials: {error['code']}")
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
        raise RuleRefusal(
            code=error["code"],
            message=str(error.get("message") or ""),
            details=details,
            status=response.status_code,
        )
