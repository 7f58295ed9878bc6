"""Over generated and mutated input, reading events either succeeds or raises EventParseError, nothing else."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.events import EventParseError, parse_events, view_of
from tests.unit.events.conftest import EVENTS

SAMPLES = [json.loads(p.read_text()) for p in sorted(EVENTS.rglob("*.json"))]
json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=16,
)


def read(body: object) -> None:
    try:
        for envelope in parse_events(body):
            view_of(envelope)
    except EventParseError:
        pass


@settings(max_examples=300, deadline=None)
@given(body=json_values)
def test_any_json_value(body: Any) -> None:
    read(body)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200) | st.text(max_size=200))
def test_any_bytes_or_text(body: bytes | str) -> None:
    read(body)


def _mutate(event: Any, path: list[str], value: Any) -> Any:
    if not path or not isinstance(event, dict):
        return value
    key = path[0] if path[0] in event else next(iter(event), path[0])
    return {**event, key: _mutate(event.get(key), path[1:], value)}


@settings(max_examples=400, deadline=None)
@given(
    sample=st.sampled_from(SAMPLES),
    path=st.lists(
        st.sampled_from(
            [
                "data",
                "id",
                "type",
                "eventType",
                "subject",
                "source",
                "topic",
                "claims",
                "EXP",
                "NBF",
                "VaultName",
                "operationName",
                "resourceUri",
                "httpRequest",
                "specversion",
                "specVersion",
                "eventTime",
                "time",
            ]
        ),
        min_size=1,
        max_size=3,
    ),
    value=json_values,
    drop=st.booleans(),
    as_text=st.booleans(),
)
def test_mutated_samples(
    sample: dict[str, Any], path: list[str], value: Any, drop: bool, as_text: bool
) -> None:
    event = _mutate(sample, path, value)
    if drop and isinstance(event, dict) and path[0] in event:
        event = {k: v for k, v in event.items() if k != path[0]}
    body = json.dumps([event, sample]) if as_text else [event]
    read(body)
    read(body[: len(body) // 2] if isinstance(body, str) else body)
