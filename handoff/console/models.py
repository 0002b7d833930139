"""The console's tables: who may log in, their private notes on tickets, the quick
replies they paste, and the audit of what they changed in the order system.

Tickets themselves live in Redis (``handoff.store``) and expire a week after they
close; notes are kept in SQL because they are the merchant's record of what was
done for a shopper and must outlive the ticket.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Tuple

from sqlalchemy import (CheckConstraint, Column, DateTime, ForeignKey, Integer, SmallInteger,
                        String, Text)

from handoff.db import Base

# Agents serve chats; supervisors also see every group and the dashboard; trainers
# improve the bot (the review inbox) and serve no chats.
ROLES = ("agent", "supervisor", "trainer")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class User(Base):
    __tablename__ = "console_users"
    __table_args__ = (CheckConstraint("role IN ('agent', 'supervisor', 'trainer')", name="ck_console_users_role"),
                      CheckConstraint("max_chats BETWEEN 1 AND 50", name="ck_console_users_max_chats"))

    id = Column(Integer, primary_key=True)
    login = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(40), nullable=False)
    role = Column(String(16), nullable=False)
    # Comma-separated handoff group keys (presale,logistics,…): portable across
    # SQLite and PostgreSQL, and validated against handoff.tickets.GROUPS on write.
    groups_csv = Column("groups", String(200), nullable=False, default="")
    max_chats = Column(SmallInteger, nullable=False)
    password_hash = Column(String(200), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    disabled_at = Column(DateTime(timezone=True))

    @property
    def groups(self) -> Tuple[str, ...]:
        return tuple(g for g in (self.groups_csv or "").split(",") if g)

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def can_review(self) -> bool:
        """Trainers, and supervisors who stand in for them, work the review inbox."""
        return self.role in ("trainer", "supervisor")

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class Note(Base):
    __tablename__ = "console_notes"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(String(32), nullable=False, index=True)
    author_id = Column(Integer, ForeignKey("console_users.id"), nullable=False)
    body = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


# Quick-reply categories, in the order the console lists them.
QUICK_REPLY_CATEGORIES = {
    "greeting": "欢迎语",
    "product": "商品",
    "logistics": "物流",
    "after_sales": "售后",
    "promotion": "活动",
    "soothing": "安抚",
}


def _sql_list(keys) -> str:
    return ", ".join(f"'{key}'" for key in keys)


class QuickReply(Base):
    """A canned answer (话术) agents paste into the composer and edit before sending."""

    __tablename__ = "console_quick_replies"
    __table_args__ = (
        CheckConstraint(f"category IN ({_sql_list(QUICK_REPLY_CATEGORIES)})",
                        name="ck_console_quick_replies_category"),
    )

    id = Column(Integer, primary_key=True)
    category = Column(String(16), nullable=False)
    shortcut = Column(String(17), nullable=False, unique=True)
    title = Column(String(40), nullable=False)
    body = Column(Text, nullable=False)
    position = Column(Integer, nullable=False, default=0)
    updated_by = Column(String(64))          # a login; NULL for the seeded defaults
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


AUDIT_OUTCOMES = ("ok", "refused", "failed")


class AuditEntry(Base):
    """One attempt by an agent to change an order through the merchant's order API.

    Kept in SQL next to the notes for the same reason: it is the merchant's record of
    what was done for a shopper. Actors are stored by login, not by foreign key, so
    the record survives the account.
    """

    __tablename__ = "console_audit"
    __table_args__ = (CheckConstraint(f"outcome IN ({_sql_list(AUDIT_OUTCOMES)})",
                                      name="ck_console_audit_outcome"),)

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    actor = Column(String(64), nullable=False)
    ticket_id = Column(String(64), nullable=False, index=True)
    action = Column(String(32), nullable=False)
    order_no = Column(String(64))
    request = Column(Text, nullable=False)   # JSON, phone numbers and addresses masked
    outcome = Column(String(16), nullable=False)
    detail = Column(Text, nullable=False, default="")
