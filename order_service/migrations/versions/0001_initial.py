"""Initial schema: shoppers, catalogue, orders, logistics, coupons, refunds, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "shoppers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("nickname", sa.String(40), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("vip_level", sa.SmallInteger, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("vip_level BETWEEN 0 AND 3", name="ck_shoppers_vip_level"),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("price_cents", sa.Integer, nullable=False),
        sa.Column("no_reason_return", sa.Boolean, nullable=False),
    )
    op.create_table(
        "skus",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("product_id", sa.String(32), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("spec", sa.String(120), nullable=False),
        sa.Column("price_cents", sa.Integer, nullable=False),
        sa.Column("stock", sa.Integer, nullable=False),
    )
    op.create_index("ix_skus_product_id", "skus", ["product_id"])
    op.create_table(
        "orders",
        sa.Column("order_no", sa.String(32), primary_key=True),
        sa.Column("shopper_id", sa.String(32), sa.ForeignKey("shoppers.id"), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("status_before_after_sale", sa.String(24)),
        sa.Column("total_cents", sa.Integer, nullable=False),
        sa.Column("discount_cents", sa.Integer, nullable=False),
        sa.Column("paid_cents", sa.Integer, nullable=False),
        sa.Column("coupon_id", sa.String(32)),
        sa.Column("payment_method", sa.String(16)),
        sa.Column("group_buy_id", sa.String(32)),
        sa.Column("receiver_name", sa.String(40), nullable=False),
        sa.Column("receiver_phone", sa.String(20), nullable=False),
        sa.Column("province", sa.String(20), nullable=False),
        sa.Column("city", sa.String(20), nullable=False),
        sa.Column("district", sa.String(20), nullable=False),
        sa.Column("address_detail", sa.String(200), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("paid_at", UTC),
        sa.Column("shipped_at", UTC),
        sa.Column("delivered_at", UTC),
        sa.Column("completed_at", UTC),
        sa.Column("cancelled_at", UTC),
        sa.Column("cancel_reason", sa.String(200)),
    )
    op.create_index("ix_orders_shopper_id", "orders", ["shopper_id"])
    op.create_index("ix_orders_shopper_created", "orders", ["shopper_id", "created_at"])
    op.create_table(
        "order_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("order_no", sa.String(32), sa.ForeignKey("orders.order_no"), nullable=False),
        sa.Column("sku_id", sa.String(32), sa.ForeignKey("skus.id"), nullable=False),
        sa.Column("product_id", sa.String(32), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("spec", sa.String(120), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price_cents", sa.Integer, nullable=False),
    )
    op.create_index("ix_order_items_order_no", "order_items", ["order_no"])
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "order_no", sa.String(32), sa.ForeignKey("orders.order_no"), nullable=False, unique=True
        ),
        sa.Column("carrier_code", sa.String(16), nullable=False),
        sa.Column("carrier_name", sa.String(20), nullable=False),
        sa.Column("tracking_no", sa.String(32), nullable=False),
        sa.Column("shipped_at", UTC, nullable=False),
    )
    op.create_table(
        "tracking_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("shipment_id", sa.Integer, sa.ForeignKey("shipments.id"), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("location", sa.String(40), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
    )
    op.create_index("ix_tracking_events_shipment_id", "tracking_events", ["shipment_id"])
    op.create_table(
        "coupons",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("shopper_id", sa.String(32), sa.ForeignKey("shoppers.id"), nullable=False),
        sa.Column("title", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("threshold_cents", sa.Integer, nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("valid_from", UTC, nullable=False),
        sa.Column("valid_to", UTC, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("used_order_no", sa.String(32), sa.ForeignKey("orders.order_no")),
    )
    op.create_index("ix_coupons_shopper_id", "coupons", ["shopper_id"])
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("order_no", sa.String(32), sa.ForeignKey("orders.order_no"), nullable=False),
        sa.Column("shopper_id", sa.String(32), sa.ForeignKey("shoppers.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("fast_refund", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("resolved_at", UTC),
        sa.Column("merchant_note", sa.Text),
    )
    op.create_index("ix_refunds_order_no", "refunds", ["order_no"])
    op.create_index("ix_refunds_shopper_id", "refunds", ["shopper_id"])
    op.create_table(
        "order_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("order_no", sa.String(32), sa.ForeignKey("orders.order_no"), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
        sa.Column("at", UTC, nullable=False),
    )
    op.create_index("ix_order_audit_order_no", "order_audit", ["order_no"])


def downgrade() -> None:
    for table in (
        "order_audit",
        "refunds",
        "coupons",
        "tracking_events",
        "shipments",
        "order_items",
        "orders",
        "skus",
        "products",
        "shoppers",
    ):
        op.drop_table(table)
