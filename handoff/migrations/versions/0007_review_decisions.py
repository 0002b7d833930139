"""The review inbox's decisions: what a trainer did with each shopper message they reviewed.

Revision ID: c0007
Revises: c0006
Create Date: 2026-12-07

One row per message (``message_id`` is unique): the inbox lists a message until it has
a row, and two trainers deciding the same message at once cannot both win. ``example``
is the text as written into the training data (PII masked), ``file`` its path relative
to the training directory; both are empty for a dismissal. The reviewer is kept by
login, like the console's audit, so the record survives the account.
"""

import sqlalchemy as sa
from alembic import op

revision = "c0007"
down_revision = "c0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(64)),
        sa.Column("example", sa.Text),
        sa.Column("file", sa.String(255)),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("decision IN ('labelled', 'dismissed')", name="ck_review_decisions_decision"),
    )
    op.create_index("ux_review_decisions_message", "review_decisions", ["message_id"], unique=True)


def downgrade() -> None:
    op.drop_table("review_decisions")
