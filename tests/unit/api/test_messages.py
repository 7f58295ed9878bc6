"""Issue 7's message fixes: each refusal says what the code does and how to fix the request."""

from __future__ import annotations

import pytest

from shared.domain.errors import ValidationFailed
from shared.domain.requests import SecretRules, parse_cache_rule, parse_credential_set

RULES = SecretRules(dns_suffix=".vault.azure.net")
CREDS = {
    "usernameSecretUri": "https://demo-kv.vault.azure.net/secrets/u",
    "passwordSecretUri": "https://demo-kv.vault.azure.net/secrets/p",
}


@pytest.mark.parametrize("target", ["../ubuntu", "org/./app", "org/.."])
def test_dot_segments_get_their_own_message(target: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_cache_rule(
            {"sourceRepository": "ghcr.io/org/app", "targetRepository": target}, name="apps1", rules=RULES
        )
    (error,) = caught.value.errors
    assert error.field == "targetRepository" and "'.' or '..' segment" in error.message


def test_an_unknown_login_server_lists_the_supported_upstreams() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_credential_set({"loginServer": "registry.example.com", **CREDS}, name="creds1", rules=RULES)
    message = caught.value.errors[0].message
    assert (
        "upstreams that take credentials: dhi.io, docker.io" in message and "mcr.microsoft.com" not in message
    )


def test_upper_case_targets_are_stored_lowercased_as_documented() -> None:
    from shared.api.openapi import document

    spec = parse_cache_rule(
        {"sourceRepository": "ghcr.io/org/app", "targetRepository": "Org/App"}, name="apps1", rules=RULES
    )
    described = document()["components"]["schemas"]["CacheRulePut"]["properties"]["targetRepository"]
    assert spec.target == "org/app" and "lowercased" in described["description"]
