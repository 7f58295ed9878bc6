"""Key Vault data plane: versioned secrets with attributes enabled/nbf/exp (times on the emulator clock).

Key Vault does not enforce nbf/exp on secrets (they are informational), so reads of expired secrets work;
a disabled secret's value cannot be read (403 Forbidden, innererror SecretDisabled). Soft delete is not
modelled: a deleted secret is gone (404 SecretNotFound).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from emulator.constants import KEYVAULT_DNS_SUFFIX
from emulator.http import ServiceError

RECOVERY_LEVEL = "Recoverable+Purgeable"


@dataclass
class SecretVersion:
    version: str
    value: str
    created: int
    updated: int
    enabled: bool = True
    nbf: int | None = None
    exp: int | None = None
    content_type: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {"enabled": self.enabled}
        if self.nbf is not None:
            attrs["nbf"] = self.nbf
        if self.exp is not None:
            attrs["exp"] = self.exp
        attrs.update({"created": self.created, "updated": self.updated, "recoveryLevel": RECOVERY_LEVEL})
        return attrs


@dataclass
class Secret:
    vault: str
    name: str
    versions: list[SecretVersion] = field(default_factory=list)

    @property
    def latest(self) -> SecretVersion:
        return self.versions[-1]

    def base_id(self) -> str:
        return f"https://{self.vault}{KEYVAULT_DNS_SUFFIX}/secrets/{self.name}"

    def bundle(self, version: SecretVersion, *, with_value: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if with_value:
            body["value"] = version.value
        body["id"] = f"{self.base_id()}/{version.version}"
        if version.content_type is not None:
            body["contentType"] = version.content_type
        body["attributes"] = version.attributes()
        if version.tags:
            body["tags"] = version.tags
        return body

    def item(self, version: SecretVersion, *, versioned: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"id": f"{self.base_id()}/{version.version}" if versioned else self.base_id()}
        body["attributes"] = version.attributes()
        if version.content_type is not None:
            body["contentType"] = version.content_type
        if version.tags:
            body["tags"] = version.tags
        return body


def secret_not_found_message(label: str) -> str:
    """Key Vault's message for a missing secret (name or name/version)."""
    return (
        f"A secret with (name/id) {label} was not found in this key vault. If you recently deleted this "
        "secret you may be able to recover it using the correct recovery command."
    )


def _epoch(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ServiceError(
            400, "BadParameter", f"attributes.{name} must be a number of seconds since the epoch."
        )
    return int(value)


class KeyVaultDataBackend:
    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], Secret] = {}

    def reset(self) -> None:
        self.secrets = {}

    def drop_vault(self, vault: str) -> None:
        for key in [k for k in self.secrets if k[0] == vault.lower()]:
            del self.secrets[key]

    def set(self, vault: str, name: str, body: dict[str, Any], now: float) -> tuple[Secret, SecretVersion]:
        value = body.get("value")
        if not isinstance(value, str):
            raise ServiceError(400, "BadParameter", "The request must carry a string 'value'.")
        attrs = body.get("attributes") or {}
        stamp = int(now)
        version = SecretVersion(
            uuid.uuid4().hex,
            value,
            stamp,
            stamp,
            enabled=bool(attrs.get("enabled", True)),
            nbf=_epoch(attrs.get("nbf"), "nbf"),
            exp=_epoch(attrs.get("exp"), "exp"),
            content_type=body.get("contentType"),
            tags=dict(body.get("tags") or {}),
        )
        secret = self.secrets.setdefault((vault.lower(), name.lower()), Secret(vault.lower(), name))
        secret.versions.append(version)
        return secret, version

    def find(self, vault: str, name: str, version: str | None = None) -> tuple[Secret, SecretVersion] | None:
        secret = self.secrets.get((vault.lower(), name.lower()))
        if secret is None or not secret.versions:
            return None
        if not version:
            return secret, secret.latest
        for candidate in secret.versions:
            if candidate.version == version.lower():
                return secret, candidate
        return None

    def get(self, vault: str, name: str, version: str | None = None) -> tuple[Secret, SecretVersion]:
        found = self.find(vault, name, version)
        if found is None:
            label = f"{name}/{version}" if version else name
            raise ServiceError(404, "SecretNotFound", secret_not_found_message(label))
        return found

    def update(
        self, vault: str, name: str, version: str | None, body: dict[str, Any], now: float
    ) -> dict[str, Any]:
        secret, target = self.get(vault, name, version)
        attrs = body.get("attributes") or {}
        if "enabled" in attrs and attrs["enabled"] is not None:
            target.enabled = bool(attrs["enabled"])
        for key in ("nbf", "exp"):
            if key in attrs:
                setattr(target, key, _epoch(attrs[key], key))
        if "contentType" in body:
            target.content_type = body["contentType"]
        if "tags" in body:
            target.tags = dict(body["tags"] or {})
        target.updated = int(now)
        return secret.bundle(target, with_value=False)

    def list_secrets(self, vault: str) -> list[tuple[Secret, SecretVersion]]:
        return [
            (s, s.latest) for (v, _), s in sorted(self.secrets.items()) if v == vault.lower() and s.versions
        ]

    def list_versions(self, vault: str, name: str) -> list[tuple[Secret, SecretVersion]]:
        secret, _ = self.get(vault, name)
        return [(secret, v) for v in secret.versions]

    def delete(self, vault: str, name: str) -> dict[str, Any]:
        secret, latest = self.get(vault, name)
        del self.secrets[(vault.lower(), name.lower())]
        body = secret.bundle(latest, with_value=False)
        body["attributes"]["recoveryLevel"] = "Purgeable"
        return body
