"""The store's rules for cancellations, address changes, refunds, exchanges,
invoices and price protection.

Pure functions of an order snapshot, the store policy and the current time:
no database, no HTTP. That keeps every rule testable at its exact edges and
lets ``allowed_actions`` tell the bot up front what a shopper may do, using the
very checks that later guard the mutation itself.

Refusals raise ``RuleViolation`` with a stable code and the facts (deadlines,
limits, offending items) the bot needs to explain the refusal in Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Callable, Mapping, NoReturn, Optional

from order_service.clock import iso
from order_service.errors import ErrorCode, RuleViolation
from order_service.policy import RefundReason, StorePolicy
from order_service.states import (
    CLOSED,
    IN_TRANSIT,
    OPEN_EXCHANGE,
    RECEIVED,
    ExchangeStatus,
    InvoiceKind,
    InvoiceTitleType,
    OrderStatus,
    ReasonKind,
    RefundKind,
    RefundStatus,
)


@dataclass(frozen=True)
class SkuOption:
    """One SKU of a product as the catalogue has it now."""

    sku_id: str
    spec: str
    price_cents: int
    stock: int


@dataclass(frozen=True)
class ItemFacts:
    """An order line, with its product's SKUs as they are now."""

    sku_id: str
    product_id: str
    title: str
    spec: str
    quantity: int
    unit_price_cents: int
    no_reason_return: bool = True
    # Every SKU of the product, with current price and stock.
    options: tuple[SkuOption, ...] = ()
    # What the shopper holds after an earlier exchange; None: what was bought.
    held_sku_id: Optional[str] = None
    held_spec: Optional[str] = None

    @property
    def current_sku_id(self) -> str:
        return self.held_sku_id or self.sku_id

    @property
    def current_spec(self) -> str:
        return self.held_spec or self.spec

    def option(self, sku_id: str) -> Optional[SkuOption]:
        return next((o for o in self.options if o.sku_id == sku_id), None)


@dataclass(frozen=True)
class OrderSnapshot:
    """The facts about an order that the rules depend on."""

    status: OrderStatus
    paid_cents: int
    # Refunds already paid out or still under review.
    committed_refund_cents: int
    paid_at: Optional[datetime]
    delivered_at: Optional[datetime]
    # Titles of items whose product is excluded from 七天无理由.
    no_reason_excluded_titles: tuple[str, ...] = ()
    # Before discounts; None when unknown (no discount is then assumed).
    total_cents: Optional[int] = None
    # Refunds actually paid out.
    refunded_cents: int = 0
    items: tuple[ItemFacts, ...] = ()
    # The exchange that keeps the order 售后中, if that is what does.
    open_exchange_id: Optional[str] = None
    # The refund a price-protection claim already produced.
    price_protection_refund_id: Optional[str] = None
    # The invoice standing for the order (requested or issued), and how many
    # were voided by replacements (换开) so far.
    live_invoice_id: Optional[str] = None
    invoice_reissues: int = 0

    @property
    def refundable_cents(self) -> int:
        return max(self.paid_cents - self.committed_refund_cents, 0)

    @property
    def invoiceable_cents(self) -> int:
        return max(self.paid_cents - self.refunded_cents, 0)


@dataclass(frozen=True)
class CancelDecision:
    # Paid orders give their money back at once; unpaid ones refund nothing.
    refund_cents: int


@dataclass(frozen=True)
class RefundDecision:
    amount_cents: int
    # 极速退款: paid out immediately, no merchant review.
    fast_refund: bool


@dataclass(frozen=True)
class Address:
    receiver_name: str
    receiver_phone: str
    province: str
    city: str
    district: str
    detail: str


@dataclass(frozen=True)
class Deadlines:
    ship_by: Optional[datetime]
    no_reason_return_until: Optional[datetime]
    quality_return_until: Optional[datetime]
    auto_complete_at: Optional[datetime]
    price_protection_until: Optional[datetime] = None


@dataclass(frozen=True)
class ExchangeDecision:
    item: ItemFacts
    wanted: SkuOption
    # The whole order line is exchanged.
    quantity: int


@dataclass(frozen=True)
class InvoiceTitle:
    """A validated invoice request: whom the invoice is made out to, and how."""

    kind: InvoiceKind
    title_type: InvoiceTitleType
    title: str
    tax_id: Optional[str]
    email: Optional[str]


