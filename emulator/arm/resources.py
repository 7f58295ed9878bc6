"""Handlers: cloud metadata, subscriptions, resource groups and the generic /resources listing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from emulator.arm.framework import page, poll_url, require_api_version, retry_after
from emulator.backends.common import rg_id
from emulator.constants import ACR_LOGIN_SUFFIX, KEYVAULT_DNS_SUFFIX, LOGIN_ENDPOINT
from emulator.http import Handler, Request, Response, Router, ServiceError

if TYPE_CHECKING:
    from emulator.state import EmulatorState

SUB = r"/subscriptions/(?P<sub>[^/]+)"
RG = SUB + r"/resourceGroups/(?P<rg>[^/]+)"


def metadata_endpoints(state: EmulatorState, request: Request) -> Response:
    arm = request.base_url + "/"
    cloud = {
        "portal": "https://portal.azure.com",
        "authentication": {
            "loginEndpoint": LOGIN_ENDPOINT + "/",
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": "https://rest.media.azure.net",
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": "AzureLocalEmulator",
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": ACR_LOGIN_SUFFIX,
            "sqlServerHostname": ".database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": KEYVAULT_DNS_SUFFIX,
            "mhsmDns": ".managedhsm.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "attestationEndpoint": "attest.azure.net",
            "synapseAnalytics": "dev.azuresynapse.net",
        },
        "batch": "https://batch.core.windows.net/",
        "resourceManager": arm,
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/"
        "quickstart-templates/aliases.json",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
    }
    version = request.query.get("api-version", "2022-09-01")
    return Response(200, cloud if version >= "2022-09-01" else [cloud])


def list_subscriptions(state: EmulatorState, request: Request) -> Response:
    """The subscriptions of the caller's tenant (its token's `tid`)."""
    require_api_version(request)
    found = state.resources.subscriptions(request.tenant_id)
    return Response(200, page(state, request, found, render=lambda s: s.to_json()))


def get_subscription(state: EmulatorState, request: Request, sub: str) -> Response:
    require_api_version(request)
    return Response(200, state.resources.subscription(sub).to_json())


def list_groups(state: EmulatorState, request: Request, sub: str) -> Response:
    require_api_version(request)
    return Response(200, page(state, request, [g.to_json() for g in state.resources.list_groups(sub)]))


def get_group(state: EmulatorState, request: Request, sub: str, rg: str) -> Response:
    require_api_version(request)
    group = state.resources.group(sub, rg)
    return Response(
        204 if request.method == "HEAD" else 200, None if request.method == "HEAD" else group.to_json()
    )


def put_group(state: EmulatorState, request: Request, sub: str, rg: str) -> Response:
    require_api_version(request)
    group, created = state.resources.put_group(sub, rg, request.json_object())
    state.emit_resource(
        rg_id(sub, group.name),
        "Microsoft.Resources/subscriptions/resourceGroups/write",
        request.principal_id,
        method=request.method,
    )
    return Response(201 if created else 200, group.to_json())


def delete_group(state: EmulatorState, request: Request, sub: str, rg: str) -> Response:
    """Deletes the group and everything in it, answering 202 + Location like ARM."""
    require_api_version(request)
    group = state.resources.group(sub, rg)
    for registry in state.registries.list_registries(sub, group.name):
        state.registries.delete_registry(registry)
    for vault in state.vaults.list_vaults(sub, group.name):
        state.secrets.drop_vault(vault.name)
        state.vaults.delete_vault(vault)
    state.resources.delete_group(sub, group.name)
    resource_id = rg_id(sub, group.name)
    op = state.operations.start(
        "delete",
        resource_id,
        "resourcegroups",
        lambda ok: state.emit_resource(
            resource_id,
            "Microsoft.Resources/subscriptions/resourceGroups/delete",
            request.principal_id,
            method="DELETE",
        ),
        pending="Deleting",
        poll_path=lambda op_id: f"/subscriptions/{sub}/operationresults/{op_id}",
    )
    return Response(202, None, {"Location": poll_url(request, op.poll_path), **retry_after(state)})


def _tracked(state: EmulatorState, sub: str, group: str | None) -> list[dict[str, Any]]:
    items = []
    for registry in state.registries.list_registries(sub, group):
        view = registry.to_json()
        items.append({k: view[k] for k in ("id", "name", "type", "location", "tags", "sku")})
    for vault in state.vaults.list_vaults(sub, group):
        view = vault.to_json()
        items.append({k: view[k] for k in ("id", "name", "type", "location", "tags")})
    return sorted(items, key=lambda item: item["id"].lower())


_CLAUSE = re.compile(r"^\s*(resourceType|name|resourceGroup)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


def _filter(items: list[dict[str, Any]], text: str | None) -> list[dict[str, Any]]:
    if not text:
        return items
    for clause in re.split(r"\s+and\s+", text, flags=re.IGNORECASE):
        found = _CLAUSE.match(clause)
        if not found:
            raise ServiceError(400, "InvalidFilterInQueryString", f"Unsupported $filter clause: {clause!r}.")
        field, value = found.group(1).lower(), found.group(2).lower()
        if field == "resourcetype":
            items = [i for i in items if i["type"].lower() == value]
        elif field == "name":
            items = [i for i in items if i["name"].lower() == value]
        else:
            items = [i for i in items if i["id"].lower().split("/")[4] == value]
    return items


def list_resources(state: EmulatorState, request: Request, sub: str, rg: str | None = None) -> Response:
    require_api_version(request)
    state.resources.check_subscription(sub)
    if rg is not None:
        state.resources.group(sub, rg)
    items = _filter(_tracked(state, sub, rg), request.query.get("$filter"))
    return Response(200, page(state, request, items))


def add_tracked_type(
    router: Router, collection: str, item: str, listing: Handler, handlers: dict[str, Handler]
) -> None:
    """ARM lists a tracked resource type per subscription and per group; `handlers` serve one item by method."""
    router.add("GET", SUB + collection, listing)
    router.add("GET", RG + collection, listing)
    for method, handler in handlers.items():
        router.add(method, item, handler)


def register(router: Router) -> None:
    router.add("GET", r"/+metadata/endpoints", metadata_endpoints)
    router.add("GET", r"/subscriptions", list_subscriptions)
    router.add("GET", SUB, get_subscription)
    router.add("GET", SUB + r"/resources", list_resources)
    router.add("GET", SUB + r"/resourcegroups", list_groups)
    router.add("GET", RG, get_group)
    router.add("PUT", RG, put_group)
    router.add("DELETE", RG, delete_group)
    router.add("GET", RG + r"/resources", list_resources)
