"""The OpenAPI 3.1 description of the HTTP API, served at ``GET /api/openapi.json``.

Built from small parts so each schema is stated once, and from the domain's own constants (name limits,
upstream policies) so the document cannot drift from what the parsers in ``shared.domain.requests`` accept.
Its paths come from the route table ``functions.http_api`` registers (``shared.api.routes.ROUTES``); tests
check it against what ``function_app.py`` registers and against those parsers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from shared.api.problems import PROBLEM_BASE
from shared.api.routes import (
    AUDIT_TAG,
    HEALTH_TAG,
    META_TAG,
    REGISTRY_TAG,
    ROUTES,
    RULE_TAG,
    RULES,
    SET_TAG,
    Route,
    Success,
)
from shared.domain.names import RESOURCE_NAME_MAX, RESOURCE_NAME_MIN
from shared.domain.repositories import MAX_REPOSITORY_LENGTH
from shared.domain.requests import SecretRules
from shared.domain.upstreams import (
    DOCKER_HUB,
    DOCKER_HUB_ALIASES,
    CredentialPolicy,
    credential_policy,
    supported_upstreams,
)
from shared.services.sweep_report import MAX_SKIP, MAX_TOP

Json = dict[str, Any]

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
REGISTRY_PATTERN = f"^[a-zA-Z0-9]{{{RESOURCE_NAME_MIN},{RESOURCE_NAME_MAX}}}$"
NAME_PATTERN = f"^[a-zA-Z0-9-]{{{RESOURCE_NAME_MIN},{RESOURCE_NAME_MAX}}}$"
NOT_BLANK = r"\S"


def _any_case(word: str) -> str:
    """JSON Schema patterns take no flags; the parser compares scheme and path keyword case-insensitively."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


# The secret URIs the public cloud accepts: the default document, for tools and tests without a deployment.
PUBLIC_CLOUD = SecretRules(dns_suffix=".vault.azure.net")
_VAULT_NAME = r"[a-zA-Z](?![a-zA-Z0-9-]*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]"  # 3-24, letter first, no '--'


def secret_uri_pattern(rules: SecretRules) -> str:
    """``https://{vault}{suffix}/secrets/{name}[/{version}]`` for this deployment: its cloud's Key Vault DNS
    suffix and, when ``ALLOWED_VAULTS`` is set, only those vaults (host names in any case, as the parser)."""
    vault = (
        "(" + "|".join(_any_case(v) for v in sorted(rules.allowed_vaults)) + ")"
        if rules.allowed_vaults
        else _VAULT_NAME
    )
    return (
        f"^{_any_case('https')}://{vault}{_any_case(re.escape(rules.dns_suffix))}/{_any_case('secrets')}/"
        r"[0-9a-zA-Z-]{1,127}(/[0-9a-fA-F]{32})?/*$"
    )


PROBLEM_STATUSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is invalid: `errors` lists every field problem at once."),
    401: ("Unauthorized", "The caller is not authenticated (missing function key or Entra ID principal)."),
    403: ("Forbidden", "The caller lacks the app role this deployment requires."),
    404: ("NotFound", "The registry, cache rule or credential set does not exist."),
    405: ("MethodNotAllowed", "The route does not offer this method; `Allow` lists those it does."),
    409: (
        "Conflict",
        "The request conflicts with the registry's state (`existing` shows what is there), names a credential "
        "set, vault or secret that does not exist or cannot be used as it is (`unusable-reference`, fields in "
        "`errors`), or another request holds the resource (`resource-busy`: retry after `Retry-After` seconds).",
    ),
    413: ("PayloadTooLarge", "The body exceeds the configured maximum size."),
    415: ("UnsupportedMediaType", "The body is not `application/json`."),
    429: ("TooManyRequests", "Azure is throttling the app; `Retry-After` is Azure's own."),
    500: ("InternalError", "An unexpected error occurred; it has been logged."),
    502: ("BadGateway", "A write step failed or Azure refused it; what this request created was undone."),
    503: (
        "ServiceUnavailable",
        "Azure kept failing after bounded retries; retry after `Retry-After` seconds.",
    ),
    504: (
        "GatewayTimeout",
        "The request ran out of its time budget (`REQUEST_DEADLINE_SECONDS`); `rolledBack` and `cleanup` say "
        "what was undone and what was left.",
    ),
}
RETRY_AFTER_STATUSES = (409, 429, 503)

