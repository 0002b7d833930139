"""The merchant's order API as the console uses it: a few merchant-side calls.

The order system is replaceable (``order_service/openapi.yaml`` is the contract),
so the console talks to it over HTTP only. Every call is blocking and bounded by a
connect and a read timeout; handlers run it in a worker thread. Nothing is retried:
an agent who sees "order system not answering" can simply click again, and a write
that may have reached the merchant must not be sent twice behind their back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import requests

log = logging.getLogger(__name__)

# Identifiers the contract can have (order numbers, refund and shopper ids). Anything
# else is refused before a request is built, so no path segment comes from the user
# unchecked.
MAX_DETAIL_CHARS = 300
_SEGMENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def valid_id(value: str) -> bool:
    return 0 < len(value) <= 64 and set(value) <= _SEGMENT_CHARS


class OrderServiceDown(Exception):
    """Timeout, connection failure, 5xx, our credentials refused, or an unreadable answer."""


@dataclass
class OrderServiceRefusal(Exception):
    """The order system answered 4xx: a rule, a state or the input stands in the way."""

    status: int
    code: str
    details: Dict[str, Any]

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.code}"


class OrderClient:
    def __init__(self, base_url: str, token: str, connect_timeout: float, read_timeout: float,
                 session: Optional[requests.Session] = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.session = session or requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def close(self) -> None:
        self.session.close()

    # --- reads

    def shopper(self, shopper_id: str) -> Dict[str, Any]:
        return self._object("GET", ("shoppers", shopper_id))

    def refunds(self, shopper_id: str) -> List[Dict[str, Any]]:
        body = self._object("GET", ("shoppers", shopper_id, "refunds"), params={"limit": 100})
        refunds = body.get("refunds")
        if not isinstance(refunds, list) or not all(isinstance(r, dict) for r in refunds):
            raise OrderServiceDown("refunds: unexpected response shape")
        return refunds

    # --- merchant decisions and changes

    def approve_refund(self, refund_id: str, actor: str, note: Optional[str]) -> Dict[str, Any]:
        return self._object("POST", ("refunds", refund_id, "approve"), json=_review(actor, note))

    def reject_refund(self, refund_id: str, actor: str, note: str) -> Dict[str, Any]:
        return self._object("POST", ("refunds", refund_id, "reject"), json=_review(actor, note))

    def change_address(self, shopper_id: str, order_no: str, address: Dict[str, str]) -> Dict[str, Any]:
        return self._object("POST", ("shoppers", shopper_id, "orders", order_no, "address"), json=address)

    # --- plumbing

    def _object(self, method: str, segments: tuple, **kwargs: Any) -> Dict[str, Any]:
        if not all(valid_id(s) for s in segments):
            raise OrderServiceRefusal(404, "not_found", {})
        url = self.base_url + "/api/v1/" + "/".join(quote(s, safe="") for s in segments)
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            # Bounded: it ends up in the audit, and urllib3's messages can run long.
            raise OrderServiceDown(f"{type(error).__name__}: {error}"[:MAX_DETAIL_CHARS]) from error
        try:
            body = response.json()
        except ValueError:
            body = None
        status = response.status_code
        log.debug("%s %s -> %s", method, url, status)
        if status >= 500 or status in (401, 403) or not isinstance(body, dict):
            raise OrderServiceDown(f"HTTP {status}")
        if status >= 400:
            error = body.get("error")
            if not isinstance(error, dict) or not isinstance(error.get("code"), str):
                raise OrderServiceDown(f"HTTP {status} without an error object")
            details = error.get("details")
            raise OrderServiceRefusal(status, error["code"], details if isinstance(details, dict) else {})
        return body


def _review(actor: str, note: Optional[str]) -> Dict[str, str]:
    return {"actor": actor, "note": note} if note else {"actor": actor}
