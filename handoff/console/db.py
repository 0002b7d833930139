"""Engine, sessions and the console's own schema migrations.

The console may share a database with the order service (one PostgreSQL per
merchant), so its tables carry a ``console_`` prefix and its alembic history lives
in ``console_alembic_version``: the two migration histories never see each other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "console_alembic_version"


def engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # Handlers run their database work in worker threads.
    engine = create_engine(url, future=True, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Foreign keys are off in SQLite unless asked; the busy timeout lets the CLI
    # add a user while the server runs.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker:
    # Objects stay readable after commit so handlers can serialise them.
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


def migrate(url: str, revision: str = "head") -> None:
    """Brings the console tables to ``revision``; a no-op when already there."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = engine_for(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()
