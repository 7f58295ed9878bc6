"""Enforcing mode: the app's principal may do only what infra/ grants it, or gets ARM's 403 AuthorizationFailed.

The grants are read from the Bicep itself (pycep-parser), following what `main.bicep` hands the function app's
identity (`principalId: functionApp.outputs.principalId`) into each module: role assignments (the custom roles'
actions, built-in roles by ID with their documented actions, the ABAC condition) and the access policy it gets on
access-policy vaults. A deployment grants per target (each managed subscription, registry and vault); the emulator
stands for one such deployment whose targets are all it holds, so a grant applies to every resource of the kind it
is scoped to. Grants on resources the emulator does not serve (storage, telemetry, topics) cannot matter and are
left out. Any other principal is not checked here (the backends keep their own rules).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.constants import APP_PRINCIPAL_ID
from emulator.http import Request, Response, Router, ServiceError

if TYPE_CHECKING:
    from emulator.state import EmulatorState

SUBSCRIPTION = "subscription"
REGISTRY = "Microsoft.ContainerRegistry/registries"
VAULT = "Microsoft.KeyVault/vaults"
SERVED_SCOPES = {SUBSCRIPTION, REGISTRY, VAULT}
ASSIGNMENTS = "Microsoft.Authorization/roleAssignments"

# Built-in roles the templates may give the app, with their documented permissions (Azure built-in roles reference).
BUILTIN_ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # Key Vault Reader
    "21090545-7ca7-4776-b22c-e363652d74d2": (
        (
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Support/*",
            "Microsoft.KeyVault/checkNameAvailability/read",
            "Microsoft.KeyVault/deletedVaults/read",
            "Microsoft.KeyVault/locations/*/read",
            "Microsoft.KeyVault/vaults/*/read",
            "Microsoft.KeyVault/operations/read",
        ),
        ("Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"),
    ),
    # Role Based Access Control Administrator
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": (
        (
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
            "*/read",
            "Microsoft.Support/*",
        ),
        (),
    ),
}

# Key Vault data plane: operation -> (access-policy secret permission, RBAC data action).
DATA_OPERATIONS = {
    "list": ("list", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"),
    "get": ("get", "Microsoft.KeyVault/vaults/secrets/getSecret/action"),
    "set": ("set", "Microsoft.KeyVault/vaults/secrets/setSecret/action"),
    "delete": ("delete", "Microsoft.KeyVault/vaults/secrets/delete"),
    "update": ("set", "Microsoft.KeyVault/vaults/secrets/update/action"),
}


class EnforcementError(ValueError):
    """The templates grant the app something enforcing mode cannot model: refuse rather than guess."""


@dataclass(frozen=True)
class Constraint:
    """One action's clause of the documented "constrain roles" condition."""

    source: str  # "Request" (write) or "Resource" (delete)
    role_ids: frozenset[str]
    principal_types: frozenset[str]


@dataclass(frozen=True)
class Grant:
    role: str
    scope: str  # SUBSCRIPTION or the resource type the assignment is scoped to
    actions: tuple[str, ...]
    data_actions: tuple[str, ...] = ()
    constraints: Mapping[str, Constraint] = field(default_factory=dict)


@dataclass(frozen=True)
class AppPermissions:
    grants: tuple[Grant, ...]
    secret_permissions: frozenset[str]  # access policy on access-policy vaults

    def actions(self) -> list[str]:
        return sorted({a for g in self.grants for a in g.actions})


def _matches(pattern: str, action: str) -> bool:
    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    return re.match(regex, action, re.IGNORECASE) is not None


def parse_condition(text: str) -> dict[str, Constraint]:
    """Action -> constraint, from `!(ActionMatches{'A'}) OR (@S[...:RoleDefinitionId] ... AND @S[...:PrincipalType] ...)`."""
    parts = re.split(r"ActionMatches\{'([^']+)'\}", text)
    constraints: dict[str, Constraint] = {}
    for action, body in zip(parts[1::2], parts[2::2], strict=True):
        roles = re.search(
            r"@(\w+)\[[^\]]*:RoleDefinitionId\]\s+ForAnyOfAnyValues:GuidEquals\s*\{([^}]*)\}", body
        )
        types = re.search(
            r"@(\w+)\[[^\]]*:PrincipalType\]\s+ForAnyOfAnyValues:StringEqualsIgnoreCase\s*\{([^}]*)\}", body
        )
        if not roles or not types or roles.group(1) != types.group(1):
            raise EnforcementError(
                f"condition clause for {action} is not the documented constrain-roles form"
            )
        expected = "Resource" if action.lower().endswith("/delete") else "Request"
        if roles.group(1) != expected:
            raise EnforcementError(f"{action} exposes @{expected} attributes, not @{roles.group(1)}")
        constraints[action.lower()] = Constraint(
            source=expected,
            role_ids=frozenset(r.strip().lower() for r in roles.group(2).split(",") if r.strip()),
            principal_types=frozenset(t.strip().strip("'").lower() for t in types.group(2).split(",")),
        )
    if not constraints:
        raise EnforcementError("condition names no action")
    return constraints


