"""The service event record: one row per step of every conversation, for the figures.

Revision ID: c0005
Revises: c0004
Create Date: 2026-12-05

Supervisor figures are computed from these rows alone (``handoff.metrics``). ``at`` is
epoch seconds; ``hour`` is the local hour number (epoch hours in the store's time zone),
written once so that grouping by hour or day is plain integer arithmetic in SQLite and
PostgreSQL alike. The indexes follow the dashboard's queries: by kind over a period,
per conversation, per ticket.
"""

import sqlalchemy as sa
from alembic import op

revision = "c0005"
down_revision = "c0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "service_events",
        sa.Column("id", ID, primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("hour", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("conversation_id", sa.String(160), nullable=False),
        sa.Column("ticket_id", sa.String(32)),
        sa.Column("sender", sa.String(16)),
        sa.Column("message_id", sa.Integer),
        sa.Column("intent", sa.String(64)),
        sa.Column("confidence", sa.Float),
        sa.Column("reason", sa.String(48)),
        sa.Column("group_name", sa.String(32)),
        sa.Column("agent_id", sa.String(64)),
        sa.Column("value", sa.Float),
        sa.Column("detail", sa.Text),
        sa.Column("source", sa.String(40)),
    )
    # Covers the message panels (volume, containment), so they read the index alone.
    op.create_index("ix_service_events_kind_at", "service_events",
                    ["kind", "at", "sender", "hour", "conversation_id"])
    op.create_index("ix_service_events_conversation", "service_events", ["conversation_id", "at"])
    op.create_index("ix_service_events_ticket", "service_events", ["ticket_id", "at"])
    op.create_index("ix_service_events_message", "service_events", ["message_id"])
    # Queue events are drained from a Redis stream at least once; the entry id keeps them once.
    op.create_index("ux_service_events_source", "service_events", ["source"], unique=True)


def downgrade() -> None:
    op.drop_table("service_events")