@dataclass(frozen=True)
class InvoiceDecision:
    amount_cents: int
    # Electronic invoices are issued at once; paper ones by expected_issue_by.
    issue_now: bool
    expected_issue_by: Optional[datetime]
    # The live invoice a new request voids (换开).
    replaces_id: Optional[str]


@dataclass(frozen=True)
class PriceDrop:
    sku_id: str
    paid_unit_cents: int
    current_unit_cents: int
    quantity: int

    @property
    def difference_cents(self) -> int:
        return max(self.paid_unit_cents - self.current_unit_cents, 0) * self.quantity

    def to_json(self) -> dict[str, object]:
        return {
            "sku_id": self.sku_id,
            "paid_unit_cents": self.paid_unit_cents,
            "current_unit_cents": self.current_unit_cents,
            "quantity": self.quantity,
        }


@dataclass(frozen=True)
class PriceProtectionDecision:
    amount_cents: int
    # Only the items whose price dropped.
    drops: tuple[PriceDrop, ...]


MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def check_cancel(order: OrderSnapshot) -> CancelDecision:
    """Orders can be cancelled until they leave the warehouse.

    A paid order that has not shipped is cancelled outright with an instant
    refund of everything still refundable: nothing has been handed to a
    carrier, so there is nothing for the merchant to review.
    """
    if order.status is OrderStatus.PENDING_PAYMENT:
        return CancelDecision(refund_cents=0)
    if order.status is OrderStatus.AWAITING_SHIPMENT:
        return CancelDecision(refund_cents=order.refundable_cents)
    _refuse_after_shipment(order, suggestion="refund_only")


def check_address_change(order: OrderSnapshot) -> None:
    """The address can change only while the parcel has not been labelled."""
    if order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.AWAITING_SHIPMENT):
        return
    _refuse_after_shipment(order, suggestion="contact_carrier")


def _refuse_after_shipment(order: OrderSnapshot, suggestion: str) -> NoReturn:
    status = order.status
    if status in IN_TRANSIT:
        raise RuleViolation(
            ErrorCode.ALREADY_SHIPPED,
            "The order has already been handed to the carrier.",
            {"status": status.value, "suggestion": suggestion},
        )
    if status in RECEIVED:
        raise RuleViolation(
            ErrorCode.ALREADY_DELIVERED,
            "The order has already been delivered.",
            {"status": status.value, "suggestion": "return_refund"},
        )
    _refuse_closed_or_in_progress(order)
    raise AssertionError(f"unhandled order status {status!r}")


def _refuse_closed_or_in_progress(order: OrderSnapshot) -> None:
    """One after-sales case at a time: an order 售后中 takes no new request.

    Which code depends on the open case, ``refund_in_progress`` or
    ``after_sale_in_progress`` (an exchange); both mean the same thing and
    ``details.case`` says which it is.
    """
    status = order.status
    if status is OrderStatus.AFTER_SALE:
        if order.open_exchange_id:
            raise RuleViolation(
                ErrorCode.AFTER_SALE_IN_PROGRESS,
                "An exchange for this order is under way.",
                {"status": status.value, "case": "exchange", "exchange_id": order.open_exchange_id},
            )
        raise RuleViolation(
            ErrorCode.REFUND_IN_PROGRESS,
            "A refund for this order is being processed.",
            {"status": status.value, "case": "refund"},
        )
    if status in CLOSED:
        raise RuleViolation(
            ErrorCode.ORDER_CLOSED,
            "The order is closed.",
            {"status": status.value},
        )


def validate_address(fields: Mapping[str, str]) -> Address:
    """Checks a new delivery address the way the marketplace's form does.

    Fields are expected to be stripped, control-character-free strings already;
    this decides whether they make a deliverable mainland address.
    """
    problems: dict[str, str] = {}
    name = fields.get("receiver_name", "")
    if not 1 <= len(name) <= 20:
        problems["receiver_name"] = "must be 1-20 characters"
    if not MAINLAND_MOBILE.match(fields.get("receiver_phone", "")):
        problems["receiver_phone"] = "must be a mainland mobile number (11 digits, 1[3-9]...)"
    for key in ("province", "city", "district"):
        if not 1 <= len(fields.get(key, "")) <= 20:
            problems[key] = "must be 1-20 characters"
    if not 5 <= len(fields.get("detail", "")) <= 120:
        problems["detail"] = "must be 5-120 characters"
    if problems:
        raise RuleViolation(
            ErrorCode.INVALID_REQUEST, "The address is not valid.", {"fields": problems}
        )
    return Address(
        receiver_name=name,
        receiver_phone=fields["receiver_phone"],
        province=fields["province"],
        city=fields["city"],
        district=fields["district"],
        detail=fields["detail"],
    )


