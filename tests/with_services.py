"""Runs a command against real PostgreSQL and Redis, if this machine has them.

`make test` runs the suite twice: on the embedded defaults (SQLite, embedded Redis) and
then through this module on the services named by DATABASE_URL / REDIS_URL, or on the
local ones at their standard ports. A machine with neither skips the second pass and
says so.
"""

from __future__ import annotations

import os
import sys

import redis
import sqlalchemy as sa

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def reachable_database(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def reachable_redis(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=3).ping())
    except redis.RedisError:
        return False


def main(command: list[str]) -> int:
    database_url = os.environ.get("DATABASE_URL") or LOCAL_POSTGRES
    redis_url = os.environ.get("REDIS_URL") or LOCAL_REDIS
    env = dict(os.environ)
    if reachable_database(database_url):
        env["DATABASE_URL"] = database_url
    if reachable_redis(redis_url):
        env["REDIS_URL"] = redis_url
    if "DATABASE_URL" not in env and "REDIS_URL" not in env:
        print("no PostgreSQL or Redis reachable: the pass on real services is skipped")
        return 0
    print(f"running on DATABASE_URL={env.get('DATABASE_URL', '(SQLite)')} "
          f"REDIS_URL={env.get('REDIS_URL', '(embedded)')}", flush=True)
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
