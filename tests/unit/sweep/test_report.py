"""GET /api/health's query, order, paging and summary; a sweep result's aggregation and its view."""

from __future__ import annotations

import pytest

from shared.api.sweep_views import health_view, parse_health_query, sweep_view
from shared.domain.errors import ValidationFailed
from shared.domain.flags import HealthRecord
from shared.domain.health import Reason, Status
from shared.domain.sweeps import RegistryReport, SweepHeader, SweepStatus, aggregate
from shared.services.flagging import HealthRow
from shared.services.sweep_report import HealthQuery, HealthReporter
from shared.state.health import TableHealthStore
from shared.state.memory import MemoryTableStore
from shared.state.sweeps import SweepStore

REG = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/{}"


def _row(registry: str, name: str, status: Status, reason: Reason | None = None) -> HealthRow:
    return HealthRow(
        rule_id=REG.format(registry) + f"/cacheRules/{name}",
        subscription_id="s",
        registry=registry,
        name=name,
        record=HealthRecord(status=status, reason=reason, since=1.0),
        message="m",
        checked_at=2.0,
    )


@pytest.fixture
def store() -> TableHealthStore:
    health = TableHealthStore(MemoryTableStore())
    for row in (
        _row("regaa", "a1", Status.HEALTHY),
        _row("regaa", "a2", Status.UNHEALTHY, Reason.ACCESS_MISSING),
        _row("regbb", "b1", Status.WARNING, Reason.SECRET_EXPIRING),
        _row("regbb", "b2", Status.HEALTHY),
        _row("regbb", "b3", Status.UNHEALTHY, Reason.SECRET_MISSING),
    ):
        health.put(row)
    return health


def test_failing_first_pages_with_next_link_and_summary_over_the_selection(store: TableHealthStore) -> None:
    reporter = HealthReporter(rows=store, last_sweep=lambda: None, clock=lambda: 0.0)
    first = health_view(reporter.page(HealthQuery(top=2)))
    assert [r["name"] for r in first["rules"]] == ["a2", "b3"]
    assert first["summary"] == {"rules": 5, "healthy": 2, "warning": 1, "unhealthy": 2}
    assert first["nextLink"] == "/api/health?top=2&skip=2"
    second = health_view(reporter.page(parse_health_query({"top": "2", "skip": "2"})))
    assert [r["name"] for r in second["rules"]] == ["b1", "a1"]
    last = health_view(reporter.page(parse_health_query({"top": "2", "skip": "4"})))
    assert [r["name"] for r in last["rules"]] == ["b2"] and "nextLink" not in last
    assert last["lastSweep"] is None


def test_filters_select_and_the_summary_counts_only_the_selection(store: TableHealthStore) -> None:
    reporter = HealthReporter(rows=store, last_sweep=lambda: None, clock=lambda: 0.0)
    page = health_view(reporter.page(parse_health_query({"status": "unhealthy", "registry": "regbb"})))
    assert [(r["name"], r["reason"]) for r in page["rules"]] == [("b3", "SecretMissing")]
    assert page["summary"] == {"rules": 1, "healthy": 0, "warning": 0, "unhealthy": 1}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "Broken"}, "status"),
        ({"registry": "no/slash"}, "registry"),
        ({"top": "0"}, "top"),
        ({"top": "1001"}, "top"),
        ({"skip": "-1"}, "skip"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_queries_are_refused_naming_the_parameter(params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_health_query(params)
    assert [e.field for e in refused.value.errors] == [field]


def test_a_result_is_running_until_every_registry_reported_then_completed() -> None:
    table = SweepStore(MemoryTableStore())
    header = SweepHeader(
        sweep_id="20260101000000-0123456789ab",
        started_at=100.0,
        registries=2,
        trigger="timer",
        fanned_out=True,
        azure_requests=1,
    )
    table.start(header)
    table.record(
        header.sweep_id,
        RegistryReport(registry="/r/a", name="a", rules=3, azure_requests=4, finished_at=101.0),
    )
    running = aggregate(header, table.reports(header.sweep_id), now=100.5)
    assert (running.status, running.checked, running.duration_ms) == (SweepStatus.RUNNING, 1, 500)
    table.record(header.sweep_id, RegistryReport(registry="/r/b", name="b", error="boom", finished_at=102.5))
    done = aggregate(header, table.reports(header.sweep_id), now=999.0)
    view = sweep_view(done)
    assert view["status"] == "Completed" and view["durationMs"] == 2500
    assert (view["rules"], view["azureRequests"]) == (3, 5)
    assert view["failures"] == [{"registry": "b", "error": "boom"}]
    assert table.claim_completion(header.sweep_id) and not table.claim_completion(header.sweep_id)
    assert table.latest_id() == header.sweep_id