def check_refund(
    order: OrderSnapshot,
    policy: StorePolicy,
    kind: RefundKind,
    reason_code: str,
    amount_cents: Optional[int],
    now: datetime,
) -> RefundDecision:
    """Decides whether a refund request may be filed, and whether it is instant.

    ``amount_cents`` of None means "everything still refundable".
    """
    reason = _reason_for(policy, reason_code, kind)
    _check_refund_state(order, policy, kind, reason, now)
    amount = order.refundable_cents if amount_cents is None else amount_cents
    if not 1 <= amount <= order.refundable_cents:
        raise RuleViolation(
            ErrorCode.INVALID_AMOUNT,
            "The amount must be between 1 cent and the refundable amount.",
            {"min": 1, "max": order.refundable_cents, "requested": amount},
        )
    fast = (
        order.status is OrderStatus.AWAITING_SHIPMENT
        and kind is RefundKind.REFUND_ONLY
        and amount <= policy.fast_refund_max_cents
    )
    return RefundDecision(amount_cents=amount, fast_refund=fast)


def _reason_for(policy: StorePolicy, code: str, kind: Enum) -> RefundReason:
    """The policy reason ``code``, if it may be given for a request of ``kind``."""
    reason = policy.reason(code)
    if reason is None:
        raise RuleViolation(
            ErrorCode.INVALID_REASON,
            f"Unknown reason {code!r}.",
            {"allowed": [r.code for r in policy.reasons_for(kind)]},
        )
    if not reason.fits(kind):
        raise RuleViolation(
            ErrorCode.REASON_NOT_APPLICABLE,
            f"Reason {reason.code!r} does not apply to {kind.value}.",
            {"reason": reason.code, "kinds": sorted(k.value for k in reason.kinds)},
        )
    return reason


def _check_refund_state(
    order: OrderSnapshot,
    policy: StorePolicy,
    kind: RefundKind,
    reason: RefundReason,
    now: datetime,
) -> None:
    status = order.status
    if status is OrderStatus.PENDING_PAYMENT:
        raise RuleViolation(
            ErrorCode.ORDER_NOT_PAID,
            "The order has not been paid; cancel it instead.",
            {"status": status.value, "suggestion": "cancel"},
        )
    _refuse_closed_or_in_progress(order)
    if status is OrderStatus.AWAITING_SHIPMENT:
        if kind is RefundKind.RETURN_REFUND:
            raise RuleViolation(
                ErrorCode.NOT_SHIPPED_YET,
                "Nothing to return: the order has not shipped.",
                {"status": status.value, "suggestion": "refund_only"},
            )
        return
    if status in IN_TRANSIT:
        # Before delivery the shopper refuses the parcel (拒收) instead of returning it.
        if kind is RefundKind.RETURN_REFUND:
            raise RuleViolation(
                ErrorCode.NOT_DELIVERED_YET,
                "Returns open once the parcel is delivered.",
                {"status": status.value, "suggestion": "refund_only"},
            )
        return
    _check_refund_after_delivery(order, policy, kind, reason, now)


def _check_refund_after_delivery(
    order: OrderSnapshot,
    policy: StorePolicy,
    kind: RefundKind,
    reason: RefundReason,
    now: datetime,
) -> None:
    if order.delivered_at is None:
        raise AssertionError("a received order must have delivered_at")
    if reason.quality:
        _within_window(order.delivered_at, policy.quality_return_days, now)
        return
    if kind is RefundKind.REFUND_ONLY:
        raise RuleViolation(
            ErrorCode.RETURN_REQUIRED,
            "After delivery, refunds without a quality problem need the goods returned.",
            {"status": order.status.value, "suggestion": "return_refund"},
        )
    if order.no_reason_excluded_titles:
        raise RuleViolation(
            ErrorCode.NOT_ELIGIBLE_FOR_NO_REASON_RETURN,
            "Some items are excluded from no-reason returns.",
            {"items": list(order.no_reason_excluded_titles)},
        )
    _within_window(order.delivered_at, policy.no_reason_return_days, now)


