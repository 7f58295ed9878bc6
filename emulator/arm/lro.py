"""Long-running operations: 201 + Azure-AsyncOperation for writes, 202 + Location for deletes.

An operation finishes on its (lroPolls+1)-th status poll, or by itself once `lroSeconds` of emulator clock
have passed (so clients that never poll still see the resource settle). A fault with `lroResult: "Failed"`
makes it end Failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.backends.common import iso
from emulator.settings import Settings


@dataclass
class Operation:
    id: str
    kind: str  # "write" | "delete"
    resource_id: str
    started: float
    on_done: Callable[[bool], None]
    fail: bool = False
    polls: int = 0
    status: str = "InProgress"
    ended: float | None = None

    def status_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": f"{self.resource_id}/operationStatuses/{self.id}",
            "name": self.id,
            "status": self.status,
            "startTime": iso(self.started),
        }
        if self.ended is not None:
            body["endTime"] = iso(self.ended)
        if self.status == "Failed":
            body["error"] = {"code": "OperationFailed", "message": "The operation failed (injected fault)."}
        return body


class Operations:
    def __init__(self, now: Callable[[], float], settings: Callable[[], Settings]) -> None:
        self._now = now
        self._settings = settings
        self.ops: dict[str, Operation] = {}

    def reset(self) -> None:
        self.ops = {}

    def start(
        self, kind: str, resource_id: str, prefix: str, on_done: Callable[[bool], None], *, fail: bool = False
    ) -> Operation:
        op = Operation(f"{prefix}-{uuid.uuid4()}", kind, resource_id, self._now(), on_done, fail)
        self.ops[op.id] = op
        return op

    def poll(self, op_id: str) -> Operation | None:
        op = self.ops.get(op_id)
        if op is None:
            return None
        op.polls += 1
        if op.status == "InProgress" and op.polls > self._settings().lroPolls:
            self._finish(op)
        return op

    def settle(self) -> None:
        limit = self._settings().lroSeconds
        now = self._now()
        for op in list(self.ops.values()):
            if op.status == "InProgress" and now - op.started >= limit:
                self._finish(op)

    def _finish(self, op: Operation) -> None:
        op.status = "Failed" if op.fail else "Succeeded"
        op.ended = self._now()
        op.on_done(not op.fail)
