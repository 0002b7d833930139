"""Loads ``store_policy.yml`` into a typed, immutable policy.

The file is shared with the bot's FAQ answers; loading it strictly (unknown or
missing keys are errors) keeps a typo from silently reverting a number to some
default that the bot and the service would then disagree on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from order_service.states import ReasonKind

# The reason the price-protection endpoint files its refunds under; the
# policy must define it, so that its label is the store's own wording.
PRICE_PROTECTION_REASON = "price_protection"


@dataclass(frozen=True)
class RefundReason:
    code: str
    label: str
    quality: bool
    kinds: frozenset[ReasonKind]

    def fits(self, kind: Enum) -> bool:
        """Whether the reason may be given for a request of ``kind`` (a
        ``RefundKind`` or a ``ReasonKind``)."""
        return ReasonKind(kind.value) in self.kinds


@dataclass(frozen=True)
class StorePolicy:
    no_reason_return_days: int
    quality_return_days: int
    auto_complete_days_after_delivery: int
    ship_within_hours: int
    fast_refund_max_cents: int
    refund_review_hours: int
    price_protection_days: int
    invoice_issue_days: int
    invoice_reissue_limit: int
    refund_arrival_days: Mapping[str, int]
    refund_reasons: tuple[RefundReason, ...]

    def reason(self, code: str) -> Optional[RefundReason]:
        return next((r for r in self.refund_reasons if r.code == code), None)

    def reasons_for(self, kind: Enum) -> tuple[RefundReason, ...]:
        return tuple(r for r in self.refund_reasons if r.fits(kind))

    def to_json(self) -> dict[str, Any]:
        return {
            "no_reason_return_days": self.no_reason_return_days,
            "quality_return_days": self.quality_return_days,
            "auto_complete_days_after_delivery": self.auto_complete_days_after_delivery,
            "ship_within_hours": self.ship_within_hours,
            "fast_refund_max_cents": self.fast_refund_max_cents,
            "refund_review_hours": self.refund_review_hours,
            "price_protection_days": self.price_protection_days,
            "invoice_issue_days": self.invoice_issue_days,
            "invoice_reissue_limit": self.invoice_reissue_limit,
            "refund_arrival_days": dict(self.refund_arrival_days),
            "refund_reasons": [
                {
                    "code": r.code,
                    "label": r.label,
                    "quality": r.quality,
                    "kinds": sorted(k.value for k in r.kinds),
                }
                for r in self.refund_reasons
            ],
        }


_NUMBERS = (
    "no_reason_return_days",
    "quality_return_days",
    "auto_complete_days_after_delivery",
    "ship_within_hours",
    "fast_refund_max_cents",
    "refund_review_hours",
    "price_protection_days",
    "invoice_issue_days",
    "invoice_reissue_limit",
)


def load_policy(path: Path) -> StorePolicy:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    expected = set(_NUMBERS) | {"refund_arrival_days", "refund_reasons"}
    if set(raw) != expected:
        raise ValueError(
            f"{path}: missing {sorted(expected - set(raw))}, "
            f"unknown {sorted(set(raw) - expected)}"
        )
    numbers = {key: _non_negative_int(path, key, raw[key]) for key in _NUMBERS}
    arrival = raw["refund_arrival_days"]
    if not isinstance(arrival, dict) or not arrival:
        raise ValueError(f"{path}: refund_arrival_days must be a non-empty mapping")
    reasons = tuple(_reason(path, entry) for entry in raw["refund_reasons"] or ())
    codes = [r.code for r in reasons]
    if not reasons or len(set(codes)) != len(codes):
        raise ValueError(f"{path}: refund_reasons must be non-empty with unique codes")
    if PRICE_PROTECTION_REASON not in codes:
        raise ValueError(f"{path}: refund_reasons must define {PRICE_PROTECTION_REASON!r}")
    return StorePolicy(
        **numbers,
        refund_arrival_days={
            str(k): _non_negative_int(path, f"refund_arrival_days.{k}", v)
            for k, v in arrival.items()
        },
        refund_reasons=reasons,
    )


def _non_negative_int(path: Path, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{path}: {key} must be a non-negative integer, got {value!r}")
    return value


def _reason(path: Path, entry: Any) -> RefundReason:
    if not isinstance(entry, dict) or set(entry) != {"code", "label", "quality", "kinds"}:
        raise ValueError(f"{path}: each refund reason needs code, label, quality, kinds")
    try:
        kinds = frozenset(ReasonKind(k) for k in entry["kinds"])
    except (TypeError, ValueError):
        raise ValueError(f"{path}: bad kinds for reason {entry['code']!r}") from None
    if not kinds or not isinstance(entry["quality"], bool):
        raise ValueError(f"{path}: reason {entry['code']!r} needs kinds and a boolean quality")
    return RefundReason(
        code=str(entry["code"]), label=str(entry["label"]), quality=entry["quality"], kinds=kinds
    )
