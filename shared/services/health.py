"""Waiting for artifact cache's verdict on a credential set, which it reaches asynchronously.

The wait ends as soon as the verdict is definite: Healthy, or a failure waiting cannot fix (a secret not found,
disabled or out of date, the upstream refusing the login). Only a missing permission may still change by itself,
and only where Microsoft documents a delay (an RBAC role assignment takes minutes to take effect).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.domain.errors import CredentialsRefused
from shared.domain.models import CredentialSet, Registry
from shared.services import deadline
from shared.services.ports import Registries

# Health error codes that mean "no permission yet": the only ones a propagation delay can clear.
ACCESS_PENDING = frozenset({"accessdenied", "forbidden", "unauthorized_client"})


def pending_access(credential_set: CredentialSet) -> bool:
    """Unhealthy only for want of a permission, or not judged yet."""
    health = credential_set.health
    return health.status == "Unknown" or (
        not health.healthy and (health.error_code or "").lower() in ACCESS_PENDING
    )


class HealthWaiter:
    def __init__(
        self,
        *,
        registries: Registries,
        wait_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registries = registries
        self.wait_seconds = wait_seconds
        self.sleep = sleep
        self.clock = clock

    def await_health(self, registry: Registry, name: str) -> CredentialSet | None:
        """Poll with backoff until Healthy, definitely failing, or out of time; the last read (None: gone)."""
        ends = self.clock() + deadline.bound(self.wait_seconds, clock=self.clock)
        delay = 0.5
        while True:
            current = self.registries.get_credential_set(registry, name)
            if current is None or not pending_access(current) or self.clock() >= ends:
                return current
            self.sleep(min(delay, max(ends - self.clock(), 0.0)))
            delay = min(delay * 2, 4.0)

    def require_working(self, registry: Registry, name: str, *, propagating: bool) -> CredentialSet:
        """The set once the service calls it Healthy; :class:`CredentialsRefused` with the service's reason
        when it says the credentials fail, or when access is still missing and no documented delay explains it
        (``propagating``: this request has just made an RBAC role assignment)."""
        current = self.await_health(registry, name)
        if current is None:
            raise CredentialsRefused(
                f"credential set '{name}' disappeared while waiting for its health",
                code="CredentialSetMissing",
            )
        health = current.health
        if health.healthy or (propagating and pending_access(current)):
            return current
        code = health.error_code or health.status
        said = f"{health.error_code}: {health.error_message}" if health.error_message else code
        raise CredentialsRefused(
            f"the registry reports credential set '{name}' {health.status} ({said})"
            + (f" after waiting {self.wait_seconds:.0f} s" if pending_access(current) else ""),
            code=code,
            extensions={"credentialHealth": health},
        )
