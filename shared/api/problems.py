"""RFC 9457 problem details for product errors: each error class's HTTP status, type slug and title.

The domain says what failed; this module says how an HTTP caller sees it. ``docs/problems.md`` documents every
slug (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.api.views import extension_view
from shared.domain import errors as e

PROBLEM_BASE = "https://github.com/acr-cache-autopilot/acr-cache-autopilot/blob/main/docs/problems.md#"


@dataclass(frozen=True, kw_only=True, slots=True)
class ProblemType:
    status: int
    slug: str
    title: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


PROBLEM_TYPES: dict[type[e.AutopilotError], ProblemType] = {
    e.AutopilotError: ProblemType(status=500, slug="internal-error", title="Internal error"),
    e.ValidationFailed: ProblemType(status=400, slug="validation-failed", title="The request is invalid"),
    e.MalformedBody: ProblemType(
        status=400, slug="malformed-body", title="The request body is not valid JSON"
    ),
    e.PayloadTooLarge: ProblemType(
        status=413, slug="payload-too-large", title="The request body is too large"
    ),
    e.UnsupportedMediaType: ProblemType(
        status=415, slug="unsupported-media-type", title="The request body must be application/json"
    ),
    e.Unauthorized: ProblemType(status=401, slug="unauthorized", title="Authentication is required"),
    e.Forbidden: ProblemType(status=403, slug="forbidden", title="The caller lacks the required app role"),
    e.MethodNotAllowed: ProblemType(
        status=405, slug="method-not-allowed", title="The route does not offer this method"
    ),
    e.RegistryNotFound: ProblemType(status=404, slug="registry-not-found", title="Registry not found"),
    e.CacheRuleNotFound: ProblemType(status=404, slug="cache-rule-not-found", title="Cache rule not found"),
    e.SweepNotFound: ProblemType(status=404, slug="sweep-not-found", title="Sweep not found"),
    e.CredentialSetNotFound: ProblemType(
        status=404, slug="credential-set-not-found", title="Credential set not found"
    ),
    e.CacheRuleConflict: ProblemType(
        status=409,
        slug="cache-rule-conflict",
        title="The cache rule conflicts with the registry's current state",
    ),
    e.CredentialSetConflict: ProblemType(
        status=409,
        slug="credential-set-conflict",
        title="The credential set conflicts with the registry's current state",
    ),
    e.ReferenceConflict: ProblemType(
        status=409,
        slug="unusable-reference",
        title="The request names something that does not exist or cannot be used as it is",
    ),
    e.CredentialSetInUse: ProblemType(
        status=409, slug="credential-set-in-use", title="The credential set is used by cache rules"
    ),
    e.RuleLimitReached: ProblemType(
        status=409, slug="rule-limit-reached", title="The registry has the maximum number of cache rules"
    ),
    e.ProvisioningFailed: ProblemType(
        status=502,
        slug="provisioning-failed",
        title="Provisioning failed; see what was undone and what was left",
    ),
    e.AzureRejected: ProblemType(status=409, slug="azure-rejected", title="Azure rejected the request"),
    e.UpstreamServiceError: ProblemType(
        status=503, slug="azure-unavailable", title="Azure did not complete the request"
    ),
    e.Throttled: ProblemType(status=429, slug="throttled", title="Azure is throttling the app"),
    e.ResourceBusy: ProblemType(
        status=409, slug="resource-busy", title="Another request is changing this resource"
    ),
    e.LeaseLost: ProblemType(
        status=409, slug="lease-lost", title="Another request took over this resource; this one stopped"
    ),
    e.DeadlineExceeded: ProblemType(
        status=504, slug="deadline-exceeded", title="The request ran out of time"
    ),
    e.CredentialsRefused: ProblemType(
        status=400, slug="credentials-refused", title="The credentials cannot work"
    ),
}

# Retry-After when the cause did not say: Azure's 5xx without one, per ARM's async guidance (10 s minimum).
DEFAULT_RETRY_AFTER = 10


def problem_type(error: e.AutopilotError) -> ProblemType:
    """The type of the nearest documented class in ``error``'s ancestry."""
    for cls in type(error).__mro__:
        found = PROBLEM_TYPES.get(cls)
        if found is not None:
            return found
    raise AssertionError("AutopilotError itself is always mapped")


def status_of(error: e.AutopilotError) -> int:
    """The HTTP status; an Azure refusal keeps Azure's 400/409, and a rolled-back failure its cause's when the
    cause is the caller's to act on (4xx, throttling, deadline)."""
    if isinstance(error, e.AzureRejected):
        return error.http_status if error.http_status in (400, 409) else 502
    if isinstance(error, e.ProvisioningFailed) and error.cause is not None:
        cause = status_of(error.cause)
        if cause < 500 or cause == 504:
            return cause
    return problem_type(error).status


def retry_after_of(error: e.AutopilotError) -> int | None:
    """Seconds for ``Retry-After``: Azure's own when it gave one (429/5xx), the lease's for a busy resource."""
    found: e.AutopilotError | None = error
    while isinstance(found, e.ProvisioningFailed):
        found = found.cause
    if isinstance(found, e.ResourceBusy):
        return found.retry_after
    if isinstance(found, e.UpstreamServiceError):
        return found.retry_after if found.retry_after is not None else DEFAULT_RETRY_AFTER
    return None


def to_problem(error: e.AutopilotError, *, instance: str | None = None) -> dict[str, Any]:
    kind = problem_type(error)
    problem: dict[str, Any] = {
        "type": kind.uri,
        "title": kind.title,
        "status": status_of(error),
        "detail": error.detail,
    }
    if instance:
        problem["instance"] = instance
    if error.errors:
        problem["errors"] = [{"field": f.field, "message": f.message} for f in error.errors]
    problem.update({k: extension_view(v) for k, v in error.extensions.items()})
    return problem
