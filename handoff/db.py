"""The service record database: engine, sessions, the declarative base and migrations.

Console accounts, notes, quick replies and audit live here, and so does every chat
message (``handoff.chatlog``), which the Rasa process writes and the console reads.
It may share a database with the order service (one PostgreSQL per merchant), so
the tables carry ``console_`` / ``chat_`` prefixes and the alembic history lives
in ``console_alembic_version``: the two migration histories never see each other.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import declarative_base, sessionmaker

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "console_alembic_version"

Base = declarative_base()


def database_url(environ: Mapping[str, str] = os.environ) -> str:
    """One answer for every process: the console and the channels must share the log."""
    var_dir = Path(environ.get("XIAOER_VAR_DIR") or REPO_ROOT / "var")
    return (environ.get("CONSOLE_DATABASE_URL") or environ.get("DATABASE_URL")
            or f"sqlite:///{var_dir / 'console.db'}")


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


@contextmanager
def scratch_schema(url: str, prefix: str = "t") -> Iterator[str]:
    """A fresh schema in the PostgreSQL database at ``url``, dropped afterwards: yields a URL
    whose connections use it. For tests and benchmarks that must not touch real tables."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
