"""Repository normalisation: what users write -> what artifact cache accepts, or a message naming the fix."""

from __future__ import annotations

import pytest

from shared.domain.repositories import (
    RepositoryError,
    covers,
    is_wildcard,
    normalise_source,
    normalise_target,
    wildcard_prefix,
)

SOURCES = [
    ("ubuntu", "docker.io", "library/ubuntu"),
    ("Ubuntu", "docker.io", "library/ubuntu"),
    ("library/nginx", "docker.io", "library/nginx"),
    ("docker.io/nginx", "docker.io", "library/nginx"),
    ("docker.io/library/nginx", "docker.io", "library/nginx"),
    ("DOCKER.IO/Bitnami/Redis", "docker.io", "bitnami/redis"),
    ("index.docker.io/library/nginx", "docker.io", "library/nginx"),
    ("registry-1.docker.io/bitnami/redis", "docker.io", "bitnami/redis"),
    ("registry.hub.docker.com/alpine", "docker.io", "library/alpine"),
    ("bitnami/redis", "docker.io", "bitnami/redis"),
    ("ghcr.io/Org/App", "ghcr.io", "org/app"),
    ("mcr.microsoft.com/dotnet/sdk", "mcr.microsoft.com", "dotnet/sdk"),
    ("quay.io/org/*", "quay.io", "org/*"),
    ("docker.io/library/*", "docker.io", "library/*"),
    ("  /ghcr.io/org/app/  ", "ghcr.io", "org/app"),
    ("localhost:5000/team/app", "localhost:5000", "team/app"),
    ("localhost/app", "localhost", "app"),
    ("us-docker.pkg.dev/project/repo/image", "us-docker.pkg.dev", "project/repo/image"),
    ("docker.io/library/foo_bar", "docker.io", "library/foo_bar"),
    ("docker.io/library/a__b", "docker.io", "library/a__b"),
    ("docker.io/library/a---b", "docker.io", "library/a---b"),
]


@pytest.mark.parametrize(("raw", "host", "path"), SOURCES)
def test_sources_normalise(raw: str, host: str, path: str) -> None:
    source = normalise_source(raw)
    assert (source.login_server, source.path) == (host, path)
    assert source.full == f"{host}/{path}"
    assert source.is_wildcard is path.endswith("/*")


def test_normalising_is_idempotent() -> None:
    for raw, _, _ in SOURCES:
        once = normalise_source(raw).full
        assert normalise_source(once).full == once


SOURCE_ERRORS = [
    # (raw, fragments the message must contain: what is wrong and how to write it instead)
    ("ubuntu:22.04", ["tag ':22.04'", "write 'ubuntu'"]),
    ("docker.io/library/nginx:latest", ["tag ':latest'", "write 'docker.io/library/nginx'"]),
    ("localhost:5000/app:1.0", ["tag ':1.0'", "write 'localhost:5000/app'"]),
    ("ghcr.io/a/b@sha256:abcd01", ["digest 'sha256:abcd01'", "write 'ghcr.io/a/b'"]),
    ("ghcr.io/a/b:1.0@sha256:abcd01", ["digest", "write 'ghcr.io/a/b:1.0'"]),
    ("https://docker.io/nginx", ["without a scheme", "docker.io/library/nginx"]),
    ("", ["must not be empty"]),
    ("   ", ["must not be empty"]),
    ("quay.io/*/app", ["'*' is allowed only as the last path segment"]),
    ("quay.io/org/**", ["segment '**'"]),
    ("quay.io/org/ap*", ["segment 'ap*'"]),
    ("ghcr.io/org/a..b", ["segment 'a..b'", "lowercase letters and digits"]),
    ("ghcr.io/org/-app", ["segment '-app'"]),
    ("ghcr.io/org//app", ["segment ''"]),
    ("ghcr.io/org/app name", ["segment 'app name'"]),
    ("bad_host.io/app", ["'bad_host.io' is not a registry host name"]),
    ("ghcr.io/" + "a" * 260, ["longer than 256"]),
]


@pytest.mark.parametrize(("raw", "fragments"), SOURCE_ERRORS)
def test_bad_sources_are_refused_with_a_message_naming_the_fix(raw: str, fragments: list[str]) -> None:
    with pytest.raises(RepositoryError) as caught:
        normalise_source(raw)
    for fragment in fragments:
        assert fragment in str(caught.value)


TARGETS = [
    ("ubuntu", "ubuntu"),
    ("Ubuntu", "ubuntu"),
    ("/team/App/", "team/app"),
    ("org/*", "org/*"),
    ("a/b/c/*", "a/b/c/*"),
    ("dotnet/sdk", "dotnet/sdk"),
    ("my.app", "my.app"),
]


@pytest.mark.parametrize(("raw", "expected"), TARGETS)
def test_targets_normalise(raw: str, expected: str) -> None:
    assert normalise_target(raw) == expected


TARGET_ERRORS = [
    ("", "must not be empty"),
    ("ubuntu:22.04", "write 'ubuntu' and pull ':22.04'"),
    ("a/b@sha256:00ff", "digest 'sha256:00ff'"),
    ("ghcr.io/org/app", "starts with a host name: write the path inside your registry"),
    ("*", "'*' is allowed only as the last path segment"),
    ("a/*/b", "'*' is allowed only as the last path segment"),
    ("a/b c", "segment 'b c'"),
    ("x" * 257, "longer than 256"),
]


@pytest.mark.parametrize(("raw", "fragment"), TARGET_ERRORS)
def test_bad_targets_are_refused(raw: str, fragment: str) -> None:
    with pytest.raises(RepositoryError, match=None) as caught:
        normalise_target(raw)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("path", "wildcard"), [("*", True), ("a/*", True), ("a/b", False), ("a*", False), ("a/*/b", False)]
)
def test_is_wildcard(path: str, wildcard: bool) -> None:
    assert is_wildcard(path) is wildcard


@pytest.mark.parametrize(
    ("wildcard", "path", "covered"),
    [
        ("a/*", "a/b", True),
        ("a/*", "a/b/c", True),
        ("a/*", "a/b/*", True),
        ("a/*", "ab/c", False),
        ("a/b/*", "a/c", False),
        ("a/b/*", "a/*", False),
    ],
)
def test_covers(wildcard: str, path: str, covered: bool) -> None:
    assert wildcard_prefix(wildcard) == wildcard[:-1]
    assert covers(wildcard, path) is covered
