"""Domain values for tests that need a registry and a rule but no fake Azure behind them."""

from __future__ import annotations

from shared.domain.models import CacheRule, Registry


def registry(name: str = "reg1", *, subscription_id: str = "s1", resource_group: str = "rg") -> Registry:
    return Registry(
        id=f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.ContainerRegistry/registries/{name}",
        name=name,
        subscription_id=subscription_id,
        resource_group=resource_group,
        login_server=f"{name}.azurecr.io",
    )


def docker_rule(of: Registry, name: str = "ubuntu", *, credential_set: str | None = None) -> CacheRule:
    return CacheRule(
        id=f"{of.id}/cacheRules/{name}",
        name=name,
        source_repository=f"docker.io/library/{name}",
        target_repository=name,
        credential_set_id=f"{of.id}/credentialSets/{credential_set}" if credential_set else None,
    )
