"""The cached store policy: read once a minute, stale rather than nothing on an outage."""

import pytest

from actions import policy
from actions.order_api import OrderApiError


class FlakyApi:
    def __init__(self):
        self.calls = 0
        self.down = False

    def get_policy(self):
        self.calls += 1
        if self.down:
            raise OrderApiError("order API unreachable")
        return {"refund_reasons": [{"code": "quality", "label": "质量问题"}], "version": self.calls}


@pytest.fixture
def api(monkeypatch):
    fake = FlakyApi()
    monkeypatch.setattr(policy, "order_api", lambda: fake)
    monkeypatch.setattr(policy, "_cache", {"at": 0.0, "policy": None})
    return fake


async def test_the_policy_is_read_once_per_minute(api, monkeypatch):
    assert (await policy.store_policy())["version"] == 1
    assert (await policy.store_policy())["version"] == 1
    assert api.calls == 1
    monkeypatch.setattr(policy, "CACHE_SECONDS", 0)
    assert (await policy.store_policy())["version"] == 2


async def test_an_outage_falls_back_to_the_last_policy(api, monkeypatch):
    await policy.store_policy()
    monkeypatch.setattr(policy, "CACHE_SECONDS", 0)
    api.down = True
    assert [r["code"] for r in await policy.refund_reasons()] == ["quality"]


async def test_an_outage_before_any_read_is_an_error(api):
    api.down = True
    with pytest.raises(OrderApiError):
        await policy.store_policy()