# Reading the Bicep ----------------------------------------------------------------------------------------------


def _accessor(node: Any) -> list[str]:
    """`a.b.c` as ["a", "b", "c"] from pycep's nested property_accessor nodes; [] for anything else."""
    if isinstance(node, str):
        return [node]
    op = node.get("operator") if isinstance(node, dict) else None
    if not op or op.get("type") != "property_accessor":
        return []
    return [*_accessor(op["operands"]["operand_1"]), *_accessor(op["operands"]["operand_2"])]


class _Templates:
    """Parsed .bicep files with just enough symbol resolution to follow the app's principal and role IDs."""

    def __init__(self, infra: Path) -> None:
        from pycep import BicepParser

        self.infra = infra
        self._parser = BicepParser()
        self._cache: dict[Path, dict[str, Any]] = {}

    def load(self, path: Path) -> dict[str, Any]:
        path = path.resolve()
        if path not in self._cache:
            parsed: dict[str, Any] = dict(self._parser.parse(file_path=path))
            self._cache[path] = parsed
        return self._cache[path]

    def variable(self, path: Path, name: str) -> Any:
        """A variable of `path`, or one it imports (`import { name } from 'file'`)."""
        doc = self.load(path)
        if name in doc.get("variables", {}):
            return doc["variables"][name]["value"]
        for symbol, spec in doc.get("imports", {}).items():
            if symbol == name:
                return self.variable(path.parent / spec["file_path"], name)
        raise EnforcementError(f"{path.name}: unknown symbol {name}")

    def role_id(self, path: Path, node: Any, params: Mapping[str, Any], caller: Path | None) -> str:
        """The role definition GUID of `subscriptionResourceId('...roleDefinitions', X)`."""
        fn = node.get("function", {}) if isinstance(node, dict) else {}
        if fn.get("type") != "subscription_resource_id":
            raise EnforcementError(f"{path.name}: roleDefinitionId is not subscriptionResourceId(...)")
        ref = _accessor(fn["parameters"]["resource_name_1"])
        if len(ref) == 2:  # roleDefinitionIds.name
            return str(self.variable(path, ref[0])[ref[1]]).lower()
        if len(ref) == 1 and ref[0] in params and caller is not None:  # a param fed by the caller
            source = _accessor(params[ref[0]])
            if len(source) == 3 and source[1] == "outputs":
                module = self.load(caller)["modules"][source[0]]
                target = caller.parent / module["detail"]["path"]
                output = _accessor(self.load(target)["outputs"][source[2]]["value"])
                return f"custom:{target.resolve()}:{output[0]}"
        raise EnforcementError(f"{path.name}: cannot resolve role {ref}")

    def custom_actions(self, role: str) -> tuple[str, ...]:
        _, file, symbol = role.split(":", 2)
        path = Path(file)
        permissions = self.load(path)["resources"][symbol]["config"]["properties"]["permissions"]
        actions: list[str] = []
        for entry in permissions:
            value = entry["actions"]
            actions += self.variable(path, value) if isinstance(value, str) else value
            if entry.get("notActions") or entry.get("dataActions"):
                raise EnforcementError(f"custom role {symbol}: only plain actions are modelled")
        return tuple(actions)


def _body(config: Any) -> Any:
    """A declaration's body: loops and conditions wrap it one level deeper in pycep's tree."""
    wrapped = isinstance(config, dict) and ("loop_type" in config or "condition" in config)
    return config["config"] if wrapped else config


