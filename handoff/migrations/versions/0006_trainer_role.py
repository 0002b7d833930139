"""The trainer role: people who improve the bot through the review inbox.

Revision ID: c0006
Revises: c0005
Create Date: 2026-12-06
"""

from alembic import op

revision = "c0006"
down_revision = "c0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_users") as batch:
        batch.drop_constraint("ck_console_users_role", type_="check")
        batch.create_check_constraint("ck_console_users_role", "role IN ('agent', 'supervisor', 'trainer')")


def downgrade() -> None:
    with op.batch_alter_table("console_users") as batch:
        batch.drop_constraint("ck_console_users_role", type_="check")
        batch.create_check_constraint("ck_console_users_role", "role IN ('agent', 'supervisor')")
