"""Named seeds (`--seed demo`, POST /_emulator/seed {"name": "demo"}): ready-made data for the local stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.backends.authorization import KEY_VAULT_ADMINISTRATOR
from emulator.backends.keyvault_mgmt import default_vault_body
from emulator.constants import APP_PRINCIPAL_ID, SUBSCRIPTION_ID, TENANT_ID
from emulator.http import ServiceError

if TYPE_CHECKING:
    from emulator.state import EmulatorState

ALL_SECRET_PERMISSIONS = ["get", "list", "set", "delete", "backup", "restore", "recover", "purge"]
DEMO_GROUP, DEMO_LOCATION, DEMO_REGISTRY = "demo-rg", "westus", "demoregistry"
DEMO_VAULT, DEMO_RBAC_VAULT = "demo-kv", "demo-kv-rbac"
DEMO_SECRETS = {"dockerhub-username": "demo-user", "dockerhub-password": "demo-password"}
DEMO_ADMIN_ASSIGNMENT = "5d3f0b7e-0000-4000-8000-00000000a1a1"


def _demo(state: EmulatorState) -> None:
    now = state.clock.now()
    state.resources.put_group(SUBSCRIPTION_ID, DEMO_GROUP, {"location": DEMO_LOCATION})
    registry, _ = state.registries.put_registry(
        SUBSCRIPTION_ID,
        DEMO_GROUP,
        DEMO_REGISTRY,
        {"location": DEMO_LOCATION, "sku": {"name": "Standard"}},
        now,
    )
    registry.provisioning_state = "Succeeded"
    app_policy = {
        "tenantId": TENANT_ID,
        "objectId": APP_PRINCIPAL_ID,
        "permissions": {"keys": [], "secrets": list(ALL_SECRET_PERMISSIONS), "certificates": []},
    }
    state.vaults.put_vault(
        SUBSCRIPTION_ID,
        DEMO_GROUP,
        DEMO_VAULT,
        default_vault_body(DEMO_LOCATION, rbac=False, policies=[app_policy]),
        None,
        now,
    )
    rbac_vault, _ = state.vaults.put_vault(
        SUBSCRIPTION_ID,
        DEMO_GROUP,
        DEMO_RBAC_VAULT,
        default_vault_body(DEMO_LOCATION, rbac=True, policies=[]),
        None,
        now,
    )
    state.authorization.create(
        rbac_vault.id,
        DEMO_ADMIN_ASSIGNMENT,
        {
            "properties": {
                "roleDefinitionId": f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/"
                f"roleDefinitions/{KEY_VAULT_ADMINISTRATOR}",
                "principalId": APP_PRINCIPAL_ID,
                "principalType": "ServicePrincipal",
            }
        },
        now - state.settings.roleAssignmentDelaySeconds,
    )
    for vault in (DEMO_VAULT, DEMO_RBAC_VAULT):
        for name, value in DEMO_SECRETS.items():
            state.secrets.set(vault, name, {"value": value}, now)
    state.upstreams.put("docker.io", "demo-user", "demo-password")


SEEDS = {"demo": _demo}


def apply_seed(state: EmulatorState, name: str) -> None:
    seed = SEEDS.get(name)
    if seed is None:
        raise ServiceError(400, "UnknownSeed", f"unknown seed '{name}' (known: {', '.join(sorted(SEEDS))})")
    with state.lock:
        seed(state)
