"""Parsing Key Vault secret identifiers strictly, before anything is written."""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import urlsplit

from shared.domain.models import SecretUri
from shared.domain.names import is_secret_name, is_vault_name

_VERSION = re.compile(r"^[0-9a-fA-F]{32}$")


class SecretUriError(ValueError):
    """A secret URI the app refuses; the message says why."""


def parse_secret_uri(raw: str, *, dns_suffix: str, allowed_vaults: Collection[str] = ()) -> SecretUri:
    """Accept only ``https://{vault}{dns_suffix}/secrets/{name}[/{version}]`` (in ``allowed_vaults`` when set)."""
    if not raw or raw != raw.strip():
        raise SecretUriError("must be a Key Vault secret URI without surrounding spaces")
    parts = urlsplit(raw)
    if parts.scheme.lower() != "https":
        raise SecretUriError(f"must use https (got '{parts.scheme or 'no scheme'}')")
    if "@" in parts.netloc or ":" in parts.netloc:
        raise SecretUriError("must not carry user information or a port")
    if parts.query or parts.fragment or "?" in raw or "#" in raw:
        raise SecretUriError("must not carry a query string or fragment")
    host = (parts.hostname or "").lower()
    suffix = dns_suffix.lower()
    if not host.endswith(suffix) or host.count(".") != suffix.count("."):
        raise SecretUriError(
            f"must be a secret in a Key Vault of this cloud (https://<vault>{suffix}/secrets/<name>)"
        )
    vault = host[: -len(suffix)]
    if not is_vault_name(vault):
        raise SecretUriError(f"'{vault}' is not a valid Key Vault name")
    segments = parts.path.rstrip("/").split("/")[1:] if parts.path else []
    if len(segments) not in (2, 3) or segments[0].lower() != "secrets":
        raise SecretUriError("must have the form https://<vault>" + suffix + "/secrets/<name>[/<version>]")
    name = segments[1]
    if not is_secret_name(name):
        raise SecretUriError(f"'{name}' is not a valid secret name (1-127 letters, digits and '-')")
    version = segments[2] if len(segments) == 3 else None
    if version is not None and not _VERSION.match(version):
        raise SecretUriError(f"'{version}' is not a secret version (32 hex characters)")
    allowed = {v.lower() for v in allowed_vaults}
    if allowed and vault not in allowed:
        raise SecretUriError(f"vault '{vault}' is not in ALLOWED_VAULTS")
    return SecretUri(vault=vault, name=name, version=version.lower() if version else None, dns_suffix=suffix)
