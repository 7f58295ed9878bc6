"""Every route of the published document, and every method a route does not offer, refuses a caller without the
function key, with a wrong one, and (with REQUIRED_CALLER_ROLE) a principal without the role; none of them reaches
Azure. The route list comes from the served OpenAPI document, so a new route is covered without editing this test."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from shared.api.openapi import document
from tests.e2e.conftest import REPO_ROOT, Stack, app_env
from tests.e2e.test_caller_auth import KEY, ROLE, principal
from tests.support.devhost import Devhost, start_devhost

# The documented methods and those the host hands the app too (the triggers list none): TRACE, QUERY, HEAD, OPTIONS.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "QUERY")
PARAMS = {"registry": "demoregistry", "name": "ubuntu", "id": "00000000000000000000000000000000"}


def _requests() -> list[tuple[str, str]]:
    """(method, path) for every operation and every method each path does not offer."""
    found = []
    for template, item in document()["paths"].items():
        path = re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], template)
        found += [(method, path) for method in METHODS]
        assert {m.upper() for m in item if m.upper() in METHODS}, template
    return found


CALLS = _requests()
CALLERS = {
    "no-key": {},
    "wrong-key": {"x-functions-key": "not-the-key"},
    "key-without-principal": {"x-functions-key": KEY},
    "principal-without-role": {"x-functions-key": KEY, "X-MS-CLIENT-PRINCIPAL": principal("Reader")},
}
EXPECTED = {"no-key": 401, "wrong-key": 401, "key-without-principal": 401, "principal-without-role": 403}


@pytest.fixture(scope="module")
def locked(stack: Stack) -> Iterator[Devhost]:
    env = app_env(stack.emulator, stack.azurite, REQUIRED_CALLER_ROLE=ROLE)
    with start_devhost(REPO_ROOT, env=env, function_key=KEY) as devhost:
        yield devhost


@pytest.mark.parametrize("caller", CALLERS, ids=CALLERS)
def test_every_route_and_method_refuses_the_caller(clean: Stack, locked: Devhost, caller: str) -> None:
    refused = {}
    for method, path in CALLS:
        answer = requests.request(method, locked.url + path, headers=CALLERS[caller], json={}, timeout=30)
        refused[f"{method} {path}"] = answer.status_code
    assert {call: status for call, status in refused.items() if status != EXPECTED[caller]} == {}
    assert clean.emulator.requests_log() == []  # refused before any Azure call


def test_the_role_lets_every_read_route_in(clean: Stack, locked: Devhost) -> None:
    """The refusals above are about the caller, not broken routes: the same GETs with the role are answered."""
    headers = {"x-functions-key": KEY, "X-MS-CLIENT-PRINCIPAL": principal(ROLE)}
    statuses = {
        path: requests.get(locked.url + path, headers=headers, timeout=30).status_code
        for method, path in CALLS
        if method == "GET"
    }
    assert {p: s for p, s in statuses.items() if s in (401, 403)} == {}
