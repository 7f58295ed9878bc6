"""GET /api/health's query, order, paging and summary; a sweep result's aggregation and its view."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.api.sweep_views import health_view, parse_health_query, sweep_view
from shared.domain.errors import ValidationFailed
from shared.domain.flags import HealthRecord
from shared.domain.health import Reason, Status
from shared.domain.models import Registry
from shared.domain.sweeps import RegistryReport, SweepHeader, SweepStatus, aggregate
from shared.services.flagging import HealthRow
from shared.services.sweep_report import HealthQuery, HealthReporter, ordered
from shared.state.health import FAILING, TableHealthStore, data_of, registry_partition, row_key
from shared.state.memory import MemoryTableStore
from shared.state.sweeps import SweepStore
from shared.state.tables import Row

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


class ReadCounter(MemoryTableStore):
    """Counts the rows every read hands back: what a page costs in Table storage."""

    def __init__(self) -> None:
        super().__init__()
        self.read = 0
        self.scans = 0

    def get(self, partition: str, row: str) -> Row | None:
        found = super().get(partition, row)
        self.read += found is not None
        return found

    def query(self, partition: str) -> list[Row]:
        found = super().query(partition)
        self.read += len(found)
        return found

    def scan(self, partition_prefix: str) -> list[Row]:
        self.scans += 1
        found = super().scan(partition_prefix)
        self.read += len(found)
        return found


def _fleet(table: MemoryTableStore, registries: int = 40, rules: int = 30) -> TableHealthStore:
    """``registries`` x ``rules`` rows saved as sweeps save them; rule 3 of every 8th registry fails, rule 2 of the
    next one warns."""
    health = TableHealthStore(table)
    for r in range(registries):
        name = f"reg{r:03d}"
        registry = Registry(
            id=REG.format(name), name=name, subscription_id="s", resource_group="rg", login_server=""
        )
        rows = [_row(name, f"rule{i:02d}", Status.HEALTHY) for i in range(rules)]
        if r % 8 == 0:
            rows[3] = _row(name, "rule03", Status.UNHEALTHY, Reason.SECRET_DISABLED)
        if r % 8 == 1:
            rows[2] = _row(name, "rule02", Status.WARNING, Reason.SECRET_EXPIRING)
        health.save_registry(registry, before=[], after=rows)
    return health


def test_a_page_reads_the_failing_rules_the_counts_and_one_registry_not_the_fleet() -> None:
    table = ReadCounter()
    health = _fleet(table)  # 1,200 rules, 10 failing, 40 registries of 30
    reporter = HealthReporter(rows=health, last_sweep=lambda: None, clock=lambda: 0.0)
    table.read = 0
    first = reporter.page(HealthQuery(top=15))
    assert [r.record.status for r in first.rows[:10]] == [Status.UNHEALTHY] * 5 + [Status.WARNING] * 5
    assert (first.summary.rules, first.summary.unhealthy, first.summary.warning) == (1200, 5, 5)
    assert table.scans == 0 and table.read <= 10 + 40 + 30
    table.read = 0
    deep = reporter.page(HealthQuery(top=50, skip=700))  # 50 healthy rows over two registries
    assert len(deep.rows) == 50 and table.scans == 0 and table.read <= 10 + 40 + 2 * 30
    table.read = 0
    reporter.page(HealthQuery(status=Status.UNHEALTHY))
    assert table.read == 10  # the failing copies only


@pytest.mark.parametrize(
    "query",
    [
        HealthQuery(top=7),
        HealthQuery(top=7, status=Status.HEALTHY),
        HealthQuery(top=3, status=Status.WARNING),
        HealthQuery(top=4, registry="REG008"),
        HealthQuery(top=1000),
    ],
)
def test_following_the_pages_lists_the_selection_once_in_the_full_order(query: HealthQuery) -> None:
    health = _fleet(MemoryTableStore(), registries=12, rules=9)
    reporter = HealthReporter(rows=health, last_sweep=lambda: None, clock=lambda: 0.0)
    seen: list[str] = []
    skip: int | None = 0
    while skip is not None:
        page = reporter.page(replace(query, skip=skip))
        seen += [r.rule_id for r in page.rows]
        skip = page.next_skip
    expected = ordered(health.rows(status=query.status, registry=query.registry))
    assert seen == [r.rule_id for r in expected]
    assert page.summary.rules == len(expected)


def _consistent(health: TableHealthStore) -> None:
    """The failing copies and the counts say what the rows say."""
    rows = health.rows()
    assert sorted(r.rule_id for r in health.failing()) == sorted(
        r.rule_id for r in rows if r.record.status is not Status.HEALTHY
    )
    counted = {(s.registry, st): getattr(s, st.value.lower()) for s in health.summaries() for st in Status}
    actual = {(s.registry, st): 0 for s in health.summaries() for st in Status}
    for r in rows:
        actual[(r.registry, r.record.status)] += 1
    assert counted == actual


def test_event_writes_and_deletes_keep_the_copies_and_counts_with_the_rows() -> None:
    health = _fleet(MemoryTableStore(), registries=3, rules=4)
    failing = _row("reg000", "rule00", Status.UNHEALTHY, Reason.ACCESS_MISSING)
    health.put(failing)
    _consistent(health)
    health.put(_row("reg000", "rule00", Status.WARNING, Reason.SECRET_EXPIRING))
    _consistent(health)
    health.put(_row("reg000", "rule00", Status.HEALTHY))
    health.put(_row("reg009", "new", Status.UNHEALTHY, Reason.SECRET_MISSING))  # a registry no sweep saw yet
    _consistent(health)
    health.forget(REG.format("reg000") + "/cacheRules/rule03")  # a failing rule deleted
    health.forget(REG.format("reg000") + "/cacheRules/absent")
    _consistent(health)
    health.forget_registry(REG.format("reg001"))
    _consistent(health)
    assert {s.registry for s in health.summaries()} == {"reg000", "reg002", "reg009"}


def test_the_first_sweep_under_this_layout_copies_failing_rows_it_does_not_rewrite() -> None:
    table = MemoryTableStore()
    health = TableHealthStore(table)
    legacy = [
        _row("regaa", "a1", Status.UNHEALTHY, Reason.ACCESS_MISSING),
        _row("regaa", "a2", Status.HEALTHY),
    ]
    for row in legacy:  # rows as the earlier layout stored them: no copies, no counts
        table.upsert(registry_partition(row.rule_id), row_key(row.rule_id), data_of(row))
    registry = Registry(
        id=REG.format("regaa"), name="regaa", subscription_id="s", resource_group="rg", login_server=""
    )
    health.save_registry(registry, before=legacy, after=legacy)
    _consistent(health)
    assert [r.name for r in health.failing()] == ["a1"]
    # A copy already gone when its rule heals: the batch is redone row by row, absent is done.
    table.delete(FAILING, row_key(legacy[0].rule_id))
    healed = _row("regaa", "a1", Status.HEALTHY)
    health.save_registry(registry, before=legacy, after=[healed, legacy[1]])
    _consistent(health)
