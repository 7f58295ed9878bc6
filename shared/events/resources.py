"""Azure Resource Manager events on a subscription topic, and which container registry resource they touch.

Only identifiers are kept: ``claims``, ``authorization`` and ``httpRequest`` (tokens, IP addresses, URLs) are
read for the caller's object/app/tenant IDs and the HTTP method, and nothing else of them survives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Self

from shared.events._arm import resource_id_or_none, types_of
from shared.events._fields import Fields
from shared.events.envelope import EventEnvelope

_ACR = "Microsoft.ContainerRegistry"
_OBJECT_ID = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")
_TENANT_ID = ("http://schemas.microsoft.com/identity/claims/tenantid", "tid")
_APP_ID = ("appid", "azp")


HANDLED_OPERATIONS = (
    f"{_ACR}/registries/credentialSets/write",
    f"{_ACR}/registries/credentialSets/delete",
    f"{_ACR}/registries/cacheRules/write",
    f"{_ACR}/registries/cacheRules/delete",
    f"{_ACR}/registries/delete",
)
"""The operations ``on_resource_event`` acts on (and its event subscription filters on ``data.operationName``)."""


class AcrKind(StrEnum):
    REGISTRY = "registries"
    CACHE_RULE = "cacheRules"
    CREDENTIAL_SET = "credentialSets"


_KIND_BY_TYPES = {
    (_ACR.lower(), "registries"): AcrKind.REGISTRY,
    (_ACR.lower(), "registries", "cacherules"): AcrKind.CACHE_RULE,
    (_ACR.lower(), "registries", "credentialsets"): AcrKind.CREDENTIAL_SET,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class AcrResource:
    """A registry, or a cache rule or credential set in one (``name`` is the child's, None for the registry)."""

    kind: AcrKind
    subscription_id: str
    resource_group: str
    registry_name: str
    name: str | None

    @property
    def registry_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/{_ACR}/registries/{self.registry_name}"
        )

    @property
    def resource_id(self) -> str:
        return self.registry_id if self.name is None else f"{self.registry_id}/{self.kind.value}/{self.name}"


def acr_resource(operation_name: str | None, resource_uri: str | None) -> AcrResource | None:
    """The registry resource ``resource_uri`` names, when it is one and ``operation_name`` (if given) acts on it.

    Both compare case-insensitively; ``.../write`` and ``.../delete`` act on their type path, and
    ``.../{name}/action`` on the type path before ``{name}`` (``registries/listCredentials/action`` -> registry).
    """
    resource = resource_id_or_none(resource_uri)
    if resource is None:
        return None
    types = types_of(resource)
    kind = _KIND_BY_TYPES.get(types)
    if kind is None or (operation_name is not None and _operation_types(operation_name) != types):
        return None
    return AcrResource(
        kind=kind,
        subscription_id=resource.subscription_id,
        resource_group=resource.resource_group,
        registry_name=resource.parent_name,
        name=resource.name if kind is not AcrKind.REGISTRY else None,
    )


def _operation_types(operation_name: str) -> tuple[str, ...]:
    segments = tuple(operation_name.lower().split("/"))
    return segments[:-2] if segments[-1] == "action" else segments[:-1]


@dataclass(frozen=True, kw_only=True, slots=True)
class Principal:
    """Who made the change: identifiers from the token's claims, nothing else of them."""

    object_id: str | None
    app_id: str | None
    tenant_id: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceEvent:
    """An ARM operation that succeeded; ``acr`` classifies it when it targets a registry, rule or credential set."""

    event_type: ClassVar[str] = ""

    id: str
    time: datetime | None
    subject: str | None
    operation_name: str
    resource_uri: str
    status: str | None
    http_method: str | None
    correlation_id: str | None
    subscription_id: str | None
    tenant_id: str | None
    acr: AcrResource | None
    principal: Principal = field(repr=False)
    envelope: EventEnvelope = field(repr=False, compare=False)

    @classmethod
    def from_envelope(cls, envelope: EventEnvelope) -> Self:
        data = Fields(envelope.data, "data")
        claims = data.object("claims")
        operation = data.required_text("operationName")
        uri = data.required_text("resourceUri")
        method = data.object("httpRequest").text("method")
        return cls(
            id=envelope.id,
            time=envelope.time,
            subject=envelope.subject,
            operation_name=operation,
            resource_uri=uri,
            status=data.text("status"),
            http_method=method.upper() if method else None,
            correlation_id=data.text("correlationId"),
            subscription_id=data.text("subscriptionId"),
            tenant_id=data.text("tenantId"),
            acr=acr_resource(operation, uri),
            principal=Principal(
                object_id=_first(claims, _OBJECT_ID),
                app_id=_first(claims, _APP_ID),
                tenant_id=_first(claims, _TENANT_ID),
            ),
            envelope=envelope,
        )

    @property
    def is_registry(self) -> bool:
        return self.acr is not None and self.acr.kind is AcrKind.REGISTRY

    @property
    def is_cache_rule(self) -> bool:
        return self.acr is not None and self.acr.kind is AcrKind.CACHE_RULE

    @property
    def is_credential_set(self) -> bool:
        return self.acr is not None and self.acr.kind is AcrKind.CREDENTIAL_SET


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceWriteSuccess(ResourceEvent):
    event_type: ClassVar[str] = "Microsoft.Resources.ResourceWriteSuccess"


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceDeleteSuccess(ResourceEvent):
    event_type: ClassVar[str] = "Microsoft.Resources.ResourceDeleteSuccess"


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceActionSuccess(ResourceEvent):
    event_type: ClassVar[str] = "Microsoft.Resources.ResourceActionSuccess"


def _first(claims: Fields, names: tuple[str, ...]) -> str | None:
    return next((value for name in names if (value := claims.text(name))), None)
