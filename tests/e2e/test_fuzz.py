"""Generated bodies against the running API: never a 5xx, and a refusal never writes anything."""

from __future__ import annotations

import json
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import KV, Stack

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=10,
)
plausible = st.fixed_dictionaries(
    {},
    optional={
        "sourceRepository": st.sampled_from(
            ["ubuntu", "docker.io/library/nginx:1", "ghcr.io/a/b", "quay.io/x/*"]
        )
        | st.text(max_size=20),
        "targetRepository": st.sampled_from(["ubuntu", "a/*", "Bad Name", ""]) | st.text(max_size=20),
        "credentialSet": st.none() | st.text(max_size=10),
        "credentials": st.fixed_dictionaries(
            {},
            optional={
                "usernameSecretUri": st.sampled_from([f"{KV}/secrets/dockerhub-username", "http://x", ""]),
                "passwordSecretUri": st.text(max_size=30),
            },
        )
        | json_values,
        "extra": json_values,
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=plausible | json_values, name=st.sampled_from(["ubuntu", "fuzz-rule", "x", "a" * 51]))
def test_generated_bodies_are_never_a_server_error(stack: Stack, body: Any, name: str) -> None:
    writes_before = len(stack.arm_writes())

    response = requests.put(stack.rules_url(name), data=json.dumps(body), timeout=60)

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert len(stack.arm_writes()) == writes_before, body
