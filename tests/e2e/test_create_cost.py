"""What one create costs in Azure requests, pinned request by request through the devhost.

Each Azure request a create makes (ARM and Key Vault data plane, from the emulator's log) is listed by kind, in
order, so a read that comes back (a second vault read, a second health read of a reused set, a final GET after an
operation said Succeeded) fails here. The app's per-process caches (the registry
list, each vault's resource group, Key Vault's 401 auth handshake) are warmed first: they are paid once per
process, not per create.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from tests.e2e.conftest import Stack, docker_rule, put

_ARM_PREFIX = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/")
_OPERATION = re.compile(r"/operationStatuses/[^/]+$")


def _kinds(log: list[dict[str, Any]], set_name: str) -> list[str]:
    """``METHOD path status`` per request, the path without its subscription, group and query."""
    kinds = []
    for entry in log:
        path = _ARM_PREFIX.sub("", entry["path"].split("?")[0])
        path = _OPERATION.sub("/operationStatuses/{id}", path).replace(set_name, "{set}")
        kinds.append(f"{entry['method']} {path} {entry['status']}")
    return kinds


def _warm(stack: Stack) -> None:
    """Fill the devhost's per-process caches, then start from the seed with an empty request log."""
    assert requests.get(f"{stack.api}/registries", timeout=60).status_code == 200
    assert put(stack.rules_url("warmup"), docker_rule("warmup")).status_code in (200, 201)
    stack.reset()


def _create(stack: Stack, name: str) -> tuple[str, list[dict[str, Any]]]:
    before = len(stack.emulator.requests_log())
    response = put(stack.rules_url(name), docker_rule(name))
    assert response.status_code == 201, response.text
    return response.json()["credentialSet"]["name"], stack.emulator.requests_log()[before:]


RULES = "Microsoft.ContainerRegistry/registries/demoregistry/cacheRules"
SETS = "Microsoft.ContainerRegistry/registries/demoregistry/credentialSets"
SECRETS = [
    "GET /kv/demo-kv/secrets/dockerhub-username/versions 200",
    "GET /kv/demo-kv/secrets/dockerhub-password/versions 200",
]


def test_a_create_with_new_credentials_makes_13_azure_requests(clean: Stack) -> None:
    _warm(clean)

    set_name, log = _create(clean, "ubuntu")

    assert (
        _kinds(log, set_name)
        == [
            f"GET {RULES}/ubuntu 404",  # PUT is create-or-find: does the rule exist?
            f"GET {RULES} 200",  # conflicts, before the first write
            "GET Microsoft.KeyVault/vaults/demo-kv 200",  # the gate (tenant, ALLOWED_VAULTS) and the grant, read once
            *SECRETS,  # both secrets' metadata, before the first write
            f"GET {SETS} 200",  # any set holding these credentials, to reuse
            f"GET {SETS}/{{set}} 404",  # the app's name under the set's lease: a concurrent request may have made it
            f"PUT {SETS}/{{set}} 201",
            f"GET {SETS}/{{set}}/operationStatuses/{{id}} 200",  # no final GET: the 201 body is the set
            "PUT Microsoft.KeyVault/vaults/demo-kv/accessPolicies/add 200",
            f"GET {SETS}/{{set}} 200",  # the service's verdict: Healthy
            f"PUT {RULES}/ubuntu 201",
            f"GET {RULES}/ubuntu/operationStatuses/{{id}} 200",
        ]
    )


def test_a_create_reusing_a_set_makes_8_azure_requests(clean: Stack) -> None:
    _warm(clean)
    _create(clean, "ubuntu")
    for i in range(3):  # more rules, so a list of them would show
        _create(clean, f"extra{i}")

    set_name, log = _create(clean, "alpine")

    assert _kinds(log, set_name) == [
        f"GET {RULES}/alpine 404",
        f"GET {RULES} 200",  # conflicts, before the first write
        "GET Microsoft.KeyVault/vaults/demo-kv 200",  # gate and grant check, one read
        *SECRETS,
        f"GET {SETS} 200",  # the set to reuse: Healthy and granted, so the list's answer is the verdict
        f"PUT {RULES}/alpine 201",
        f"GET {RULES}/alpine/operationStatuses/{{id}} 200",
    ]


def test_a_conflicting_target_is_refused_before_any_write_is_attempted(clean: Stack) -> None:
    assert put(clean.rules_url("ubuntu"), docker_rule("ubuntu")).status_code == 201
    before = len(clean.emulator.requests_log())

    clash = put(clean.rules_url("ubuntu-again"), docker_rule("ubuntu"))

    assert clash.status_code == 409, clash.text
    assert clash.json()["type"].endswith("#cache-rule-conflict")
    assert clash.json()["conflictingRule"] == "ubuntu"
    writes = [
        (r["method"], r["status"]) for r in clean.emulator.requests_log()[before:] if r["method"] != "GET"
    ]
    assert writes == [], "the list of rules finds the clash before the rule PUT"
    assert requests.get(clean.rules_url("ubuntu-again"), timeout=30).status_code == 404