def _modules(doc: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """(relative path, body) of each module call."""
    for module in doc.get("modules", {}).values():
        yield str(module["detail"]["path"]), _body(module["config"])


def load_permissions(infra: Path) -> AppPermissions:
    """What `infra/main.bicep` grants the function app's identity."""
    templates = _Templates(infra)
    main = infra / "main.bicep"
    grants: list[Grant] = []
    policies: set[str] = set()

    def visit(path: Path, caller: Path | None, params: Mapping[str, Any], principal: str) -> None:
        doc = templates.load(path)
        file_scope = str(doc.get("globals", {}).get("scope", {}).get("value", "resourceGroup"))
        resources = doc.get("resources", {})
        for resource in resources.values():
            config = _body(resource["config"])
            props = config.get("properties", {}) if isinstance(config, dict) else {}
            if resource["type"] == ASSIGNMENTS and props.get("principalId") == principal:
                scope_symbol = config.get("scope")
                scope = resources[scope_symbol]["type"] if scope_symbol else file_scope
                if scope not in SERVED_SCOPES:
                    continue
                role = templates.role_id(path, props["roleDefinitionId"], params, caller)
                grants.append(_grant(templates, path, role, scope, props.get("condition")))
            if resource["type"] == f"{VAULT}/accessPolicies":
                for policy in props.get("accessPolicies", []):
                    if policy.get("objectId") == principal:
                        policies.update(p.lower() for p in policy.get("permissions", {}).get("secrets", []))
        for relative, module in _modules(doc):
            module_params = module.get("params", {})
            for name, value in module_params.items():
                if value == principal or _accessor(value) == ["functionApp", "outputs", "principalId"]:
                    visit(path.parent / relative, path, module_params, name)

    visit(main, None, {}, principal="")
    if not grants:
        raise EnforcementError(f"{main}: no role assignment reaches the function app's identity")
    return AppPermissions(tuple(grants), frozenset(policies))


def _grant(templates: _Templates, path: Path, role: str, scope: str, condition: Any) -> Grant:
    actions: tuple[str, ...]
    data_actions: tuple[str, ...] = ()
    if role.startswith("custom:"):
        actions = templates.custom_actions(role)
    elif role in BUILTIN_ROLES:
        actions, data_actions = BUILTIN_ROLES[role]
    else:
        raise EnforcementError(
            f"{path.name}: built-in role {role} has no documented actions in enforcement.py"
        )
    constraints: dict[str, Constraint] = {}
    if condition is not None:
        text = templates.variable(path, condition) if isinstance(condition, str) else None
        if not isinstance(text, str):
            raise EnforcementError(f"{path.name}: condition must be a string variable")
        constraints = parse_condition(text)
    return Grant(role, scope, tuple(actions), tuple(data_actions), constraints)


# Checking requests ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmOperation:
    action: str
    resource_id: str  # what the action is performed on (the collection's parent for lists)


def arm_operation(method: str, path: str) -> ArmOperation | None:
    """The authorization action of an ARM request, as ARM derives it from the URL; None when ARM checks none."""
    segments = [s for s in path.split("/") if s]
    lowered = [s.lower() for s in segments]
    if not segments or lowered[0] != "subscriptions" or len(segments) < 2:
        return None  # tenant-level reads (subscription list, metadata) answer with what the caller may see
    verb = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}.get(method)
    if "providers" in lowered[2:]:
        at = len(lowered) - 1 - lowered[::-1].index("providers")
        namespace, rest = segments[at + 1], segments[at + 2 :]
    else:
        namespace, rest = "Microsoft.Resources", ["subscriptions", *segments[1:]]
    if not rest:
        return None
    types = rest[0::2]
    if len(rest) % 2 == 1 and method == "POST":
        action = "/".join([namespace, *types[:-1], types[-1], "action"])
        return ArmOperation(action, "/" + "/".join(segments[:-1]))
    if verb is None:
        return None
    resource = segments if len(rest) % 2 == 0 else segments[:-1]
    return ArmOperation("/".join([namespace, *types, verb]), "/" + "/".join(resource))


def scopes_of(resource_id: str) -> set[str]:
    """The scope kinds a resource sits at or under."""
    lowered = resource_id.lower()
    kinds = {SUBSCRIPTION} if lowered.startswith("/subscriptions/") else set()
    for kind in (REGISTRY, VAULT):
        if re.search(rf"/providers/{re.escape(kind.lower())}/[^/]+", lowered):
            kinds.add(kind)
    return kinds


def authorization_failed(principal: str, action: str, scope: str) -> ServiceError:
    return ServiceError(
        403,
        "AuthorizationFailed",
        f"The client '{principal}' with object id '{principal}' does not have authorization to perform action "
        f"'{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please "
        "refresh your credentials.",
    )