# --- schema building blocks -------------------------------------------------------------------------------


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Json) -> Json:
    """``type: [T, "null"]`` for a typed schema, ``oneOf`` with null for a reference."""
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


def _string(
    description: str, *, pattern: str | None = NOT_BLANK, fmt: str | None = None, **extra: Any
) -> Json:
    schema: Json = {"type": "string", "description": description}
    if pattern:
        schema["pattern"] = pattern
    if fmt:
        schema["format"] = fmt
    schema.update(extra)
    return schema


def _array(items: Json, description: str) -> Json:
    return {"type": "array", "items": items, "description": description}


def _object(
    description: str,
    properties: Mapping[str, Json],
    *,
    required: Sequence[str] = (),
    closed: bool = False,
    **extra: Any,
) -> Json:
    schema: Json = {"type": "object", "description": description, "properties": dict(properties)}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    schema.update(extra)
    return schema


def _name(what: str) -> Json:
    return _string(
        f"{what}: {RESOURCE_NAME_MIN}-{RESOURCE_NAME_MAX} letters, digits and '-'.", pattern=NAME_PATTERN
    )


def _secret_uri(which: str, rules: SecretRules) -> Json:
    vault = min(rules.allowed_vaults) if rules.allowed_vaults else "demo-kv"
    return _string(
        f"Key Vault secret identifier of the upstream {which}: https://<vault>{rules.dns_suffix}/secrets/<name>"
        "[/<version>]; without a version the credential set follows the latest one. The vault must exist in a "
        "managed subscription"
        + (
            f" and be one of ALLOWED_VAULTS ({', '.join(sorted(rules.allowed_vaults))})"
            if rules.allowed_vaults
            else ""
        )
        + "; no port, user information, query or fragment.",
        pattern=secret_uri_pattern(rules),
        fmt="uri",
        examples=[f"https://{vault}{rules.dns_suffix}/secrets/dockerhub-{which}"],
    )


def _upstreams_with(*policies: CredentialPolicy) -> str:
    return ", ".join(u for u in supported_upstreams() if credential_policy(u.replace("*", "x")) in policies)


def _login_server_pattern() -> str:
    """Exactly the login servers a credential set PUT accepts, so a schema-valid one is never refused."""
    return r"^\s*" + _hosts(CredentialPolicy.REQUIRED, CredentialPolicy.OPTIONAL) + r"\s*$"


def _hosts(*policies: CredentialPolicy) -> str:
    """Upstream hosts (and Docker Hub's aliases) of the given policies, as a case-insensitive alternation."""
    hosts = [u for u in supported_upstreams() if not u.startswith("*") and credential_policy(u) in policies]
    if credential_policy(DOCKER_HUB) in policies:
        hosts += sorted(DOCKER_HUB_ALIASES)
    literal = [_any_case(h).replace(".", r"\.") for h in hosts]
    suffixed = [
        r"[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*" + _any_case(u[1:]).replace(".", r"\.")
        for u in supported_upstreams()
        if u.startswith("*") and credential_policy(u.replace("*", "x")) in policies
    ]
    return "(" + "|".join(literal + suffixed) + ")"


# A source with no host (one segment, or a first segment without '.' or ':' that is not 'localhost') is Docker Hub's.
_LEAD = r"^\s*/*"
_DOCKER_HUB_IMPLIED = r"([^/\s][^/]*/*\s*$|(?![lL][oO][cC][aA][lL][hH][oO][sS][tT]/)[^/.:\s][^/.:]*/)"
_ALL = (CredentialPolicy.REQUIRED, CredentialPolicy.OPTIONAL, CredentialPolicy.FORBIDDEN)


# Repository paths as ``shared.domain.repositories`` accepts them (upper case is lowercased first): OCI path
# components, '*' only as a last segment after another, at most MAX_REPOSITORY_LENGTH characters between the
# slashes and spaces it strips, and no tag or digest (':' and '@' are in no component).
_COMPONENT = r"[a-zA-Z0-9]+(?:(?:[._]|__|-+)[a-zA-Z0-9]+)*"
_NO_DOT_COMPONENT = r"[a-zA-Z0-9]+(?:(?:_|__|-+)[a-zA-Z0-9]+)*"
_MORE = rf"(?:/{_COMPONENT})*(?:/\*)?"
_LENGTH = rf"(?=(?:[^/\s]|/(?=[^/\s])){{1,{MAX_REPOSITORY_LENGTH}}}/*\s*$)"
_TRAIL = r"/*\s*$"
_WILDCARD_END = r"\*/*\s*$"


