"""Advanced filters in Event Grid's own form: operators, keys, arrays, missing keys, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.eventgrid.subscriptions import InvalidSubscription, parse_subscription

ENDPOINT = "http://127.0.0.1:7071/hook"
EVENT: dict[str, Any] = {
    "id": "1",
    "topic": "/subscriptions/s1",
    "subject": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r/credentialSets/c",
    "eventType": "Microsoft.Resources.ResourceWriteSuccess",
    "dataVersion": "2",
    "data": {
        "operationName": "Microsoft.ContainerRegistry/registries/credentialSets/write",
        "httpRequest": {"method": "PATCH"},
        "count": 7,
        "flag": True,
        "tags": ["blue", "green"],
        "nothing": None,
    },
}


def matches(*filters: dict[str, Any], event: dict[str, Any] = EVENT, arrays: bool = False) -> bool:
    body = {"endpoint": ENDPOINT, "advancedFilters": list(filters), "enableAdvancedFilteringOnArrays": arrays}
    return parse_subscription("s", body).matches(event)


@pytest.mark.parametrize(
    "operator,key,value,expected",
    [
        (
            "StringIn",
            "data.operationName",
            ["microsoft.containerregistry/registries/credentialsets/write"],
            True,
        ),
        (
            "StringIn",
            "Data.OperationName",
            ["x", "Microsoft.ContainerRegistry/registries/credentialSets/write"],
            True,
        ),
        (
            "StringNotIn",
            "data.operationName",
            ["Microsoft.ContainerRegistry/registries/credentialSets/write"],
            False,
        ),
        ("StringBeginsWith", "data.operationName", ["Microsoft.ContainerRegistry/"], True),
        ("StringNotBeginsWith", "data.operationName", ["Microsoft.KeyVault/"], True),
        ("StringEndsWith", "subject", ["/credentialsets/c"], True),
        ("StringNotEndsWith", "subject", ["/c"], False),
        ("StringContains", "data.httpRequest.method", ["atc"], True),
        ("StringNotContains", "eventType", ["Delete"], True),
        ("StringIn", "eventtype", ["Microsoft.Resources.ResourceDeleteSuccess"], False),
        ("NumberIn", "data.count", [1, 7], True),
        ("NumberNotIn", "data.count", [7], False),
        ("NumberInRange", "data.count", [[1, 5], [6, 8]], True),
        ("NumberNotInRange", "data.count", [[1, 10]], False),
        ("StringIn", "data.missing", ["x"], False),
        ("StringNotIn", "data.missing", ["x"], True),
        ("StringIn", "data.count", ["7"], False),
    ],
)
def test_value_list_operators(operator: str, key: str, value: list[Any], expected: bool) -> None:
    assert matches({"operatorType": operator, "key": key, "values": value}) is expected


@pytest.mark.parametrize(
    "operator,key,value,expected",
    [
        ("NumberLessThan", "data.count", 8, True),
        ("NumberGreaterThan", "data.count", 7, False),
        ("NumberLessThanOrEquals", "data.count", 7, True),
        ("NumberGreaterThanOrEquals", "data.count", 8, False),
        ("BoolEquals", "data.flag", True, True),
        ("BoolEquals", "data.flag", False, False),
    ],
)
def test_single_value_operators(operator: str, key: str, value: Any, expected: bool) -> None:
    assert matches({"operatorType": operator, "key": key, "value": value}) is expected


def test_null_checks() -> None:
    assert matches({"operatorType": "IsNullOrUndefined", "key": "data.nothing"})
    assert matches({"operatorType": "IsNullOrUndefined", "key": "data.absent"})
    assert not matches({"operatorType": "IsNotNull", "key": "data.nothing"})
    assert matches({"operatorType": "IsNotNull", "key": "data.httpRequest"})


def test_filters_combine_with_and() -> None:
    ok = {"operatorType": "StringIn", "key": "data.httpRequest.method", "values": ["PATCH"]}
    bad = {"operatorType": "NumberGreaterThan", "key": "data.count", "value": 100}
    assert matches(ok) and not matches(ok, bad)


def test_arrays_match_only_when_enabled() -> None:
    tag = {"operatorType": "StringIn", "key": "data.tags", "values": ["green"]}
    assert not matches(tag)
    assert matches(tag, arrays=True)


def test_cloud_event_keys() -> None:
    cloud = {
        "specversion": "1.0",
        "id": "1",
        "source": "health",
        "type": "ArtifactCache.RuleUnhealthy",
        "subject": "/r",
        "data": {"reason": "AccessMissing"},
    }
    assert matches(
        {"operatorType": "StringIn", "key": "type", "values": ["artifactcache.ruleunhealthy"]}, event=cloud
    )
    assert matches(
        {"operatorType": "StringIn", "key": "data.reason", "values": ["AccessMissing"]}, event=cloud
    )


@pytest.mark.parametrize(
    "filters",
    [
        {"operatorType": "StringIn"},
        [{"operatorType": "Regex", "key": "subject", "values": ["x"]}],
        [{"operatorType": "StringIn", "key": "subject", "values": []}],
        [{"operatorType": "StringIn", "key": "subject", "values": ["x"] * 26}],
        [{"operatorType": "NumberIn", "key": "data.n", "values": ["1"]}],
        [{"operatorType": "NumberInRange", "key": "data.n", "values": [[5, 1]]}],
        [{"operatorType": "BoolEquals", "key": "data.b", "value": "true"}],
        [{"operatorType": "IsNotNull", "key": ""}],
        [{"operatorType": "IsNotNull", "key": "subject"}] * 26,
    ],
)
def test_refused_filters(filters: Any) -> None:
    with pytest.raises(InvalidSubscription):
        parse_subscription("s", {"endpoint": ENDPOINT, "advancedFilters": filters})


def test_view_round_trips() -> None:
    filters = [
        {"operatorType": "StringIn", "key": "data.operationName", "values": ["a"]},
        {"operatorType": "NumberLessThan", "key": "data.count", "value": 3},
        {"operatorType": "NumberInRange", "key": "data.count", "values": [[1, 2]]},
        {"operatorType": "IsNotNull", "key": "subject"},
    ]
    view = parse_subscription("s", {"endpoint": ENDPOINT, "advancedFilters": filters}).view()
    assert view["advancedFilters"] == filters
