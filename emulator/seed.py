"""Named seeds (`--seed demo`, POST /_emulator/seed {"name": "demo"}): ready-made data for the local stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.backends.authorization import KEY_VAULT_ADMINISTRATOR
from emulator.backends.common import SystemData
from emulator.backends.containerregistry import AuthCredential, CacheRule, CredentialSet
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


SHOWCASE_REGISTRY = "demofleet"
DAY = 86400
# rule -> (credential set, secret name prefix in demo-kv, granted): one healthy trio and one broken rule of each kind
SHOWCASE_RULES = {
    "alpine": ("dockerhub", "dockerhub", True),
    "redis": ("dockerhub", "dockerhub", True),
    "postgres": ("dockerhub", "dockerhub", True),
    "node": ("expired", "expired", True),  # SecretExpired
    "busybox": ("expiring", "expiring", True),  # SecretExpiring: a Warning, in the expiry chart
    "python": ("ungranted", "dockerhub", False),  # AccessMissing: the set's identity may not read the vault
    "golang": ("lost", "deleted", True),  # SecretMissing: the secrets it names do not exist
    "traefik": ("gone", "dockerhub", True),  # CredentialSetMissing: the set was deleted under the rule
}


def _showcase(state: EmulatorState) -> None:
    """The demo seed plus registry ``demofleet``, whose rules are healthy or broken in a different way each, so
    ``make run``'s dashboard shows what a failing fleet looks like. The ``demo`` seed itself stays as tests expect."""
    _demo(state)
    now = state.clock.now()
    registry, _ = state.registries.put_registry(
        SUBSCRIPTION_ID,
        DEMO_GROUP,
        SHOWCASE_REGISTRY,
        {"location": DEMO_LOCATION, "sku": {"name": "Standard"}},
        now,
    )
    registry.provisioning_state = "Succeeded"
    for prefix, expires in (("expired", now - 2 * DAY), ("expiring", now + 5 * DAY)):
        for name, value in DEMO_SECRETS.items():
            body = {"value": value, "attributes": {"exp": int(expires)}}
            state.secrets.set(DEMO_VAULT, name.replace("dockerhub", prefix), body, now)
    vault = state.vaults.by_name(DEMO_VAULT)
    secrets = f"https://{DEMO_VAULT}.vault.azure.net/secrets/"
    sets: dict[str, CredentialSet] = {}
    for rule, (set_name, secret, granted) in SHOWCASE_RULES.items():
        if set_name not in sets:
            principal = state.identity.new_system_identity(now).principal_id
            credential = AuthCredential(
                "Credential1", f"{secrets}{secret}-username", f"{secrets}{secret}-password"
            )
            sets[set_name] = CredentialSet(
                registry.id,
                set_name,
                "docker.io",
                [credential],
                principal,
                now,
                SystemData.new(APP_PRINCIPAL_ID, now),
            )
            if granted and vault is not None:
                vault.access_policies.append(
                    {"tenantId": TENANT_ID, "objectId": principal, "permissions": {"secrets": ["get"]}}
                )
        registry.cache_rules[rule] = CacheRule(
            registry.id,
            rule,
            f"docker.io/library/{rule}",
            rule,
            sets[set_name].id,
            now,
            SystemData.new(APP_PRINCIPAL_ID, now),
        )
    for cs in sets.values():
        if cs.name != "gone":
            registry.credential_sets[cs.name] = cs
            state.health.evaluate(cs)


SEEDS = {"demo": _demo, "showcase": _showcase}


def apply_seed(state: EmulatorState, name: str) -> None:
    seed = SEEDS.get(name)
    if seed is None:
        raise ServiceError(400, "UnknownSeed", f"unknown seed '{name}' (known: {', '.join(sorted(SEEDS))})")
    with state.lock:
        seed(state)
