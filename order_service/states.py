"""The vocabularies shared by the database, the rules and the API.

Values are stored and sent as plain strings; the Chinese labels are the words
shoppers see in the marketplace app, so the bot can repeat them verbatim.
"""

from __future__ import annotations

from enum import Enum


class OrderStatus(str, Enum):
    PENDING_PAYMENT = "pending_payment"
    AWAITING_SHIPMENT = "awaiting_shipment"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    AFTER_SALE = "after_sale"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return _ORDER_LABELS[self]


_ORDER_LABELS = {
    OrderStatus.PENDING_PAYMENT: "待付款",
    OrderStatus.AWAITING_SHIPMENT: "待发货",
    OrderStatus.SHIPPED: "运输中",
    OrderStatus.OUT_FOR_DELIVERY: "派送中",
    OrderStatus.DELIVERED: "已签收",
    OrderStatus.COMPLETED: "已完成",
    OrderStatus.AFTER_SALE: "售后中",
    OrderStatus.REFUNDED: "已退款",
    OrderStatus.CANCELLED: "已取消",
}

# Statuses in which the parcel is with the carrier.
IN_TRANSIT = frozenset({OrderStatus.SHIPPED, OrderStatus.OUT_FOR_DELIVERY})
# Statuses in which the shopper has the goods.
RECEIVED = frozenset({OrderStatus.DELIVERED, OrderStatus.COMPLETED})
# Statuses after which nothing can happen to the order any more.
CLOSED = frozenset({OrderStatus.REFUNDED, OrderStatus.CANCELLED})


class RefundKind(str, Enum):
    REFUND_ONLY = "refund_only"
    RETURN_REFUND = "return_refund"

    @property
    def label(self) -> str:
        return "仅退款" if self is RefundKind.REFUND_ONLY else "退货退款"


class RefundStatus(str, Enum):
    REQUESTED = "requested"
    # The merchant agreed and the payout is under way. The reference service
    # pays out at once and never rests here, but merchants' systems may.
    APPROVED = "approved"
    AWAITING_RETURN = "awaiting_return"
    REFUNDED = "refunded"
    REJECTED = "rejected"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _REFUND_LABELS[self]


_REFUND_LABELS = {
    RefundStatus.REQUESTED: "待商家处理",
    RefundStatus.APPROVED: "商家已同意，退款中",
    RefundStatus.AWAITING_RETURN: "待买家退货",
    RefundStatus.REFUNDED: "退款成功",
    RefundStatus.REJECTED: "商家已拒绝",
    RefundStatus.CLOSED: "退款关闭",
}

# Refund statuses whose money is spoken for: paid out or still being decided.
COMMITTED_REFUND = frozenset(
    {
        RefundStatus.REQUESTED,
        RefundStatus.APPROVED,
        RefundStatus.AWAITING_RETURN,
        RefundStatus.REFUNDED,
    }
)


class ReasonKind(str, Enum):
    """The requests a policy reason can be given for (its ``kinds`` in store_policy.yml).

    The two refund kinds, 换货 and 价保. ``price_protection`` is never chosen by
    the shopper: the price-protection endpoint files its refund under it.
    """

    REFUND_ONLY = "refund_only"
    RETURN_REFUND = "return_refund"
    EXCHANGE = "exchange"
    PRICE_PROTECTION = "price_protection"


class ExchangeStatus(str, Enum):
    REQUESTED = "requested"
    # The merchant agreed. The reference service moves straight on to
    # awaiting_return, like refunds, but merchants' systems may rest here.
    APPROVED = "approved"
    AWAITING_RETURN = "awaiting_return"
    SHIPPED_REPLACEMENT = "shipped_replacement"
    COMPLETED = "completed"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return _EXCHANGE_LABELS[self]


_EXCHANGE_LABELS = {
    ExchangeStatus.REQUESTED: "待商家处理",
    ExchangeStatus.APPROVED: "商家已同意换货",
    ExchangeStatus.AWAITING_RETURN: "待买家寄回",
    ExchangeStatus.SHIPPED_REPLACEMENT: "商家已发出新商品",
    ExchangeStatus.COMPLETED: "换货完成",
    ExchangeStatus.REJECTED: "商家已拒绝",
}

# Exchanges still waiting on the merchant or on the shopper's parcel; while one
# is open the order is 售后中 and takes no other after-sales request.
OPEN_EXCHANGE = frozenset(
    {ExchangeStatus.REQUESTED, ExchangeStatus.APPROVED, ExchangeStatus.AWAITING_RETURN}
)
# Exchanges after which the shopper holds the wanted SKU instead of the bought one.
EXCHANGED = frozenset({ExchangeStatus.SHIPPED_REPLACEMENT, ExchangeStatus.COMPLETED})


class InvoiceKind(str, Enum):
    ELECTRONIC_NORMAL = "electronic_normal"
    PAPER_NORMAL = "paper_normal"
    SPECIAL_VAT = "special_vat"

    @property
    def label(self) -> str:
        return _INVOICE_KIND_LABELS[self]

    @property
    def electronic(self) -> bool:
        return self is InvoiceKind.ELECTRONIC_NORMAL


_INVOICE_KIND_LABELS = {
    InvoiceKind.ELECTRONIC_NORMAL: "电子普通发票",
    InvoiceKind.PAPER_NORMAL: "纸质普通发票",
    InvoiceKind.SPECIAL_VAT: "增值税专用发票",
}


class InvoiceTitleType(str, Enum):
    PERSONAL = "personal"
    COMPANY = "company"


class InvoiceStatus(str, Enum):
    REQUESTED = "requested"
    ISSUED = "issued"
    VOIDED = "voided"

    @property
    def label(self) -> str:
        return _INVOICE_STATUS_LABELS[self]


_INVOICE_STATUS_LABELS = {
    InvoiceStatus.REQUESTED: "开票中",
    InvoiceStatus.ISSUED: "已开票",
    InvoiceStatus.VOIDED: "已作废",
}

# Invoices that stand for the order; a new request replaces (换开) the live one.
LIVE_INVOICE = frozenset({InvoiceStatus.REQUESTED, InvoiceStatus.ISSUED})


class TrackingStatus(str, Enum):
    COLLECTED = "collected"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"

    @property
    def label(self) -> str:
        return _TRACKING_LABELS[self]


_TRACKING_LABELS = {
    TrackingStatus.COLLECTED: "已揽收",
    TrackingStatus.IN_TRANSIT: "运输中",
    TrackingStatus.OUT_FOR_DELIVERY: "派送中",
    TrackingStatus.DELIVERED: "已签收",
    TrackingStatus.EXCEPTION: "物流异常",
}


class CouponStatus(str, Enum):
    UNUSED = "unused"
    USED = "used"
    EXPIRED = "expired"


class CouponKind(str, Enum):
    FULL_REDUCTION = "full_reduction"
    NO_THRESHOLD = "no_threshold"
    STORE = "store"

    @property
    def label(self) -> str:
        return _COUPON_KIND_LABELS[self]


_COUPON_KIND_LABELS = {
    CouponKind.FULL_REDUCTION: "满减券",
    CouponKind.NO_THRESHOLD: "无门槛券",
    CouponKind.STORE: "店铺券",
}


PAYMENT_METHOD_LABELS = {"wechat": "微信支付", "alipay": "支付宝", "bank_card": "银行卡"}
