"""System-event payloads shaped like Microsoft's Event Grid samples (azure-reference/events/).

Events are built once in the Event Grid schema (the canonical form kept in the delivery queue) and rendered
per subscription, because one emitted event may go to subscriptions with different schemas.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

EVENT_GRID_SCHEMA = "EventGridSchema"
CLOUD_EVENT_SCHEMA = "CloudEventSchemaV1_0"
SCHEMAS = (EVENT_GRID_SCHEMA, CLOUD_EVENT_SCHEMA)

KEYVAULT_EVENT_TYPES = (
    "Microsoft.KeyVault.SecretNewVersionCreated",
    "Microsoft.KeyVault.SecretNearExpiry",
    "Microsoft.KeyVault.SecretExpired",
    "Microsoft.KeyVault.VaultAccessPolicyChanged",
)
RESOURCE_EVENT_TYPES = (
    "Microsoft.Resources.ResourceWriteSuccess",
    "Microsoft.Resources.ResourceDeleteSuccess",
    "Microsoft.Resources.ResourceActionSuccess",
)
VALIDATION_EVENT_TYPE = "Microsoft.EventGrid.SubscriptionValidationEvent"
VAULT_POLICY_CHANGED = "Microsoft.KeyVault.VaultAccessPolicyChanged"

# Key Vault's object type -> the collection segment of its Azure-form identifier.
_KV_COLLECTIONS = {"Secret": "secrets", "Key": "keys", "Certificate": "certificates"}
# Resource events carry the ARM request's verb (PATCH stays PATCH); these are the defaults when the caller
# does not name it (ARM actions are POSTs).
_RESOURCE_METHODS = {
    "Microsoft.Resources.ResourceWriteSuccess": "PUT",
    "Microsoft.Resources.ResourceDeleteSuccess": "DELETE",
    "Microsoft.Resources.ResourceActionSuccess": "POST",
}
# api-versions the local ARM speaks (azure-reference/spec-examples), used for the httpRequest.url.
_API_VERSIONS = {
    "microsoft.containerregistry": "2025-11-01",
    "microsoft.keyvault": "2026-02-01",
    "microsoft.authorization": "2022-04-01",
    "microsoft.resources": "2021-04-01",
}
_CONTRIBUTOR_ROLE = "b24988ac-6180-42a0-ab88-20f7382dd24c"


def event_time(epoch: float) -> str:
    """Event Grid's timestamp style: UTC, seven fractional digits, `Z`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def new_event_id() -> str:
    return str(uuid.uuid4())


def eventgrid_event(
    *, topic: str, subject: str, event_type: str, data: Any, data_version: str, now: float
) -> dict[str, Any]:
    """The canonical (Event Grid schema) envelope of a system event."""
    return {
        "id": new_event_id(),
        "topic": topic,
        "subject": subject,
        "eventType": event_type,
        "eventTime": event_time(now),
        "data": data,
        "dataVersion": data_version,
        "metadataVersion": "1",
    }


def to_cloud_event(event: dict[str, Any]) -> dict[str, Any]:
    """Event Grid's mapping of a system event onto CloudEvents 1.0 (topic->source, eventType->type, ...)."""
    return {
        "source": event["topic"],
        "subject": event["subject"],
        "type": event["eventType"],
        "time": event["eventTime"],
        "id": event["id"],
        "data": event["data"],
        "specversion": "1.0",
    }


def render(event: dict[str, Any], schema: str) -> dict[str, Any]:
    """The event in the subscription's schema. An event published as a CloudEvent stays one (Event Grid maps
    Event Grid schema input to CloudEvents output, not the reverse; the emulator delivers it unchanged)."""
    if "specversion" in event:
        return dict(event)
    return to_cloud_event(event) if schema == CLOUD_EVENT_SCHEMA else dict(event)


def vault_topic(subscription_id: str, resource_group: str, vault: str) -> str:
    group = f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
    return f"{group}/providers/Microsoft.KeyVault/vaults/{vault}"


def subscription_topic(subscription_id: str) -> str:
    return f"/subscriptions/{subscription_id}"


