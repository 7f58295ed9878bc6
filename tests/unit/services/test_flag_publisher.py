"""The Event Grid flag publisher: many flags per request, split at Event Grid's 1 MB limit, and a refusal part-way
says which flags went out (so their rules' verdicts are recorded and only the rest are sent again)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from azure.core.exceptions import ServiceRequestError

from shared.azure.flags import MAX_REQUEST_BYTES, EventGridFlagPublisher, request_chunks, wire_size
from shared.domain.errors import UpstreamServiceError
from shared.domain.flags import Flag, FlagType
from shared.services.flagging import FlagsPartlySent


def flags(count: int, message: str = "no get on kv") -> list[Flag]:
    return [
        Flag(
            id=f"{i:032x}",
            type=FlagType.RULE_UNHEALTHY,
            subject=f"/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r/cacheRules/r{i:04d}",
            time=1_800_000_000.0,
            data={"registry": "r", "cacheRule": f"r{i:04d}", "reason": "AccessMissing", "message": message},
        )
        for i in range(count)
    ]


class Topic:
    """``EventGridPublisherClient.send``: one call is one publish request; ``refuse`` the n-th (0-based)."""

    def __init__(self, refuse: int | None = None) -> None:
        self.requests: list[list[Any]] = []
        self.refuse = refuse

    def send(self, events: list[Any]) -> None:
        if self.refuse == len(self.requests):
            raise ServiceRequestError("connection reset")
        self.requests.append(events)


class Clients:
    def __init__(self, topic: Topic) -> None:
        self.topic = topic

    def health_topic(self) -> Topic:
        return self.topic


def publisher(topic: Topic) -> EventGridFlagPublisher:
    return EventGridFlagPublisher(cast(Any, Clients(topic)))


def test_chunks_fill_each_request_up_to_the_limit_in_order() -> None:
    many = flags(10)
    size = wire_size(many[0])
    assert all(wire_size(f) == size for f in many)
    four = 2 + 4 * size + 3 * 2  # brackets, four events, three separators
    assert [len(c) for c in request_chunks(many, four)] == [4, 4, 2]
    assert [len(c) for c in request_chunks(many, four - 1)] == [3, 3, 3, 1]
    assert [f for c in request_chunks(many, four) for f in c] == many
    assert [len(c) for c in request_chunks(many, size)] == [1] * 10  # too big for two: one each


def test_a_registrys_flags_are_one_request_and_a_fleets_worth_is_split_under_1_mb() -> None:
    topic = Topic()
    publisher(topic).publish(flags(100))
    assert [len(r) for r in topic.requests] == [100]
    topic.requests.clear()
    big = flags(1500, message="x" * 900)  # about 1.5 MB of events
    publisher(topic).publish(big)
    assert len(topic.requests) == 2 and sum(len(r) for r in topic.requests) == 1500
    assert [e.id for r in topic.requests for e in r] == [f.id for f in big]
    sizes = {f.id: wire_size(f) for f in big}
    assert all(sum(sizes[e.id] + 2 for e in r) <= MAX_REQUEST_BYTES for r in topic.requests)


def test_a_request_refused_after_others_went_out_names_the_flags_sent() -> None:
    big = flags(1500, message="x" * 900)
    with pytest.raises(FlagsPartlySent) as caught:
        publisher(Topic(refuse=1)).publish(big)
    first = next(request_chunks(big, MAX_REQUEST_BYTES))
    assert caught.value.sent == tuple(first) and 0 < len(first) < 1500
    assert isinstance(caught.value.cause, UpstreamServiceError) and caught.value.retryable
    with pytest.raises(UpstreamServiceError):  # nothing went out: the plain error
        publisher(Topic(refuse=0)).publish(big)
