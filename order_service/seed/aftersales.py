"""Exchanges, invoices and price drops on top of the seeded orders.

They draw on a random stream of their own, so the orders, shipments, refunds
and coupons stay exactly what they were before these were added: demos and
tests that rely on, say, u10001 having one parcel on the road keep working.
Like the rest of the seed, every record is one the service's own rules would
have produced: exchanges are filed inside their windows, invoices carry valid
tax ids and cover what was paid and kept, and a price-protection refund is
exactly what ``rules.check_price_protection`` pays.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Iterable, Optional

from order_service import rules
from order_service.models import Exchange, Invoice, Order, OrderItem, Refund, Sku
from order_service.policy import PRICE_PROTECTION_REASON, StorePolicy
from order_service.rules import USCC_ALPHABET, uscc_check_character
from order_service.snapshots import refunded_cents, snapshot_of
from order_service.states import (
    ExchangeStatus,
    InvoiceKind,
    InvoiceStatus,
    InvoiceTitleType,
    OrderStatus,
    RefundKind,
    RefundStatus,
)

# How many orders get each kind of exchange.
OPEN_REQUESTED = 3
OPEN_AWAITING_RETURN = 3
SHIPPED_REPLACEMENT = 2
COMPLETED_EXCHANGES = 4
REJECTED_EXCHANGES = 2

# Recent orders whose SKU got cheaper, and how many of those already claimed.
PRICE_DROPS = 6
PRICE_PROTECTION_CLAIMED = 2

# Share of eligible orders with an invoice, and how many were replaced (换开).
INVOICE_SHARE = 0.3
REISSUED_ONCE = 4
REISSUED_TO_THE_LIMIT = 1

QUALITY_REASONS = ("quality", "damaged", "wrong_item", "not_as_described")
EXCHANGE_NOTES = {
    "approved": "同意换货，请在7天内寄回原商品并填写退货单号",
    "shipped": "已收到退回商品，新商品已发出，请注意查收",
    "rejected": (
        "退回商品吊牌已拆、影响二次销售，无法换货",
        "该规格已停产，无法换货，建议申请退货退款",
    ),
}
EXCHANGE_DESCRIPTIONS = {
    "wrong_size": ("尺码偏小，想换大一码", "穿着偏大，换小一码", "颜色和图片有色差，想换个颜色"),
    "quality": ("开线了，想换一个新的", "用了两天就坏了"),
    "damaged": ("收到时外包装破损，商品有压痕",),
    "wrong_item": ("发来的规格和我拍的不一样",),
    "not_as_described": ("实物颜色和详情页差别很大",),
}

# Companies that ask for 企业 invoices: name and the area code of their
# registration (the 3rd-8th characters of the unified social credit code).
COMPANIES = (
    ("杭州云栖网络科技有限公司", "330106"),
    ("上海浦江贸易有限公司", "310115"),
    ("深圳市南山区晨光电子商行", "440305"),
    ("北京朝阳启明文化传媒有限公司", "110105"),
    ("苏州市姑苏区小桥餐饮店", "320508"),
    ("成都锦城物业管理有限公司", "510107"),
    ("武汉光谷创新设计工作室", "420111"),
    ("广州天河华景装饰工程有限公司", "440106"),
)
MAILBOX_NAMES = ("sunny", "lucky", "xiaoyu", "momo", "tiantian", "ljy", "chenchen", "amy", "leo")
MAIL_DOMAINS = ("163.com", "126.com", "foxmail.com", "sina.com")


class AfterSalesSeeder:
    def __init__(
        self, rng: random.Random, now: datetime, policy: StorePolicy, taken_ids: set[str]
    ) -> None:
        self._rng = rng
        self._now = now
        self._policy = policy
        self._ids = taken_ids

    def add(self, orders: list[Order]) -> None:
        """Order matters: price-protection refunds change what invoices cover."""
        self._price_drops(orders)
        self._exchanges(orders)
        self._invoices(orders)

    # -- price protection --------------------------------------------------

    def _price_drops(self, orders: list[Order]) -> None:
        """Cuts the price of a few SKUs bought in the last days, below what was
        paid, so those orders can claim 价保; a couple already have."""
        window = timedelta(days=self._policy.price_protection_days)
        candidates = [
            o for o in orders
            if o.status in _PRICE_PROTECTABLE and not o.refunds
            and self._now - o.paid_at < window - timedelta(hours=12)
            and _paid_unit(o, o.items[0]) >= 300
        ]
        chosen = self._rng.sample(candidates, min(PRICE_DROPS, len(candidates)))
        for order in chosen:
            item = order.items[0]
            sku = _sku(item)
            cut = _paid_unit(order, item) * self._rng.uniform(0.75, 0.9)
            sku.price_cents = min(sku.price_cents, int(cut) // 100 * 100 - 10)
        for order in chosen[:PRICE_PROTECTION_CLAIMED]:
            filed = self._between(max(order.paid_at, self._now - timedelta(days=2)),
                                  self._now - timedelta(hours=1))
            decision = rules.check_price_protection(snapshot_of(order), self._policy, filed)
            refund = Refund(
                id=self._unique_id("RF", 16),
                order_no=order.order_no,
                shopper_id=order.shopper_id,
                kind=RefundKind.REFUND_ONLY.value,
                reason=PRICE_PROTECTION_REASON,
                amount_cents=decision.amount_cents,
                status=RefundStatus.REFUNDED.value,
                fast_refund=True,
                created_at=filed,
                updated_at=filed,
                resolved_at=filed,
            )
            order.refunds.append(refund)

    # -- exchanges ---------------------------------------------------------

    def _exchanges(self, orders: list[Order]) -> None:
        rng, now = self._rng, self._now
        recent = [
            o for o in orders
            if o.status == OrderStatus.DELIVERED.value and not o.refunds
            and now - o.delivered_at > timedelta(days=1) and _exchangeable_item(o)
        ]
        # Confirmed a while after delivery, so the exchange fits in between.
        completed = [
            o for o in orders
            if o.status == OrderStatus.COMPLETED.value and not o.refunds
            and o.completed_at - o.delivered_at > timedelta(days=2) and _exchangeable_item(o)
        ]
        rng.shuffle(recent)
        rng.shuffle(completed)
        for order in self._take(recent, OPEN_REQUESTED):
            self._open_exchange(order, awaiting_return=False)
        for order in self._take(recent, OPEN_AWAITING_RETURN):
            self._open_exchange(order, awaiting_return=True)
        for order in self._take(recent, SHIPPED_REPLACEMENT):
            self._closed_exchange(order, ExchangeStatus.SHIPPED_REPLACEMENT)
        for order in self._take(completed, COMPLETED_EXCHANGES):
            self._closed_exchange(order, ExchangeStatus.COMPLETED)
        for order in self._take(completed, REJECTED_EXCHANGES):
            self._closed_exchange(order, ExchangeStatus.REJECTED)

    def _open_exchange(self, order: Order, awaiting_return: bool) -> None:
        """Waiting on the merchant, or on the shopper's parcel back; 售后中."""
        filed_from = order.delivered_at + timedelta(hours=1)
        exchange = self._exchange(order, filed_from, in_stock=True)
        if awaiting_return:
            exchange.status = ExchangeStatus.AWAITING_RETURN.value
            exchange.merchant_note = EXCHANGE_NOTES["approved"]
            exchange.updated_at = self._between(exchange.created_at, self._now)
        order.status_before_after_sale = order.status
        order.status = OrderStatus.AFTER_SALE.value

    def _closed_exchange(self, order: Order, status: ExchangeStatus) -> None:
        """History: the replacement went out (and arrived), or the merchant said no.

        Settled before the order completed, so the order's own story (delivered,
        then confirmed) holds.
        """
        rng = self._rng
        settled_by = order.completed_at or self._now - timedelta(hours=1)
        filed_from = order.delivered_at + timedelta(hours=1)
        exchange = self._exchange(order, filed_from, latest=settled_by - timedelta(hours=12))
        resolved = self._between(exchange.created_at + timedelta(hours=4), settled_by)
        exchange.resolved_at = exchange.updated_at = resolved
        if status is ExchangeStatus.REJECTED:
            exchange.merchant_note = rng.choice(EXCHANGE_NOTES["rejected"])
        else:
            exchange.merchant_note = EXCHANGE_NOTES["shipped"]
        if status is ExchangeStatus.COMPLETED:
            exchange.updated_at = self._between(resolved, settled_by)
        exchange.status = status.value

    def _exchange(
        self,
        order: Order,
        earliest: datetime,
        *,
        latest: Optional[datetime] = None,
        in_stock: bool = False,
    ) -> Exchange:
        """A request filed between ``earliest`` and ``latest`` (at most now),
        inside the window of the reason it gives."""
        rng = self._rng
        item = _exchangeable_item(order)
        others = [s for s in item.product.skus if s.id != item.sku_id]
        stocked = [s for s in others if s.stock >= item.quantity]
        # Open requests ask for something the merchant can still send.
        wanted = rng.choice(stocked if in_stock else others)
        latest = min(latest or self._now, self._now - timedelta(minutes=10))
        no_reason_until = order.delivered_at + timedelta(days=self._policy.no_reason_return_days)
        quality_until = order.delivered_at + timedelta(days=self._policy.quality_return_days)
        if item.product.no_reason_return and earliest < no_reason_until and rng.random() < 0.6:
            reason, until = "wrong_size", no_reason_until
        else:
            reason, until = rng.choice(QUALITY_REASONS), quality_until
        filed = self._between(earliest, min(latest, until - timedelta(hours=1)))
        exchange = Exchange(
            id=self._unique_id("EX", 16),
            order_no=order.order_no,
            shopper_id=order.shopper_id,
            from_sku_id=item.sku_id,
            from_spec=item.spec,
            wanted_sku_id=wanted.id,
            wanted_spec=wanted.spec,
            quantity=item.quantity,
            reason=reason,
            status=ExchangeStatus.REQUESTED.value,
            description=rng.choice(EXCHANGE_DESCRIPTIONS[reason]) if rng.random() < 0.7 else None,
            created_at=filed,
            updated_at=filed,
        )
        exchange.item = item
        order.exchanges.append(exchange)
        return exchange

    # -- invoices ----------------------------------------------------------

    def _invoices(self, orders: list[Order]) -> None:
        rng = self._rng
        eligible = [o for o in orders if _invoiceable(o)]
        chosen = [o for o in eligible if rng.random() < INVOICE_SHARE]
        reissued = rng.sample(chosen, min(REISSUED_ONCE + REISSUED_TO_THE_LIMIT, len(chosen)))
        for order in chosen:
            times = 1
            if order in reissued:
                extra = 1 if reissued.index(order) < REISSUED_ONCE else 2
                times += min(extra, self._policy.invoice_reissue_limit)
            self._invoice_history(order, times)

    def _invoice_history(self, order: Order, times: int) -> None:
        """``times`` requests, each replacing the one before (换开)."""
        rng, now = self._rng, self._now
        # After every refund settled, so each invoice covers what was kept.
        settled = [r.resolved_at for r in order.refunds if r.resolved_at]
        start = max([order.paid_at, *settled]) + timedelta(minutes=5)
        moments = sorted(self._between(start, now - timedelta(minutes=5)) for _ in range(times))
        company = rng.random() < 0.3
        title = self._title(order, company)
        previous: Optional[Invoice] = None
        for index, created in enumerate(moments):
            if index and rng.random() < 0.5:
                # The usual reason to 换开: a personal invoice wanted in the company's name.
                company, title = True, self._title(order, True)
            invoice = self._invoice(order, company, title, created, moments[index + 1:])
            if previous is not None:
                previous.status = InvoiceStatus.VOIDED.value
                previous.voided_at = created
                invoice.replaces_id = previous.id
            order.invoices.append(invoice)
            previous = invoice

    def _invoice(
        self,
        order: Order,
        company: bool,
        title: tuple[str, Optional[str]],
        created: datetime,
        later: list[datetime],
    ) -> Invoice:
        rng = self._rng
        name, tax_id = title
        if company:
            kind = rng.choices(list(InvoiceKind), weights=(5, 2, 3))[0]
        else:
            kind = rng.choices(list(InvoiceKind)[:2], weights=(8, 2))[0]
        email = None
        if kind.electronic or rng.random() < 0.3:
            email = self._email(company)
        invoice = Invoice(
            id=self._unique_id("INV", 16),
            order_no=order.order_no,
            shopper_id=order.shopper_id,
            kind=kind.value,
            title_type=(InvoiceTitleType.COMPANY if company else InvoiceTitleType.PERSONAL).value,
            title=name,
            tax_id=tax_id,
            email=email,
            amount_cents=order.paid_cents - refunded_cents(order),
            created_at=created,
        )
        if kind.electronic:
            invoice.status = InvoiceStatus.ISSUED.value
            invoice.issued_at = created
            return invoice
        due = created + timedelta(days=self._policy.invoice_issue_days)
        invoice.expected_issue_by = due
        # Issued some time before the deadline, if that moment has come (and
        # before any replacement was asked for).
        issued = self._between(created + timedelta(hours=2), due)
        if issued < min([self._now, *later]):
            invoice.status = InvoiceStatus.ISSUED.value
            invoice.issued_at = issued
        else:
            invoice.status = InvoiceStatus.REQUESTED.value
        return invoice

    def _title(self, order: Order, company: bool) -> tuple[str, Optional[str]]:
        rng = self._rng
        if not company:
            return (order.receiver_name if rng.random() < 0.7 else "个人"), None
        name, area = rng.choice(COMPANIES)
        if rng.random() < 0.1:
            # A taxpayer id from before the unified code: area code plus 9 digits.
            return name, area + "".join(rng.choice("0123456789") for _ in range(9))
        return name, self._uscc(area)

    def _uscc(self, area: str) -> str:
        """统一社会信用代码: 9 (工商), 1 (企业), area code, 9-character
        organisation code (newer ones start with MA), check character."""
        rng = self._rng
        body = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(7))
        if rng.random() < 0.4:
            body = "".join(rng.choice("0123456789") for _ in range(9))
        first17 = "91" + area + body
        return first17 + uscc_check_character(first17)

    def _email(self, company: bool) -> str:
        rng = self._rng
        if company:
            return f"caiwu{rng.randint(1, 99):02d}@{rng.choice(('qiye.163.com', 'aliyun.com'))}"
        if rng.random() < 0.5:
            return f"{rng.randint(10**7, 3 * 10**9)}@qq.com"
        return f"{rng.choice(MAILBOX_NAMES)}{rng.randint(1, 9999)}@{rng.choice(MAIL_DOMAINS)}"

    # -- helpers -----------------------------------------------------------

    @staticmethod
    def _take(pool: list[Order], count: int) -> Iterable[Order]:
        taken, pool[:] = pool[:count], pool[count:]
        return taken

    def _unique_id(self, prefix: str, digits: int) -> str:
        while True:
            candidate = f"{prefix}{self._rng.randrange(10**digits):0{digits}d}"
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    def _between(self, start: datetime, end: datetime) -> datetime:
        if end <= start:
            return start
        return start + (end - start) * self._rng.random()