def _source_pattern() -> str:
    """Sources on an upstream artifact cache supports, with the path the parser accepts: a host of a supported
    upstream, or none (Docker Hub: one segment, or a first segment without '.' that is not 'localhost')."""
    implied = rf"(?:{_COMPONENT}|\*|(?![lL][oO][cC][aA][lL][hH][oO][sS][tT]/){_NO_DOT_COMPONENT}{_MORE})"
    hosted = rf"{_hosts(*_ALL)}/{_COMPONENT}{_MORE}"
    return f"{_LEAD}{_LENGTH}({implied}|{hosted}){_TRAIL}"


def _target_pattern() -> str:
    """Repositories inside the registry: no host name first (no '.' in a first segment followed by others)."""
    return f"{_LEAD}{_LENGTH}({_COMPONENT}|{_NO_DOT_COMPONENT}{_MORE}){_TRAIL}"


def _wildcard_rules() -> list[Json]:
    """A wildcard source needs a wildcard target and the other way round."""

    def wild(field: str, yes: bool) -> Json:
        pattern: Json = {"pattern": _WILDCARD_END}
        return {"properties": {field: pattern if yes else {"not": pattern}}}

    return [
        {"anyOf": [wild("sourceRepository", False), wild("targetRepository", True)]},
        {"anyOf": [wild("targetRepository", False), wild("sourceRepository", True)]},
    ]


def _credential_rules() -> list[Json]:
    """The upstream credential policy as schema: a schema-valid body is never refused for it."""
    given = {
        "anyOf": [
            {"required": ["credentials"], "properties": {"credentials": {"type": "object"}}},
            {"required": ["credentialSet"], "properties": {"credentialSet": {"type": "string"}}},
        ]
    }
    required = f"{_LEAD}({_DOCKER_HUB_IMPLIED}|{_hosts(CredentialPolicy.REQUIRED)}/)"
    forbidden = f"{_LEAD}{_hosts(CredentialPolicy.FORBIDDEN)}/"
    return [
        {"anyOf": [{"properties": {"sourceRepository": {"not": {"pattern": required}}}}, given]},
        {"anyOf": [{"properties": {"sourceRepository": {"not": {"pattern": forbidden}}}}, {"not": given}]},
    ]


# --- request schemas --------------------------------------------------------------------------------------


def _credentials_input(rules: SecretRules) -> Json:
    return _object(
        "Credentials for a credential set this request provisions or reuses (same upstream and secrets).",
        {
            "usernameSecretUri": _secret_uri("username", rules),
            "passwordSecretUri": _secret_uri("password", rules),
            "loginServer": _string(
                "Upstream login server; optional, and when given it must be the source repository's upstream."
            ),
            "credentialSetName": _name(
                "Name of the credential set; derived from the upstream and the secrets when absent"
            ),
        },
        required=("usernameSecretUri", "passwordSecretUri"),
        closed=True,
    )


def _cache_rule_input(*, with_name: bool) -> Json:
    properties: Json = {
        "sourceRepository": _string(
            "Upstream repository as users write it: 'ubuntu' is docker.io/library/ubuntu; host aliases and "
            "upper case are normalised; no tag or digest; '*' only as the last segment (wildcard rule).",
            pattern=_source_pattern(),
            examples=["docker.io/library/ubuntu", "ghcr.io/org/app", "quay.io/org/*"],
        ),
        "targetRepository": _string(
            "Repository inside the registry (no host name); a wildcard source needs a wildcard target. Upper "
            "case is stored lowercased (registry repository names are lowercase): the answer shows the stored name.",
            pattern=_target_pattern(),
            examples=["ubuntu", "org/*"],
        ),
        "credentialSet": _nullable(_name("An existing credential set of the registry (or null for none)")),
        "credentials": _nullable(_ref("CredentialsInput")),
    }
    if with_name:
        properties["name"] = _name("Cache rule name; derived from the target repository when absent")
    return _object(
        "A cache rule. Give at most one of credentialSet and credentials. "
        f"Upstreams requiring credentials: {_upstreams_with(CredentialPolicy.REQUIRED)}. "
        f"Upstreams refusing them: {_upstreams_with(CredentialPolicy.FORBIDDEN)}. "
        f"Optional: {_upstreams_with(CredentialPolicy.OPTIONAL)}.",
        properties,
        required=("sourceRepository", "targetRepository"),
        closed=True,
        # Both at once is refused; a null credentials (or credentialSet) counts as absent.
        **{
            "not": {
                "required": ["credentialSet", "credentials"],
                "properties": {"credentialSet": {"type": "string"}, "credentials": {"type": "object"}},
            },
            "allOf": _credential_rules() + _wildcard_rules(),
        },
    )


