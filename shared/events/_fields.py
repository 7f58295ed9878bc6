"""Reading untrusted event JSON: bounded depth, frozen containers, case-insensitive keys, typed accessors.

Every failure is an :class:`EventParseError` naming where it happened; messages echo key names and types,
never values (a value may be a token).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TypeAlias

from shared.domain.errors import FieldError, ValidationFailed

Frozen: TypeAlias = "str | int | float | bool | Mapping[str, Frozen] | tuple[Frozen, ...] | None"
FrozenMap: TypeAlias = Mapping[str, Frozen]

MAX_DEPTH = 32
"""Deepest nesting accepted in an event; Azure's system events nest four levels at most."""

EMPTY: FrozenMap = MappingProxyType({})


class EventParseError(ValidationFailed):
    """An event (or batch) the app cannot read: not JSON, wrong shape, missing or mistyped fields, too large.

    A client error (400, not retryable): redelivering the same bytes cannot make them readable.
    """

    @classmethod
    def at(cls, where: str, message: str) -> EventParseError:
        where = where or "event"
        return cls(f"{where}: {message}", errors=[FieldError(field=where, message=message)])


def _key(key: str) -> str:
    """A key as it may appear in a message: bounded, so hostile keys cannot flood logs."""
    return key if len(key) <= 40 else key[:37] + "..."


def join(where: str, key: str) -> str:
    return f"{where}.{_key(key)}" if where else _key(key)


def freeze(value: object, where: str, depth: int = 0) -> Frozen:
    """Deep-copy JSON into read-only containers (mappings, tuples), refusing non-JSON and deep nesting."""
    if depth > MAX_DEPTH:
        raise EventParseError.at(where, f"is nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EventParseError.at(where, "is not a finite number")
        return value
    if isinstance(value, Mapping):
        frozen: dict[str, Frozen] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise EventParseError.at(where, "has a key that is not a string")
            frozen[key] = freeze(item, join(where, key), depth + 1)
        return MappingProxyType(frozen)
    if isinstance(value, list | tuple):
        return tuple(freeze(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
    raise EventParseError.at(where, f"is not JSON (a {type(value).__name__})")


class Fields:
    """Case-insensitive, typed reads of one frozen JSON object (Azure's samples vary key casing)."""

    __slots__ = ("_by_key", "where")

    def __init__(self, mapping: FrozenMap, where: str) -> None:
        self.where = where
        self._by_key: dict[str, Frozen] = {}
        for key, value in mapping.items():
            folded = key.casefold()
            if folded in self._by_key and self._by_key[folded] != value:
                raise EventParseError.at(where, f"has '{_key(key)}' twice with different values")
            self._by_key[folded] = value

    def keys(self) -> frozenset[str]:
        """The keys, case-folded."""
        return frozenset(self._by_key)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in self._by_key

    def raw(self, name: str) -> Frozen:
        return self._by_key.get(name.casefold())

    def text(self, name: str) -> str | None:
        """A string field; absent, null or blank reads as None."""
        value = self.raw(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise EventParseError.at(join(self.where, name), f"must be a string, not {_json_type(value)}")
        return value if value.strip() else None

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise EventParseError.at(join(self.where, name), "is required (a non-empty string)")
        return value

    def object(self, name: str) -> Fields:
        """A nested object; absent or null reads as an empty one."""
        value = self.raw(name)
        if value is None:
            return Fields(EMPTY, join(self.where, name))
        if not isinstance(value, Mapping):
            raise EventParseError.at(join(self.where, name), f"must be an object, not {_json_type(value)}")
        return Fields(value, join(self.where, name))

    def epoch(self, name: str) -> float | None:
        """Seconds since the epoch, as a number or a numeric string (Key Vault sends both); blank reads as None."""
        value = self.raw(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise EventParseError.at(
                join(self.where, name), f"must be epoch seconds, not {_json_type(value)}"
            )
        try:
            seconds = float(value)
        except (ValueError, OverflowError):
            raise EventParseError.at(join(self.where, name), "must be epoch seconds") from None
        if not math.isfinite(seconds):
            raise EventParseError.at(join(self.where, name), "must be finite epoch seconds")
        return seconds


def parse_time(value: object, where: str) -> datetime | None:
    """An RFC 3339 timestamp (string or datetime) as an aware datetime; a naive one is taken as UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except (ValueError, OverflowError):
            raise EventParseError.at(where, "must be an RFC 3339 timestamp") from None
    else:
        raise EventParseError.at(where, f"must be a timestamp string, not {_json_type(value)}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _json_type(value: object) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, tuple | list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__