_PRICE_PROTECTABLE = {
    OrderStatus.AWAITING_SHIPMENT.value,
    OrderStatus.SHIPPED.value,
    OrderStatus.OUT_FOR_DELIVERY.value,
    OrderStatus.DELIVERED.value,
}


def _sku(item: OrderItem) -> Sku:
    return next(s for s in item.product.skus if s.id == item.sku_id)


def _paid_unit(order: Order, item: OrderItem) -> int:
    """As ``rules`` counts it: the item price less its share of the discount."""
    return item.unit_price_cents * order.paid_cents // order.total_cents


def _exchangeable_item(order: Order) -> Optional[OrderItem]:
    """The first line whose product has another SKU in stock for the whole line."""
    return next(
        (
            i for i in order.items
            if any(s.id != i.sku_id and s.stock >= i.quantity for s in i.product.skus)
        ),
        None,
    )


def _invoiceable(order: Order) -> bool:
    if order.paid_at is None or order.status in (
        OrderStatus.CANCELLED.value,
        OrderStatus.REFUNDED.value,
    ):
        return False
    # A refund under review would change what the invoice covers.
    if any(r.status in (RefundStatus.REQUESTED.value, RefundStatus.AWAITING_RETURN.value)
           for r in order.refunds):
        return False
    return order.paid_cents - refunded_cents(order) > 0
