"""Settings come from the environment, with development defaults."""

from __future__ import annotations

import pytest

from order_service.privacy import mask_phone
from order_service.settings import DEV_API_TOKEN, REPO_ROOT, Settings


def test_defaults_point_at_a_local_sqlite_file():
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{REPO_ROOT / 'var' / 'orders.db'}"
    assert settings.api_token == DEV_API_TOKEN == "dev-order-api-token"
    assert (settings.host, settings.port) == ("127.0.0.1", 8010)
    assert settings.policy_path == REPO_ROOT / "store_policy.yml"


def test_environment_overrides():
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
            "ORDER_API_TOKEN": "s3cret",
            "ORDER_SERVICE_HOST": "0.0.0.0",
            "ORDER_SERVICE_PORT": "9000",
        }
    )
    assert settings.database_url.startswith("postgresql://")
    assert (settings.api_token, settings.host, settings.port) == ("s3cret", "0.0.0.0", 9000)


@pytest.mark.parametrize("port", ["http", "0", "70000"])
def test_a_bad_port_is_reported(port):
    with pytest.raises(ValueError, match="ORDER_SERVICE_PORT"):
        Settings.from_env({"ORDER_SERVICE_PORT": port})


def test_phone_numbers_are_masked_for_logs():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("123") == "***"
