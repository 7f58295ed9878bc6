"""Normalising repository paths the way users write them into the form artifact cache accepts.

Docker's reference rules decide where the registry host ends; official Docker Hub images live under
``library/``; tags and digests are refused with a message that says how to write the rule instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.domain.upstreams import DOCKER_HUB, DOCKER_HUB_ALIASES

WILDCARD = "*"
MAX_REPOSITORY_LENGTH = 256
# OCI distribution spec path component.
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$"
)
_DIGEST = re.compile(r"@[A-Za-z0-9_+.-]+:[A-Fa-f0-9]+$")


class RepositoryError(ValueError):
    """A repository path that cannot be used; the message tells the user how to fix it."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceRepository:
    login_server: str
    path: str

    @property
    def full(self) -> str:
        return f"{self.login_server}/{self.path}"

    @property
    def is_wildcard(self) -> bool:
        return self.path.endswith("/" + WILDCARD) or self.path == WILDCARD


def _reject_tag_or_digest(value: str, what: str) -> None:
    digest = _DIGEST.search(value)
    if digest:
        raise RepositoryError(
            f"{what} '{value}' contains the digest '{digest.group(0)[1:]}': a cache rule maps a whole repository; "
            f"write '{value[: digest.start()]}' and pull the digest through the registry"
        )
    # A colon in the last segment is always a tag: only a first segment followed by more can be host:port.
    if ":" in value.rsplit("/", 1)[-1]:
        repo, tag = value.rsplit(":", 1)
        raise RepositoryError(
            f"{what} '{value}' contains the tag ':{tag}': a cache rule maps a whole repository; write '{repo}' "
            f"and pull ':{tag}' through the registry"
        )


def _check_components(path: str, what: str, *, allow_wildcard: bool) -> None:
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part == WILDCARD and allow_wildcard and i == len(parts) - 1 and i > 0:
            continue
        if part == WILDCARD:
            raise RepositoryError(
                f"{what} '{path}': '*' is allowed only as the last path segment, as in 'library/*'"
            )
        if not _COMPONENT.match(part):
            raise RepositoryError(
                f"{what} '{path}': segment '{part}' must be lowercase letters and digits, "
                "separated by '.', '_', '__' or '-'"
            )


def normalise_source(raw: str) -> SourceRepository:
    """``Ubuntu`` -> ``docker.io/library/ubuntu``; ``ghcr.io/Org/App`` -> ``ghcr.io/org/app``."""
    value = raw.strip()
    if not value:
        raise RepositoryError("sourceRepository must not be empty")
    if "://" in value:
        raise RepositoryError(
            f"sourceRepository '{value}': write it without a scheme, as in 'docker.io/library/nginx'"
        )
    value = value.strip("/")
    if len(value) > MAX_REPOSITORY_LENGTH:
        raise RepositoryError(f"sourceRepository is longer than {MAX_REPOSITORY_LENGTH} characters")
    _reject_tag_or_digest(value, "sourceRepository")
    lowered = value.lower()
    first, _, rest = lowered.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        host, path = first, rest
    else:
        host, path = DOCKER_HUB, lowered
    if not _HOST.match(host):
        raise RepositoryError(f"sourceRepository '{value}': '{host}' is not a registry host name")
    if host in DOCKER_HUB_ALIASES:
        host = DOCKER_HUB
    if host == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    _check_components(path, "sourceRepository", allow_wildcard=True)
    return SourceRepository(login_server=host, path=path)


def normalise_target(raw: str) -> str:
    value = raw.strip().strip("/")
    if not value:
        raise RepositoryError("targetRepository must not be empty")
    if len(value) > MAX_REPOSITORY_LENGTH:
        raise RepositoryError(f"targetRepository is longer than {MAX_REPOSITORY_LENGTH} characters")
    _reject_tag_or_digest(value, "targetRepository")
    value = value.lower()
    if "." in value.split("/", 1)[0] and "/" in value:
        raise RepositoryError(
            f"targetRepository '{value}' starts with a host name: write the path inside your registry, as in 'ubuntu'"
        )
    _check_components(value, "targetRepository", allow_wildcard=True)
    return value


def is_wildcard(path: str) -> bool:
    return path == WILDCARD or path.endswith("/" + WILDCARD)


def wildcard_prefix(path: str) -> str:
    """``library/*`` -> ``library/``; the namespace a wildcard rule covers."""
    return path[: -len(WILDCARD)]


def covers(wildcard: str, path: str) -> bool:
    """Whether wildcard ``a/*`` covers ``path`` (``a/b``, ``a/b/c`` or another wildcard ``a/b/*``)."""
    return path.startswith(wildcard_prefix(wildcard))
