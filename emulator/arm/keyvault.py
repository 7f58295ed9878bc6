"""Handlers: Microsoft.KeyVault/vaults and vaults/{v}/accessPolicies/{add|replace|remove}."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from emulator.arm.framework import page, require_api_version
from emulator.arm.resources import RG, add_tracked_type
from emulator.backends.keyvault_mgmt import VAULT_TYPE, Vault
from emulator.http import Request, Response, Router

if TYPE_CHECKING:
    from emulator.state import EmulatorState

VAULTS = r"/providers/Microsoft\.KeyVault/vaults"
VAULT = RG + VAULTS + r"/(?P<vault>[^/]+)"


def get_vault(state: EmulatorState, request: Request, sub: str, rg: str, vault: str) -> Response:
    require_api_version(request)
    state.resources.group(sub, rg)
    return Response(200, state.vaults.vault(sub, rg, vault).to_json())


def put_vault(state: EmulatorState, request: Request, sub: str, rg: str, vault: str) -> Response:
    require_api_version(request)
    state.resources.group(sub, rg)
    before = state.vaults.by_name(vault)
    access_before = _access_model(before) if before else None
    found, created = state.vaults.put_vault(
        sub, rg, vault, request.json_object(), request.principal_id, state.clock.now()
    )
    state.emit_resource(found.id, VAULT_TYPE + "/write", request.principal_id, method=request.method)
    if not created and access_before != _access_model(found):
        state.emit_keyvault("VaultAccessPolicyChanged", found.name, "", None, None, None)
    return Response(201 if created else 200, found.to_json())


def _access_model(vault: Vault) -> tuple[bool, list[dict[str, Any]]]:
    """What VaultAccessPolicyChanged reports a change of: the policies, and the switch between access policies
    and RBAC (Key Vault's Event Grid schema doc: the event is also sent on that switch)."""
    return vault.rbac, copy.deepcopy(vault.access_policies)


def patch_vault(state: EmulatorState, request: Request, sub: str, rg: str, vault: str) -> Response:
    require_api_version(request)
    state.resources.group(sub, rg)
    found = state.vaults.vault(sub, rg, vault)
    access_before = _access_model(found)
    state.vaults.patch_vault(found, request.json_object())
    found.touch(request.principal_id, state.clock.now())
    state.emit_resource(found.id, VAULT_TYPE + "/write", request.principal_id, method=request.method)
    if access_before != _access_model(found):
        state.emit_keyvault("VaultAccessPolicyChanged", found.name, "", None, None, None)
    return Response(200, found.to_json())


def delete_vault(state: EmulatorState, request: Request, sub: str, rg: str, vault: str) -> Response:
    require_api_version(request)
    state.resources.group(sub, rg)
    found = state.vaults.by_name(vault)
    if found is None or found.group.lower() != rg.lower():
        return Response(204)
    state.secrets.drop_vault(found.name)
    state.vaults.delete_vault(found)
    state.emit_resource(found.id, VAULT_TYPE + "/delete", request.principal_id, method="DELETE")
    return Response(200)


def list_vaults(state: EmulatorState, request: Request, sub: str, rg: str | None = None) -> Response:
    require_api_version(request)
    state.resources.check_subscription(sub)
    if rg is not None:
        state.resources.group(sub, rg)
    return Response(200, page(state, request, [v.to_json() for v in state.vaults.list_vaults(sub, rg)]))


def update_access_policy(
    state: EmulatorState, request: Request, sub: str, rg: str, vault: str, kind: str
) -> Response:
    require_api_version(request)
    state.resources.group(sub, rg)
    found = state.vaults.vault(sub, rg, vault)
    applied = state.vaults.update_access_policy(found, kind.lower(), request.json_object())
    found.touch(request.principal_id, state.clock.now())
    state.emit_resource(
        found.id, VAULT_TYPE + "/accessPolicies/write", request.principal_id, method=request.method
    )
    state.emit_keyvault("VaultAccessPolicyChanged", found.name, "", None, None, None)
    body = {
        "type": f"{VAULT_TYPE}/accessPolicies",
        "id": f"{found.id}/accessPolicies/",
        "properties": {"accessPolicies": applied},
    }
    return Response(200, body)


def register(router: Router) -> None:
    router.add("PUT", VAULT + r"/accessPolicies/(?P<kind>[^/]+)", update_access_policy)
    add_tracked_type(
        router,
        VAULTS,
        VAULT,
        list_vaults,
        {"GET": get_vault, "PUT": put_vault, "PATCH": patch_vault, "DELETE": delete_vault},
    )
