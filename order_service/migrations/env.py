"""Alembic environment, driven from code by ``order_service.db.migrate``.

There is no alembic.ini: the caller hands over an open connection through
``config.attributes`` so the URL (which may carry ``%``-escapes that
configparser would mangle) never goes through a config file.
"""

from alembic import context

from order_service.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m order_service migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
