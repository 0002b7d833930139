"""Command line: ``python -m handoff.console {migrate,add-user,first-admin,serve}``.

Passwords never come from argv (it is visible in ``ps`` and shell history): they
are read from the environment variable named by ``--password-env`` or prompted for.
``first-admin`` gives a fresh install its first supervisor with a random password
written to a file only the owner can read, so nobody ships with a known password.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import secrets
import sys
from pathlib import Path
from typing import Optional, Sequence

from handoff.console.accounts import NewUser, add_user
from handoff.console.models import ROLES, User
from handoff.db import engine_for, migrate, session_factory
from handoff.console.settings import ConsoleSettings
from handoff.tickets import GROUPS


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handoff.console", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the console tables up to date")
    add = commands.add_parser("add-user", help="create a console account")
    add.add_argument("login")
    add.add_argument("--name", required=True, help="display name shown to colleagues, e.g. 小美")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--groups", default="", help="comma-separated: presale,logistics,after_sales,complaints")
    add.add_argument("--max-chats", type=int, default=3)
    add.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
    first = commands.add_parser("first-admin", help="create supervisor 'admin' if there are no accounts yet")
    first.add_argument("--password-file", required=True, help="where to write the generated password")
    serve = commands.add_parser("serve", help="migrate, then serve the console API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--access-log", action="store_true")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = ConsoleSettings.from_env(require_secret=args.command == "serve")
    except ValueError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        migrate(settings.database_url)
        return 0
    if args.command == "add-user":
        return _add_user(settings, args)
    if args.command == "first-admin":
        return _first_admin(settings, Path(args.password_file))
    return _serve(settings, args.host, args.port, args.access_log)


def _add_user(settings: ConsoleSettings, args: argparse.Namespace) -> int:
    if args.password_env:
        password = os.environ.get(args.password_env, "")
        if not password:
            print(f"environment variable {args.password_env} is empty or unset", file=sys.stderr)
            return 2
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            print("passwords differ", file=sys.stderr)
            return 2
    new = NewUser(login=args.login.strip().lower(), display_name=args.name, role=args.role,
                  groups=[g.strip() for g in args.groups.split(",") if g.strip()],
                  max_chats=args.max_chats, password=password)
    migrate(settings.database_url)
    engine = engine_for(settings.database_url)
    try:
        with session_factory(engine).begin() as session:
            user = add_user(session, new)
            print(f"added {user.role} {user.login} ({user.display_name}), groups: {','.join(user.groups) or '-'}")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def _first_admin(settings: ConsoleSettings, password_file: Path) -> int:
    migrate(settings.database_url)
    engine = engine_for(settings.database_url)
    try:
        with session_factory(engine).begin() as session:
            if session.query(User.id).first() is not None:
                return 0
            password = secrets.token_urlsafe(12)
            add_user(session, NewUser("admin", "店长", "supervisor", list(GROUPS), 5, password))
    finally:
        engine.dispose()
    password_file.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(password + "\n")
    print(f"created supervisor 'admin'; its password is in {password_file}")
    return 0


def _serve(settings: ConsoleSettings, host: Optional[str], port: Optional[int], access_log: bool) -> int:
    from handoff.console.app import create_app

    migrate(settings.database_url)
    app = create_app(settings)
    app.run(host=host or settings.host, port=port or settings.port, workers=1,
            access_log=access_log, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
