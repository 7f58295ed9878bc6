"""The test-support JSON Schema subset validator itself: each keyword accepts and rejects as 2020-12 does."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.api.schema_subset import errors

ROOT: dict[str, Any] = {"components": {"schemas": {"Name": {"type": "string", "pattern": "^[a-z]{2,3}$"}}}}
CASES = [
    ({"type": "string"}, "x", True),
    ({"type": "string"}, 1, False),
    ({"type": ["string", "null"]}, None, True),
    ({"type": "integer"}, True, False),
    ({"type": "integer"}, 3, True),
    ({"type": "boolean"}, 0, False),
    ({"enum": ["a", "b"]}, "c", False),
    ({"const": 1}, 1, True),
    ({"pattern": r"\S"}, "   ", False),
    ({"pattern": r"\S"}, 1, True),  # pattern applies to strings only
    ({"minLength": 2}, "a", False),
    ({"minimum": 0}, -1, False),
    ({"type": "object", "required": ["a"]}, {}, False),
    (
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
        {"b": 1},
        False,
    ),
    ({"type": "object", "properties": {"a": {"type": "string"}}}, {"b": 1}, True),
    ({"type": "array", "items": {"type": "integer"}}, [1, "x"], False),
    ({"$ref": "#/components/schemas/Name"}, "abc", True),
    ({"$ref": "#/components/schemas/Name"}, "abcd", False),
    ({"oneOf": [{"type": "string"}, {"type": "null"}]}, None, True),
    ({"oneOf": [{"type": "string"}, {"pattern": "a"}]}, "a", False),
    ({"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}, {"c": 1}, False),
    ({"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}, {"b": 1}, True),
    ({"allOf": [{"type": "string"}, {"minLength": 2}]}, "a", False),
    ({"not": {"required": ["a", "b"]}}, {"a": 1, "b": 2}, False),
    ({"not": {"required": ["a", "b"]}}, {"a": 1}, True),
]


@pytest.mark.parametrize(("schema", "instance", "valid"), CASES)
def test_keyword(schema: dict[str, Any], instance: Any, valid: bool) -> None:
    assert (errors(instance, schema, ROOT) == []) is valid


def test_unknown_keywords_are_refused_rather_than_ignored() -> None:
    with pytest.raises(ValueError, match="unsupported keywords"):
        errors("x", {"type": "string", "nullable": True}, ROOT)


def test_unresolvable_refs_fail() -> None:
    with pytest.raises(KeyError):
        errors("x", {"$ref": "#/components/schemas/Missing"}, ROOT)
