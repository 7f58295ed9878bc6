"""Request parsing: every field error path, all errors reported together, normalised commands out."""

from __future__ import annotations

from typing import Any

import pytest

from shared.api.problems import status_of
from shared.domain.errors import ValidationFailed
from shared.domain.names import credential_set_name_for
from shared.domain.requests import (
    SecretRules,
    check_resource_name,
    parse_cache_rule,
    parse_cache_rule_patch,
    parse_credential_set,
    parse_credential_set_patch,
)

RULES = SecretRules(dns_suffix=".vault.azure.net")
U = "https://demo-kv.vault.azure.net/secrets/dockerhub-username"
P = "https://demo-kv.vault.azure.net/secrets/dockerhub-password"
CREDS = {"usernameSecretUri": U, "passwordSecretUri": P}


def _errors(call: Any, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)
    assert status_of(caught.value) == 400
    return [(e.field, e.message) for e in caught.value.errors]


def _rule_errors(body: Any, name: str | None = None, rules: SecretRules = RULES) -> list[tuple[str, str]]:
    return _errors(parse_cache_rule, body, name=name, rules=rules)


# --- cache rules: accepted ----------------------------------------------------------------------------------


def test_a_docker_hub_rule_with_credentials_is_normalised_and_named() -> None:
    spec = parse_cache_rule(
        {"sourceRepository": "Ubuntu", "targetRepository": "Ubuntu", "credentials": CREDS},
        name=None,
        rules=RULES,
    )
    assert spec.name == "ubuntu"
    assert spec.source_repository == "docker.io/library/ubuntu"
    assert spec.target == "ubuntu"
    assert spec.credential_set is None
    assert spec.credentials is not None
    assert spec.credentials.login_server == "docker.io"
    assert spec.credentials.username.uri == U and spec.credentials.password.uri == P
    assert spec.credentials.credential_set_name == credential_set_name_for("docker.io", U, P)
    assert spec.credentials.name_given is False


def test_the_url_name_wins_on_put_and_the_body_name_on_post() -> None:
    body = {"sourceRepository": "ghcr.io/org/app", "targetRepository": "app"}
    assert parse_cache_rule(body, name="from-url", rules=RULES).name == "from-url"
    assert parse_cache_rule({**body, "name": "from-body"}, name=None, rules=RULES).name == "from-body"
    assert parse_cache_rule(body, name=None, rules=RULES).name == "app-rule"


def test_an_existing_credential_set_may_be_named() -> None:
    spec = parse_cache_rule(
        {"sourceRepository": "nginx", "targetRepository": "nginx", "credentialSet": "hub-creds"},
        name=None,
        rules=RULES,
    )
    assert spec.credential_set == "hub-creds" and spec.credentials is None


def test_given_credentials_name_and_matching_login_server_are_kept() -> None:
    creds = {**CREDS, "loginServer": " GHCR.io ", "credentialSetName": "my-ghcr"}
    spec = parse_cache_rule(
        {"sourceRepository": "ghcr.io/org/app", "targetRepository": "app", "credentials": creds},
        name=None,
        rules=RULES,
    )
    assert spec.credentials is not None
    assert (spec.credentials.credential_set_name, spec.credentials.name_given) == ("my-ghcr", True)
    assert spec.credentials.login_server == "ghcr.io"


@pytest.mark.parametrize(
    "body",
    [
        {"sourceRepository": "mcr.microsoft.com/dotnet/sdk", "targetRepository": "sdk"},
        {
            "sourceRepository": "mcr.microsoft.com/dotnet/sdk",
            "targetRepository": "sdk",
            "credentialSet": None,
        },
        {"sourceRepository": "mcr.microsoft.com/dotnet/sdk", "targetRepository": "sdk", "credentials": None},
        {"sourceRepository": "ghcr.io/org/*", "targetRepository": "org/*"},
        {"sourceRepository": "ghcr.io/org/app", "targetRepository": "app", "credentials": CREDS},
        {
            "sourceRepository": "nginx",
            "targetRepository": "nginx",
            "credentialSet": None,
            "credentials": CREDS,
        },
    ],
)
def test_accepted_rule_bodies(body: dict[str, Any]) -> None:
    spec = parse_cache_rule(body, name="my-rule", rules=RULES)
    assert spec.name == "my-rule"


# --- cache rules: every error path ----------------------------------------------------------------------------

