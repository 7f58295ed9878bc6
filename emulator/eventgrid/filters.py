"""Event Grid's advanced filters, in the service's own form (`{"operatorType", "key", "value"|"values"}`).

From Event Grid's "Understand event filtering" doc: every filter must match (AND); a filter with several values
matches when any value does (OR), and a Not-operator when none does; string comparisons are case-insensitive;
keys name an envelope field (Event Grid schema: id, topic, subject, eventType, dataVersion; CloudEvents:
id, source, subject, type, specversion) or `data.<path>` with dots for nesting. Without
`enableAdvancedFilteringOnArrays` an array value matches no operator but the null checks; with it, an array
matches when any element does. A key the event lacks matches only IsNullOrUndefined and the Not-operators
(assumption: the doc states it for StringNot* and NumberNot*; BoolEquals and the others fail). At most 25
filters, 25 values each (service limits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_FILTERS = 25
MAX_VALUES = 25
_MISSING = object()

# Envelope keys (lower-cased) -> the canonical Event Grid schema field the emulator keeps events in.
_ENVELOPE = {
    "id": "id",
    "topic": "topic",
    "source": "topic",
    "subject": "subject",
    "eventtype": "eventType",
    "type": "eventType",
    "dataversion": "dataVersion",
    "specversion": "specversion",
}


# The same for an event kept in CloudEvents form (published to a custom topic as CloudEvents).
_CLOUD_ENVELOPE = {
    "id": "id",
    "topic": "source",
    "source": "source",
    "subject": "subject",
    "eventtype": "type",
    "type": "type",
    "dataversion": "dataschema",
    "specversion": "specversion",
}


def envelope(event: dict[str, Any], key: str) -> str:
    """An envelope field of an event in either schema, "" when absent."""
    value = lookup(event, key)
    return value if isinstance(value, str) else ""


class InvalidFilter(ValueError):
    """An advanced filter the service would refuse."""


def _text(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _strings(test: Callable[[str, str], bool]) -> Callable[[Any, list[Any]], bool]:
    def check(actual: Any, values: list[Any]) -> bool:
        text = _text(actual)
        return text is not None and any(test(text, v.lower()) for v in values)

    return check


def _numbers(test: Callable[[float, Any], bool]) -> Callable[[Any, list[Any]], bool]:
    def check(actual: Any, values: list[Any]) -> bool:
        number = _number(actual)
        return number is not None and any(test(number, v) for v in values)

    return check


# operator -> (value kind, match of one present, non-array value against the filter's values, negated?)
_POSITIVE: dict[str, tuple[str, Callable[[Any, list[Any]], bool]]] = {
    "StringIn": ("strings", _strings(lambda a, v: a == v)),
    "StringBeginsWith": ("strings", _strings(lambda a, v: a.startswith(v))),
    "StringEndsWith": ("strings", _strings(lambda a, v: a.endswith(v))),
    "StringContains": ("strings", _strings(lambda a, v: v in a)),
    "NumberIn": ("numbers", _numbers(lambda a, v: a == v)),
    "NumberInRange": ("ranges", _numbers(lambda a, v: v[0] <= a <= v[1])),
    "NumberLessThan": ("number", _numbers(lambda a, v: a < v)),
    "NumberGreaterThan": ("number", _numbers(lambda a, v: a > v)),
    "NumberLessThanOrEquals": ("number", _numbers(lambda a, v: a <= v)),
    "NumberGreaterThanOrEquals": ("number", _numbers(lambda a, v: a >= v)),
    "BoolEquals": ("bool", lambda a, v: isinstance(a, bool) and a == v[0]),
}
_NEGATED = {
    "StringNotIn": "StringIn",
    "StringNotBeginsWith": "StringBeginsWith",
    "StringNotEndsWith": "StringEndsWith",
    "StringNotContains": "StringContains",
    "NumberNotIn": "NumberIn",
    "NumberNotInRange": "NumberInRange",
}
_NULL_CHECKS = ("IsNullOrUndefined", "IsNotNull")
OPERATORS = (*_POSITIVE, *_NEGATED, *_NULL_CHECKS)


@dataclass(frozen=True)
class AdvancedFilter:
    operator: str
    key: str
    values: tuple[Any, ...]

    def view(self) -> dict[str, Any]:
        kind = _kind(self.operator)
        body: dict[str, Any] = {"operatorType": self.operator, "key": self.key}
        if kind in ("number", "bool"):
            body["value"] = self.values[0]
        elif kind is not None:
            body["values"] = [list(v) if isinstance(v, tuple) else v for v in self.values]
        return body

    def matches(self, event: dict[str, Any], on_arrays: bool) -> bool:
        actual = lookup(event, self.key)
        if self.operator == "IsNullOrUndefined":
            return actual is _MISSING or actual is None
        if self.operator == "IsNotNull":
            return actual is not _MISSING and actual is not None
        negated = self.operator in _NEGATED
        _, test = _POSITIVE[_NEGATED.get(self.operator, self.operator)]
        if actual is _MISSING or actual is None:
            return negated
        candidates = actual if isinstance(actual, list) else [actual]
        if isinstance(actual, list) and not on_arrays:
            return False
        hit = any(test(item, list(self.values)) for item in candidates)
        return not hit if negated else hit


def _kind(operator: str) -> str | None:
    if operator in _NULL_CHECKS:
        return None
    return _POSITIVE[_NEGATED.get(operator, operator)][0]


def lookup(event: dict[str, Any], key: str) -> Any:
    """The value `key` names in an event (either schema); keys are case-insensitive."""
    lowered = key.lower()
    fields = _CLOUD_ENVELOPE if "specversion" in event else _ENVELOPE
    if lowered in fields:
        return event.get(fields[lowered], _MISSING)
    if not lowered.startswith("data."):
        return _MISSING
    current: Any = event.get("data")
    for part in lowered[5:].split("."):
        if not isinstance(current, dict):
            return _MISSING
        found = next((k for k in current if k.lower() == part), None)
        if found is None:
            return _MISSING
        current = current[found]
    return current


def _values(operator: str, raw: dict[str, Any]) -> tuple[Any, ...]:
    kind = _kind(operator)
    if kind is None:
        return ()
    if kind in ("number", "bool"):
        value = raw.get("value")
        ok = isinstance(value, bool) if kind == "bool" else _number(value) is not None
        if not ok:
            raise InvalidFilter(f"{operator} needs a {'boolean' if kind == 'bool' else 'numeric'} 'value'")
        return (value,)
    values = raw.get("values")
    if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
        raise InvalidFilter(f"{operator} needs 'values': a list of 1-{MAX_VALUES} items")
    if kind == "strings" and all(isinstance(v, str) for v in values):
        return tuple(values)
    if kind == "numbers" and all(_number(v) is not None for v in values):
        return tuple(values)
    if kind == "ranges" and all(
        isinstance(v, list) and len(v) == 2 and all(_number(x) is not None for x in v) and v[0] <= v[1]
        for v in values
    ):
        return tuple(tuple(v) for v in values)
    raise InvalidFilter(f"{operator} 'values' must all be {kind.rstrip('s')}s")


def parse_filters(raw: Any) -> tuple[AdvancedFilter, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_FILTERS:
        raise InvalidFilter(f"'advancedFilters' must be a list of at most {MAX_FILTERS} filters")
    parsed = []
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidFilter("each advanced filter must be an object")
        operator, key = item.get("operatorType"), item.get("key")
        if operator not in OPERATORS:
            raise InvalidFilter(f"'operatorType' must be one of {', '.join(OPERATORS)}")
        if not isinstance(key, str) or not key:
            raise InvalidFilter("each advanced filter needs a 'key'")
        parsed.append(AdvancedFilter(operator, key, _values(operator, item)))
    return tuple(parsed)
