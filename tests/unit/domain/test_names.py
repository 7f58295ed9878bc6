"""Name rules and the names the app derives: always valid ARM names, stable for the same input."""

from __future__ import annotations

import re

import pytest

from shared.domain.names import (
    credential_set_name_for,
    is_registry_name,
    is_secret_name,
    is_vault_name,
    resource_name_problem,
    rule_name_for_target,
)

VALID_NAME = re.compile(r"^[a-zA-Z0-9-]{5,50}$")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("library/nginx", "library-nginx"),
        ("library/*", "library-all"),
        ("a/b/c/*", "a-b-c-all"),
        ("my.app/v1", "my-app-v1"),
        ("team/app_name", "team-app-name"),
        ("a__b/c", "a-b-c"),
        ("ubuntu", "ubuntu"),
        ("a", "a-rule"),
        ("ab", "ab-rule"),
        ("abcd", "abcd-rule"),
        ("abcde", "abcde"),
        ("a.b", "a-b-rule"),
        ("*", "all-rule"),
        ("x" * 60, "x" * 50),
        ("a" * 49 + "/b", "a" * 49),
    ],
)
def test_rule_names_are_derived_from_targets(target: str, expected: str) -> None:
    name = rule_name_for_target(target)
    assert name == expected
    assert VALID_NAME.match(name)
    assert resource_name_problem(name, "x") is None


@pytest.mark.parametrize("target", ["a-" * 30, "a/" * 30 + "*", "-a", "a" * 48 + "/-b", "z/" * 3])
def test_derived_rule_names_never_end_in_dashes_or_double_them(target: str) -> None:
    name = rule_name_for_target(target)
    assert VALID_NAME.match(name), name
    assert "--" not in name and not name.startswith("-") and not name.endswith("-")


def test_credential_set_names_are_stable_case_insensitive_and_distinct() -> None:
    u, p = "https://kv.vault.azure.net/secrets/u", "https://kv.vault.azure.net/secrets/p"
    name = credential_set_name_for("docker.io", u, p)
    assert re.fullmatch(r"docker-io-[0-9a-f]{8}", name)
    assert credential_set_name_for("DOCKER.IO", u.upper(), p.upper()) == name
    assert credential_set_name_for("docker.io", p, u) != name
    assert credential_set_name_for("docker.io", u, p + "2") != name
    assert credential_set_name_for("ghcr.io", u, p) != name


@pytest.mark.parametrize(
    "login_server", ["docker.io", "x" * 60 + ".pkg.dev", "us-docker.pkg.dev", "a.b", "registry-1.docker.io"]
)
def test_credential_set_names_fit_arm_rules(login_server: str) -> None:
    name = credential_set_name_for(login_server, "u", "p")
    assert VALID_NAME.match(name), name
    assert "--" not in name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("abcde", None),
        ("a" * 50, None),
        ("my-rule-1", None),
        ("ABC-de", None),
        ("abcd", "must be 5-50 characters long (got 4)"),
        ("", "must be 5-50 characters long (got 0)"),
        ("a" * 51, "must be 5-50 characters long (got 51)"),
        ("my_rule", "may contain only letters, digits and '-'"),
        ("my.rule", "may contain only letters, digits and '-'"),
        ("my rule", "may contain only letters, digits and '-'"),
    ],
)
def test_resource_name_problems(name: str, problem: str | None) -> None:
    found = resource_name_problem(name, "cache rule name")
    if problem is None:
        assert found is None
    else:
        assert found == f"cache rule name {problem}"


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("demoregistry", True),
        ("abcde", True),
        ("A1b2C", True),
        ("abcd", False),
        ("a" * 51, False),
        ("demo-reg", False),
    ],
)
def test_registry_names(name: str, ok: bool) -> None:
    assert is_registry_name(name) is ok


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("demo-kv", True),
        ("abc", True),
        ("a" * 24, True),
        ("ab", False),
        ("a" * 25, False),
        ("1kv", False),
        ("kv-", False),
        ("de--kv", False),
        ("demo_kv", False),
    ],
)
def test_vault_names(name: str, ok: bool) -> None:
    assert is_vault_name(name) is ok


@pytest.mark.parametrize(
    ("name", "ok"),
    [("a", True), ("My-Secret-1", True), ("n" * 127, True), ("", False), ("n" * 128, False), ("a_b", False)],
)
def test_secret_names(name: str, ok: bool) -> None:
    assert is_secret_name(name) is ok