def _within_window(delivered_at: datetime, days: int, now: datetime) -> None:
    deadline = delivered_at + timedelta(days=days)
    if now > deadline:
        raise RuleViolation(
            ErrorCode.RETURN_WINDOW_EXPIRED,
            f"The {days}-day after-sales window has passed.",
            {"deadline": iso(deadline), "window_days": days, "delivered_at": iso(delivered_at)},
        )


def allowed_actions(order: OrderSnapshot, policy: StorePolicy, now: datetime) -> list[str]:
    """What the shopper could do right now, for at least one refund reason."""
    actions = []
    if _passes(lambda: check_cancel(order)):
        actions.append("cancel")
    if _passes(lambda: check_address_change(order)):
        actions.append("change_address")
    for kind in RefundKind:
        if any(
            _refund_possible(order, policy, kind, reason, now)
            for reason in policy.reasons_for(kind)
        ):
            actions.append(kind.value)
    if _exchange_possible(order, policy, now):
        actions.append("exchange")
    if _passes(lambda: check_price_protection(order, policy, now)):
        actions.append("price_protection")
    if _passes(lambda: check_invoice(order, policy, InvoiceKind.ELECTRONIC_NORMAL, now)):
        actions.append("invoice")
    return actions


def _refund_possible(
    order: OrderSnapshot,
    policy: StorePolicy,
    kind: RefundKind,
    reason: RefundReason,
    now: datetime,
) -> bool:
    return _passes(lambda: check_refund(order, policy, kind, reason.code, None, now))


def _passes(check: Callable[[], object]) -> bool:
    try:
        check()
    except RuleViolation:
        return False
    return True


def deadlines(order: OrderSnapshot, policy: StorePolicy) -> Deadlines:
    """The dates a shopper asks about, whether or not they have passed."""
    ship_by = None
    if order.paid_at is not None and order.status is OrderStatus.AWAITING_SHIPMENT:
        ship_by = order.paid_at + timedelta(hours=policy.ship_within_hours)
    price_protection_until = None
    if order.paid_at is not None:
        price_protection_until = order.paid_at + timedelta(days=policy.price_protection_days)
    delivered = order.delivered_at
    if delivered is None:
        return Deadlines(ship_by, None, None, None, price_protection_until)
    return Deadlines(
        price_protection_until=price_protection_until,
        ship_by=None,
        no_reason_return_until=None
        if order.no_reason_excluded_titles
        else delivered + timedelta(days=policy.no_reason_return_days),
        quality_return_until=delivered + timedelta(days=policy.quality_return_days),
        auto_complete_at=delivered + timedelta(days=policy.auto_complete_days_after_delivery),
    )


def check_refund_review(status: RefundStatus) -> None:
    """The merchant approves or rejects only requests still waiting for them."""
    if status is not RefundStatus.REQUESTED:
        raise RuleViolation(
            ErrorCode.REFUND_NOT_PENDING,
            "Only requested refunds can be approved or rejected.",
            {"status": status.value},
        )


def check_return_received(status: RefundStatus) -> None:
    """Receiving returned goods completes only refunds that were waiting for them."""
    if status is not RefundStatus.AWAITING_RETURN:
        raise RuleViolation(
            ErrorCode.REFUND_NOT_AWAITING_RETURN,
            "This refund is not waiting for returned goods.",
            {"status": status.value},
        )


# -- exchanges (换货) ------------------------------------------------------------