def _cache_rule_patch() -> Json:
    return _object(
        "Changes the credential set of a cache rule.",
        {"credentialSet": _nullable(_name("The credential set to use, or null to remove credentials"))},
        required=("credentialSet",),
        closed=True,
    )


def _credential_set_input(rules: SecretRules) -> Json:
    return _object(
        "A credential set: an upstream login server and the Key Vault secrets of its username and password.",
        {
            "loginServer": _string(
                "Upstream login server (case-insensitive) that accepts credentials: "
                f"{_upstreams_with(CredentialPolicy.REQUIRED, CredentialPolicy.OPTIONAL)} "
                "(Docker Hub's aliases mean docker.io).",
                pattern=_login_server_pattern(),
                examples=["docker.io"],
            ),
            "usernameSecretUri": _secret_uri("username", rules),
            "passwordSecretUri": _secret_uri("password", rules),
        },
        required=("loginServer", "usernameSecretUri", "passwordSecretUri"),
        closed=True,
    )


def _credential_set_patch(rules: SecretRules) -> Json:
    return _object(
        "Points a credential set at other secrets; loginServer may be repeated unchanged but not changed.",
        {
            "usernameSecretUri": _secret_uri("username", rules),
            "passwordSecretUri": _secret_uri("password", rules),
            "loginServer": _string("The credential set's current login server (immutable)."),
        },
        closed=True,
        anyOf=[{"required": ["usernameSecretUri"]}, {"required": ["passwordSecretUri"]}],
    )


# --- response schemas -------------------------------------------------------------------------------------


def _credential_health() -> Json:
    return _object(
        "Artifact cache's verdict on the credentials.",
        {
            "status": _string("Healthy, Unhealthy or Unknown.", pattern=None, examples=["Healthy"]),
            "errorCode": _nullable(_string("Why the credentials are unhealthy.", pattern=None)),
            "errorMessage": _nullable(_string("Azure's explanation.", pattern=None)),
        },
        required=("status", "errorCode", "errorMessage"),
    )


def _credential_set() -> Json:
    return _object(
        "A credential set as the registry holds it.",
        {
            "name": _string("Credential set name.", pattern=None),
            "loginServer": _string("Upstream login server.", pattern=None),
            "usernameSecretUri": _string("Username secret identifier.", pattern=None, fmt="uri"),
            "passwordSecretUri": _string("Password secret identifier.", pattern=None, fmt="uri"),
            "principalId": _nullable(_string("Object ID of its system-assigned identity.", pattern=None)),
            "health": _ref("CredentialHealth"),
            "usedByCacheRules": _array(
                {"type": "string"}, "Cache rules using it (in credential set answers, not in rule views)."
            ),
        },
        required=("name", "loginServer", "usernameSecretUri", "passwordSecretUri", "principalId", "health"),
    )


def _cache_rule() -> Json:
    return _object(
        "A cache rule with its credential set.",
        {
            "name": _string("Cache rule name.", pattern=None),
            "registry": _string("Registry name.", pattern=None),
            "id": _string("ARM resource ID of the cache rule.", pattern=None),
            "sourceRepository": _string("Normalised upstream repository.", pattern=None),
            "targetRepository": _string("Repository inside the registry.", pattern=None),
            "provisioningState": _nullable(_string("ARM provisioning state.", pattern=None)),
            "credentialSet": _nullable(_ref("CredentialSet")),
        },
        required=(
            "name",
            "registry",
            "id",
            "sourceRepository",
            "targetRepository",
            "provisioningState",
            "credentialSet",
        ),
    )


def _list_of(item: str) -> Json:
    return _object(
        f"Every {item} of the registry, sorted by name.",
        {
            "value": _array(_ref(item), f"The {item} views."),
            "count": {"type": "integer", "minimum": 0, "description": "How many there are."},
        },
        required=("value", "count"),
    )


def _validation_check() -> Json:
    return _object(
        "One check `validate` ran.",
        {
            "name": _string(
                "ruleExists, ruleProvisioned, credentialSetExists, usernameSecret, ...", pattern=None
            ),
            "status": {"type": "string", "enum": ["Passed", "Failed", "Skipped"]},
            "code": _nullable(_string("Failure reason when Failed.", pattern=None)),
            "message": _string("What was found.", pattern=None),
        },
        required=("name", "status", "code", "message"),
    )


