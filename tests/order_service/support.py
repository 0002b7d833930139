"""Helpers shared by the order service tests."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

TOKEN = "test-order-api-token"


@contextmanager
def isolated_database(directory: Path) -> Iterator[str]:
    """A database URL nobody else uses, cleaned up on exit."""
    configured = os.environ.get("DATABASE_URL", "").strip()
    if not configured.startswith("postgresql"):
        yield f"sqlite:///{directory / 'orders.db'}"
        return
    schema = f"order_service_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(configured, future=True)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(configured).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class Api:
    """A thin requests wrapper that authenticates unless told otherwise."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def request(
        self, method: str, path: str, token: Optional[str] = TOKEN, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        url = self.base_url + path
        return self.http.request(method, url, headers=headers, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)


def error_code(response: requests.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]["code"]
