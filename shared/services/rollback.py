"""Undo steps recorded while provisioning, run in reverse when a later step fails.

An undo removes only what this request made, and only while it is still as the request left it: each undo step
checks that itself (raising :class:`NotAsLeft`), and the rollback first checks that the request still holds its
leases, since a request that lost them may be undoing what another request now stands on. Whatever is not undone
is reported with what an operator must do, in the answer and in one structured log event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.domain.errors import AutopilotError, ProvisioningFailed
from shared.logs import event

log = logging.getLogger(__name__)


class NotAsLeft(Exception):
    """The resource changed since this request wrote it (or is in use): leave it, and say why."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Leftover:
    """Something this request made and did not undo, with why and what an operator should do."""

    resource: str  # "kind:name", as in ``rolledBack``
    resource_id: str
    reason: str
    action: str


@dataclass(frozen=True, kw_only=True, slots=True)
class _Undo:
    what: str
    run: Callable[[], object]
    resource_id: str
    action: str


def _no_fence(doing: str) -> None:
    return None


@dataclass
class Rollback:
    """Collects undo steps; :meth:`fail` runs them and raises one report of the failed step.

    ``still_held`` raises when the request no longer holds its leases; ``context`` names what the request was
    about (registry, cacheRule, credentialSet, principalId) for the log event.
    """

    steps: list[_Undo] = field(default_factory=list)
    step: str = "validate"  # the step being run; set by the caller as it goes
    still_held: Callable[[str], None] = _no_fence
    context: dict[str, Any] = field(default_factory=dict)

    def add(self, what: str, undo: Callable[[], object], *, resource_id: str = "", action: str = "") -> None:
        """``undo`` may return False to say there was nothing to undo (it is then not reported), or raise
        :class:`NotAsLeft` to leave the resource be. ``action`` says what an operator does if it stays."""
        self.steps.append(
            _Undo(what=what, run=undo, resource_id=resource_id, action=action or f"delete {what} if unused")
        )

    def fail(self, cause: Exception) -> ProvisioningFailed:
        undone: list[str] = []
        left: list[Leftover] = []
        taken_over: str | None = None
        for undo in reversed(self.steps):
            if taken_over is None:
                try:
                    self.still_held(f"undoing {undo.what}")
                except AutopilotError as exc:
                    taken_over = f"not undone: {exc.detail}"
            if taken_over is not None:
                left.append(_leftover(undo, taken_over))
                continue
            try:
                if undo.run() is not False:
                    undone.append(undo.what)
            except NotAsLeft as exc:
                left.append(_leftover(undo, str(exc)))
            except Exception as exc:  # a failed undo must not hide the original failure
                left.append(_leftover(undo, f"the undo failed: {exc}"))
        self.steps.clear()
        known = cause if isinstance(cause, AutopilotError) else None
        failure = ProvisioningFailed(
            f"step '{self.step}' failed: {cause}; {_summary(undone, left)}",
            cause=known,
            extensions={
                "failedStep": self.step,
                "rolledBack": undone,
                "notRolledBack": [item.resource for item in left],
                "cleanup": [
                    {"resource": i.resource, "id": i.resource_id, "reason": i.reason, "action": i.action}
                    for i in left
                ],
            },
        )
        if known is not None and not known.retryable:
            # The caller must act on the cause (a conflict, a refusal): pass on what it says about it.
            failure.extensions.update(
                {k: v for k, v in known.extensions.items() if k not in failure.extensions}
            )
        event(
            log,
            logging.ERROR if left else logging.WARNING,
            "ProvisioningRolledBack",
            failedStep=self.step,
            cause=str(cause),
            rolledBack=undone,
            notRolledBack=failure.extensions["cleanup"],
            **self.context,
        )
        return failure


def _leftover(undo: _Undo, reason: str) -> Leftover:
    return Leftover(resource=undo.what, resource_id=undo.resource_id, reason=reason, action=undo.action)


def _summary(undone: list[str], left: list[Leftover]) -> str:
    """Exactly what happened to what this request had made, in words."""
    if not undone and not left:
        return "nothing had been written, so nothing needed undoing"
    parts = []
    if undone:
        parts.append("undone: " + ", ".join(undone))
    if left:
        parts.append("left for an operator (see cleanup): " + ", ".join(i.resource for i in left))
    return "; ".join(parts)
