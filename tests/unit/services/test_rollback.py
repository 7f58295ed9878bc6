"""Rollback runs undo steps newest first, reports what it undid, and never hides the original failure."""

from __future__ import annotations

from shared.api.problems import status_of
from shared.domain.errors import AutopilotError, AzureRejected, ValidationFailed
from shared.services.rollback import Rollback


def test_undo_runs_in_reverse_and_is_reported() -> None:
    order: list[str] = []
    rollback = Rollback()
    rollback.add("credentialSet:a", lambda: order.append("set"))
    rollback.add("accessPolicy:kv", lambda: order.append("policy"))
    rollback.step = "cacheRule"

    failure = rollback.fail(AutopilotError("boom"))

    assert order == ["policy", "set"]
    assert failure.extensions["failedStep"] == "cacheRule"
    assert failure.extensions["rolledBack"] == ["accessPolicy:kv", "credentialSet:a"]
    assert status_of(failure) == 502
    assert "cacheRule" in failure.detail and "boom" in failure.detail


def test_nothing_to_undo_is_not_reported() -> None:
    rollback = Rollback()
    rollback.add("cacheRule:x", lambda: False)

    assert rollback.fail(AutopilotError("boom")).extensions["rolledBack"] == []


def test_a_failing_undo_is_listed_and_the_rest_still_run() -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("undo failed")

    rollback = Rollback()
    rollback.add("first", lambda: ran.append("first"))
    rollback.add("second", broken)

    failure = rollback.fail(AutopilotError("boom"))

    assert ran == ["first"]
    assert failure.extensions["notRolledBack"] == ["second"]
    assert failure.extensions["rolledBack"] == ["first"]


def test_client_errors_keep_their_status_and_details() -> None:
    rollback = Rollback(step="cacheRule")

    conflict = rollback.fail(
        AzureRejected("taken", http_status=409, code="TargetRepositoryAlreadyPresentInRegistry")
    )
    invalid = Rollback(step="grant").fail(ValidationFailed("bad"))

    assert status_of(conflict) == 409
    assert conflict.extensions["azureErrorCode"] == "TargetRepositoryAlreadyPresentInRegistry"
    assert status_of(invalid) == 400
