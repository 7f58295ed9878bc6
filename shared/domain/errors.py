"""One exception class per failure the product reports on purpose, free of any transport.

Whether a failure is worth retrying is a domain fact (``retryable``: Event Grid redelivers, the timer retries);
how a failure is shown to an HTTP caller (status, problem type) lives in ``shared.api.problems``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldError:
    """One invalid input: ``field`` is a JSON pointer-ish path such as ``credentials.usernameSecretUri``."""

    field: str
    message: str


class AutopilotError(Exception):
    """Base of every failure; raised as such it is an unexpected one, which a retry may not meet again.

    ``extensions`` carry what a caller needs to act (values may be domain objects; the transport renders them).
    """

    transient: ClassVar[bool] = True

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
    def retryable(self) -> bool:
        """Whether the same work may succeed later (Event Grid redelivery), rather than fail the same way."""
        return self.transient

    @classmethod
    def of(cls, detail: str, *, field: str, message: str) -> Self:
        """The common case: one field is wrong (or, for a conflict, names what is in the way)."""
        return cls(detail, errors=[FieldError(field=field, message=message)])


class ValidationFailed(AutopilotError):
    transient = False


class MalformedBody(AutopilotError):
    """The body is not JSON (or is empty)."""

    transient = False


class PayloadTooLarge(AutopilotError):
    """The body is over the configured maximum."""

    transient = False


class UnsupportedMediaType(AutopilotError):
    """The body is not JSON by its Content-Type."""

    transient = False


class Unauthorized(AutopilotError):
    """A caller principal is required and none (or an unreadable one) came."""

    transient = False


class Forbidden(AutopilotError):
    """The caller's principal lacks the required app role."""

    transient = False


class MethodNotAllowed(AutopilotError):
    """The resource exists as a route but does not offer this operation (``allowed`` lists those it does)."""

    transient = False

    def __init__(self, detail: str, *, allowed: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.allowed = allowed


class RegistryNotFound(AutopilotError):
    transient = False


class CacheRuleNotFound(AutopilotError):
    transient = False


class SweepNotFound(AutopilotError):
    transient = False


class CredentialSetNotFound(AutopilotError):
    transient = False


class CacheRuleConflict(AutopilotError):
    transient = False


class CredentialSetConflict(AutopilotError):
    transient = False


class ReferenceConflict(AutopilotError):
    """A well-formed request names something whose current state makes it unusable: a credential set that does
    not exist, signs in to another upstream or failed; a vault not found or in another tenant; a secret missing,
    disabled or expired. Fixing that state (not the request) makes the same request work (RFC 9110's 409)."""

    transient = False


class CredentialSetInUse(AutopilotError):
    transient = False


class RuleLimitReached(AutopilotError):
    transient = False


class ProvisioningFailed(AutopilotError):
    """A write step failed after validation; what this request created has been undone.

    ``cause`` is the product error that made the step fail, if any: a client cause (a conflict found only at
    write time) makes the whole failure a client one.
    """

    def __init__(self, detail: str, *, cause: AutopilotError | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.cause = cause

    @property
    def retryable(self) -> bool:
        return self.cause is None or self.cause.retryable


class AzureRejected(AutopilotError):
    """Azure refused a write the local checks allowed (its own rules, or a race with another writer).

    ``http_status`` and ``code`` are what Azure answered; redelivering the same request would be refused again.
    """

    transient = False

    def __init__(self, detail: str, *, http_status: int, code: str | None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.http_status = http_status
        self.code = code
        self.extensions.setdefault("azureErrorCode", code)


class UpstreamServiceError(AutopilotError):
    """Azure kept failing after the bounded retries: retry later (Event Grid redelivers).

    ``retry_after`` is the wait in seconds Azure asked for, when it said one.
    """

    transient = True

    def __init__(self, detail: str, *, retry_after: int | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after


class Throttled(UpstreamServiceError):
    """Azure answered 429 after the bounded retries; ``retry_after`` is Azure's own ``Retry-After``."""


class ResourceBusy(AutopilotError):
    """Another request (maybe on another instance, maybe crashed) holds the lease on this resource.

    ``retry_after`` is when that lease runs out unless its holder renews it.
    """

    transient = True

    def __init__(self, detail: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after


class LeaseLost(AutopilotError):
    """This request no longer holds the lease it worked under: it must not write (another request may)."""

    transient = True


class DeadlineExceeded(AutopilotError):
    """The request ran out of its time budget (``REQUEST_DEADLINE_SECONDS``) before finishing."""

    transient = True


class CredentialsRefused(AutopilotError):
    """The credentials cannot work: a secret is missing/disabled/expired, or the registry reports a definite
    failure (``SecretNotFound``, upstream login refused). ``code`` is the reason (the service's own code when it
    gave one)."""

    transient = False

    def __init__(self, detail: str, *, code: str, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.code = code
        self.extensions.setdefault("reason", code)
