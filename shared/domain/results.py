"""What services answer with: domain values that any transport (HTTP views, event handlers) can render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.domain.models import CacheRule, CredentialSet, Registry

T = TypeVar("T")

PASSED, FAILED, SKIPPED = "Passed", "Failed", "Skipped"


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleState:
    """A cache rule as it is in Azure, with its credential set (and that set's health) when it has one."""

    registry: Registry
    rule: CacheRule
    credential_set: CredentialSet | None


@dataclass(frozen=True, kw_only=True, slots=True)
class CredentialSetState:
    """A credential set and, when known, the names of the cache rules that use it."""

    credential_set: CredentialSet
    used_by: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Written(Generic[T]):
    """The result of an idempotent write and whether this call created it or found it already as asked."""

    value: T
    created: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class RegistrySummary:
    registry: Registry
    cache_rules: int


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleDeleted:
    """A deleted rule's credential set (if it had one) and, when cleanup was asked, whether it went too."""

    credential_set: str | None
    kept_because: str | None
    cleaned: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Check:
    """One check of ``validate``: ``code`` names the failure (``AccessMissing``, ``SecretExpired``, ...)."""

    name: str
    status: str
    message: str
    code: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ValidationReport:
    checks: tuple[Check, ...]

    @property
    def failure(self) -> Check | None:
        return next((c for c in self.checks if c.status == FAILED), None)

    @property
    def is_valid(self) -> bool:
        return self.failure is None
