"""Client message ids (a resent message is kept once) and the pictures shoppers send.

Revision ID: c0004
Revises: c0003
Create Date: 2026-12-04

The unique index on (conversation_id, client_id) is what makes a resend harmless
even when two replicas receive it at once: the second insert fails. Rows without
a client id (bot, agent and system messages) never collide, NULLs being distinct.
"""

import sqlalchemy as sa
from alembic import op

revision = "c0004"
down_revision = "c0003"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("chat_messages", sa.Column("client_id", sa.String(64)))
    op.create_index("ux_chat_messages_client", "chat_messages", ["conversation_id", "client_id"],
                    unique=True)
    op.create_table(
        "chat_uploads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token", sa.String(32), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(160), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')",
                           name="ck_chat_uploads_content_type"),
    )


def downgrade() -> None:
    op.drop_table("chat_uploads")
    op.drop_index("ux_chat_messages_client", "chat_messages")
    with op.batch_alter_table("chat_messages") as batch:
        batch.drop_column("client_id")
