"""Runs blocking database work off the event loop, one transaction per call.

SQLAlchemy 1.4's ORM is synchronous; running it in a worker thread keeps one
slow query from stalling every other request on the single-worker server.
"""

from __future__ import annotations

import asyncio
from typing import Callable, TypeVar

from sanic.request import Request
from sqlalchemy.orm import Session

T = TypeVar("T")


async def run_db(request: Request, work: Callable[[Session], T]) -> T:
    """Runs ``work`` in a transaction that commits on return and rolls back on error.

    ``work`` should also build the response body, while the rows are attached
    to a live session.
    """
    sessions = request.app.ctx.sessions

    def in_transaction() -> T:
        with sessions.begin() as session:
            return work(session)

    return await asyncio.to_thread(in_transaction)