def _validation_result() -> Json:
    failure = _object(
        "The first failed check.",
        {
            "check": _string("Name of the failed check.", pattern=None),
            "code": _nullable(_string("Failure reason.", pattern=None)),
            "message": _string("What to fix.", pattern=None),
        },
        required=("check", "code", "message"),
    )
    return _object(
        "Would a pull through this cache rule work? (metadata only; secret values are never read)",
        {
            "isValid": {"type": "boolean"},
            "failure": _nullable(failure),
            "checks": _array(_ref("ValidationCheck"), "Every check, in the order run."),
        },
        required=("isValid", "failure", "checks"),
    )


def _sweep_result() -> Json:
    count = {"type": "integer", "minimum": 0}
    return _object(
        "A health sweep's result (so far, while Running).",
        {
            "id": _string("The sweep id.", pattern=None),
            "status": {"type": "string", "enum": ["Running", "Completed"]},
            "startedAt": _string("When it started.", pattern=None, fmt="date-time"),
            "registries": {**count, "description": "Registries in scope."},
            "registriesChecked": {**count, "description": "Registries checked so far."},
            "rules": {**count, "description": "Cache rules judged."},
            "unhealthyRules": count,
            "flagsRaised": {**count, "description": "RuleUnhealthy and SecretExpiring flags published."},
            "flagsCleared": {**count, "description": "RuleRecovered flags published."},
            "azureRequests": {**count, "description": "ARM and Key Vault requests made, retries included."},
            "durationMs": count,
            "healed": _array({"type": "string"}, "What AUTO_HEAL repaired."),
            "failures": _array(
                _object(
                    "A registry that could not be checked.",
                    {
                        "registry": _string("Registry name.", pattern=None),
                        "error": _string("Why.", pattern=None),
                    },
                    required=("registry", "error"),
                ),
                "Registries that could not be checked; the others were.",
            ),
        },
        required=(
            "id",
            "status",
            "registries",
            "rules",
            "flagsRaised",
            "flagsCleared",
            "azureRequests",
            "durationMs",
            "failures",
        ),
    )


def _health_report() -> Json:
    count = {"type": "integer", "minimum": 0}
    status = {"type": "string", "enum": ["Healthy", "Warning", "Unhealthy"]}
    rule = _object(
        "A cache rule's last verdict.",
        {
            "id": _string("ARM resource ID of the cache rule.", pattern=None),
            "registry": _string("Registry name.", pattern=None),
            "name": _string("Cache rule name.", pattern=None),
            "status": status,
            "reason": _nullable(_string("Why it is not Healthy (a flag reason).", pattern=None)),
            "message": _string("What was found.", pattern=None),
            "since": _string("Since when this status and reason hold.", pattern=None, fmt="date-time"),
            "checkedAt": _string("When it was last judged.", pattern=None, fmt="date-time"),
            "expiresOn": _nullable(
                _string(
                    "When the secret behind a SecretExpiring or SecretExpired verdict expires; null otherwise.",
                    pattern=None,
                    fmt="date-time",
                )
            ),
        },
        required=("id", "registry", "name", "status", "reason", "message", "since", "checkedAt"),
    )
    return _object(
        "Stored verdicts, failing first; `summary` counts every rule the filters select.",
        {
            "generatedAt": _string("When this answer was made.", pattern=None, fmt="date-time"),
            "lastSweep": _nullable(_ref("SweepResult")),
            "summary": _object(
                "Counts over the selection.",
                {"rules": count, "healthy": count, "warning": count, "unhealthy": count},
                required=("rules", "healthy", "warning", "unhealthy"),
            ),
            "rules": _array(rule, "At most `top` verdicts."),
            "nextLink": _string("The next page, while more remain.", pattern=None, fmt="uri-reference"),
        },
        required=("generatedAt", "lastSweep", "summary", "rules"),
    )


