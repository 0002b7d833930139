"""Turns untrusted request input into typed values, or a 4xx error.

Whatever a client sends (broken JSON, arrays, numbers where text belongs,
control characters, lone surrogates) must end as a structured 400/422, never
as a 500 deep inside the database driver. Text is stripped of surrounding
whitespace; text containing control characters is rejected rather than
silently cleaned, so what is stored is exactly what the client meant.
"""

from __future__ import annotations

import json
import unicodedata
from enum import Enum
from typing import Any, Iterable, Mapping, Optional, Type, TypeVar

from sanic.request import Request

from order_service.errors import ErrorCode, ServiceError

E = TypeVar("E", bound=Enum)

# Newlines and tabs are fine in free text such as a refund description.
_MULTILINE_ALLOWED = frozenset("\n\t")


def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; an empty body counts as ``{}``."""
    if not request.body:
        return {}
    try:
        data = json.loads(request.body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ServiceError(ErrorCode.INVALID_JSON, "Request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _invalid({"body": "must be a JSON object"})
    return data


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, whatever Python's parser tolerates.
    raise ValueError(name)


def _invalid(fields: Mapping[str, str]) -> ServiceError:
    return ServiceError(
        ErrorCode.INVALID_REQUEST, "The request has invalid fields.", {"fields": dict(fields)}
    )


# Whitespace that may surround text and is trimmed. Python's str.strip() would
# also remove control characters such as U+001C-U+001F and U+0085 (NEL); those
# are left in place so that the control-character check rejects them.
_TRIMMABLE_CONTROLS = frozenset("\t\n\r\x0b\x0c")


def _trimmable(char: str) -> bool:
    return char.isspace() and (
        char in _TRIMMABLE_CONTROLS or unicodedata.category(char) != "Cc"
    )


def trim(value: str) -> str:
    start, end = 0, len(value)
    while start < end and _trimmable(value[start]):
        start += 1
    while end > start and _trimmable(value[end - 1]):
        end -= 1
    return value[start:end]


def text_problem(value: str, max_length: int, multiline: bool = False) -> Optional[str]:
    """Why ``value`` (already stripped) is unacceptable as text, or None."""
    if not value:
        return "must not be empty"
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    for char in value:
        if multiline and char in _MULTILINE_ALLOWED:
            continue
        # Cc: control characters; Cs: lone surrogates, which no database can store.
        if unicodedata.category(char) in ("Cc", "Cs"):
            return "must not contain control characters"
    return None


class Fields:
    """Reads typed fields from a JSON object, collecting every problem first,
    so the client learns about all bad fields in one round trip."""

    def __init__(self, data: Mapping[str, Any], allowed: Iterable[str]) -> None:
        self._data = data
        self._problems: dict[str, str] = {}
        allowed = set(allowed)
        for key in data:
            if key not in allowed:
                self._problems[_printable(key)] = "unknown field"

    def text(
        self, name: str, max_length: int, *, required: bool = True, multiline: bool = False
    ) -> Optional[str]:
        value = self._data.get(name)
        if value is None:
            if required:
                self._problems[name] = "is required"
            return None
        if not isinstance(value, str):
            self._problems[name] = "must be a string"
            return None
        value = trim(value.replace("\r\n", "\n"))
        problem = text_problem(value, max_length, multiline)
        if problem:
            self._problems[name] = problem
            return None
        return value

    def integer(self, name: str) -> Optional[int]:
        value = self._data.get(name)
        if value is None:
            return None
        # bool is an int subclass in Python, but `true` is not an amount.
        if isinstance(value, bool) or not isinstance(value, int):
            self._problems[name] = "must be an integer"
            return None
        return value

    def choice(self, name: str, enum: Type[E]) -> Optional[E]:
        value = self._data.get(name)
        try:
            return enum(value)
        except ValueError:
            options = ", ".join(member.value for member in enum)
            self._problems[name] = f"must be one of: {options}"
            return None

    def done(self) -> None:
        if self._problems:
            raise _invalid(self._problems)


def _printable(key: str) -> str:
    """Field names are echoed back in errors; odd ones are escaped and cut short."""
    return key if key.isprintable() and len(key) <= 40 else ascii(key[:40])


def query_limit(request: Request, default: int = 20, maximum: int = 100) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= maximum):
        raise _invalid({"limit": f"must be an integer between 1 and {maximum}"})
    return int(raw)


def query_enums(request: Request, name: str, enum: Type[E]) -> list[E]:
    """A comma-separated list of enum values, e.g. ``status=shipped,delivered``."""
    raw = request.args.get(name)
    if raw is None:
        return []
    try:
        return [enum(part.strip()) for part in raw.split(",") if part.strip()]
    except ValueError:
        options = ", ".join(member.value for member in enum)
        raise _invalid({name: f"must be a comma-separated list of: {options}"}) from None


def query_text(request: Request, name: str, max_length: int) -> Optional[str]:
    raw = request.args.get(name)
    value = trim(raw) if raw is not None else ""
    if not value:
        return None
    problem = text_problem(value, max_length)
    if problem:
        raise _invalid({name: problem})
    return value
