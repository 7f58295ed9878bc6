"""Microsoft.ContainerRegistry: registries, cache rules and credential sets with the artifact cache's rules.

Error codes (status): names -> InvalidResourceName (400); docker.io without a credential set ->
EnforceDockerAuthentication (400); other upstreams that need one -> CredentialsRequired (400); unknown
upstream -> UnsupportedUpstream (400); bad source/target -> InvalidSourceRepository / InvalidTargetRepository
(400); target already a repository or another rule's target -> TargetRepositoryAlreadyPresentInRegistry (409);
a wildcard target over repositories that already exist -> TargetRepositoryPrefixMatchesExistingRegistries (409);
nested/overlapping wildcard rules -> CacheRuleWildcardConflict (409); more than 1,000 rules ->
CacheRuleQuotaExceeded (400); credential set missing -> CredentialSetNotFound (400); its loginServer differs
from the source's -> CredentialSetLoginServerMismatch (400); changing an immutable property ->
PropertyChangeNotAllowed (400); malformed Key Vault secret URI -> InvalidSecretIdentifier (400).
EnforceDockerAuthentication, TargetRepositoryAlreadyPresentInRegistry and
TargetRepositoryPrefixMatchesExistingRegistries are the service's own codes (azure-reference README); the
others, and every status of a 409 besides TargetRepositoryAlreadyPresentInRegistry, are assumptions: the
emulator's clear names for documented rules.

Upstreams that serve anonymous pulls (mcr.microsoft.com, public.ecr.aws, registry.access.redhat.com) still
accept a credential set: the 2026 azure-cli recording creates one for mcr.microsoft.com and a rule using it,
both Succeeded; the other two are assumed to behave alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.backends.common import SystemData, check_name, in_scope, iso, not_found, rg_id
from emulator.backends.secret_uri import parse_secret_uri
from emulator.constants import ACR_LOGIN_SUFFIX, TENANT_ID
from emulator.http import ServiceError

PROVIDER = "Microsoft.ContainerRegistry"
REGISTRY_TYPE = f"{PROVIDER}/registries"
CACHE_RULE_TYPE = f"{REGISTRY_TYPE}/cacheRules"
CREDENTIAL_SET_TYPE = f"{REGISTRY_TYPE}/credentialSets"
MAX_CACHE_RULES = 1000
NAME_PATTERN = r"[a-zA-Z0-9-]*"

REQUIRED, OPTIONAL = "required", "optional"
UPSTREAMS = {
    "docker.io": REQUIRED,
    "mcr.microsoft.com": OPTIONAL,
    "public.ecr.aws": OPTIONAL,
    "ghcr.io": OPTIONAL,
    "quay.io": OPTIONAL,
    "registry.k8s.io": OPTIONAL,
    "gcr.io": OPTIONAL,
    "nvcr.io": OPTIONAL,
    "registry.redhat.io": REQUIRED,
    "dhi.io": REQUIRED,
    "registry.access.redhat.com": OPTIONAL,
}
_SEGMENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")


def upstream_policy(login_server: str) -> str:
    host = login_server.lower()
    if host in UPSTREAMS:
        return UPSTREAMS[host]
    if host.endswith(".pkg.dev"):
        return REQUIRED
    if host.endswith(ACR_LOGIN_SUFFIX):  # ACR-to-ACR caching (2026-01-01-preview example)
        return OPTIONAL
    raise ServiceError(
        400, "UnsupportedUpstream", f"The upstream registry '{login_server}' is not supported."
    )


@dataclass
class AuthCredential:
    name: str
    username_uri: str
    password_uri: str


@dataclass(slots=True)
class CredentialSet:
    registry_id: str
    name: str
    login_server: str
    credentials: list[AuthCredential]
    principal_id: str
    created: float
    system_data: SystemData
    provisioning_state: str = "Succeeded"
    health: list[dict[str, Any]] = field(default_factory=list)
    health_evaluated: float | None = None

    @property
    def id(self) -> str:
        return f"{self.registry_id}/credentialSets/{self.name}"


@dataclass(slots=True)
class CacheRule:
    registry_id: str
    name: str
    source: str
    target: str
    credential_set_id: str | None
    created: float
    system_data: SystemData
    provisioning_state: str = "Succeeded"
    identity: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.registry_id}/cacheRules/{self.name}"

    @property
    def wildcard(self) -> bool:
        return self.source.endswith("/*")


@dataclass
class Registry:
    subscription: str
    group: str
    name: str
    location: str
    sku: str
    tags: dict[str, str]
    created: float
    admin_user_enabled: bool = False
    provisioning_state: str = "Succeeded"
    repositories: set[str] = field(default_factory=set)
    cache_rules: dict[str, CacheRule] = field(default_factory=dict)
    credential_sets: dict[str, CredentialSet] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{rg_id(self.subscription, self.group)}/providers/{REGISTRY_TYPE}/{self.name}"

    @property
    def login_server(self) -> str:
        return f"{self.name.lower()}{ACR_LOGIN_SUFFIX}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": REGISTRY_TYPE,
            "location": self.location,
            "tags": self.tags,
            "sku": {"name": self.sku, "tier": self.sku},
            "properties": {
                "loginServer": self.login_server,
                "creationDate": iso(self.created),
                "provisioningState": self.provisioning_state,
                "adminUserEnabled": self.admin_user_enabled,
                "publicNetworkAccess": "Enabled",
                "networkRuleBypassOptions": "AzureServices",
                "zoneRedundancy": "Disabled",
                "anonymousPullEnabled": False,
                "dataEndpointEnabled": False,
            },
        }


def cache_rule_json(rule: CacheRule) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if rule.credential_set_id:
        properties["credentialSetResourceId"] = rule.credential_set_id
    properties.update(
        {
            "sourceRepository": rule.source,
            "targetRepository": rule.target,
            "creationDate": iso(rule.created),
            "provisioningState": rule.provisioning_state,
        }
    )
    body: dict[str, Any] = {"type": CACHE_RULE_TYPE, "id": rule.id, "name": rule.name}
    if rule.identity:
        body["identity"] = rule.identity
    body["systemData"] = rule.system_data.to_json()
    body["properties"] = properties
    return body


def credential_set_json(cs: CredentialSet) -> dict[str, Any]:
    credentials = []
    for index, cred in enumerate(cs.credentials):
        item: dict[str, Any] = {
            "name": cred.name,
            "usernameSecretIdentifier": cred.username_uri,
            "passwordSecretIdentifier": cred.password_uri,
        }
        if index < len(cs.health):
            item["credentialHealth"] = cs.health[index]
        credentials.append(item)
    return {
        "type": CREDENTIAL_SET_TYPE,
        # "systemAssigned", lower-case: as the service writes it (azure-cli recordings, 2023 and 2026)
        "identity": {"principalId": cs.principal_id, "tenantId": TENANT_ID, "type": "systemAssigned"},
        "id": cs.id,
        "name": cs.name,
        "systemData": cs.system_data.to_json(),
        "properties": {
            "loginServer": cs.login_server,
            "authCredentials": credentials,
            "creationDate": iso(cs.created),
            "provisioningState": cs.provisioning_state,
        },
    }


def _split_source(source: Any) -> tuple[str, str]:
    if not isinstance(source, str) or not source:
        raise ServiceError(400, "InvalidSourceRepository", "properties.sourceRepository is required.")
    if source != source.lower():
        raise ServiceError(400, "InvalidSourceRepository", f"Source repository '{source}' must be lowercase.")
    host, _, path = source.partition("/")
    if not path or ("." not in host and host != "localhost"):
        raise ServiceError(
            400,
            "InvalidSourceRepository",
            f"Source repository '{source}' must be '<login server>/<repository>'.",
        )
    _check_repository_path("InvalidSourceRepository", "Source", path)
    return host, path


def same_source(a: str, b: str) -> bool:
    """Whether two sources name one upstream repository. `docker.io/<name>` means `docker.io/library/<name>`
    (artifact-cache overview: "if you don't include the library path, artifact cache will automatically
    include it"). Assumption: the rule stores and answers the source as given (no source shows otherwise);
    only comparisons use the library form."""
    return _canonical_source(a) == _canonical_source(b)


def _canonical_source(source: str) -> str:
    host, _, path = source.partition("/")
    return f"{host}/library/{path}" if host == "docker.io" and "/" not in path else source


def _check_repository_path(code: str, label: str, path: str) -> None:
    segments = path.split("/")
    last = segments[-1]
    if ":" in last or "@" in last:
        raise ServiceError(400, code, f"{label} repository '{path}' must not carry a tag or digest.")
    for index, segment in enumerate(segments):
        if segment == "*" and index == len(segments) - 1 and index > 0:
            continue
        if not _SEGMENT.fullmatch(segment):
            raise ServiceError(400, code, f"{label} repository '{path}' is not a valid repository name.")


def _check_target(target: Any, wildcard: bool) -> None:
    if not isinstance(target, str) or not target:
        raise ServiceError(400, "InvalidTargetRepository", "properties.targetRepository is required.")
    if target != target.lower():
        raise ServiceError(400, "InvalidTargetRepository", f"Target repository '{target}' must be lowercase.")
    _check_repository_path("InvalidTargetRepository", "Target", target)
    if target.endswith("/*") != wildcard:
        raise ServiceError(
            400,
            "InvalidTargetRepository",
            "A wildcard source repository needs a wildcard target repository and vice versa.",
        )


def _nested(a: str, b: str) -> bool:
    a, b = a.rstrip("*"), b.rstrip("*")
    return a.startswith(b) or b.startswith(a)


class ContainerRegistryBackend:
    def __init__(
        self,
        new_identity: Callable[[], str],
        drop_identity: Callable[[str], None],
        evaluate_health: Callable[[CredentialSet], None],
    ) -> None:
        self._new_identity = new_identity
        self._drop_identity = drop_identity
        self._evaluate_health = evaluate_health
        self.registries: dict[str, Registry] = {}  # by lowercase name: registry names are global

    def reset(self) -> None:
        self.registries = {}

    # registries -------------------------------------------------------------------------------------
    def name_available(self, name: str) -> dict[str, Any]:
        if not (5 <= len(name) <= 50) or not re.fullmatch(r"[a-zA-Z0-9]*", name):
            return {
                "nameAvailable": False,
                "reason": "Invalid",
                "message": "Registry names may contain only alpha numeric characters and must be between 5 "
                "and 50 characters",
            }
        if name.lower() in self.registries:
            return {
                "nameAvailable": False,
                "reason": "AlreadyExists",
                "message": f"The registry {name} is already in use.",
            }
        return {"nameAvailable": True}

    def registry(self, subscription: str, group: str, name: str) -> Registry:
        found = self.registries.get(name.lower())
        if found is None or not in_scope(found, subscription, group):
            raise not_found(REGISTRY_TYPE, name, group)
        return found

    def put_registry(
        self, subscription: str, group: str, name: str, body: dict[str, Any], now: float
    ) -> tuple[Registry, bool]:
        check_name("registry", name, 5, 50, r"[a-zA-Z0-9]*")
        existing = self.registries.get(name.lower())
        if existing is not None and not in_scope(existing, subscription, group):
            raise ServiceError(
                409, "AlreadyInUse", f"The registry DNS name {existing.login_server} is already in use."
            )
        sku = (body.get("sku") or {}).get("name")
        if sku not in ("Basic", "Standard", "Premium"):
            raise ServiceError(400, "InvalidSku", "sku.name must be one of Basic, Standard, Premium.")
        location = body.get("location")
        if not location:
            raise ServiceError(
                400, "LocationRequired", "The location property is required for this definition."
            )
        admin = bool((body.get("properties") or {}).get("adminUserEnabled", False))
        if existing is not None:
            existing.sku, existing.tags, existing.admin_user_enabled = (
                sku,
                dict(body.get("tags") or {}),
                admin,
            )
            return existing, False
        registry = Registry(
            subscription.lower(), group, name, str(location), sku, dict(body.get("tags") or {}), now
        )
        registry.admin_user_enabled = admin
        registry.provisioning_state = "Creating"
        self.registries[name.lower()] = registry
        return registry, True

    def list_registries(self, subscription: str, group: str | None = None) -> list[Registry]:
        return [r for _, r in sorted(self.registries.items()) if in_scope(r, subscription, group)]

    def delete_registry(self, registry: Registry) -> None:
        """The registry goes with its rules, credential sets and their system identities; grants those
        identities held stay behind in vaults and role assignments, as in Azure."""
        for name in list(registry.credential_sets):
            self.delete_credential_set(registry, name)
        self.registries.pop(registry.name.lower(), None)

    def delete_cache_rule(self, registry: Registry, name: str) -> None:
        registry.cache_rules.pop(name.lower(), None)

    def delete_credential_set(self, registry: Registry, name: str) -> None:
        """A system-assigned identity is deleted with its resource."""
        cs = registry.credential_sets.pop(name.lower(), None)
        if cs is not None:
            self._drop_identity(cs.principal_id)

    # cache rules ------------------------------------------------------------------------------------
    def cache_rule(self, registry: Registry, name: str) -> CacheRule:
        found = registry.cache_rules.get(name.lower())
        if found is None:
            raise not_found(CACHE_RULE_TYPE, f"{registry.name}/{name}", registry.group)
        return found

    def _resolve_credential_set(self, registry: Registry, resource_id: Any, source_host: str) -> str | None:
        policy = upstream_policy(source_host)
        if resource_id in (None, ""):
            if policy == REQUIRED:
                if source_host == "docker.io":
                    raise ServiceError(
                        400,
                        "EnforceDockerAuthentication",
                        "Docker Hub requires authentication: a credential set is required for docker.io "
                        "cache rules.",
                    )
                raise ServiceError(
                    400, "CredentialsRequired", f"Upstream '{source_host}' requires a credential set."
                )
            return None
        if not isinstance(resource_id, str):
            raise ServiceError(
                400, "InvalidCredentialSetResourceId", "credentialSetResourceId must be a string."
            )
        prefix = f"{registry.id}/credentialSets/".lower()
        if not resource_id.lower().startswith(prefix) or "/" in resource_id[len(prefix) :]:
            raise ServiceError(
                400,
                "InvalidCredentialSetResourceId",
                f"'{resource_id}' is not a credential set of registry '{registry.name}'.",
            )
        cs = registry.credential_sets.get(resource_id[len(prefix) :].lower())
        if cs is None:
            raise ServiceError(
                400, "CredentialSetNotFound", f"The credential set '{resource_id}' does not exist."
            )
        if cs.login_server.lower() != source_host:
            raise ServiceError(
                400,
                "CredentialSetLoginServerMismatch",
                f"Credential set '{cs.name}' is for '{cs.login_server}', not the source's '{source_host}'.",
            )
        return cs.id

    def _check_conflicts(self, registry: Registry, rule: CacheRule) -> None:
        if len(registry.cache_rules) >= MAX_CACHE_RULES:
            raise ServiceError(
                400, "CacheRuleQuotaExceeded", f"A registry holds at most {MAX_CACHE_RULES} cache rules."
            )
        if rule.wildcard:
            prefix = rule.target[:-1]
            if any(repo.startswith(prefix) for repo in registry.repositories):
                raise ServiceError(
                    409,
                    "TargetRepositoryPrefixMatchesExistingRegistries",
                    f"Repositories under '{rule.target}' already exist in registry '{registry.name}'.",
                )
            for other in registry.cache_rules.values():
                if other.wildcard and (
                    _nested(other.target, rule.target) or _nested(other.source, rule.source)
                ):
                    raise ServiceError(
                        409,
                        "CacheRuleWildcardConflict",
                        f"Wildcard rule '{rule.name}' overlaps wildcard cache rule '{other.name}'.",
                    )
            return
        if rule.target in registry.repositories or any(
            not o.wildcard and o.target == rule.target for o in registry.cache_rules.values()
        ):
            raise ServiceError(
                409,
                "TargetRepositoryAlreadyPresentInRegistry",
                f"Target repository '{rule.target}' is already present in registry '{registry.name}'.",
            )

    def put_cache_rule(
        self, registry: Registry, name: str, body: dict[str, Any], principal: str | None, now: float
    ) -> tuple[CacheRule, bool]:
        check_name("cache rule", name, 5, 50, NAME_PATTERN)
        props = body.get("properties") or {}
        host, path = _split_source(props.get("sourceRepository"))
        source = f"{host}/{path}"
        _check_target(props.get("targetRepository"), path.endswith("/*"))
        cs_id = self._resolve_credential_set(registry, props.get("credentialSetResourceId"), host)
        existing = registry.cache_rules.get(name.lower())
        if existing is not None:
            if not same_source(existing.source, source) or existing.target != props["targetRepository"]:
                raise ServiceError(
                    400,
                    "PropertyChangeNotAllowed",
                    "sourceRepository and targetRepository of a cache rule cannot be changed.",
                )
            existing.credential_set_id = cs_id
            existing.system_data.touch(principal, now)
            return existing, False
        rule = CacheRule(
            registry.id,
            name,
            source,
            props["targetRepository"],
            cs_id,
            now,
            SystemData.new(principal, now),
            "Creating",
        )
        if isinstance(body.get("identity"), dict):
            rule.identity = _user_assigned_view(body["identity"])
        self._check_conflicts(registry, rule)
        registry.cache_rules[name.lower()] = rule
        return rule, True

    def patch_cache_rule(
        self, rule: CacheRule, registry: Registry, body: dict[str, Any], principal: str | None, now: float
    ) -> bool:
        """Apply a PATCH; True when something changed."""
        unknown = set(body) - {"properties", "identity"}
        props = body.get("properties") or {}
        unknown |= {f"properties.{k}" for k in set(props) - {"credentialSetResourceId"}}
        if unknown:
            raise ServiceError(
                400,
                "PropertyChangeNotAllowed",
                f"Only properties.credentialSetResourceId of a cache rule can be updated (got {sorted(unknown)}).",
            )
        if "credentialSetResourceId" not in props:
            return False
        host = rule.source.partition("/")[0]
        cs_id = self._resolve_credential_set(registry, props["credentialSetResourceId"], host)
        changed = cs_id != rule.credential_set_id
        rule.credential_set_id = cs_id
        if changed:
            rule.system_data.touch(principal, now)
        return changed

    # credential sets -------------------------------------------------------------------------------
    def credential_set(self, registry: Registry, name: str) -> CredentialSet:
        found = registry.credential_sets.get(name.lower())
        if found is None:
            raise not_found(CREDENTIAL_SET_TYPE, f"{registry.name}/{name}", registry.group)
        return found

    @staticmethod
    def _auth_credentials(raw: Any) -> list[AuthCredential]:
        if not isinstance(raw, list) or not raw:
            raise ServiceError(
                400, "InvalidAuthCredentials", "properties.authCredentials must be a non-empty list."
            )
        if len(raw) > 1:
            raise ServiceError(
                400, "InvalidAuthCredentials", "Only one auth credential (Credential1) is supported."
            )
        credentials = []
        for item in raw:
            if not isinstance(item, dict) or item.get("name") != "Credential1":
                raise ServiceError(
                    400, "InvalidAuthCredentials", "The auth credential name must be 'Credential1'."
                )
            for key in ("usernameSecretIdentifier", "passwordSecretIdentifier"):
                parse_secret_uri(item.get(key), field=key)
            credentials.append(
                AuthCredential(
                    item["name"], item["usernameSecretIdentifier"], item["passwordSecretIdentifier"]
                )
            )
        return credentials

    def put_credential_set(
        self, registry: Registry, name: str, body: dict[str, Any], principal: str | None, now: float
    ) -> tuple[CredentialSet, bool]:
        check_name("credential set", name, 5, 50, NAME_PATTERN)
        props = body.get("properties") or {}
        login_server = props.get("loginServer")
        if not isinstance(login_server, str) or not login_server:
            raise ServiceError(400, "InvalidLoginServer", "properties.loginServer is required.")
        upstream_policy(login_server)  # refuses an unsupported upstream
        credentials = self._auth_credentials(props.get("authCredentials"))
        existing = registry.credential_sets.get(name.lower())
        if existing is not None:
            if existing.login_server.lower() != login_server.lower():
                raise ServiceError(
                    400, "PropertyChangeNotAllowed", "loginServer of a credential set cannot be changed."
                )
            existing.credentials = credentials
            existing.system_data.touch(principal, now)
            self._evaluate_health(existing)
            return existing, False
        cs = CredentialSet(
            registry.id,
            name,
            login_server.lower(),
            credentials,
            self._new_identity(),
            now,
            SystemData.new(principal, now),
            "Creating",
        )
        registry.credential_sets[name.lower()] = cs
        self._evaluate_health(cs)
        return cs, True

    def patch_credential_set(
        self, cs: CredentialSet, body: dict[str, Any], principal: str | None, now: float
    ) -> bool:
        props = body.get("properties") or {}
        unknown = set(body) - {"properties", "identity"}
        unknown |= {f"properties.{k}" for k in set(props) - {"authCredentials"}}
        if unknown:
            raise ServiceError(
                400,
                "PropertyChangeNotAllowed",
                f"Only properties.authCredentials and identity of a credential set can be updated "
                f"(got {sorted(unknown)}).",
            )
        identity = body.get("identity")
        if identity is not None and (
            not isinstance(identity, dict) or identity.get("type") != "SystemAssigned"
        ):
            raise ServiceError(
                400, "InvalidIdentity", "A credential set only supports a SystemAssigned identity."
            )
        if "authCredentials" not in props:
            return False
        credentials = self._auth_credentials(props["authCredentials"])
        changed = credentials != cs.credentials
        cs.credentials = credentials
        if changed:
            cs.system_data.touch(principal, now)
        self._evaluate_health(cs)
        return changed

    def all_credential_sets(self) -> list[CredentialSet]:
        return [cs for r in self.registries.values() for cs in r.credential_sets.values()]


def _user_assigned_view(identity: dict[str, Any]) -> dict[str, Any]:
    """Echo a user-assigned identity with client/principal ids, as the preview example answers."""
    view: dict[str, Any] = {"type": identity.get("type", "UserAssigned")}
    assigned = identity.get("userAssignedIdentities")
    if isinstance(assigned, dict):
        view["userAssignedIdentities"] = {
            key: {"clientId": _stable_guid(key, "client"), "principalId": _stable_guid(key, "principal")}
            for key in assigned
        }
    return view


def _stable_guid(resource_id: str, purpose: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{purpose}:{resource_id.lower()}"))
