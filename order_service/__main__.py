"""Command line: ``python -m order_service {migrate,seed,serve}``."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence

from order_service.app import create_app
from order_service.db import engine_for, migrate
from order_service.policy import load_policy
from order_service.seed import seed
from order_service.settings import Settings


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m order_service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database schema up to date")
    seed_cmd = commands.add_parser("seed", help="load demo data into an empty database")
    seed_cmd.add_argument("--force", action="store_true", help="wipe existing data and reseed")
    serve_cmd = commands.add_parser("serve", help="migrate, then serve the HTTP API")
    serve_cmd.add_argument("--host", help="default: ORDER_SERVICE_HOST or 127.0.0.1")
    serve_cmd.add_argument("--port", type=int, help="default: ORDER_SERVICE_PORT or 8010")
    serve_cmd.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_env()
    if args.command == "migrate":
        migrate(settings.database_url)
        return 0
    if args.command == "seed":
        return _seed(settings, args.force)
    return _serve(settings, args.host, args.port, args.access_log)


def _seed(settings: Settings, force: bool) -> int:
    migrate(settings.database_url)
    engine = engine_for(settings.database_url)
    try:
        counts = seed(engine, load_policy(settings.policy_path), force=force)
    finally:
        engine.dispose()
    if counts is None:
        print("The database already has data; use --force to wipe and reseed.")
        return 0
    summary = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    print(f"Seeded {sum(counts.values())} orders: {summary}")
    return 0


def _serve(settings: Settings, host: Optional[str], port: Optional[int], access_log: bool) -> int:
    migrate(settings.database_url)
    app = create_app(settings)
    app.run(
        host=host or settings.host,
        port=port or settings.port,
        workers=1,
        access_log=access_log,
        motd=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