def _problem() -> Json:
    return _object(
        "RFC 9457 problem details, with the members below as extensions where they apply.",
        {
            "type": _string(
                "Problem type URI.", pattern=None, fmt="uri", examples=[PROBLEM_BASE + "validation-failed"]
            ),
            "title": _string("Short summary of the problem type.", pattern=None),
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": _string("What went wrong in this occurrence.", pattern=None),
            "instance": _string("The request path.", pattern=None, fmt="uri-reference"),
            "errors": _array(_ref("FieldError"), "Every invalid input (400)."),
            "existing": {
                "oneOf": [_ref("CacheRule"), _ref("CredentialSet")],
                "description": "What exists instead (409).",
            },
            "conflictingRule": _string(
                "The rule that maps the same or an overlapping target (409).", pattern=None
            ),
            "limit": {"type": "integer", "description": "The per-registry cache rule limit (409)."},
            "cacheRules": _array({"type": "string"}, "Rules still using the credential set (409)."),
            "failedStep": _string("The provisioning step that failed.", pattern=None),
            "rolledBack": _array({"type": "string"}, "What this request had made and undid."),
            "notRolledBack": _array(
                {"type": "string"}, "What this request had made and left (details in `cleanup`)."
            ),
            "cleanup": _array(
                _object(
                    "One thing left behind and what an operator should do about it.",
                    {
                        "resource": _string("kind:name, as in notRolledBack.", pattern=None),
                        "id": _string("The resource ID.", pattern=None),
                        "reason": _string("Why it was not undone.", pattern=None),
                        "action": _string("What to do.", pattern=None),
                    },
                    required=("resource", "id", "reason", "action"),
                ),
                "What was left behind (empty when everything was undone).",
            ),
            "reason": _string(
                "Why the credentials cannot work (credentials-refused): the service's error code.",
                pattern=None,
            ),
            "credentialHealth": _ref("CredentialHealth"),
            "retryAfterSeconds": {
                "type": "integer",
                "minimum": 1,
                "description": "When the lease another request holds runs out (resource-busy).",
            },
            "azureErrorCode": _nullable(
                _string("Azure's error code when Azure refused a write.", pattern=None)
            ),
        },
        required=("type", "title", "status", "detail"),
        additionalProperties=True,
    )


def _field_error() -> Json:
    return _object(
        "One invalid input.",
        {
            "field": _string(
                "Path of the field, such as credentials.usernameSecretUri ('$' for the whole body).",
                pattern=None,
            ),
            "message": _string("What is wrong and how to fix it.", pattern=None),
        },
        required=("field", "message"),
    )


def _audit_entry() -> Json:
    identifiers: Json = {
        "type": ["object", "null"],
        "additionalProperties": {"type": ["string", "null"]},
        "description": "Identifiers of the resource (never a secret value); null when it did not exist.",
    }
    return _object(
        "One change the app made in Azure.",
        {
            "time": _string("When (UTC).", pattern=None, fmt="date-time"),
            "cause": {
                "type": "object",
                "additionalProperties": {"type": ["string", "null"]},
                "description": "kind 'http' (request, principalId) or 'event' (eventId, eventType).",
            },
            "action": _string("What was done, e.g. credentialSet.update, accessPolicy.add.", pattern=None),
            "resource": _string("The resource ID changed.", pattern=None),
            "before": identifiers,
            "after": identifiers,
        },
        required=("time", "cause", "action", "resource", "before", "after"),
    )


def _schemas(rules: SecretRules) -> Json:
    return {
        "CredentialsInput": _credentials_input(rules),
        "CacheRuleCreate": _cache_rule_input(with_name=True),
        "CacheRulePut": _cache_rule_input(with_name=False),
        "CacheRulePatch": _cache_rule_patch(),
        "CredentialSetPut": _credential_set_input(rules),
        "CredentialSetPatch": _credential_set_patch(rules),
        "CredentialHealth": _credential_health(),
        "CredentialSet": _credential_set(),
        "CacheRule": _cache_rule(),
        "CacheRuleList": _list_of("CacheRule"),
        "CredentialSetList": _list_of("CredentialSet"),
        "ValidationCheck": _validation_check(),
        "ValidationResult": _validation_result(),
        "AuditEntry": _audit_entry(),
        "AuditLog": _object(
            "The newest audit entries (at most 1,000), oldest first.",
            {
                "value": _array(_ref("AuditEntry"), "The entries."),
                "count": {"type": "integer", "minimum": 0, "description": "How many there are."},
            },
            required=("value", "count"),
        ),
        "FieldError": _field_error(),
        "Problem": _problem(),
        "RegistryList": _object(
            "Every registry in the managed subscriptions, sorted by name.",
            {
                "value": _array(
                    _object(
                        "A registry and how many cache rules it has.",
                        {
                            "name": _string("Registry name.", pattern=None),
                            "id": _string("ARM resource ID.", pattern=None),
                            "subscriptionId": _string("Subscription.", pattern=None),
                            "resourceGroup": _string("Resource group.", pattern=None),
                            "loginServer": _string("The registry's login server.", pattern=None),
                            "cacheRules": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "Cache rule count.",
                            },
                        },
                        required=(
                            "name",
                            "id",
                            "subscriptionId",
                            "resourceGroup",
                            "loginServer",
                            "cacheRules",
                        ),
                    ),
                    "The registries.",
                ),
                "count": {"type": "integer", "minimum": 0, "description": "How many there are."},
            },
            required=("value", "count"),
        ),
        "CacheRuleDeleted": _object(
            "What became of a deleted rule's credential set under ?cleanup=true.",
            {
                "credentialSet": _nullable(
                    _string("The rule's credential set, if it had one.", pattern=None)
                ),
                "credentialSetDeleted": {"type": "boolean", "description": "Whether it was deleted too."},
                "credentialSetKeptBecause": _nullable(_string("Why it was kept.", pattern=None)),
            },
            required=("credentialSet", "credentialSetDeleted", "credentialSetKeptBecause"),
            closed=True,
        ),
        "SweepResult": _sweep_result(),
        "HealthReport": _health_report(),
    }


