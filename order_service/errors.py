"""Error codes and the JSON shape every failure is returned in.

The bot maps ``code`` to a Chinese explanation for the shopper, so codes are a
stable part of the contract; ``message`` is English text for developers and
``details`` carries the facts (deadlines, limits) the explanation needs.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Mapping, Optional


class ErrorCode(str, Enum):
    # Transport and request shape
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    BAD_REQUEST = "bad_request"
    INVALID_JSON = "invalid_json"
    INVALID_REQUEST = "invalid_request"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNAVAILABLE = "unavailable"
    INTERNAL_ERROR = "internal_error"
    # Missing resources
    SHOPPER_NOT_FOUND = "shopper_not_found"
    ORDER_NOT_FOUND = "order_not_found"
    REFUND_NOT_FOUND = "refund_not_found"
    PRODUCT_NOT_FOUND = "product_not_found"
    EXCHANGE_NOT_FOUND = "exchange_not_found"
    # Request values the store does not accept
    INVALID_REASON = "invalid_reason"
    REASON_NOT_APPLICABLE = "reason_not_applicable"
    INVALID_AMOUNT = "invalid_amount"
    ITEM_NOT_IN_ORDER = "item_not_in_order"
    INVALID_SKU = "invalid_sku"
    SAME_SKU = "same_sku"
    # Business rules refusing the request in the order's current state
    ORDER_NOT_PAID = "order_not_paid"
    NOT_SHIPPED_YET = "not_shipped_yet"
    NOT_DELIVERED_YET = "not_delivered_yet"
    NOT_SHIPPED = "not_shipped"
    ALREADY_SHIPPED = "already_shipped"
    ALREADY_DELIVERED = "already_delivered"
    RETURN_REQUIRED = "return_required"
    RETURN_WINDOW_EXPIRED = "return_window_expired"
    NOT_ELIGIBLE_FOR_NO_REASON_RETURN = "not_eligible_for_no_reason_return"
    REFUND_IN_PROGRESS = "refund_in_progress"
    ORDER_CLOSED = "order_closed"
    REFUND_NOT_PENDING = "refund_not_pending"
    REFUND_NOT_AWAITING_RETURN = "refund_not_awaiting_return"
    AFTER_SALE_IN_PROGRESS = "after_sale_in_progress"
    OUT_OF_STOCK = "out_of_stock"
    EXCHANGE_NOT_PENDING = "exchange_not_pending"
    EXCHANGE_NOT_AWAITING_RETURN = "exchange_not_awaiting_return"
    ORDER_NOT_INVOICEABLE = "order_not_invoiceable"
    INVOICE_REISSUE_LIMIT_REACHED = "invoice_reissue_limit_reached"
    NO_PRICE_DROP = "no_price_drop"
    PRICE_PROTECTION_EXPIRED = "price_protection_expired"
    PRICE_PROTECTION_USED = "price_protection_used"


_STATUS = {
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.INVALID_REQUEST: 422,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.SHOPPER_NOT_FOUND: 404,
    ErrorCode.ORDER_NOT_FOUND: 404,
    ErrorCode.REFUND_NOT_FOUND: 404,
    ErrorCode.PRODUCT_NOT_FOUND: 404,
    ErrorCode.EXCHANGE_NOT_FOUND: 404,
    ErrorCode.INVALID_REASON: 422,
    ErrorCode.REASON_NOT_APPLICABLE: 422,
    ErrorCode.INVALID_AMOUNT: 422,
    ErrorCode.ITEM_NOT_IN_ORDER: 422,
    ErrorCode.INVALID_SKU: 422,
    ErrorCode.SAME_SKU: 422,
}


def http_status(code: ErrorCode) -> int:
    """Rule refusals default to 409: the request was fine, the order's state is not."""
    return _STATUS.get(code, 409)


def error_body(
    code: ErrorCode, message: str, details: Optional[Mapping[str, Any]] = None
) -> dict[str, Any]:
    return {"error": {"code": code.value, "message": message, "details": dict(details or {})}}


class ServiceError(Exception):
    """A failure the caller should see as a structured error, not a crash."""

    def __init__(
        self, code: ErrorCode, message: str, details: Optional[Mapping[str, Any]] = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    @property
    def status(self) -> int:
        return http_status(self.code)

    def to_json(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


class RuleViolation(ServiceError):
    """A store rule refused the request; raised by the pure functions in ``rules``."""
