"""Turning HTTP request bodies into validated, normalised commands, collecting every problem at once.

Nothing here talks to Azure: checks that need the registry's state (conflicts, limits, vault existence)
live in ``shared.services``, and also run before the first write.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.errors import FieldError, ValidationFailed
from shared.domain.models import SecretUri
from shared.domain.names import credential_set_name_for, resource_name_problem, rule_name_for_target
from shared.domain.repositories import RepositoryError, SourceRepository, normalise_source, normalise_target
from shared.domain.secrets import SecretUriError, parse_secret_uri
from shared.domain.upstreams import (
    DOCKER_HUB,
    DOCKER_HUB_ALIASES,
    CredentialPolicy,
    credential_policy,
    supported_upstreams,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretRules:
    """What a secret URI must satisfy in this deployment."""

    dns_suffix: str
    allowed_vaults: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True, slots=True)
class CredentialsSpec:
    login_server: str
    username: SecretUri
    password: SecretUri
    credential_set_name: str
    name_given: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class CacheRuleSpec:
    name: str
    source: SourceRepository
    target: str
    credential_set: str | None
    credentials: CredentialsSpec | None

    @property
    def source_repository(self) -> str:
        return self.source.full


@dataclass(frozen=True, kw_only=True, slots=True)
class CredentialSetSpec:
    name: str
    login_server: str
    username: SecretUri
    password: SecretUri


@dataclass(frozen=True, kw_only=True, slots=True)
class CredentialSetPatch:
    username: SecretUri | None
    password: SecretUri | None
    login_server: str | None = None


_ABSENT: Any = object()


class _Reader:
    """Reads typed fields from a JSON object, recording errors instead of raising on the first."""

    def __init__(self, body: Any, *, allowed: Collection[str], prefix: str = "") -> None:
        self.errors: list[FieldError] = []
        self.prefix = prefix
        if not isinstance(body, Mapping):
            self.body: Mapping[str, Any] = {}
            self.error("", "must be a JSON object")
            return
        self.body = body
        for key in body:
            if key not in allowed:
                self.error(key, f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def path(self, field: str) -> str:
        return f"{self.prefix}.{field}".strip(".") if field else self.prefix or "$"

    def error(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field=self.path(field), message=message))

    def string(self, field: str, *, required: bool, nullable: bool = False) -> Any:
        value = self.body.get(field, _ABSENT)
        if value is _ABSENT:
            if required:
                self.error(field, "is required")
            return _ABSENT
        if value is None:
            if not nullable:
                self.error(field, "must be a string, not null")
                return _ABSENT
            return None
        if not isinstance(value, str):
            self.error(
                field,
                f"must be a string (got {type(value).__name__ if not isinstance(value, bool) else 'boolean'})",
            )
            return _ABSENT
        if not value.strip():
            self.error(field, "must not be empty")
            return _ABSENT
        return value

    def secret(self, field: str, rules: SecretRules, *, required: bool) -> SecretUri | None:
        raw = self.string(field, required=required)
        if raw is _ABSENT:
            return None
        try:
            return parse_secret_uri(raw, dns_suffix=rules.dns_suffix, allowed_vaults=rules.allowed_vaults)
        except SecretUriError as exc:
            self.error(field, str(exc))
            return None


def _name_problem(reader: _Reader, field: str, name: Any, what: str) -> None:
    if isinstance(name, str):
        problem = resource_name_problem(name, what)
        if problem:
            reader.error(field, problem)


def _raise_if(errors: list[FieldError], detail: str) -> None:
    if errors:
        raise ValidationFailed(detail, errors=errors)


def _credentials(
    body: Any, rules: SecretRules, source: SourceRepository | None
) -> tuple[Any, list[FieldError]]:
    reader = _Reader(
        body,
        allowed=("usernameSecretUri", "passwordSecretUri", "loginServer", "credentialSetName"),
        prefix="credentials",
    )
    username = reader.secret("usernameSecretUri", rules, required=True)
    password = reader.secret("passwordSecretUri", rules, required=True)
    login_server = reader.string("loginServer", required=False)
    name = reader.string("credentialSetName", required=False)
    _name_problem(reader, "credentialSetName", name, "credentialSetName")
    if isinstance(login_server, str) and source and login_server.strip().lower() != source.login_server:
        reader.error(
            "loginServer",
            f"must be the source's upstream '{source.login_server}' (a credential set signs in to one upstream)",
        )
    if reader.errors or username is None or password is None or source is None:
        return None, reader.errors
    derived = credential_set_name_for(source.login_server, username.uri, password.uri)
    return (
        CredentialsSpec(
            login_server=source.login_server,
            username=username,
            password=password,
            credential_set_name=name if isinstance(name, str) else derived,
            name_given=isinstance(name, str),
        ),
        [],
    )


def parse_cache_rule(body: Any, *, name: str | None, rules: SecretRules) -> CacheRuleSpec:
    """Validate a create/replace body; ``name`` comes from the URL (PUT) or is None (POST: body or derived)."""
    allowed = ["sourceRepository", "targetRepository", "credentialSet", "credentials"]
    if name is None:
        allowed.append("name")
    reader = _Reader(body, allowed=allowed)
    source_raw = reader.string("sourceRepository", required=True)
    target_raw = reader.string("targetRepository", required=True)
    credential_set = reader.string("credentialSet", required=False, nullable=True)
    _name_problem(reader, "credentialSet", credential_set, "credentialSet")
    body_name = reader.string("name", required=False) if name is None else _ABSENT

    for field, raw in (("sourceRepository", source_raw), ("targetRepository", target_raw)):
        if isinstance(raw, str) and _relative_segment(raw):
            reader.error(
                field,
                f"'{raw.strip()}' has a '.' or '..' segment: a repository path names a repository, not a "
                "directory; write it from its root, as in 'library/ubuntu'",
            )
            if field == "sourceRepository":
                source_raw = _ABSENT
            else:
                target_raw = _ABSENT
    source: SourceRepository | None = None
    if isinstance(source_raw, str):
        try:
            source = normalise_source(source_raw)
        except RepositoryError as exc:
            reader.error("sourceRepository", str(exc))
    target: str | None = None
    if isinstance(target_raw, str):
        try:
            target = normalise_target(target_raw)
        except RepositoryError as exc:
            reader.error("targetRepository", str(exc))
    if source and target and source.is_wildcard != target.endswith("/*"):
        reader.error("targetRepository", "a wildcard source ('.../*') needs a wildcard target and vice versa")

    credentials = None
    if "credentials" in reader.body and reader.body["credentials"] is not None:
        credentials, errors = _credentials(reader.body["credentials"], rules, source)
        reader.errors.extend(errors)
        if isinstance(credential_set, str):
            reader.error(
                "credentials", "give either credentialSet (an existing one) or credentials, not both"
            )

    if source:
        policy = credential_policy(source.login_server)
        wants_credentials = isinstance(credential_set, str) or (
            "credentials" in reader.body and reader.body["credentials"]
        )
        if policy is None:
            reader.error(
                "sourceRepository",
                f"upstream '{source.login_server}' is not supported by artifact cache "
                f"(supported: {', '.join(supported_upstreams())})",
            )
        elif policy is CredentialPolicy.REQUIRED and not wants_credentials:
            reader.error(
                "credentials",
                f"upstream '{source.login_server}' requires credentials: give credentials "
                "{usernameSecretUri, passwordSecretUri} or an existing credentialSet",
            )
        elif policy is CredentialPolicy.FORBIDDEN and wants_credentials:
            reader.error("credentials", f"upstream '{source.login_server}' does not accept credentials")

    rule_name: Any = name if name is not None else body_name
    if rule_name is _ABSENT and target:
        rule_name = rule_name_for_target(target)
    _name_problem(reader, "name", rule_name, "cache rule name")
    _raise_if(reader.errors, "The cache rule request is invalid")
    assert source is not None and target is not None and isinstance(rule_name, str)
    return CacheRuleSpec(
        name=rule_name,
        source=source,
        target=target,
        credential_set=credential_set if isinstance(credential_set, str) else None,
        credentials=credentials,
    )


def _taking_credentials() -> list[str]:
    """Supported upstreams a credential set may sign in to (``*.pkg.dev`` judged by an example host)."""
    return [
        u
        for u in supported_upstreams()
        if credential_policy(u.replace("*", "x")) is not CredentialPolicy.FORBIDDEN
    ]


def _relative_segment(raw: str) -> bool:
    return any(part in (".", "..") for part in raw.strip().strip("/").split("/"))


def parse_cache_rule_patch(body: Any) -> str | None:
    """PATCH accepts only ``credentialSet`` (a name, or null to remove credentials)."""
    reader = _Reader(body, allowed=("credentialSet",))
    if "credentialSet" not in reader.body and not reader.errors:
        reader.error("credentialSet", "is required (a credential set name, or null to remove credentials)")
    value = reader.string("credentialSet", required=False, nullable=True)
    _name_problem(reader, "credentialSet", value, "credentialSet")
    _raise_if(reader.errors, "The cache rule update is invalid")
    return value if isinstance(value, str) else None


def parse_credential_set(body: Any, *, name: str, rules: SecretRules) -> CredentialSetSpec:
    reader = _Reader(body, allowed=("loginServer", "usernameSecretUri", "passwordSecretUri"))
    login_server = reader.string("loginServer", required=True)
    username = reader.secret("usernameSecretUri", rules, required=True)
    password = reader.secret("passwordSecretUri", rules, required=True)
    if isinstance(login_server, str):
        login_server = login_server.strip().lower()
        if login_server in DOCKER_HUB_ALIASES:
            login_server = DOCKER_HUB
        policy = credential_policy(login_server)
        if policy is None:
            reader.error(
                "loginServer",
                f"'{login_server}' is not an upstream artifact cache supports; upstreams that take credentials: "
                + ", ".join(_taking_credentials()),
            )
        elif policy is CredentialPolicy.FORBIDDEN:
            reader.error("loginServer", f"upstream '{login_server}' does not accept credentials")
    _raise_if(reader.errors, "The credential set request is invalid")
    assert isinstance(login_server, str) and username and password
    return CredentialSetSpec(name=name, login_server=login_server, username=username, password=password)


def parse_credential_set_patch(body: Any, *, rules: SecretRules) -> CredentialSetPatch:
    """``loginServer`` may be repeated unchanged; the service compares it with the stored one."""
    reader = _Reader(body, allowed=("usernameSecretUri", "passwordSecretUri", "loginServer"))
    username = reader.secret("usernameSecretUri", rules, required=False)
    password = reader.secret("passwordSecretUri", rules, required=False)
    login_server = reader.string("loginServer", required=False)
    if not reader.errors and username is None and password is None:
        reader.error("", "give usernameSecretUri and/or passwordSecretUri")
    _raise_if(reader.errors, "The credential set update is invalid")
    return CredentialSetPatch(
        username=username,
        password=password,
        login_server=login_server.strip().lower() if isinstance(login_server, str) else None,
    )


def check_resource_name(name: str, *, what: str, field: str = "name") -> None:
    problem = resource_name_problem(name, what)
    if problem:
        raise ValidationFailed.of(f"The {what} in the URL is invalid", field=field, message=problem)


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditQuery:
    since: float  # epoch seconds
    resource: str | None  # an ARM resource ID prefix


AUDIT_DEFAULT_SECONDS = 24 * 3600.0


def parse_audit_query(params: Mapping[str, str], *, now: float) -> AuditQuery:
    """``since`` (ISO 8601 with a time zone; default 24 h ago) and ``resource`` (an ARM resource ID prefix)."""
    errors = []
    since = now - AUDIT_DEFAULT_SECONDS
    raw_since = params.get("since")
    if raw_since is not None:
        try:
            parsed = datetime.fromisoformat(raw_since.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            errors.append(
                FieldError(
                    field="since", message="must be an ISO 8601 time with a zone, e.g. 2026-01-31T08:00:00Z"
                )
            )
        else:
            since = parsed.timestamp()
    resource = params.get("resource")
    if resource is not None and (not resource.lower().startswith("/subscriptions/") or len(resource) > 1024):
        errors.append(
            FieldError(
                field="resource",
                message="must be an Azure resource ID (or a prefix of one) starting /subscriptions/",
            )
        )
    if errors:
        raise ValidationFailed("The audit query is invalid", errors=errors)
    return AuditQuery(since=since, resource=resource or None)


def parse_flag(raw: str | None, *, field: str) -> bool:
    """A boolean query parameter: absent, ``true`` or ``false`` (any case); anything else is a 400."""
    if raw is None:
        return False
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise ValidationFailed.of(
            f"The query parameter {field} is invalid", field=field, message="must be true or false"
        )
    return value == "true"