# --- parameters, responses, operations ---------------------------------------------------------------------


def _path_parameter(description: str, pattern: str, *, name: str) -> Json:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": pattern},
    }


def _parameters() -> Json:
    return {
        "Registry": _path_parameter(
            "Container registry name (in a managed subscription).", REGISTRY_PATTERN, name="registry"
        ),
        "CacheRuleName": _path_parameter("Cache rule name.", NAME_PATTERN, name="name"),
        "CredentialSetName": _path_parameter("Credential set name.", NAME_PATTERN, name="name"),
        "SweepId": _path_parameter(
            "The sweep id POST /api/sweeps answered.", r"^\d{14}-[0-9a-f]{12}$", name="id"
        ),
        "HealthStatus": _query_parameter(
            "Only rules of this status.",
            {"type": "string", "enum": ["Healthy", "Warning", "Unhealthy"]},
            name="status",
        ),
        "HealthRegistry": _query_parameter(
            "Only rules of this registry.", {"type": "string", "pattern": REGISTRY_PATTERN}, name="registry"
        ),
        "Cleanup": _query_parameter(
            "Also delete the credential set the app made for this rule (named after its upstream and secrets), "
            "with its identity's grants, when no other rule uses it. A set a user named stays.",
            {"type": "string", "enum": ["true", "false"], "default": "false"},
            name="cleanup",
        ),
        "Top": _query_parameter(
            "At most this many rules a page.",
            {"type": "integer", "minimum": 1, "maximum": MAX_TOP, "default": MAX_TOP},
            name="top",
        ),
        "Skip": _query_parameter(
            "Rules to skip (nextLink sets it).",
            {"type": "integer", "minimum": 0, "maximum": MAX_SKIP, "default": 0},
            name="skip",
        ),
        "AuditSince": {
            "name": "since",
            "in": "query",
            "required": False,
            "description": "Entries at or after this time (ISO 8601 with a zone); default 24 hours ago.",
            "schema": {"type": "string", "format": "date-time"},
        },
        "AuditResource": {
            "name": "resource",
            "in": "query",
            "required": False,
            "description": "Only entries whose resource ID starts with this (e.g. a registry's ID).",
            "schema": {"type": "string", "pattern": "^/subscriptions/"},
        },
    }


def _query_parameter(description: str, schema: Json, *, name: str) -> Json:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _problem_responses() -> Json:
    responses: Json = {}
    # 405 answers a method an operation does not offer, so no operation lists it (the info text states it).
    used = {status for route in ROUTES for status in route.errors}
    for status, (name, description) in PROBLEM_STATUSES.items():
        if status not in used:
            continue
        response: Json = {"description": description, "content": {PROBLEM_JSON: {"schema": _ref("Problem")}}}
        if status in RETRY_AFTER_STATUSES:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait.",
                    "schema": {"type": "integer", "minimum": 1},
                }
            }
        responses[name] = response
    return responses


def _security_schemes() -> Json:
    return {
        "functionKeyHeader": {"type": "apiKey", "in": "header", "name": "x-functions-key"},
        "functionKeyQuery": {"type": "apiKey", "in": "query", "name": "code"},
    }


API_PREFIX = "/api/"


def _path(route: Route) -> str:
    return API_PREFIX + route.template


