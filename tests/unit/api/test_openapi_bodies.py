"""Request schemas agree with the parsers in shared/domain/requests.py: same fields, types, nullability, requireds.

Valid samples must pass both; invalid ones (unknown field, wrong type, missing required, ...) must fail both.
The schema states every rule a body alone decides (upstream credential policy, repository path grammar, tags,
wildcards), so a schema-valid body is never refused by the parser; what depends on state (a credential set that
exists, a vault, a secret) is a 409, not a 400.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

from shared.api.openapi import document
from shared.domain.errors import ValidationFailed
from shared.domain.requests import (
    SecretRules,
    parse_cache_rule,
    parse_cache_rule_patch,
    parse_credential_set,
    parse_credential_set_patch,
)
from tests.unit.api.schema_subset import errors

DOC = document()
RULES = SecretRules(dns_suffix=".vault.azure.net")
U = "https://demo-kv.vault.azure.net/secrets/dockerhub-username"
P = "https://demo-kv.vault.azure.net/secrets/dockerhub-password"
VERSIONED = "https://demo-kv.vault.azure.net/secrets/dockerhub-password/0123456789abcdef0123456789ABCDEF"
CREDS = {"usernameSecretUri": U, "passwordSecretUri": P}

PARSERS: dict[str, Callable[[Any], object]] = {
    "CacheRulePut": lambda body: parse_cache_rule(body, name="my-rule", rules=RULES),
    "CacheRuleCreate": lambda body: parse_cache_rule(body, name=None, rules=RULES),
    "CacheRulePatch": parse_cache_rule_patch,
    "CredentialSetPut": lambda body: parse_credential_set(body, name="my-set", rules=RULES),
    "CredentialSetPatch": lambda body: parse_credential_set_patch(body, rules=RULES),
}
# A minimal body each parser accepts, for the field-by-field comparisons below.
BASE: dict[str, dict[str, Any]] = {
    "CacheRulePut": {
        "sourceRepository": "ghcr.io/org/app",
        "targetRepository": "app",
        "credentials": dict(CREDS),
    },
    "CacheRuleCreate": {
        "sourceRepository": "ghcr.io/org/app",
        "targetRepository": "app",
        "name": "app-rule",
        "credentials": dict(CREDS),
    },
    "CacheRulePatch": {"credentialSet": "docker-io-set"},
    "CredentialSetPut": {"loginServer": "docker.io", **CREDS},
    "CredentialSetPatch": {"usernameSecretUri": U, "passwordSecretUri": P, "loginServer": "docker.io"},
}


def _schema(name: str) -> dict[str, Any]:
    return DOC["components"]["schemas"][name]


def _parser_accepts(name: str, body: Any) -> bool:
    try:
        PARSERS[name](body)
    except ValidationFailed:
        return False
    return True


def _schema_accepts(name: str, body: Any) -> bool:
    return errors(body, {"$ref": f"#/components/schemas/{name}"}, DOC) == []


VALID = [
    ("CacheRulePut", {"sourceRepository": "ubuntu", "targetRepository": "ubuntu", "credentials": CREDS}),
    (
        "CacheRulePut",
        {
            "sourceRepository": "docker.io/library/nginx",
            "targetRepository": "nginx",
            "credentialSet": "docker-io-set",
        },
    ),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ghcr.io/org/app",
            "targetRepository": "app",
            "credentialSet": None,
            "credentials": None,
        },
    ),
    ("CacheRulePut", {"sourceRepository": "mcr.microsoft.com/dotnet/sdk", "targetRepository": "dotnet/sdk"}),
    ("CacheRulePut", {"sourceRepository": "Quay.io/Org/*", "targetRepository": "org/*"}),
    ("CacheRulePut", {"sourceRepository": " /ghcr.io/org/app// ", "targetRepository": "/Team/App.v2/"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/" + "a" * 248, "targetRepository": "a" * 256}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/a__b-c.d_e---f/*", "targetRepository": "team/*"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/org/app", "targetRepository": "my.app"}),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ubuntu",
            "targetRepository": "ubuntu",
            "credentialSet": None,
            "credentials": CREDS,
        },
    ),
    (
        "CacheRulePut",
        {
            "sourceRepository": "docker.io/bitnami/redis",
            "targetRepository": "bitnami/redis",
            "credentials": {
                "usernameSecretUri": "HTTPS://Demo-KV.vault.azure.net/Secrets/dockerhub-username/",
                "passwordSecretUri": VERSIONED,
                "loginServer": "Docker.io",
                "credentialSetName": "my-hub-creds",
            },
        },
    ),
    ("CacheRuleCreate", {"sourceRepository": "ubuntu", "targetRepository": "ubuntu", "credentials": CREDS}),
    (
        "CacheRuleCreate",
        {"sourceRepository": "ghcr.io/org/app", "targetRepository": "app", "name": "my-app-rule"},
    ),
    ("CacheRulePatch", {"credentialSet": "docker-io-set"}),
    ("CacheRulePatch", {"credentialSet": None}),
    ("CredentialSetPut", {"loginServer": "docker.io", **CREDS}),
    (
        "CredentialSetPut",
        {"loginServer": " GHCR.io ", "usernameSecretUri": U, "passwordSecretUri": VERSIONED},
    ),
    ("CredentialSetPatch", {"usernameSecretUri": U}),
    ("CredentialSetPatch", {"passwordSecretUri": VERSIONED}),
    ("CredentialSetPatch", {"usernameSecretUri": U, "passwordSecretUri": P, "loginServer": "docker.io"}),
]

INVALID = [
    (
        "CacheRulePut",
        {"sourceRepository": "ubuntu", "targetRepository": "ubuntu", "credentials": CREDS, "extra": 1},
    ),
    (
        "CacheRulePut",
        {"sourceRepository": "ubuntu", "targetRepository": "ubuntu", "credentials": CREDS, "name": "abcde"},
    ),
    ("CacheRulePut", {"sourceRepository": 5, "targetRepository": "ubuntu", "credentials": CREDS}),
    ("CacheRulePut", {"sourceRepository": None, "targetRepository": "ubuntu", "credentials": CREDS}),
    ("CacheRulePut", {"sourceRepository": "  ", "targetRepository": "ubuntu", "credentials": CREDS}),
    ("CacheRulePut", {"targetRepository": "ubuntu", "credentials": CREDS}),
    ("CacheRulePut", {"sourceRepository": "ubuntu", "credentials": CREDS}),
    ("CacheRulePut", {"sourceRepository": "ubuntu", "targetRepository": "ubuntu", "credentialSet": "abc"}),
    (
        "CacheRulePut",
        {"sourceRepository": "ubuntu", "targetRepository": "ubuntu", "credentialSet": "bad_name"},
    ),
    ("CacheRulePut", {"sourceRepository": "ubuntu", "targetRepository": "ubuntu", "credentialSet": 12345}),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ubuntu",
            "targetRepository": "ubuntu",
            "credentialSet": "docker-io-set",
            "credentials": CREDS,
        },
    ),
    (
        "CacheRulePut",
        {"sourceRepository": "ubuntu", "targetRepository": "ubuntu", "credentials": "docker-io-set"},
    ),
    (
        "CacheRulePut",
        {"sourceRepository": "ubuntu", "targetRepository": "ubuntu", "credentials": {"usernameSecretUri": U}},
    ),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ubuntu",
            "targetRepository": "ubuntu",
            "credentials": {**CREDS, "password": "x"},
        },
    ),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ubuntu",
            "targetRepository": "ubuntu",
            "credentials": {**CREDS, "credentialSetName": "x"},
        },
    ),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ubuntu",
            "targetRepository": "ubuntu",
            "credentials": {**CREDS, "usernameSecretUri": "http://demo-kv.vault.azure.net/secrets/u"},
        },
    ),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ubuntu",
            "targetRepository": "ubuntu",
            "credentials": {**CREDS, "usernameSecretUri": "https://demo-kv.vault.azure.net:443/secrets/u"},
        },
    ),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ubuntu",
            "targetRepository": "ubuntu",
            "credentials": {
                **CREDS,
                "usernameSecretUri": "https://demo-kv.vault.azure.net/secrets/u?api-version=7.4",
            },
        },
    ),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ubuntu",
            "targetRepository": "ubuntu",
            "credentials": {**CREDS, "usernameSecretUri": "https://u@demo-kv.vault.azure.net/secrets/u"},
        },
    ),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ubuntu",
            "targetRepository": "ubuntu",
            "credentials": {**CREDS, "usernameSecretUri": "https://demo--kv.vault.azure.net/secrets/u"},
        },
    ),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ubuntu",
            "targetRepository": "ubuntu",
            "credentials": {**CREDS, "passwordSecretUri": P + "/123"},
        },
    ),
    (
        "CacheRulePut",
        {
            "sourceRepository": "ubuntu",
            "targetRepository": "ubuntu",
            "credentials": {**CREDS, "passwordSecretUri": "https://demo-kv.vault.azure.net/keys/p"},
        },
    ),
    ("CacheRulePut", ["ubuntu"]),
    ("CacheRulePut", "ubuntu"),
    ("CacheRuleCreate", {"sourceRepository": "ghcr.io/org/app", "targetRepository": "app", "name": None}),
    (
        "CacheRuleCreate",
        {"sourceRepository": "ghcr.io/org/app", "targetRepository": "app", "name": "a b c d e"},
    ),
    ("CacheRuleCreate", {"sourceRepository": "ghcr.io/org/app", "targetRepository": "app", "name": "x" * 51}),
    ("CacheRuleCreate", {"sourceRepository": "ghcr.io/org/app", "targetRepository": "app", "id": "x"}),
    ("CacheRulePatch", {}),
    ("CacheRulePatch", {"credentialSet": "docker-io-set", "sourceRepository": "ubuntu"}),
    ("CacheRulePatch", {"credentialSet": ["docker-io-set"]}),
    ("CacheRulePatch", {"credentialSet": "abc"}),
    ("CacheRulePatch", None),
    ("CredentialSetPut", {"usernameSecretUri": U, "passwordSecretUri": P}),
    ("CredentialSetPut", {"loginServer": "docker.io", "usernameSecretUri": U}),
    ("CredentialSetPut", {"loginServer": "docker.io", **CREDS, "name": "abcde"}),
    ("CredentialSetPut", {"loginServer": None, **CREDS}),
    ("CredentialSetPut", {"loginServer": "docker.io", "usernameSecretUri": U, "passwordSecretUri": 7}),
    ("CredentialSetPut", {"loginServer": "", **CREDS}),
    ("CredentialSetPatch", {}),
    ("CredentialSetPatch", {"loginServer": "docker.io"}),
    ("CredentialSetPatch", {"usernameSecretUri": None}),
    ("CredentialSetPatch", {"usernameSecretUri": U, "credentialSetName": "abcde"}),
    ("CredentialSetPatch", {"usernameSecretUri": "ftp://demo-kv.vault.azure.net/secrets/u"}),
    ("CredentialSetPatch", [U]),
    # The schema states the login servers that accept credentials, so these fail it as they fail the parser.
    ("CredentialSetPut", {"loginServer": "mcr.microsoft.com", **CREDS}),
    ("CredentialSetPut", {"loginServer": "0", **CREDS}),
    # ... and the upstream credential policy of a rule's source, so "0" (Docker Hub) without credentials fails both.
    ("CacheRulePut", {"sourceRepository": "0", "targetRepository": "0"}),
    ("CacheRulePut", {"sourceRepository": "ubuntu", "targetRepository": "ubuntu"}),
    ("CacheRulePut", {"sourceRepository": "registry.example.com/app", "targetRepository": "app"}),
    (
        "CacheRulePut",
        {"sourceRepository": "mcr.microsoft.com/dotnet/sdk", "targetRepository": "sdk", "credentials": CREDS},
    ),
    # ... and the repository path grammar: tags, digests, wildcards, host names, characters and length.
    ("CacheRulePut", {"sourceRepository": "ghcr.io/org/app:1.0", "targetRepository": "app"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/org/app@sha256:abcd", "targetRepository": "app"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/org/*", "targetRepository": "app"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/org/app", "targetRepository": "org/*"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/*", "targetRepository": "org/*"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/org/\u00c9t\u00e9", "targetRepository": "app"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/org/a--_b", "targetRepository": "app"}),
    ("CacheRulePut", {"sourceRepository": "localhost/app", "targetRepository": "app"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/" + "a" * 249, "targetRepository": "app"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/org/app", "targetRepository": "myregistry.io/app"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/org/app", "targetRepository": "*"}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/org/app", "targetRepository": "a" * 257}),
    ("CacheRulePut", {"sourceRepository": "ghcr.io/org/app", "targetRepository": "team/\u00e4pp"}),
]


def _id(case: tuple[Any, ...]) -> str:
    return f"{case[0]}:{str(case[1])[:60]}"


@pytest.mark.parametrize(("schema", "body"), VALID, ids=[_id(c) for c in VALID])
def test_valid_bodies_pass_the_parser_and_the_schema(schema: str, body: Any) -> None:
    assert _parser_accepts(schema, body)
    assert errors(body, {"$ref": f"#/components/schemas/{schema}"}, DOC) == []


@pytest.mark.parametrize(("schema", "body"), INVALID, ids=[_id(c) for c in INVALID])
def test_invalid_bodies_fail_the_parser_and_the_schema(schema: str, body: Any) -> None:
    assert not _parser_accepts(schema, body)
    assert not _schema_accepts(schema, body)


def _allowed_fields(name: str) -> set[str]:
    """The parser's own list of allowed fields, from its unknown-field message."""
    with pytest.raises(ValidationFailed) as caught:
        PARSERS[name]({**BASE[name], "zzzUnknown": 1})
    message = next(e.message for e in caught.value.errors if e.field == "zzzUnknown")
    match = re.search(r"\(allowed: ([^)]*)\)", message)
    assert match, message
    return set(match.group(1).split(", "))


