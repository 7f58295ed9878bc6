"""`POST /_emulator/fleet`: a fleet of registries seeded straight into the backends, for benchmarks at scale.

Registries `{prefix}{i:04d}` in one resource group, each with credential set `creds` on docker.io whose two
secrets live in vault `{prefix}-kv` (an access-policy vault in the same group) and `rulesPerRegistry` cache
rules using it. Every identity is granted secret `get` except those of the first `brokenRegistries`
registries, whose rules are therefore Unhealthy (errorCode Forbidden; the app's reason AccessMissing). No ARM
request, no event, nothing in the request log. Everything is checked before the first write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.backends.common import SystemData
from emulator.backends.containerregistry import AuthCredential, CacheRule, CredentialSet
from emulator.backends.keyvault_mgmt import default_vault_body
from emulator.constants import APP_PRINCIPAL_ID, SUBSCRIPTION_ID, TENANT_ID
from emulator.http import ServiceError

if TYPE_CHECKING:
    from emulator.state import EmulatorState

SET_NAME = "creds"
UPSTREAM, USERNAME, PASSWORD = "docker.io", "fleet-user", "fleet-password"
MAX_REGISTRIES = 10_000
MAX_RULES = 1000  # the service's per-registry limit
_PREFIX = re.compile(r"[a-z][a-z0-9]{0,20}")  # registry names stay alphanumeric, the vault name <= 24


@dataclass(frozen=True)
class FleetRequest:
    subscription: str
    group: str
    registries: int
    rules: int
    prefix: str
    broken: int
    location: str

    @property
    def vault(self) -> str:
        return f"{self.prefix}-kv"

    def registry(self, index: int) -> str:
        return f"{self.prefix}{index:04d}"


def _count(body: dict[str, Any], key: str, upper: int, default: int | None = None) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upper:
        raise ServiceError(400, "InvalidBody", f"{key} must be an integer from 0 to {upper}.")
    return value


def parse(body: dict[str, Any]) -> FleetRequest:
    group = body.get("resourceGroup")
    if not isinstance(group, str) or not group:
        raise ServiceError(400, "InvalidBody", "resourceGroup is required.")
    registries = _count(body, "registries", MAX_REGISTRIES)
    prefix = body.get("prefix", "fleet")
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ServiceError(
            400, "InvalidBody", "prefix must be 1-21 lowercase letters or digits, starting with a letter."
        )
    subscription = body.get("subscriptionId", SUBSCRIPTION_ID)
    location = body.get("location", "westus")
    if not isinstance(subscription, str) or not isinstance(location, str) or not location:
        raise ServiceError(400, "InvalidBody", "subscriptionId and location must be strings.")
    return FleetRequest(
        subscription=subscription.lower(),
        group=group,
        registries=registries,
        rules=_count(body, "rulesPerRegistry", MAX_RULES),
        prefix=prefix,
        broken=_count(body, "brokenRegistries", registries, 0),
        location=location,
    )


def seed_fleet(state: EmulatorState, body: dict[str, Any]) -> dict[str, int]:
    """Seed the fleet; answers {"registries", "rules", "unhealthyRules"} counted from what was made."""
    fleet = parse(body)
    state.resources.check_subscription(fleet.subscription)
    taken = [n for n in map(fleet.registry, range(fleet.registries)) if state.registries.registries.get(n)]
    if taken or state.vaults.by_name(fleet.vault):
        clash = taken[0] if taken else fleet.vault
        raise ServiceError(409, "AlreadyExists", f"'{clash}' already exists: pick another prefix.")
    now = state.clock.now()
    try:
        state.resources.group(fleet.subscription, fleet.group)
    except ServiceError:
        state.resources.put_group(fleet.subscription, fleet.group, {"location": fleet.location})
    vault, _ = state.vaults.put_vault(
        fleet.subscription,
        fleet.group,
        fleet.vault,
        default_vault_body(fleet.location, rbac=False, policies=[]),
        None,
        now,
    )
    for name, value in (("username", USERNAME), ("password", PASSWORD)):
        state.secrets.set(fleet.vault, name, {"value": value}, now)
    state.upstreams.put(UPSTREAM, USERNAME, PASSWORD)
    secret = f"https://{fleet.vault}.vault.azure.net/secrets/"
    credential = AuthCredential("Credential1", secret + "username", secret + "password")
    rules = unhealthy = 0
    for index in range(fleet.registries):
        registry, _ = state.registries.put_registry(
            fleet.subscription,
            fleet.group,
            fleet.registry(index),
            {"location": fleet.location, "sku": {"name": "Standard"}},
            now,
        )
        registry.provisioning_state = "Succeeded"
        principal = state.identity.new_system_identity(now).principal_id
        cs = CredentialSet(
            registry.id,
            SET_NAME,
            UPSTREAM,
            [credential],
            principal,
            now,
            SystemData.new(APP_PRINCIPAL_ID, now),
        )
        registry.credential_sets[SET_NAME] = cs
        if index >= fleet.broken:
            vault.access_policies.append(
                {"tenantId": TENANT_ID, "objectId": principal, "permissions": {"secrets": ["get"]}}
            )
        for number in range(fleet.rules):
            name = f"rule-{number:04d}"
            registry.cache_rules[name] = CacheRule(
                registry.id,
                name,
                f"{UPSTREAM}/library/image{number:04d}",
                f"image{number:04d}",
                cs.id,
                now,
                SystemData.new(APP_PRINCIPAL_ID, now),
            )
        state.health.evaluate(cs)
        rules += fleet.rules
        if any(h["status"] != "Healthy" for h in cs.health):
            unhealthy += fleet.rules
    return {"registries": fleet.registries, "rules": rules, "unhealthyRules": unhealthy}
