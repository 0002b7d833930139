"""The merchant's after-sales policy, as the order API states it, cached for a minute.

FAQ answers quote its numbers and the refund and exchange forms offer its reason
lists; both read it here, so a form turn costs no extra round trip, and a brief
order-API outage falls back to the last policy read (a stale policy beats none).
"""

from __future__ import annotations

import time
from typing import Any, Dict, List

from actions.order_api import OrderApiError
from actions.runtime import call, order_api

CACHE_SECONDS = 60
_cache: Dict[str, Any] = {"at": 0.0, "policy": None}


async def store_policy() -> Dict[str, Any]:
    """The policy; raises OrderApiError only when it could never be read."""
    if _cache["policy"] is None or time.monotonic() - _cache["at"] > CACHE_SECONDS:
        try:
            _cache["policy"] = await call(order_api().get_policy)
            _cache["at"] = time.monotonic()
        except OrderApiError:
            if _cache["policy"] is None:
                raise
    return _cache["policy"]


async def refund_reasons() -> List[Dict[str, Any]]:
    """The platform's reason list: code, label, whether it is a quality problem, kinds."""
    return list((await store_policy()).get("refund_reasons") or [])
