"""Masking of personal data for logs and for display.

Logs end up in places with wider access than the order database, so they only
ever carry phone numbers in the 138****1234 form shoppers know from parcels.
"""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_tax_id(tax_id: str) -> str:
    """Enough of a taxpayer id to recognise it: ``9144****136T``."""
    if len(tax_id) < 10:
        return "*" * len(tax_id)
    return f"{tax_id[:4]}{'*' * (len(tax_id) - 8)}{tax_id[-4:]}"


def mask_email(email: str) -> str:
    """``zh****@qq.com``: the start of the mailbox name and the whole domain."""
    local, _, domain = email.rpartition("@")
    if not local:
        return "*" * len(email)
    return f"{local[:2] if len(local) > 2 else local[:1]}****@{domain}"
