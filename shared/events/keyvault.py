"""Key Vault events: a secret's new version, near expiry, expiry; a vault's access policy (or model) change.

``data`` field names are matched case-insensitively and ``NBF``/``EXP`` read as numbers or numeric strings,
as Microsoft's samples differ from the event model. No view holds a secret value: Key Vault events carry none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Self, TypedDict

from shared.events._arm import arm_id, resource_id_or_none, types_of
from shared.events._fields import EventParseError, Fields, join
from shared.events.envelope import EventEnvelope

_VAULT_TYPES = ("microsoft.keyvault", "vaults")


class _VaultFields(TypedDict):
    id: str
    time: datetime | None
    subject: str | None
    vault_name: str
    vault_id: str | None
    subscription_id: str | None
    resource_group: str | None
    envelope: EventEnvelope


@dataclass(frozen=True, kw_only=True, slots=True)
class VaultEvent:
    """What every Key Vault event tells: which vault, and (from the topic) where it lives."""

    event_type: ClassVar[str] = ""

    id: str
    time: datetime | None
    subject: str | None
    vault_name: str
    vault_id: str | None
    subscription_id: str | None
    resource_group: str | None
    envelope: EventEnvelope = field(repr=False, compare=False)

    @classmethod
    def from_envelope(cls, envelope: EventEnvelope) -> Self:
        return cls(**_vault_fields(envelope))


@dataclass(frozen=True, kw_only=True, slots=True)
class VaultAccessPolicyChanged(VaultEvent):
    """The vault's access policies changed, or it switched between access policies and RBAC."""

    event_type: ClassVar[str] = "Microsoft.KeyVault.VaultAccessPolicyChanged"


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretEvent(VaultEvent):
    """A secret event: which secret and version, and its validity window (epoch seconds, None when unset)."""

    secret_name: str
    version: str | None
    secret_id: str | None
    not_before: float | None
    expires: float | None

    @classmethod
    def from_envelope(cls, envelope: EventEnvelope) -> Self:
        data = Fields(envelope.data, "data")
        secret_name = data.text("ObjectName") or envelope.subject
        if secret_name is None:
            raise EventParseError.at(join("data", "ObjectName"), "is required (the secret's name)")
        return cls(
            **_vault_fields(envelope),
            secret_name=secret_name,
            version=data.text("Version"),
            secret_id=data.text("Id"),
            not_before=data.epoch("NBF"),
            expires=data.epoch("EXP"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretNewVersionCreated(SecretEvent):
    event_type: ClassVar[str] = "Microsoft.KeyVault.SecretNewVersionCreated"


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretNearExpiry(SecretEvent):
    """Sent 30 days before ``expires``."""

    event_type: ClassVar[str] = "Microsoft.KeyVault.SecretNearExpiry"


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretExpired(SecretEvent):
    event_type: ClassVar[str] = "Microsoft.KeyVault.SecretExpired"


def _vault_fields(envelope: EventEnvelope) -> _VaultFields:
    """The vault from ``data.VaultName``, else from the topic (a vault resource ID), else the subject."""
    data = Fields(envelope.data, "data")
    topic = resource_id_or_none(envelope.source)
    vault = topic if topic is not None and types_of(topic) == _VAULT_TYPES else None
    name = data.text("VaultName") or (vault.name if vault else None) or envelope.subject
    if name is None:
        raise EventParseError.at(join("data", "VaultName"), "is required (the vault's name)")
    return {
        "id": envelope.id,
        "time": envelope.time,
        "subject": envelope.subject,
        "vault_name": name,
        "vault_id": arm_id(vault, "Microsoft.KeyVault", "vaults") if vault else None,
        "subscription_id": vault.subscription_id if vault else None,
        "resource_group": vault.resource_group if vault else None,
        "envelope": envelope,
    }
