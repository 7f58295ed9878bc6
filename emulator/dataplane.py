"""Handlers: Key Vault secrets data plane of vault V at /kv/V (ids keep the Azure form).

Unauthenticated requests get Key Vault's 401 challenge. The default app principal and the operator manage every
vault's secrets; any other principal needs a grant (access policy permission, or a Key Vault secrets role on an
RBAC vault), else 403 Forbidden (innererror AccessDenied / ForbiddenByRbac).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from emulator.arm.framework import page
from emulator.backends.keyvault_mgmt import Vault
from emulator.constants import (
    APP_PRINCIPAL_ID,
    KEYVAULT_AUDIENCE,
    LOGIN_ENDPOINT,
    OPERATOR_PRINCIPAL_ID,
    TENANT_ID,
)
from emulator.http import Request, Response, Router, ServiceError

if TYPE_CHECKING:
    from emulator.state import EmulatorState

PREFIX = "/kv/"
CHALLENGE = f'Bearer authorization="{LOGIN_ENDPOINT}/{TENANT_ID}", resource="{KEYVAULT_AUDIENCE}"'
_NAME = re.compile(r"[0-9a-zA-Z-]{1,127}")
ITEM_PATH = r"/secrets/(?P<name>[^/]+)"


def authenticate(state: EmulatorState, request: Request) -> None:
    challenge = {"WWW-Authenticate": CHALLENGE}
    if not request.header("Authorization"):
        raise ServiceError(
            401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", headers=challenge
        )
    try:
        claims = state.identity.verify(request.header("Authorization"))
    except ServiceError as exc:
        raise ServiceError(401, "Unauthorized", exc.message, headers=challenge) from exc
    if str(claims.get("aud", "")).rstrip("/") != KEYVAULT_AUDIENCE:
        raise ServiceError(401, "Unauthorized", "AKV10022: Invalid audience.", headers=challenge)
    request.principal_id, request.tenant_id = claims["oid"], claims.get("tid")


def _vault(state: EmulatorState, request: Request, vault: str, operation: str) -> Vault:
    found = state.vaults.by_name(vault)
    if found is None:
        raise ServiceError(404, "VaultNotFound", f"The vault '{vault}' does not exist.")
    principal = request.principal_id or ""
    if principal.lower() in (APP_PRINCIPAL_ID, OPERATOR_PRINCIPAL_ID) or state.access.allowed(
        principal, found, operation
    ):
        return found
    inner = "ForbiddenByRbac" if found.rbac else "AccessDenied"
    raise ServiceError(
        403,
        "Forbidden",
        f"The user, group or application 'oid={principal};' does not have secrets {operation} permission on key "
        f"vault '{found.name}'.",
        inner_code=inner,
    )


def _name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ServiceError(
            400, "BadParameter", f"The secret name '{name}' is invalid: use 1-127 of 0-9, a-z, A-Z, -."
        )
    return name


def set_secret(state: EmulatorState, request: Request, vault: str, name: str) -> Response:
    _vault(state, request, vault, "set")
    secret, version = state.secrets.set(vault, _name(name), request.json_object(), state.clock.now())
    state.emit_keyvault(
        "SecretNewVersionCreated", vault, secret.name, version.version, version.nbf, version.exp
    )
    state.check_secret_expiry()
    return Response(200, secret.bundle(version))


def get_secret(state: EmulatorState, request: Request, vault: str, name: str, version: str = "") -> Response:
    _vault(state, request, vault, "get")
    secret, found = state.secrets.get(vault, name, version or None)
    if not found.enabled:
        raise ServiceError(
            403,
            "Forbidden",
            "Operation get is not allowed on a disabled secret.",
            inner_code="SecretDisabled",
        )
    return Response(200, secret.bundle(found))


def update_secret(
    state: EmulatorState, request: Request, vault: str, name: str, version: str = ""
) -> Response:
    _vault(state, request, vault, "update")
    return Response(
        200, state.secrets.update(vault, name, version or None, request.json_object(), state.clock.now())
    )


def delete_secret(state: EmulatorState, request: Request, vault: str, name: str) -> Response:
    _vault(state, request, vault, "delete")
    return Response(200, state.secrets.delete(vault, name))


def list_secrets(state: EmulatorState, request: Request, vault: str) -> Response:
    _vault(state, request, vault, "list")
    items = [s.item(v, versioned=False) for s, v in state.secrets.list_secrets(vault)]
    return Response(200, _kv_page(state, request, items))


def list_versions(state: EmulatorState, request: Request, vault: str, name: str) -> Response:
    _vault(state, request, vault, "list")
    items = [s.item(v, versioned=True) for s, v in state.secrets.list_versions(vault, name)]
    return Response(200, _kv_page(state, request, items))


def _kv_page(state: EmulatorState, request: Request, items: list[dict[str, object]]) -> dict[str, object]:
    body = page(state, request, items, key="$skiptoken")
    body.setdefault("nextLink", None)
    return body


def register(router: Router) -> None:
    vault = r"/kv/(?P<vault>[^/]+)"
    router.add("GET", vault + r"/secrets/?", list_secrets)
    router.add("GET", vault + ITEM_PATH + r"/versions", list_versions)
    router.add("PUT", vault + ITEM_PATH, set_secret)
    router.add("DELETE", vault + ITEM_PATH, delete_secret)
    router.add("GET", vault + ITEM_PATH + r"(?:/(?P<version>[^/]*))?", get_secret)
    router.add("PATCH", vault + ITEM_PATH + r"(?:/(?P<version>[^/]*))?", update_secret)
