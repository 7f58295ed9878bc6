"""Undo steps recorded while provisioning, run in reverse when a later step fails."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.domain.errors import AutopilotError, ProvisioningFailed
from shared.logs import event

log = logging.getLogger(__name__)


@dataclass
class Rollback:
    """Collects ``(what, undo)`` pairs; :meth:`fail` runs them and raises one report of the failed step."""

    steps: list[tuple[str, Callable[[], object]]] = field(default_factory=list)
    step: str = "validate"  # the step being run; set by the caller as it goes

    def add(self, what: str, undo: Callable[[], object]) -> None:
        """``undo`` may return False to say there was nothing to undo (it is then not reported)."""
        self.steps.append((what, undo))

    def fail(self, cause: Exception) -> ProvisioningFailed:
        undone: list[str] = []
        not_undone: list[str] = []
        for what, undo in reversed(self.steps):
            try:
                if undo() is not False:
                    undone.append(what)
            except Exception:  # a failed undo must not hide the original failure
                event(log, logging.ERROR, "RollbackStepFailed", exc_info=True, step=what)
                not_undone.append(what)
        self.steps.clear()
        step = self.step
        known = cause if isinstance(cause, AutopilotError) else None
        failure = ProvisioningFailed(
            f"step '{step}' failed: {cause}",
            cause=known,
            extensions={"failedStep": step, "rolledBack": undone, "notRolledBack": not_undone},
        )
        if known is not None and not known.retryable:
            # The caller must act on the cause (a conflict, a refusal): pass on what it says about it.
            failure.extensions.update(
                {k: v for k, v in known.extensions.items() if k not in failure.extensions}
            )
        return failure