def check_exchange(
    order: OrderSnapshot,
    policy: StorePolicy,
    item_sku_id: Optional[str],
    wanted_sku_id: str,
    reason_code: str,
    now: datetime,
) -> ExchangeDecision:
    """Decides whether an order line may be swapped for another SKU of its product.

    Exchanges follow the return windows: ``quality_return_days`` for quality
    reasons, otherwise ``no_reason_return_days`` for products that allow
    no-reason returns. The whole line is exchanged, so the wanted SKU needs
    stock for its full quantity. ``item_sku_id`` may be omitted when the order
    has a single item.
    """
    reason = _reason_for(policy, reason_code, ReasonKind.EXCHANGE)
    _check_exchange_state(order)
    item = _exchange_item(order, item_sku_id)
    wanted = _wanted_sku(item, wanted_sku_id)
    _check_exchange_window(order, policy, item, reason, now)
    check_replacement_stock(item, wanted)
    return ExchangeDecision(item=item, wanted=wanted, quantity=item.quantity)


def _check_exchange_state(order: OrderSnapshot) -> None:
    status = order.status
    if status is OrderStatus.PENDING_PAYMENT:
        raise RuleViolation(
            ErrorCode.ORDER_NOT_PAID,
            "The order has not been paid; cancel it and order the wanted spec instead.",
            {"status": status.value, "suggestion": "cancel"},
        )
    _refuse_closed_or_in_progress(order)
    if status is OrderStatus.AWAITING_SHIPMENT:
        raise RuleViolation(
            ErrorCode.NOT_SHIPPED_YET,
            "Nothing to exchange: the order has not shipped.",
            {"status": status.value, "suggestion": "cancel"},
        )
    if status in IN_TRANSIT:
        raise RuleViolation(
            ErrorCode.NOT_DELIVERED_YET,
            "Exchanges open once the parcel is delivered.",
            {"status": status.value, "suggestion": "wait_for_delivery"},
        )
    if status not in RECEIVED:
        raise AssertionError(f"unhandled order status {status!r}")


def _exchange_item(order: OrderSnapshot, item_sku_id: Optional[str]) -> ItemFacts:
    items = order.items
    listed = [item.sku_id for item in items]
    if item_sku_id is None:
        if len(items) == 1:
            return items[0]
        raise RuleViolation(
            ErrorCode.INVALID_REQUEST,
            "Say which item to exchange.",
            {
                "fields": {"item_sku_id": "is required when the order has more than one item"},
                "items": listed,
            },
        )
    for item in items:
        if item_sku_id in (item.sku_id, item.current_sku_id):
            return item
    raise RuleViolation(
        ErrorCode.ITEM_NOT_IN_ORDER,
        "The order has no such item.",
        {"item_sku_id": item_sku_id, "items": listed},
    )


def _wanted_sku(item: ItemFacts, wanted_sku_id: str) -> SkuOption:
    wanted = item.option(wanted_sku_id)
    if wanted is None:
        raise RuleViolation(
            ErrorCode.INVALID_SKU,
            "Exchanges are for another SKU of the same product.",
            {
                "wanted_sku_id": wanted_sku_id,
                "product_id": item.product_id,
                "skus": [_sku_brief(o) for o in item.options],
            },
        )
    if wanted.sku_id == item.current_sku_id:
        raise RuleViolation(
            ErrorCode.SAME_SKU,
            "The wanted SKU is the one the shopper already has.",
            {"sku_id": wanted.sku_id, "spec": wanted.spec},
        )
    return wanted


def _check_exchange_window(
    order: OrderSnapshot, policy: StorePolicy, item: ItemFacts, reason: RefundReason, now: datetime
) -> None:
    if order.delivered_at is None:
        raise AssertionError("a received order must have delivered_at")
    if reason.quality:
        _within_window(order.delivered_at, policy.quality_return_days, now)
        return
    if not item.no_reason_return:
        raise RuleViolation(
            ErrorCode.NOT_ELIGIBLE_FOR_NO_REASON_RETURN,
            "This item is excluded from no-reason returns and exchanges.",
            {"items": [item.title]},
        )
    _within_window(order.delivered_at, policy.no_reason_return_days, now)


def check_replacement_stock(item: ItemFacts, wanted: SkuOption) -> None:
    """The replacement goes out for the whole line, so it needs that much stock."""
    if wanted.stock >= item.quantity:
        return
    raise RuleViolation(
        ErrorCode.OUT_OF_STOCK,
        "The wanted SKU is out of stock.",
        {
            "sku_id": wanted.sku_id,
            "spec": wanted.spec,
            "stock": max(wanted.stock, 0),
            "quantity": item.quantity,
            "alternatives": [
                {"sku_id": o.sku_id, "spec": o.spec}
                for o in item.options
                if o.sku_id not in (item.current_sku_id, wanted.sku_id)
                and o.stock >= item.quantity
            ],
        },
    )