RULE_ERRORS = [
    ("not an object", ["x"], ("$", "must be a JSON object")),
    ("string body", "x", ("$", "must be a JSON object")),
    ("missing source", {"targetRepository": "a"}, ("sourceRepository", "is required")),
    ("missing target", {"sourceRepository": "ghcr.io/a/b"}, ("targetRepository", "is required")),
    (
        "null source",
        {"sourceRepository": None, "targetRepository": "a"},
        ("sourceRepository", "must be a string, not null"),
    ),
    (
        "int source",
        {"sourceRepository": 1, "targetRepository": "a"},
        ("sourceRepository", "must be a string (got int)"),
    ),
    (
        "bool target",
        {"sourceRepository": "ghcr.io/a/b", "targetRepository": True},
        ("targetRepository", "must be a string (got boolean)"),
    ),
    (
        "list target",
        {"sourceRepository": "ghcr.io/a/b", "targetRepository": ["a"]},
        ("targetRepository", "must be a string (got list)"),
    ),
    (
        "blank source",
        {"sourceRepository": "  ", "targetRepository": "a"},
        ("sourceRepository", "must not be empty"),
    ),
    (
        "unknown field",
        {"sourceRepository": "ghcr.io/a/b", "targetRepository": "a", "tag": "x"},
        (
            "tag",
            "unknown field (allowed: credentialSet, credentials, name, sourceRepository, targetRepository)",
        ),
    ),
    (
        "source tag",
        {"sourceRepository": "ghcr.io/a/b:1", "targetRepository": "a"},
        (
            "sourceRepository",
            "sourceRepository 'ghcr.io/a/b:1' contains the tag ':1': a cache rule maps a whole repository; write 'ghcr.io/a/b' and pull ':1' through the registry",
        ),
    ),
    (
        "target host",
        {"sourceRepository": "ghcr.io/a/b", "targetRepository": "ghcr.io/a/b"},
        (
            "targetRepository",
            "targetRepository 'ghcr.io/a/b' starts with a host name: write the path inside your registry, as in 'ubuntu'",
        ),
    ),
    (
        "wildcard source only",
        {"sourceRepository": "ghcr.io/a/*", "targetRepository": "a"},
        ("targetRepository", "a wildcard source ('.../*') needs a wildcard target and vice versa"),
    ),
    (
        "wildcard target only",
        {"sourceRepository": "ghcr.io/a/b", "targetRepository": "a/*"},
        ("targetRepository", "a wildcard source ('.../*') needs a wildcard target and vice versa"),
    ),
    (
        "unsupported upstream",
        {"sourceRepository": "example.com/a/b", "targetRepository": "a"},
        (
            "sourceRepository",
            "upstream 'example.com' is not supported by artifact cache (supported: dhi.io, docker.io, gcr.io, ghcr.io, mcr.microsoft.com, nvcr.io, public.ecr.aws, quay.io, registry.access.redhat.com, registry.k8s.io, registry.redhat.io, *.pkg.dev)",
        ),
    ),
    (
        "docker.io needs credentials",
        {"sourceRepository": "nginx", "targetRepository": "nginx"},
        (
            "credentials",
            "upstream 'docker.io' requires credentials: give credentials {usernameSecretUri, passwordSecretUri} or an existing credentialSet",
        ),
    ),
    (
        "docker.io null set",
        {"sourceRepository": "nginx", "targetRepository": "nginx", "credentialSet": None},
        (
            "credentials",
            "upstream 'docker.io' requires credentials: give credentials {usernameSecretUri, passwordSecretUri} or an existing credentialSet",
        ),
    ),
    (
        "pkg.dev needs credentials",
        {"sourceRepository": "us-docker.pkg.dev/p/r", "targetRepository": "r"},
        (
            "credentials",
            "upstream 'us-docker.pkg.dev' requires credentials: give credentials {usernameSecretUri, passwordSecretUri} or an existing credentialSet",
        ),
    ),
    (
        "mcr refuses credentials",
        {"sourceRepository": "mcr.microsoft.com/a", "targetRepository": "a", "credentials": CREDS},
        ("credentials", "upstream 'mcr.microsoft.com' does not accept credentials"),
    ),
    (
        "mcr refuses a set",
        {"sourceRepository": "mcr.microsoft.com/a", "targetRepository": "a", "credentialSet": "abcde"},
        ("credentials", "upstream 'mcr.microsoft.com' does not accept credentials"),
    ),
    (
        "both set and credentials",
        {
            "sourceRepository": "nginx",
            "targetRepository": "nginx",
            "credentialSet": "abcde",
            "credentials": CREDS,
        },
        ("credentials", "give either credentialSet (an existing one) or credentials, not both"),
    ),
    (
        "short set name",
        {"sourceRepository": "ghcr.io/a/b", "targetRepository": "a", "credentialSet": "ab"},
        ("credentialSet", "credentialSet must be 5-50 characters long (got 2)"),
    ),
    (
        "int set name",
        {"sourceRepository": "ghcr.io/a/b", "targetRepository": "a", "credentialSet": 5},
        ("credentialSet", "must be a string (got int)"),
    ),
    (
        "null name",
        {"sourceRepository": "ghcr.io/a/b", "targetRepository": "a", "name": None},
        ("name", "must be a string, not null"),
    ),
    (
        "bad name",
        {"sourceRepository": "ghcr.io/a/b", "targetRepository": "a", "name": "a_b_c_d"},
        ("name", "cache rule name may contain only letters, digits and '-'"),
    ),
    (
        "credentials not object",
        {"sourceRepository": "ghcr.io/a/b", "targetRepository": "a", "credentials": "abcde"},
        ("credentials", "must be a JSON object"),
    ),
    (
        "credentials unknown",
        {
            "sourceRepository": "ghcr.io/a/b",
            "targetRepository": "a",
            "credentials": {**CREDS, "password": "x"},
        },
        (
            "credentials.password",
            "unknown field (allowed: credentialSetName, loginServer, passwordSecretUri, usernameSecretUri)",
        ),
    ),
    (
        "credentials missing",
        {"sourceRepository": "ghcr.io/a/b", "targetRepository": "a", "credentials": {"usernameSecretUri": U}},
        ("credentials.passwordSecretUri", "is required"),
    ),
    (
        "credentials http",
        {
            "sourceRepository": "ghcr.io/a/b",
            "targetRepository": "a",
            "credentials": {**CREDS, "usernameSecretUri": "http://demo-kv.vault.azure.net/secrets/u"},
        },
        ("credentials.usernameSecretUri", "must use https (got 'http')"),
    ),
    (
        "credentials other upstream",
        {
            "sourceRepository": "ghcr.io/a/b",
            "targetRepository": "a",
            "credentials": {**CREDS, "loginServer": "docker.io"},
        },
        (
            "credentials.loginServer",
            "must be the source's upstream 'ghcr.io' (a credential set signs in to one upstream)",
        ),
    ),
    (
        "credentials bad set name",
        {
            "sourceRepository": "ghcr.io/a/b",
            "targetRepository": "a",
            "credentials": {**CREDS, "credentialSetName": "x.y.z.w"},
        },
        ("credentials.credentialSetName", "credentialSetName may contain only letters, digits and '-'"),
    ),
    (
        "credentials null login",
        {
            "sourceRepository": "ghcr.io/a/b",
            "targetRepository": "a",
            "credentials": {**CREDS, "loginServer": None},
        },
        ("credentials.loginServer", "must be a string, not null"),
    ),
]


