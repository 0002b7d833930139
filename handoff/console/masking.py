"""Masks mainland mobile numbers (138****1234) in everything sent to the browser.

Agents need to recognise a number the shopper mentions ("the one ending 1234"), not
to copy it out of the console; masking at the API keeps full numbers out of
browser caches, screenshots and screen shares.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping

PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    return PHONE.sub(r"\1****\2", text)


def mask(value: Any) -> Any:
    """Masks every string inside lists and dicts (keys stay as they are)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(item) for item in value]
    return value


def mask_address(address: Mapping[str, Any]) -> Dict[str, Any]:
    """A shipping address as the console's audit keeps it: the region as given, the
    receiver's name and the street detail cut to their first characters, the phone
    masked. Enough to tell which change was made; the full values stay in the
    merchant's own order records."""
    masked = mask(dict(address))
    for key, keep in (("receiver_name", 1), ("detail", 4)):
        value = masked.get(key)
        if isinstance(value, str) and value:
            masked[key] = value[:keep] + "***"
    return masked