def _path_parameters(template: str) -> list[str]:
    """The components a route template's ``{registry}`` / ``{name}`` stand for."""
    names = []
    if "{registry}" in template:
        names.append("Registry")
    if "{name}" in template:
        names.append("CacheRuleName" if template.startswith(RULES) else "CredentialSetName")
    if "{id}" in template:
        names.append("SweepId")
    return names


def _success(success: Success) -> Json:
    response: Json = {"description": success.description}
    if success.status != 204:
        if success.media_type != JSON:
            response["content"] = {success.media_type: {"schema": {"type": "string"}}}
        else:
            schema = _ref(success.schema) if success.schema else {"type": "object"}
            response["content"] = {JSON: {"schema": schema}}
    if success.location:
        response["headers"] = {
            "Location": {
                "description": "The URL of what was created or started.",
                "schema": {"type": "string", "format": "uri-reference"},
            }
        }
    return response


# OpenAPI links (a write's answer feeds the operations on what it wrote), so stateful clients and fuzzers such
# as schemathesis chain a PUT into its GET/PATCH/DELETE instead of guessing names that only ever 404.
_RULE_OPS = ("getCacheRule", "patchCacheRule", "deleteCacheRule", "validateCacheRule")
_SET_OPS = ("getCredentialSet", "patchCredentialSet", "deleteCredentialSet")
_BY_NAME = {"registry": "$request.path.registry", "name": "$response.body#/name"}
LINKS: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    "createCacheRule": {op: (op, _BY_NAME) for op in _RULE_OPS},
    "putCacheRule": {op: (op, _BY_NAME) for op in _RULE_OPS},
    "putCredentialSet": {op: (op, _BY_NAME) for op in _SET_OPS},
    "startSweep": {"getSweep": ("getSweep", {"id": "$response.body#/id"})},
}


def _links(op: Route, status: int) -> Json:
    if status >= 300 or status == 204:
        return {}
    return {
        name: {"operationId": target, "parameters": dict(parameters)}
        for name, (target, parameters) in LINKS.get(op.operation_id, {}).items()
    }


def _operation(op: Route) -> Json:
    responses: Json = {str(s.status): _success(s) for s in op.success}
    for s in op.success:
        if links := _links(op, s.status):
            responses[str(s.status)]["links"] = links
    for status in sorted(op.errors):
        responses[str(status)] = {"$ref": f"#/components/responses/{PROBLEM_STATUSES[status][0]}"}
    operation: Json = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    if op.query:
        operation["parameters"] = [{"$ref": f"#/components/parameters/{p}"} for p in op.query]
    if op.request:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref(op.request)}}}
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def _paths() -> Json:
    paths: Json = {}
    for route in ROUTES:
        item = paths.setdefault(_path(route), {})
        parameters = _path_parameters(route.template)
        if parameters and "parameters" not in item:
            item["parameters"] = [{"$ref": f"#/components/parameters/{p}"} for p in parameters]
        item[route.method.lower()] = _operation(route)
    return paths


@cache
def document(rules: SecretRules = PUBLIC_CLOUD) -> dict[str, Any]:
    """The whole document for a deployment's secret URI rules (its cloud, ``ALLOWED_VAULTS``), built once per
    process and rules (treat it as read-only: it is shared)."""
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "ACR cache autopilot",
            "version": API_VERSION,
            "summary": "Azure Container Registry artifact cache rules and credential sets, kept healthy.",
            "description": "Errors are RFC 9457 problem details (application/problem+json). Every route needs a "
            "function key; a deployment may also require an Entra ID app role (X-MS-CLIENT-PRINCIPAL from App "
            "Service authentication). A method a path does not list answers 405 with `Allow`. A body valid by this "
            "document is never a 400: what depends on state (a credential set, vault or secret that does not exist "
            "or cannot be used, an immutable login server, a rule's upstream) is a 409. Every request has "
            "a time budget (REQUEST_DEADLINE_SECONDS): past it the answer is 504 with what was and was not done.",
        },
        "servers": [{"url": "/", "description": "The function app (locally http://localhost:7071)."}],
        "tags": [{"name": t} for t in (REGISTRY_TAG, RULE_TAG, SET_TAG, HEALTH_TAG, AUDIT_TAG, META_TAG)],
        "security": [{name: []} for name in _security_schemes()],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(rules),
            "parameters": _parameters(),
            "responses": _problem_responses(),
            "securitySchemes": _security_schemes(),
        },
    }