@dataclass
class Enforcement:
    """The mode's switch and the permissions in force; thread-safe (requests run concurrently)."""

    infra: Path | None = None
    permissions: AppPermissions | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def enable(self, infra: Path | None) -> None:
        infra = infra.resolve() if infra is not None else None
        loaded = load_permissions(infra) if infra is not None else None
        with self._lock:
            self.infra, self.permissions = infra, loaded

    def _active(self, request: Request) -> AppPermissions | None:
        if (request.principal_id or "").lower() != APP_PRINCIPAL_ID:
            return None
        with self._lock:
            return self.permissions

    def check_arm(self, state: EmulatorState, request: Request) -> Response | None:
        """None when allowed (or not enforced); else ARM's 403 answer."""
        permissions = self._active(request)
        operation = arm_operation(request.method, request.path) if permissions else None
        if permissions is None or operation is None:
            return None
        kinds = scopes_of(operation.resource_id)
        for grant in permissions.grants:
            if grant.scope not in kinds or not any(_matches(p, operation.action) for p in grant.actions):
                continue
            constraint = grant.constraints.get(operation.action.lower())
            if constraint is None or _satisfies(constraint, state, request):
                return None
        error = authorization_failed(request.principal_id or "", operation.action, operation.resource_id)
        return Response(error.status, error.body())

    def check_dataplane(self, state: EmulatorState, request: Request) -> Response | None:
        """Key Vault's 403 when the app's grants do not cover a secrets operation."""
        permissions = self._active(request)
        found = re.match(r"^/kv/([^/]+)/secrets(?:/([^/]+)(/versions)?)?/?", request.path)
        if permissions is None or not found:
            return None
        vault = state.vaults.by_name(found.group(1))
        if vault is None:
            return None
        operation = _data_operation(request.method, bool(found.group(2)), bool(found.group(3)))
        permission, data_action = DATA_OPERATIONS[operation]
        if vault.rbac:
            allowed = any(
                g.scope == VAULT and any(_matches(p, data_action) for p in g.data_actions)
                for g in permissions.grants
            )
        else:
            allowed = permission in permissions.secret_permissions
        if allowed:
            return None
        error = ServiceError(
            403,
            "Forbidden",
            f"Caller is not authorized to perform action on resource. Caller: oid={request.principal_id}; "
            f"Action: '{data_action}'; Resource: '{vault.id}/secrets'.",
            inner_code="ForbiddenByRbac" if vault.rbac else "AccessDenied",
        )
        return Response(error.status, error.body())


def _data_operation(method: str, item: bool, versions: bool) -> str:
    if method == "GET":
        return "list" if versions or not item else "get"
    return {"PUT": "set", "DELETE": "delete", "PATCH": "update"}.get(method, "set")


def _satisfies(constraint: Constraint, state: EmulatorState, request: Request) -> bool:
    if constraint.source == "Request":
        body = request.json_object().get("properties") or {}
        role = str(body.get("roleDefinitionId", "")).rstrip("/").rsplit("/", 1)[-1]
        principal_type = str(body.get("principalType", ""))
    else:
        existing = state.authorization.assignments.get(request.path.rstrip("/").rsplit("/", 1)[-1].lower())
        if existing is None:
            return True  # nothing to delete: ARM answers 204 whatever the condition
        role, principal_type = existing.role_id, existing.principal_type
    return role.lower() in constraint.role_ids and principal_type.lower() in constraint.principal_types


# Control API ------------------------------------------------------------------------------------------------------


def register(router: Router, enforcement: Enforcement) -> None:
    """`GET|PUT /_emulator/enforcement` `{"infraDir": path | null}` (not Azure)."""

    def status(state: EmulatorState, request: Request) -> Response:
        permissions = enforcement.permissions
        return Response(
            200,
            {
                "enabled": permissions is not None,
                "infraDir": str(enforcement.infra) if enforcement.infra else None,
                "actions": permissions.actions() if permissions else [],
                "secretPermissions": sorted(permissions.secret_permissions) if permissions else [],
            },
        )

    def update(state: EmulatorState, request: Request) -> Response:
        body = request.json_object()
        if set(body) != {"infraDir"} or not isinstance(body["infraDir"], str | None):
            raise ServiceError(400, "InvalidEnforcement", 'body must be {"infraDir": "<path>" | null}')
        infra = Path(body["infraDir"]) if body["infraDir"] else None
        if infra is not None and not (infra / "main.bicep").is_file():
            raise ServiceError(400, "InvalidEnforcement", f"{infra} has no main.bicep")
        try:
            enforcement.enable(infra)
        except (EnforcementError, ValueError, KeyError) as exc:
            raise ServiceError(400, "InvalidEnforcement", f"cannot read the grants: {exc}") from exc
        return status(state, request)

    router.add("GET", r"/_emulator/enforcement", status)
    router.add("PUT", r"/_emulator/enforcement", update)
