"""ARM name rules for the resources the app writes, and names it derives for the user."""

from __future__ import annotations

import hashlib
import re

RESOURCE_NAME_MIN = 5
RESOURCE_NAME_MAX = 50
_RESOURCE_NAME = re.compile(r"^[a-zA-Z0-9-]*$")
_REGISTRY_NAME = re.compile(r"^[a-zA-Z0-9]{5,50}$")
_VAULT_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
_SECRET_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")


def resource_name_problem(name: str, what: str) -> str | None:
    """Why ``name`` is not a valid cache rule / credential set name, or None (5-50, letters, digits, '-')."""
    if not RESOURCE_NAME_MIN <= len(name) <= RESOURCE_NAME_MAX:
        return f"{what} must be {RESOURCE_NAME_MIN}-{RESOURCE_NAME_MAX} characters long (got {len(name)})"
    if not _RESOURCE_NAME.match(name):
        return f"{what} may contain only letters, digits and '-'"
    return None


def is_registry_name(name: str) -> bool:
    return bool(_REGISTRY_NAME.match(name))


def is_vault_name(name: str) -> bool:
    return bool(_VAULT_NAME.match(name))


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.match(name))


def _fit(stem: str, *, suffix: str = "rule") -> str:
    stem = re.sub(r"-{2,}", "-", stem).strip("-")
    if len(stem) < RESOURCE_NAME_MIN:
        stem = f"{stem}-{suffix}" if stem else suffix + "-" + suffix
    return stem[:RESOURCE_NAME_MAX].rstrip("-")


def rule_name_for_target(target: str) -> str:
    """``library/nginx`` -> ``library-nginx``; ``library/*`` -> ``library-all``; padded/cut to 5-50."""
    stem = target.replace("/*", "-all") if target.endswith("/*") else target
    stem = re.sub(r"[^a-zA-Z0-9]", "-", stem.replace("*", "all"))
    return _fit(stem)


def credential_set_name_for(login_server: str, username_uri: str, password_uri: str) -> str:
    """A stable name per (upstream, secrets), so concurrent requests for the same credentials converge."""
    digest = hashlib.sha256(f"{login_server}\n{username_uri}\n{password_uri}".lower().encode()).hexdigest()[
        :8
    ]
    host = re.sub(r"[^a-zA-Z0-9]", "-", login_server.lower())
    return _fit(f"{host[: RESOURCE_NAME_MAX - 10]}-{digest}", suffix="creds")
