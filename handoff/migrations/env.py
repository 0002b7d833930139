"""Alembic environment, driven from code by ``handoff.db.migrate``.

No alembic.ini: the caller hands over an open connection through
``config.attributes`` (URLs with ``%``-escapes would be mangled by configparser),
and the history is kept in its own version table so it can share a database with
the order service's migrations.
"""

from alembic import context

import handoff.chatlog  # noqa: F401 - registers the chat tables
import handoff.console.models  # noqa: F401 - registers the console tables
import handoff.uploads  # noqa: F401 - registers the pictures table
from handoff.db import VERSION_TABLE, Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m handoff.console migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
