"""Which upstream registries artifact cache supports, and what each says about credentials.

Source: Microsoft's artifact cache documentation (see tests/fixtures/azure-reference/README.md).
"""

from __future__ import annotations

from enum import Enum


class CredentialPolicy(Enum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    FORBIDDEN = "forbidden"


DOCKER_HUB = "docker.io"
DOCKER_HUB_ALIASES = frozenset({"index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})

_UPSTREAMS: dict[str, CredentialPolicy] = {
    DOCKER_HUB: CredentialPolicy.REQUIRED,
    "mcr.microsoft.com": CredentialPolicy.FORBIDDEN,
    "public.ecr.aws": CredentialPolicy.FORBIDDEN,
    "registry.access.redhat.com": CredentialPolicy.FORBIDDEN,
    "ghcr.io": CredentialPolicy.OPTIONAL,
    "quay.io": CredentialPolicy.OPTIONAL,
    "registry.k8s.io": CredentialPolicy.OPTIONAL,
    "gcr.io": CredentialPolicy.OPTIONAL,
    "nvcr.io": CredentialPolicy.OPTIONAL,
    "registry.redhat.io": CredentialPolicy.REQUIRED,
    "dhi.io": CredentialPolicy.REQUIRED,
}
_SUFFIX_UPSTREAMS: dict[str, CredentialPolicy] = {".pkg.dev": CredentialPolicy.REQUIRED}


def credential_policy(login_server: str) -> CredentialPolicy | None:
    """The policy for an upstream login server, or None when artifact cache does not support it."""
    host = login_server.lower()
    if host in _UPSTREAMS:
        return _UPSTREAMS[host]
    for suffix, policy in _SUFFIX_UPSTREAMS.items():
        if host.endswith(suffix) and len(host) > len(suffix):
            return policy
    return None


def supported_upstreams() -> list[str]:
    return sorted(_UPSTREAMS) + ["*" + s for s in _SUFFIX_UPSTREAMS]
