"""Long-running operations: 201 + Azure-AsyncOperation for writes, 202 + Location for deletes.

As the service answers in the azure-cli recordings (test_acr_cache.yaml, 2026): a write's status poll answers
200 `{"status": "<pending state>"}` ("Creating", "Updating") until it ends "Succeeded", repeating the
Azure-AsyncOperation header; a delete's Location (under .../locations/{region}/operationResults/...) answers 202
with the Location repeated while pending and 200 with an empty body when done. An operation finishes on its
(lroPolls+1)-th poll, or by itself once `lroSeconds` of emulator clock have passed (clients that never poll
still see the resource settle). A fault with `lroResult: "Failed"` makes it end Failed (assumption, no
recording: status "Failed" with an ARM error object; a failed delete's Location answers 500).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.settings import Settings

IN_PROGRESS, SUCCEEDED, FAILED = "InProgress", "Succeeded", "Failed"


@dataclass
class Operation:
    id: str
    kind: str  # "write" | "delete"
    resource_id: str
    poll_path: str  # where the client polls it (Azure-AsyncOperation or Location path, without query)
    pending: str  # the status a poll answers while it runs: "Creating", "Updating", "Deleting"
    started: float
    on_done: Callable[[bool], None]
    fail: bool = False
    polls: int = 0
    status: str = IN_PROGRESS

    @property
    def running(self) -> bool:
        return self.status == IN_PROGRESS

    def status_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.pending if self.running else self.status}
        if self.status == FAILED:
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
        self,
        kind: str,
        resource_id: str,
        prefix: str,
        on_done: Callable[[bool], None],
        *,
        pending: str,
        poll_path: Callable[[str], str],
        fail: bool = False,
    ) -> Operation:
        """Begin an operation whose id is `{prefix}-{uuid}`; `poll_path` builds its polling path from the id."""
        op_id = f"{prefix}-{uuid.uuid4()}"
        op = Operation(op_id, kind, resource_id, poll_path(op_id), pending, self._now(), on_done, fail)
        self.ops[op.id] = op
        return op

    def poll(self, op_id: str, path: str) -> Operation | None:
        """The operation polled at `path` (None when unknown there); each poll brings it closer to its end."""
        op = self.ops.get(op_id)
        if op is None or op.poll_path.lower() != path.lower():
            return None
        op.polls += 1
        if op.running and op.polls > self._settings().lroPolls:
            self._finish(op)
        return op

    def settle(self) -> None:
        limit = self._settings().lroSeconds
        now = self._now()
        for op in list(self.ops.values()):
            if op.running and now - op.started >= limit:
                self._finish(op)

    def _finish(self, op: Operation) -> None:
        op.status = FAILED if op.fail else SUCCEEDED
        op.on_done(not op.fail)
