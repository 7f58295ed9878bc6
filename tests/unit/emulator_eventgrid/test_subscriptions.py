"""Control-API subscription bodies and Event Grid filter semantics."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.eventgrid.subscriptions import InvalidSubscription, parse_subscription

ENDPOINT = "http://127.0.0.1:7071/runtime/webhooks/eventgrid?functionName=on_keyvault_event"
VAULT_TOPIC = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"


def event(
    event_type: str = "Microsoft.KeyVault.SecretNewVersionCreated", topic: str = VAULT_TOPIC
) -> dict[str, Any]:
    return {"eventType": event_type, "topic": topic, "subject": "dockerhub-password"}


def test_defaults() -> None:
    sub = parse_subscription("kv", {"endpoint": ENDPOINT})
    view = sub.view()
    assert view["schema"] == "EventGridSchema"
    assert view["eventTypes"] == []
    assert (view["maxEventsPerBatch"], view["maxDeliveryAttempts"], view["eventTimeToLiveInMinutes"]) == (
        1,
        30,
        1440,
    )
    assert view["deliverTwice"] is False
    assert view["endpoint"] == ENDPOINT


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {},
        {"endpoint": "ftp://x/y"},
        {"endpoint": "http:///nohost"},
        {"endpoint": ENDPOINT, "schema": "CustomInputSchema"},
        {"endpoint": ENDPOINT, "eventTypes": "Microsoft.KeyVault.SecretExpired"},
        {"endpoint": ENDPOINT, "eventTypes": [""]},
        {"endpoint": ENDPOINT, "maxEventsPerBatch": 0},
        {"endpoint": ENDPOINT, "maxEventsPerBatch": 5001},
        {"endpoint": ENDPOINT, "maxDeliveryAttempts": 31},
        {"endpoint": ENDPOINT, "eventTimeToLiveInMinutes": True},
        {"endpoint": ENDPOINT, "deliverTwice": "yes"},
        {"endpoint": ENDPOINT, "topic": 5},
    ],
)
def test_invalid_bodies_are_refused(body: Any) -> None:
    with pytest.raises(InvalidSubscription):
        parse_subscription("x", body)


def test_empty_event_types_match_everything() -> None:
    sub = parse_subscription("all", {"endpoint": ENDPOINT})
    assert sub.matches(event())
    assert sub.matches(event("Microsoft.Resources.ResourceWriteSuccess", "/subscriptions/s1"))


def test_event_types_match_case_insensitively() -> None:
    sub = parse_subscription(
        "kv", {"endpoint": ENDPOINT, "eventTypes": ["microsoft.keyvault.secretnewversioncreated"]}
    )
    assert sub.matches(event())
    assert not sub.matches(event("Microsoft.KeyVault.SecretExpired"))


def test_topic_filter_is_an_equal_or_prefix_match() -> None:
    sub = parse_subscription("t", {"endpoint": ENDPOINT, "topic": "/subscriptions/s1"})
    assert sub.matches(event())
    assert sub.matches(event(topic="/subscriptions/S1"))
    assert not sub.matches(event(topic="/subscriptions/s2/resourceGroups/rg"))
    exact = parse_subscription("t", {"endpoint": ENDPOINT, "source": VAULT_TOPIC})
    assert exact.view()["topic"] == VAULT_TOPIC
    assert exact.matches(event())
    assert not exact.matches(event(topic="/subscriptions/s1"))


def test_subject_filters() -> None:
    sub = parse_subscription(
        "s", {"endpoint": ENDPOINT, "subjectBeginsWith": "DockerHub-", "subjectEndsWith": "password"}
    )
    assert sub.matches(event())
    assert not sub.matches({**event(), "subject": "dockerhub-username"})
    assert not sub.matches({**event(), "subject": "other-password"})