@pytest.mark.parametrize("name", PARSERS)
def test_schema_properties_are_exactly_the_parsers_fields_and_closed(name: str) -> None:
    schema = _schema(name)
    assert set(schema["properties"]) == _allowed_fields(name)
    assert schema["additionalProperties"] is False
    assert schema["type"] == "object"


@pytest.mark.parametrize("name", PARSERS)
def test_base_bodies_are_valid(name: str) -> None:
    assert _parser_accepts(name, BASE[name])
    assert _schema_accepts(name, BASE[name])


def _field_cases() -> list[tuple[str, str, str, Any]]:
    """(schema, field, variant, value) for every top-level field: dropped, null, a number, a list."""
    cases = []
    for name in PARSERS:
        for field in _schema(name)["properties"]:
            for variant, value in (("missing", None), ("null", None), ("number", 12345), ("list", ["x"])):
                cases.append((name, field, variant, value))
    return cases


def _with(body: dict[str, Any], field: str, variant: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    if variant == "missing":
        changed.pop(field, None)
    else:
        changed[field] = value
    return changed


@pytest.mark.parametrize(("name", "field", "variant", "value"), _field_cases(), ids=lambda v: str(v))
def test_each_field_agrees_on_missing_null_and_wrong_types(
    name: str, field: str, variant: str, value: Any
) -> None:
    body = _with(BASE[name], field, variant, value)
    assert _parser_accepts(name, body) == _schema_accepts(name, body), body


@pytest.mark.parametrize(
    "field", ["usernameSecretUri", "passwordSecretUri", "loginServer", "credentialSetName"]
)
@pytest.mark.parametrize("variant", ["missing", "null", "number", "list"])
def test_nested_credentials_fields_agree(field: str, variant: str) -> None:
    body = copy.deepcopy(BASE["CacheRulePut"])
    body["credentials"] = _with(
        body["credentials"], field, variant, {"null": None, "number": 1, "list": ["x"]}.get(variant)
    )
    assert _parser_accepts("CacheRulePut", body) == _schema_accepts("CacheRulePut", body), body


@pytest.mark.parametrize("name", [n for n in PARSERS if _schema(n).get("required")])
def test_required_fields_are_reported_by_the_parser_together(name: str) -> None:
    required = set(_schema(name)["required"])
    with pytest.raises(ValidationFailed) as caught:
        PARSERS[name]({})
    assert {e.field for e in caught.value.errors if e.message.startswith("is required")} == required
