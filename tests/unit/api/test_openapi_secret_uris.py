"""The document served by a deployment states its own secret URI rules (its cloud's Key Vault DNS suffix and
ALLOWED_VAULTS), so a client generated from it never builds a secret URI the parser refuses, and the other way
round: the pattern and ``parse_secret_uri`` agree on every sample."""

from __future__ import annotations

import json
import re

import pytest

from shared.api import routes
from shared.api.http import ApiRequest
from shared.api.openapi import PUBLIC_CLOUD, document, secret_uri_pattern
from shared.config import Settings
from shared.domain.requests import SecretRules
from shared.domain.secrets import SecretUriError, parse_secret_uri
from shared.services.container import build_services

SUFFIXES = {
    "AzureCloud": ".vault.azure.net",
    "AzureChinaCloud": ".vault.azure.cn",
    "AzureUSGovernment": ".vault.usgovcloudapi.net",
}
SAMPLES = [
    f"https://{vault}{suffix}/secrets/{name}"
    for vault in ("demo-kv", "Other-KV", "team-vault")
    for suffix in SUFFIXES.values()
    for name in ("dockerhub-password", "x")
] + [
    "HTTPS://DEMO-KV.VAULT.AZURE.NET/SECRETS/p/0123456789abcdef0123456789ABCDEF",
    "https://demo-kv.vault.azure.net.evil.example/secrets/p",
    "https://demo-kv.vaultXazure.net/secrets/p",
    "https://demo-kv.sub.vault.azure.net/secrets/p",
]
RULES = [
    *(SecretRules(dns_suffix=suffix) for suffix in SUFFIXES.values()),
    SecretRules(dns_suffix=".vault.azure.net", allowed_vaults=frozenset({"demo-kv", "team-vault"})),
]


def _parses(uri: str, rules: SecretRules) -> bool:
    try:
        parse_secret_uri(uri, dns_suffix=rules.dns_suffix, allowed_vaults=rules.allowed_vaults)
    except SecretUriError:
        return False
    return True


@pytest.mark.parametrize("rules", RULES, ids=lambda r: f"{r.dns_suffix}-{len(r.allowed_vaults)}")
def test_the_pattern_accepts_exactly_what_the_parser_accepts(rules: SecretRules) -> None:
    pattern = re.compile(secret_uri_pattern(rules))

    verdicts = {uri: (pattern.search(uri) is not None, _parses(uri, rules)) for uri in SAMPLES}

    assert {uri: v for uri, v in verdicts.items() if v[0] != v[1]} == {}
    assert any(accepted for accepted, _ in verdicts.values())
    assert not all(accepted for accepted, _ in verdicts.values())


def test_another_clouds_vault_is_outside_the_document() -> None:
    china = re.compile(secret_uri_pattern(SecretRules(dns_suffix=".vault.azure.cn")))

    assert china.search("https://demo-kv.vault.azure.cn/secrets/p")
    assert not china.search("https://demo-kv.vault.azure.net/secrets/p")


@pytest.mark.parametrize("cloud", ["AzureChinaCloud", "AzureUSGovernment"])
def test_the_served_document_states_the_deployments_cloud_and_allowed_vaults(cloud: str) -> None:
    services = build_services(Settings.from_env({"AZURE_CLOUD": cloud, "ALLOWED_VAULTS": "team-vault"}))
    request = ApiRequest(
        method="GET", path="/api/openapi.json", route_params={}, headers={}, params={}, body=b""
    )

    served = json.loads(routes.run(routes.openapi_document, request, services=lambda: services).encoded())

    uri = served["components"]["schemas"]["CredentialSetPut"]["properties"]["passwordSecretUri"]
    assert re.search(uri["pattern"], f"https://team-vault{SUFFIXES[cloud]}/secrets/p")
    assert not re.search(uri["pattern"], f"https://demo-kv{SUFFIXES[cloud]}/secrets/p")
    assert not re.search(uri["pattern"], "https://team-vault.vault.azure.net/secrets/p")
    assert all(re.search(uri["pattern"], example) for example in uri["examples"])
    assert served != document(PUBLIC_CLOUD)