def _sku_brief(option: SkuOption) -> dict[str, object]:
    return {"sku_id": option.sku_id, "spec": option.spec, "in_stock": option.stock > 0}


def _exchange_possible(order: OrderSnapshot, policy: StorePolicy, now: datetime) -> bool:
    """Some item, some exchange reason and some other SKU in stock pass the rules."""
    reasons = policy.reasons_for(ReasonKind.EXCHANGE)
    if not reasons or not _passes(lambda: _check_exchange_state(order)):
        return False
    for item in order.items:
        if not any(
            o.sku_id != item.current_sku_id and o.stock >= item.quantity for o in item.options
        ):
            continue
        for reason in reasons:
            if _passes(lambda: _check_exchange_window(order, policy, item, reason, now)):
                return True
    return False


def check_exchange_approval(status: ExchangeStatus) -> None:
    """The merchant approves only exchanges still waiting for them."""
    if status is not ExchangeStatus.REQUESTED:
        raise RuleViolation(
            ErrorCode.EXCHANGE_NOT_PENDING,
            "Only requested exchanges can be approved.",
            {"status": status.value},
        )


def check_exchange_rejection(status: ExchangeStatus) -> None:
    """Any open exchange can be rejected: also one already approved, e.g.
    when the wanted SKU sold out before the original came back."""
    if status not in OPEN_EXCHANGE:
        raise RuleViolation(
            ErrorCode.EXCHANGE_NOT_PENDING,
            "Only open exchanges can be rejected.",
            {"status": status.value},
        )


def check_exchange_return_received(status: ExchangeStatus) -> None:
    """The replacement ships only once the original is back."""
    if status is not ExchangeStatus.AWAITING_RETURN:
        raise RuleViolation(
            ErrorCode.EXCHANGE_NOT_AWAITING_RETURN,
            "This exchange is not waiting for returned goods.",
            {"status": status.value},
        )


