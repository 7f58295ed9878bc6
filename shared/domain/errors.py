"""One exception class per failure, each knowing its HTTP status and RFC 9457 problem type.

The HTTP layer turns any :class:`AutopilotError` into ``application/problem+json``; Event Grid and timer
functions let non-client errors propagate so the platform retries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

PROBLEM_BASE = "https://github.com/acr-cache-autopilot/acr-cache-autopilot/blob/main/docs/problems.md#"


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldError:
    """One invalid input: ``field`` is a JSON pointer-ish path such as ``credentials.usernameSecretUri``."""

    field: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class AutopilotError(Exception):
    """Base of every failure the product reports on purpose."""

    status: int = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: tuple[FieldError, ...] = tuple(errors)
        self.extensions: dict[str, Any] = dict(extensions or {})

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.slug

    @property
    def retryable(self) -> bool:
        """Whether the platform should retry (Event Grid redelivery): true only for server-side failures."""
        return self.status >= 500

    def to_problem(self, *, instance: str | None = None) -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            problem["instance"] = instance
        if self.errors:
            problem["errors"] = [e.to_json() for e in self.errors]
        problem.update(self.extensions)
        return problem


class ValidationFailed(AutopilotError):
    status = 400
    slug = "validation-failed"
    title = "The request is invalid"

    @classmethod
    def of(cls, detail: str, *, field: str, message: str) -> ValidationFailed:
        """The common case: one field is wrong."""
        return cls(detail, errors=[FieldError(field=field, message=message)])


class MalformedBody(AutopilotError):
    status = 400
    slug = "malformed-body"
    title = "The request body is not valid JSON"


class PayloadTooLarge(AutopilotError):
    status = 413
    slug = "payload-too-large"
    title = "The request body is too large"


class UnsupportedMediaType(AutopilotError):
    status = 415
    slug = "unsupported-media-type"
    title = "The request body must be application/json"


class Unauthorized(AutopilotError):
    status = 401
    slug = "unauthorized"
    title = "Authentication is required"


class Forbidden(AutopilotError):
    status = 403
    slug = "forbidden"
    title = "The caller lacks the required app role"


class RegistryNotFound(AutopilotError):
    status = 404
    slug = "registry-not-found"
    title = "Registry not found"


class CacheRuleNotFound(AutopilotError):
    status = 404
    slug = "cache-rule-not-found"
    title = "Cache rule not found"


class CredentialSetNotFound(AutopilotError):
    status = 404
    slug = "credential-set-not-found"
    title = "Credential set not found"


class CacheRuleConflict(AutopilotError):
    status = 409
    slug = "cache-rule-conflict"
    title = "The cache rule conflicts with the registry's current state"


class CredentialSetConflict(AutopilotError):
    status = 409
    slug = "credential-set-conflict"
    title = "The credential set conflicts with the registry's current state"


class CredentialSetInUse(AutopilotError):
    status = 409
    slug = "credential-set-in-use"
    title = "The credential set is used by cache rules"


class RuleLimitReached(AutopilotError):
    status = 409
    slug = "rule-limit-reached"
    title = "The registry has the maximum number of cache rules"


class ProvisioningFailed(AutopilotError):
    """A write step failed after validation; what this request created has been undone."""

    status = 502
    slug = "provisioning-failed"
    title = "Provisioning failed and was rolled back"


class AzureRejected(AutopilotError):
    """Azure refused a write the local checks allowed (its own rules, or a race with another writer)."""

    status = 409
    slug = "azure-rejected"
    title = "Azure rejected the request"

    def __init__(self, detail: str, *, http_status: int, code: str | None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.http_status = http_status
        self.code = code
        self.status = 400 if http_status == 400 else 409 if http_status == 409 else 502
        self.extensions.setdefault("azureErrorCode", code)

    @property
    def retryable(self) -> bool:
        """Azure said no (4xx): redelivering the same request would be refused again."""
        return False


class UpstreamServiceError(AutopilotError):
    """Azure kept failing after the bounded retries: retry later (Event Grid redelivers)."""

    status = 503
    slug = "azure-unavailable"
    title = "Azure did not complete the request"
