"""The console's tables: who may log in, and the private notes they leave on tickets.

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

ROLES = ("agent", "supervisor")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class User(Base):
    __tablename__ = "console_users"
    __table_args__ = (CheckConstraint("role IN ('agent', 'supervisor')", name="ck_console_users_role"),
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
    def active(self) -> bool:
        return self.disabled_at is None


class Note(Base):
    __tablename__ = "console_notes"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(String(32), nullable=False, index=True)
    author_id = Column(Integer, ForeignKey("console_users.id"), nullable=False)
    body = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
