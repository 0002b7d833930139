"""Exchanges (换货) and invoices (发票).

Only new tables: existing rows are untouched, so a database seeded or used
under 0001 upgrades in place. Price protection needs no schema of its own; its
refunds are ordinary refunds under the ``price_protection`` reason.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "exchanges",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("order_no", sa.String(32), sa.ForeignKey("orders.order_no"), nullable=False),
        sa.Column("shopper_id", sa.String(32), sa.ForeignKey("shoppers.id"), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("order_items.id"), nullable=False),
        sa.Column("from_sku_id", sa.String(32), sa.ForeignKey("skus.id"), nullable=False),
        sa.Column("from_spec", sa.String(120), nullable=False),
        sa.Column("wanted_sku_id", sa.String(32), sa.ForeignKey("skus.id"), nullable=False),
        sa.Column("wanted_spec", sa.String(120), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("merchant_note", sa.Text),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("resolved_at", UTC),
        sa.CheckConstraint("quantity > 0", name="ck_exchanges_quantity"),
    )
    op.create_index("ix_exchanges_order_no", "exchanges", ["order_no"])
    op.create_index("ix_exchanges_shopper_id", "exchanges", ["shopper_id"])
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("order_no", sa.String(32), sa.ForeignKey("orders.order_no"), nullable=False),
        sa.Column("shopper_id", sa.String(32), sa.ForeignKey("shoppers.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title_type", sa.String(12), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("tax_id", sa.String(20)),
        sa.Column("email", sa.String(254)),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("replaces_id", sa.String(32), sa.ForeignKey("invoices.id")),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("issued_at", UTC),
        sa.Column("expected_issue_by", UTC),
        sa.Column("voided_at", UTC),
        sa.CheckConstraint("amount_cents > 0", name="ck_invoices_amount"),
    )
    op.create_index("ix_invoices_order_no", "invoices", ["order_no"])
    op.create_index("ix_invoices_shopper_id", "invoices", ["shopper_id"])


def downgrade() -> None:
    op.drop_table("invoices")
    op.drop_table("exchanges")
