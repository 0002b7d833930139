"""Every chat message and the shoppers' ratings of human service.

Revision ID: c0002
Revises: c0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "c0002"
down_revision = "c0001"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(160), nullable=False),
        sa.Column("shopper_id", sa.String(64)),
        sa.Column("ticket_id", sa.String(32)),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("sender_id", sa.String(64)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("payload", sa.Text),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("sender IN ('shopper', 'bot', 'agent', 'system')", name="ck_chat_messages_sender"),
    )
    op.create_index("ix_chat_messages_conversation", "chat_messages", ["conversation_id", "id"])
    op.create_index("ix_chat_messages_shopper", "chat_messages", ["shopper_id", "id"])
    op.create_index("ix_chat_messages_ticket_id", "chat_messages", ["ticket_id"])
    op.create_table(
        "chat_ratings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.String(32), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(160), nullable=False),
        sa.Column("agent_id", sa.String(64)),
        sa.Column("score", sa.SmallInteger, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_chat_ratings_score"),
    )


def downgrade() -> None:
    op.drop_table("chat_ratings")
    op.drop_index("ix_chat_messages_ticket_id", "chat_messages")
    op.drop_index("ix_chat_messages_shopper", "chat_messages")
    op.drop_index("ix_chat_messages_conversation", "chat_messages")
    op.drop_table("chat_messages")