# -- invoices (发票) -------------------------------------------------------------

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet (digits and
# capitals without I, O, Z, S, V), the last one a mod-31 check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# Taxpayer ids from before the unified code: 15 or 20 digits.
_LEGACY_TAX_ID = re.compile(r"[0-9]{15}|[0-9]{20}")
_EMAIL = re.compile(
    r"[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
)


def uscc_check_character(first17: str) -> str:
    """The check character GB 32100-2015 appends to a code's first 17 characters."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError("expected 17 characters of the code alphabet")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return USCC_ALPHABET[-total % 31]


def is_valid_uscc(code: str) -> bool:
    """Whether ``code`` is a well-formed unified social credit code (upper case)."""
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    return uscc_check_character(code[:17]) == code[17]


def is_valid_tax_id(tax_id: str) -> bool:
    return is_valid_uscc(tax_id) or bool(_LEGACY_TAX_ID.fullmatch(tax_id))


def is_valid_email(email: str) -> bool:
    local, _, _ = email.rpartition("@")
    return len(email) <= 254 and len(local) <= 64 and bool(_EMAIL.fullmatch(email))


def validate_invoice(
    kind: InvoiceKind,
    title_type: InvoiceTitleType,
    title: str,
    tax_id: Optional[str],
    email: Optional[str],
) -> InvoiceTitle:
    """Checks an invoice request the way the marketplace's 开票 form does.

    Text is expected stripped and control-character-free already. A tax id is
    compared in upper case, as shoppers often type it in lower case.
    """
    problems: dict[str, str] = {}
    company = title_type is InvoiceTitleType.COMPANY
    longest = 100 if company else 50
    if not 1 <= len(title) <= longest:
        problems["title"] = f"must be 1-{longest} characters"
    if company:
        if tax_id is None:
            problems["tax_id"] = "is required for company titles"
        else:
            tax_id = tax_id.upper()
            if not is_valid_tax_id(tax_id):
                problems["tax_id"] = (
                    "must be an 18-character unified social credit code with a valid check "
                    "character, or a 15- or 20-digit taxpayer id"
                )
    else:
        if tax_id is not None:
            problems["tax_id"] = "is only for company titles"
        if kind is InvoiceKind.SPECIAL_VAT:
            problems["kind"] = "special_vat needs a company title"
    if email is None:
        if kind.electronic:
            problems["email"] = "is required for electronic invoices"
    elif not is_valid_email(email):
        problems["email"] = "must be a valid email address"
    if problems:
        raise RuleViolation(
            ErrorCode.INVALID_REQUEST, "The invoice request is not valid.", {"fields": problems}
        )
    return InvoiceTitle(kind=kind, title_type=title_type, title=title, tax_id=tax_id, email=email)


def check_invoice(
    order: OrderSnapshot, policy: StorePolicy, kind: InvoiceKind, now: datetime
) -> InvoiceDecision:
    """Decides whether an invoice may be requested, for how much, and when it is issued.

    Invoices cover what the shopper paid and kept: paid minus refunds paid
    out. A request on an order that already has a live invoice replaces it
    (换开), at most ``invoice_reissue_limit`` times.
    """
    status = order.status
    closed = order.paid_at is None or status in CLOSED
    invoiceable = 0 if closed else order.invoiceable_cents
    if invoiceable <= 0:
        raise RuleViolation(
            ErrorCode.ORDER_NOT_INVOICEABLE,
            "Invoices are issued only for paid orders that are not cancelled or fully refunded.",
            {"status": status.value, "invoiceable_cents": invoiceable},
        )
    if order.live_invoice_id and order.invoice_reissues >= policy.invoice_reissue_limit:
        raise RuleViolation(
            ErrorCode.INVOICE_REISSUE_LIMIT_REACHED,
            "The invoice of this order cannot be replaced again.",
            {
                "invoice_id": order.live_invoice_id,
                "limit": policy.invoice_reissue_limit,
                "reissued": order.invoice_reissues,
            },
        )
    issue_now = kind.electronic
    return InvoiceDecision(
        amount_cents=invoiceable,
        issue_now=issue_now,
        expected_issue_by=None if issue_now else now + timedelta(days=policy.invoice_issue_days),
        replaces_id=order.live_invoice_id,
    )


# -- price protection (价保) -----------------------------------------------------


def check_price_protection(
    order: OrderSnapshot, policy: StorePolicy, now: datetime
) -> PriceProtectionDecision:
    """Refunds the difference when a bought SKU got cheaper within the window.

    What was paid per unit is the item price less its pro-rated share of the
    order's discount, rounded down to the cent. The claim is once per order and
    never exceeds what is still refundable.
    """
    status = order.status
    if status is OrderStatus.PENDING_PAYMENT or order.paid_at is None:
        raise RuleViolation(
            ErrorCode.ORDER_NOT_PAID,
            "Price protection starts with payment.",
            {"status": status.value},
        )
    _refuse_closed_or_in_progress(order)
    if order.price_protection_refund_id:
        raise RuleViolation(
            ErrorCode.PRICE_PROTECTION_USED,
            "Price protection was already claimed for this order.",
            {"refund_id": order.price_protection_refund_id},
        )
    days = policy.price_protection_days
    deadline = order.paid_at + timedelta(days=days)
    if now > deadline:
        raise RuleViolation(
            ErrorCode.PRICE_PROTECTION_EXPIRED,
            f"The {days}-day price protection window has passed.",
            {"deadline": iso(deadline), "window_days": days, "paid_at": iso(order.paid_at)},
        )
    prices = _item_prices(order)
    drops = tuple(p for p in prices if p.difference_cents > 0)
    amount = min(sum(p.difference_cents for p in drops), order.refundable_cents)
    if amount <= 0:
        raise RuleViolation(
            ErrorCode.NO_PRICE_DROP,
            "No item is cheaper now than what was paid for it.",
            {"items": [p.to_json() for p in prices]},
        )
    return PriceProtectionDecision(amount_cents=amount, drops=drops)


def _item_prices(order: OrderSnapshot) -> list[PriceDrop]:
    prices = []
    for item in order.items:
        current = item.option(item.sku_id)
        if current is None:
            continue
        paid_unit = item.unit_price_cents
        if order.total_cents:
            paid_unit = item.unit_price_cents * order.paid_cents // order.total_cents
        prices.append(PriceDrop(item.sku_id, paid_unit, current.price_cents, item.quantity))
    return prices
