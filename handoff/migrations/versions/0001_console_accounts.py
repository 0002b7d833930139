"""Console accounts and private ticket notes.

Revision ID: c0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "c0001"
down_revision = None
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(40), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("groups", sa.String(200), nullable=False),
        sa.Column("max_chats", sa.SmallInteger, nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("disabled_at", UTC),
        sa.CheckConstraint("role IN ('agent', 'supervisor')", name="ck_console_users_role"),
        sa.CheckConstraint("max_chats BETWEEN 1 AND 50", name="ck_console_users_max_chats"),
    )
    op.create_table(
        "console_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("console_users.id"), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_console_notes_ticket_id", "console_notes", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_console_notes_ticket_id", "console_notes")
    op.drop_table("console_notes")
    op.drop_table("console_users")
