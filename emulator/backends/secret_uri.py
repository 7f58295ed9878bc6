"""Key Vault secret identifiers in Azure form: https://{vault}.vault.azure.net/secrets/{name}[/{version}]."""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulator.http import ServiceError

_URI = re.compile(
    r"https://(?P<vault>[a-zA-Z0-9-]{3,24})\.vault\.azure\.net(?::443)?/secrets/"
    r"(?P<name>[a-zA-Z0-9-]{1,127})(?:/(?P<version>[a-zA-Z0-9]*))?/?"
)


@dataclass(frozen=True)
class SecretRef:
    vault: str
    name: str
    version: str | None  # None = versionless: follows the latest version


def parse_secret_uri(uri: object, *, field: str = "secret identifier") -> SecretRef:
    if not isinstance(uri, str):
        raise ServiceError(400, "InvalidSecretIdentifier", f"{field} is required.")
    found = _URI.fullmatch(uri)
    if not found:
        raise ServiceError(
            400,
            "InvalidSecretIdentifier",
            f"{field} '{uri}' is not a Key Vault secret URI (https://<vault>.vault.azure.net/secrets/<name>).",
        )
    return SecretRef(found["vault"].lower(), found["name"].lower(), found["version"] or None)