@pytest.mark.parametrize(("case", "body", "expected"), RULE_ERRORS, ids=[c[0] for c in RULE_ERRORS])
def test_cache_rule_error_paths(case: str, body: Any, expected: tuple[str, str]) -> None:
    assert expected in _rule_errors(body)


def test_name_is_unknown_on_put() -> None:
    body = {"sourceRepository": "ghcr.io/a/b", "targetRepository": "a", "name": "abcde"}
    assert (
        "name",
        "unknown field (allowed: credentialSet, credentials, sourceRepository, targetRepository)",
    ) in _rule_errors(body, name="abcde")


def test_every_problem_is_reported_at_once() -> None:
    body = {
        "sourceRepository": 1,
        "targetRepository": "a:tag",
        "credentialSet": "ab",
        "bogus": True,
        "credentials": {"usernameSecretUri": "http://x", "extra": 1},
    }
    fields = [f for f, _ in _rule_errors(body)]
    assert set(fields) == {
        "bogus",
        "sourceRepository",
        "targetRepository",
        "credentialSet",
        "credentials.extra",
        "credentials.usernameSecretUri",
        "credentials.passwordSecretUri",
        "credentials",
    }


def test_allowed_vaults_apply_to_credentials() -> None:
    rules = SecretRules(dns_suffix=".vault.azure.net", allowed_vaults=frozenset({"other-kv"}))
    body = {"sourceRepository": "nginx", "targetRepository": "nginx", "credentials": CREDS}
    assert _rule_errors(body, rules=rules) == [
        ("credentials.usernameSecretUri", "vault 'demo-kv' is not in ALLOWED_VAULTS"),
        ("credentials.passwordSecretUri", "vault 'demo-kv' is not in ALLOWED_VAULTS"),
    ]


def test_the_error_detail_names_the_request() -> None:
    with pytest.raises(ValidationFailed, match="The cache rule request is invalid"):
        parse_cache_rule({}, name=None, rules=RULES)


# --- cache rule PATCH -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"), [({"credentialSet": "abcde"}, "abcde"), ({"credentialSet": None}, None)]
)
def test_patch_accepts_a_name_or_null(body: dict[str, Any], expected: str | None) -> None:
    assert parse_cache_rule_patch(body) == expected