def keyvault_event(
    *,
    event_type: str,
    subscription_id: str,
    resource_group: str,
    vault: str,
    object_type: str,
    object_name: str,
    version: str | None,
    nbf: int | None,
    exp: int | None,
    now: float,
) -> dict[str, Any]:
    """A Key Vault event; VaultAccessPolicyChanged concerns the vault itself, so its subject is the vault."""
    if event_type not in KEYVAULT_EVENT_TYPES:
        raise ValueError(f"not a Key Vault event type: {event_type}")
    vault_uri = f"https://{vault}.vault.azure.net/"
    if event_type == VAULT_POLICY_CHANGED:
        subject = vault
        data: dict[str, Any] = {
            "Id": vault_uri,
            "VaultName": vault,
            "ObjectType": "Vault",
            "ObjectName": vault,
            "Version": None,
            "NBF": None,
            "EXP": None,
        }
    else:
        subject = object_name
        collection = _KV_COLLECTIONS.get(object_type, object_type.lower() + "s")
        object_id = f"{vault_uri}{collection}/{object_name}" + (f"/{version}" if version else "")
        data = {
            "Id": object_id,
            "VaultName": vault,
            "ObjectType": object_type,
            "ObjectName": object_name,
            "Version": version,
            "NBF": nbf,
            "EXP": exp,
        }
    return eventgrid_event(
        topic=vault_topic(subscription_id, resource_group, vault),
        subject=subject,
        event_type=event_type,
        data=data,
        data_version="1",
        now=now,
    )


def _request_url(resource_id: str, operation_name: str, event_type: str) -> str:
    """ARM URL of the request behind the event; an action's URL ends with the action's name."""
    provider = operation_name.split("/", 1)[0].lower()
    path = resource_id
    if event_type == "Microsoft.Resources.ResourceActionSuccess":
        parts = operation_name.split("/")
        if len(parts) >= 2 and parts[-1].lower() == "action":
            path = f"{resource_id}/{parts[-2]}"
    api_version = _API_VERSIONS.get(provider, "2021-04-01")
    return f"https://management.azure.com{path}?api-version={api_version}"


def _claims(principal_id: str, tenant_id: str, now: float) -> dict[str, str]:
    """Claims of a managed identity's ARM token, keyed like the service-principal sample."""
    issued = int(now) - 300
    issuer = f"https://sts.windows.net/{tenant_id}/"
    return {
        "aud": "https://management.core.windows.net/",
        "iss": issuer,
        "iat": str(issued),
        "nbf": str(issued),
        "exp": str(issued + 86400),
        "aio": uuid.uuid4().hex,
        "appid": principal_id,
        "appidacr": "2",
        "http://schemas.microsoft.com/identity/claims/identityprovider": issuer,
        "http://schemas.microsoft.com/identity/claims/objectidentifier": principal_id,
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier": principal_id,
        "http://schemas.microsoft.com/identity/claims/tenantid": tenant_id,
        "uti": uuid.uuid4().hex[:22],
        "ver": "1.0",
    }


def resource_event(
    *,
    event_type: str,
    subscription_id: str,
    resource_id: str,
    operation_name: str,
    principal_id: str,
    tenant_id: str,
    status: str,
    now: float,
    http_method: str | None = None,
) -> dict[str, Any]:
    """A Resources event on the subscription topic; the subject is the resource's ID."""
    if event_type not in RESOURCE_EVENT_TYPES:
        raise ValueError(f"not a Resources event type: {event_type}")
    data = {
        "authorization": {
            "scope": resource_id,
            "action": operation_name,
            "evidence": {
                "role": "Contributor",
                "roleAssignmentScope": f"/subscriptions/{subscription_id}",
                "roleAssignmentId": uuid.uuid4().hex,
                "roleDefinitionId": _CONTRIBUTOR_ROLE,
                "principalId": principal_id,
                "principalType": "ServicePrincipal",
            },
        },
        "claims": _claims(principal_id, tenant_id, now),
        "correlationId": new_event_id(),
        "httpRequest": {
            "clientRequestId": new_event_id(),
            "clientIpAddress": "127.0.0.1",
            "method": http_method or _RESOURCE_METHODS[event_type],
            "url": _request_url(resource_id, operation_name, event_type),
        },
        "resourceProvider": operation_name.split("/", 1)[0],
        "resourceUri": resource_id,
        "operationName": operation_name,
        "status": status,
        "subscriptionId": subscription_id,
        "tenantId": tenant_id,
    }
    return eventgrid_event(
        topic=subscription_topic(subscription_id),
        subject=resource_id,
        event_type=event_type,
        data=data,
        data_version="2",
        now=now,
    )


def validation_event(*, topic: str, subscription_name: str, code: str, now: float) -> dict[str, Any]:
    """The handshake event Event Grid POSTs to a new Event Grid schema webhook."""
    url = (
        f"https://rp-westus.eventgrid.azure.net:553/eventsubscriptions/{subscription_name}/validate"
        f"?id={code}&t={event_time(now)}&apiVersion=2018-05-01-preview&token={uuid.uuid4().hex}"
    )
    return {
        "id": new_event_id(),
        "topic": topic,
        "subject": "",
        "data": {"validationCode": code, "validationUrl": url},
        "eventType": VALIDATION_EVENT_TYPE,
        "eventTime": event_time(now),
        "metadataVersion": "1",
        "dataVersion": "1",
    }
