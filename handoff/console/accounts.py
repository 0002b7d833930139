"""Creating and finding console users (blocking: call from a worker thread)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.console.models import ROLES, User
from handoff.console.passwords import hash_password
from handoff.tickets import GROUPS

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class NewUser:
    login: str
    display_name: str
    role: str
    groups: Sequence[str]
    max_chats: int
    password: str

    def validate(self) -> None:
        if not LOGIN_PATTERN.match(self.login):
            raise ValueError("login: 2-64 of a-z 0-9 . _ -, starting with a letter or digit")
        if not 1 <= len(self.display_name.strip()) <= 40:
            raise ValueError("display name: 1-40 characters")
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        unknown = [g for g in self.groups if g not in GROUPS]
        if unknown:
            raise ValueError(f"unknown groups {unknown}; groups are {sorted(GROUPS)}")
        if self.role == "agent" and not self.groups:
            raise ValueError("an agent needs at least one group")
        if not 1 <= self.max_chats <= 50:
            raise ValueError("max chats must be between 1 and 50")


def add_user(session: Session, new: NewUser) -> User:
    new.validate()
    if find_user(session, new.login) is not None:
        raise ValueError(f"login {new.login!r} already exists")
    user = User(login=new.login, display_name=new.display_name.strip(), role=new.role,
                groups_csv=",".join(dict.fromkeys(new.groups)), max_chats=new.max_chats,
                password_hash=hash_password(new.password))
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, login: str) -> Optional[User]:
    return session.execute(select(User).where(User.login == login)).scalar_one_or_none()
