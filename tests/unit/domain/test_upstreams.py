"""Upstream credential policies, as Microsoft documents them (tests/fixtures/azure-reference/README.md)."""

from __future__ import annotations

import pytest

from shared.domain.upstreams import CredentialPolicy, credential_policy, supported_upstreams

REQ, OPT, FORB = CredentialPolicy.REQUIRED, CredentialPolicy.OPTIONAL, CredentialPolicy.FORBIDDEN


@pytest.mark.parametrize(
    ("login_server", "policy"),
    [
        ("docker.io", REQ),
        ("DOCKER.IO", REQ),
        ("mcr.microsoft.com", FORB),
        ("public.ecr.aws", FORB),
        ("registry.access.redhat.com", FORB),
        ("ghcr.io", OPT),
        ("quay.io", OPT),
        ("registry.k8s.io", OPT),
        ("gcr.io", OPT),
        ("nvcr.io", OPT),
        ("registry.redhat.io", REQ),
        ("dhi.io", REQ),
        ("us-docker.pkg.dev", REQ),
        ("europe-west1-docker.pkg.dev", REQ),
        (".pkg.dev", None),
        ("pkg.dev", None),
        ("example.com", None),
        ("ghcr.io.evil.com", None),
        ("localhost:5000", None),
    ],
)
def test_policies(login_server: str, policy: CredentialPolicy | None) -> None:
    assert credential_policy(login_server) is policy


def test_supported_upstreams_lists_every_known_host_and_the_suffix() -> None:
    listed = supported_upstreams()
    assert listed[-1] == "*.pkg.dev"
    assert listed[:-1] == sorted(listed[:-1])
    assert {"docker.io", "mcr.microsoft.com", "ghcr.io", "quay.io"} <= set(listed)
    assert all(credential_policy(u.replace("*", "x")) is not None for u in listed)