PATCH_ERRORS = [
    ({}, ("credentialSet", "is required (a credential set name, or null to remove credentials)")),
    ({"credentialSet": "abc"}, ("credentialSet", "credentialSet must be 5-50 characters long (got 3)")),
    ({"credentialSet": 1}, ("credentialSet", "must be a string (got int)")),
    ({"credentialSet": ""}, ("credentialSet", "must not be empty")),
    ({"credentialSet": "abcde", "x": 1}, ("x", "unknown field (allowed: credentialSet)")),
    ({"x": 1}, ("x", "unknown field (allowed: credentialSet)")),
    ([], ("$", "must be a JSON object")),
]


@pytest.mark.parametrize(("body", "expected"), PATCH_ERRORS)
def test_patch_error_paths(body: Any, expected: tuple[str, str]) -> None:
    assert expected in _errors(parse_cache_rule_patch, body)


# --- credential sets ----------------------------------------------------------------------------------------


def test_credential_set_put_normalises_the_login_server() -> None:
    spec = parse_credential_set({"loginServer": " Docker.IO ", **CREDS}, name="hub-set", rules=RULES)
    assert (spec.name, spec.login_server, spec.username.uri, spec.password.uri) == (
        "hub-set",
        "docker.io",
        U,
        P,
    )


SET_ERRORS = [
    (
        {},
        [
            ("loginServer", "is required"),
            ("usernameSecretUri", "is required"),
            ("passwordSecretUri", "is required"),
        ],
    ),
    (None, [("$", "must be a JSON object")]),
    (
        {"loginServer": "mcr.microsoft.com", **CREDS},
        [("loginServer", "upstream 'mcr.microsoft.com' does not accept credentials")],
    ),
    (
        {"loginServer": "example.com", **CREDS},
        [
            (
                "loginServer",
                "'example.com' is not an upstream artifact cache supports; upstreams that take credentials: "
                "dhi.io, docker.io, gcr.io, ghcr.io, nvcr.io, quay.io, registry.k8s.io, registry.redhat.io, *.pkg.dev",
            )
        ],
    ),
    ({"loginServer": 5, **CREDS}, [("loginServer", "must be a string (got int)")]),
    (
        {"loginServer": "docker.io", **CREDS, "name": "x"},
        [("name", "unknown field (allowed: loginServer, passwordSecretUri, usernameSecretUri)")],
    ),
    (
        {
            "loginServer": "docker.io",
            "usernameSecretUri": U,
            "passwordSecretUri": "https://kv.vault.azure.net/secrets/p",
        },
        [("passwordSecretUri", "'kv' is not a valid Key Vault name")],
    ),
]


@pytest.mark.parametrize(("body", "expected"), SET_ERRORS)
def test_credential_set_error_paths(body: Any, expected: list[tuple[str, str]]) -> None:
    found = _errors(parse_credential_set, body, name="hub-set", rules=RULES)
    for error in expected:
        assert error in found


@pytest.mark.parametrize(
    ("body", "username", "password", "login_server"),
    [
        ({"usernameSecretUri": U}, U, None, None),
        ({"passwordSecretUri": P}, None, P, None),
        ({"usernameSecretUri": U, "passwordSecretUri": P, "loginServer": " Docker.io "}, U, P, "docker.io"),
    ],
)
def test_credential_set_patch_accepts(
    body: dict[str, Any], username: str | None, password: str | None, login_server: str | None
) -> None:
    patch = parse_credential_set_patch(body, rules=RULES)
    assert (patch.username.uri if patch.username else None) == username
    assert (patch.password.uri if patch.password else None) == password
    assert patch.login_server == login_server


SET_PATCH_ERRORS = [
    ({}, ("$", "give usernameSecretUri and/or passwordSecretUri")),
    ({"loginServer": "docker.io"}, ("$", "give usernameSecretUri and/or passwordSecretUri")),
    ({"usernameSecretUri": None}, ("usernameSecretUri", "must be a string, not null")),
    (
        {"usernameSecretUri": "https://demo-kv.vault.azure.net/secrets/u?x=1"},
        ("usernameSecretUri", "must not carry a query string or fragment"),
    ),
    (
        {"usernameSecretUri": U, "credentialSetName": "abcde"},
        ("credentialSetName", "unknown field (allowed: loginServer, passwordSecretUri, usernameSecretUri)"),
    ),
    ("x", ("$", "must be a JSON object")),
]


@pytest.mark.parametrize(("body", "expected"), SET_PATCH_ERRORS)
def test_credential_set_patch_error_paths(body: Any, expected: tuple[str, str]) -> None:
    assert expected in _errors(parse_credential_set_patch, body, rules=RULES)


def test_check_resource_name() -> None:
    check_resource_name("abcde", what="cache rule name")
    with pytest.raises(ValidationFailed) as caught:
        check_resource_name("ab", what="credential set name")
    assert caught.value.detail == "The credential set name in the URL is invalid"
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("name", "credential set name must be 5-50 characters long (got 2)")
    ]
