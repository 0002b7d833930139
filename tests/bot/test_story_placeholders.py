"""Order placeholders in scripted conversations resolve to real order numbers."""

import pytest

from bot.settings import get_settings
from bot.stories import Recorder, RecordingError


class FakeOrders:
    """Stands in for the order API session: newest first, as the API lists them."""

    def __init__(self, orders):
        self.orders = orders
        self.asked = []

    def get(self, url, params, timeout):
        shopper = url.split("/shoppers/")[1].split("/")[0]
        self.asked.append((shopper, params["status"], params["limit"]))
        found = [{"order_no": n} for s, st, n in self.orders if s == shopper and st == params["status"]]
        return type("Answer", (), {"json": lambda self: {"orders": found[: params["limit"]]}})()


@pytest.fixture
def recorder():
    recorder = Recorder(get_settings())
    recorder.orders = FakeOrders([
        ("u1", "shipped", "261121-308022556530349"),
        ("u1", "shipped", "261120-111111111111111"),
        ("u2", "shipped", "261119-222222222222222"),
    ])
    return recorder


@pytest.mark.parametrize("text, resolved", [
    ("{order:shipped} 到哪了", "261121-308022556530349 到哪了"),
    ("{order:shipped#2}", "261120-111111111111111"),
    ("{order:shipped@u2}", "261119-222222222222222"),
    ("订单{order:shipped:nodash}", "订单261121308022556530349"),
    ('/inform{"order_no":"{order:shipped}"}', '/inform{"order_no":"261121-308022556530349"}'),
    ("没有占位符", "没有占位符"),
])
def test_placeholders(recorder, text, resolved):
    assert recorder.resolve(text, "u1") == resolved


def test_a_missing_order_stops_the_recording(recorder):
    with pytest.raises(RecordingError, match="u1 has no delivered order #1"):
        recorder.resolve("{order:delivered}", "u1")
    with pytest.raises(RecordingError, match="#3"):
        recorder.resolve("{order:shipped#3}", "u1")
