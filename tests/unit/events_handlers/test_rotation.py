"""SecretNewVersionCreated: every set using the secret follows it, once, in Key Vault's order, resuming after a failure."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import replace

from shared.domain.errors import AutopilotError
from shared.domain.flags import FlagType
from shared.domain.models import CredentialSet, Registry
from tests.fakes.azure import DNS, SUB, FakeAzure, FakeRegistries
from tests.unit.events_handlers.conftest import SUB2, Events, keyvault_event, latest, resource_event

KV = f"https://creds-kv{DNS}/secrets"
OP = "Microsoft.ContainerRegistry/registries"


def _two_registries(events: Events, azure: FakeAzure) -> tuple[str, str]:
    """reg1 (subscription 1) pins the password's version; reg2 (subscription 2) follows the latest."""
    azure.add_vault("creds-kv")
    azure.add_secret("creds-kv", "user")
    azure.add_secret("creds-kv", "pass")
    old = latest(azure, "creds-kv", "pass")
    reg1 = azure.add_registry("reg1", subscription_id=SUB)
    reg2 = azure.add_registry("reg2", subscription_id=SUB2)
    events.make_set(reg1, "pinned", f"{KV}/user", f"{KV}/pass/{old}", rule="ubuntu")
    events.make_set(reg2, "follows", f"{KV}/user", f"{KV}/pass", rule="nginx")
    azure.writes.clear()
    return old, azure.add_secret("creds-kv", "pass") and latest(azure, "creds-kv", "pass")


def test_a_new_version_reaches_pinned_and_versionless_sets_in_two_subscriptions(
    events: Events, azure: FakeAzure
) -> None:
    _, new = _two_registries(events, azure)
    assert events.deliver(keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", new)) == ["handled"]
    assert azure.sets[("reg1", "pinned")].password_secret_uri == f"{KV}/pass/{new}"
    assert azure.sets[("reg2", "follows")].password_secret_uri == f"{KV}/pass"  # re-applied as it was
    assert sorted(azure.writes) == ["update credentialSet follows", "update credentialSet pinned"]
    rotated = events.published.of(FlagType.CREDENTIAL_SET_ROTATED.value)
    assert {f.subject.rsplit("/", 1)[-1] for f in rotated} == {"pinned", "follows"}
    assert events.index.uses_of("creds-kv", "pass")[0].pinned_version in (new, None)


def test_the_same_event_five_times_makes_one_set_of_writes(events: Events, azure: FakeAzure) -> None:
    _, new = _two_registries(events, azure)
    event = keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", new)
    outcomes = events.deliver(*[event] * 5)
    assert outcomes == ["handled"] + ["duplicate"] * 4
    assert len(azure.writes) == 2


def test_an_old_version_after_a_new_one_changes_nothing(events: Events, azure: FakeAzure) -> None:
    old, new = _two_registries(events, azure)
    events.deliver(keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", new))
    azure.writes.clear()
    events.deliver(keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", old))
    assert azure.writes == []
    assert azure.sets[("reg1", "pinned")].password_secret_uri == f"{KV}/pass/{new}"


def test_a_failure_mid_handler_then_redelivery_resumes_without_double_writes(
    events: Events, azure: FakeAzure
) -> None:
    _, new = _two_registries(events, azure)
    event = keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", new)
    original = events.registries.update_credential_set
    calls = 0

    def second_fails(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise AutopilotError("Azure answered 500")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    events.registries.update_credential_set = second_fails  # type: ignore[method-assign]
    try:
        events.deliver(event)
    except AutopilotError:
        pass
    else:
        raise AssertionError("the failure must be raised so Event Grid redelivers")
    assert len(azure.writes) == 1
    assert events.deliver(event) == ["handled"]
    assert sorted(azure.writes) == ["update credentialSet follows", "update credentialSet pinned"]
    assert events.deliver(event) == ["duplicate"]
    assert len(azure.writes) == 2


def test_the_rotated_flags_go_out_in_one_publish_even_when_another_set_fails(
    events: Events, azure: FakeAzure
) -> None:
    """A hundred sets cost one Event Grid call, not a hundred; a set that fails does not hold back the others'."""
    _, new = _two_registries(events, azure)
    event = keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", new)
    assert events.deliver(event) == ["handled"]
    assert (
        events.published.calls == 1 and len(events.published.of(FlagType.CREDENTIAL_SET_ROTATED.value)) == 2
    )

    events.published.flags.clear()
    events.published.calls = 0
    azure.add_secret("creds-kv", "pass")
    newer = latest(azure, "creds-kv", "pass")
    original = events.registries.update_credential_set

    def pinned_fails(registry: Registry, name: str, **kwargs: str) -> CredentialSet:
        if name == "pinned":
            raise AutopilotError("Azure answered 500")
        return original(registry, name, **kwargs)

    events.registries.update_credential_set = pinned_fails  # type: ignore[method-assign]
    with contextlib.suppress(AutopilotError):
        events.deliver(keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", newer))
        raise AssertionError("the failure must be raised so Event Grid redelivers")
    rotated = events.published.of(FlagType.CREDENTIAL_SET_ROTATED.value)
    assert [f.subject.rsplit("/", 1)[-1] for f in rotated] == ["follows"] and events.published.calls == 1


def test_a_set_left_failed_on_the_new_version_is_written_again_by_the_redelivery(
    events: Events, azure: FakeAzure
) -> None:
    """The PATCH's operation ended Failed after the set took the new URI: the redelivery finds it there, and
    only a write makes the service use it (the reliability suite's lro-failed scenario left every set Failed)."""
    _, new = _two_registries(events, azure)
    key = ("reg1", "pinned")
    azure.sets[key] = replace(
        azure.sets[key], password_secret_uri=f"{KV}/pass/{new}", provisioning_state="Failed"
    )
    azure.writes.clear()
    assert events.deliver(keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", new)) == ["handled"]
    assert sorted(azure.writes) == ["update credentialSet follows", "update credentialSet pinned"]
    assert azure.sets[key].provisioning_state == "Succeeded"


def test_a_set_still_unhealthy_after_rotation_flags_its_rules(events: Events, azure: FakeAzure) -> None:
    _, new = _two_registries(events, azure)
    azure.secrets.pop(("creds-kv", "user"))  # the username secret vanished: the service cannot sign in
    events.deliver(keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", new))
    unhealthy = events.published.of(FlagType.RULE_UNHEALTHY.value)
    assert {f.data["cacheRule"] for f in unhealthy} == {"ubuntu", "nginx"}
    assert {f.data["reason"] for f in unhealthy} == {"CredentialUnhealthy"}
    assert events.published.of(FlagType.CREDENTIAL_SET_ROTATED.value) == []


def test_a_warm_index_rotates_without_listing_and_a_cold_one_is_rebuilt_once(
    events: Events, azure: FakeAzure
) -> None:
    _, new = _two_registries(events, azure)
    events.index.table.delete("meta", "built-with-rules")  # type: ignore[attr-defined]
    listed = 0
    original = events.registries.list_credential_sets

    def counting(registry: object) -> object:
        nonlocal listed
        listed += 1
        return original(registry)  # type: ignore[arg-type]

    events.registries.list_credential_sets = counting  # type: ignore[method-assign]
    events.deliver(keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", new))
    assert listed == 2 and events.index.warm  # one scan: one list per registry
    azure.add_secret("creds-kv", "pass")
    events.deliver(
        keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", latest(azure, "creds-kv", "pass"))
    )
    assert listed == 2


def _no_lists(events: Events) -> None:
    def refused(*args: object) -> object:
        raise AssertionError("a warm index lists nothing")

    for name in ("list_registries", "list_credential_sets", "list_cache_rules"):
        setattr(events.registries, name, refused)


def test_a_warm_index_records_each_rules_verdict_without_listing_rules(
    events: Events, azure: FakeAzure
) -> None:
    """Issue 13: each set's verdict cost one cache-rule list per set; the index now says which rules use it."""
    _, new = _two_registries(events, azure)
    events.services.rotation.indexer.ensure_warm()
    _no_lists(events)
    azure.secrets.pop(("creds-kv", "user"))  # the sets stay unhealthy, so each of their rules is flagged
    events.deliver(keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", new))
    unhealthy = events.published.of(FlagType.RULE_UNHEALTHY.value)
    assert sorted(f.data["cacheRule"] for f in unhealthy) == ["nginx", "ubuntu"]


def test_a_rule_made_outside_the_app_is_indexed_by_its_event_and_forgotten_by_its_delete(
    events: Events, azure: FakeAzure
) -> None:
    _two_registries(events, azure)
    reg1 = azure.registries["reg1"]
    outside = FakeRegistries(azure)  # not the app's (indexing) port: someone else's write
    pinned = azure.sets[("reg1", "pinned")]
    rule = outside.create_cache_rule(
        reg1, "alpine", source="docker.io/library/alpine", target="alpine", credential_set_id=pinned.id
    )
    assert [r.name for r in events.index.rules_using(reg1.id, "pinned")] == ["ubuntu"]
    events.deliver(resource_event("Write", rule.id, f"{OP}/cacheRules/write"))
    assert sorted(r.name for r in events.index.rules_using(reg1.id, "pinned")) == ["alpine", "ubuntu"]
    outside.delete_cache_rule(reg1, "alpine")
    events.deliver(resource_event("Delete", rule.id, f"{OP}/cacheRules/delete"))
    assert [r.name for r in events.index.rules_using(reg1.id, "pinned")] == ["ubuntu"]


def test_the_sets_are_rotated_concurrently_each_under_the_events_cause(
    events: Events, azure: FakeAzure
) -> None:
    """Both sets' reads must be in flight together (sequentially the barrier breaks); audit keeps the event id."""
    _, new = _two_registries(events, azure)
    together = threading.Barrier(2, timeout=10)
    met: set[str] = set()
    original = events.registries.get_credential_set

    def meet(registry: Registry, name: str) -> CredentialSet | None:
        if name not in met:  # each set's first read waits for the other set's
            met.add(name)
            with contextlib.suppress(threading.BrokenBarrierError):
                together.wait()
        return original(registry, name)

    events.registries.get_credential_set = meet  # type: ignore[method-assign]
    event = keyvault_event("SecretNewVersionCreated", "creds-kv", "pass", new)
    assert events.deliver(event) == ["handled"]
    assert not together.broken
    updates = [e for e in events.audit.read(since=0) if e.action == "credentialSet.update"]
    assert len(updates) == 2 and {e.cause["eventId"] for e in updates} == {event["id"]}


def test_concurrent_events_on_a_cold_index_scan_the_fleet_once(events: Events, azure: FakeAzure) -> None:
    """Each event waits for the scan already running rather than listing every registry itself."""
    _two_registries(events, azure)
    indexer = events.services.rotation.indexer
    indexer.index.table.delete("meta", "built-with-rules")  # type: ignore[attr-defined]
    scanning, release = threading.Event(), threading.Event()
    scans = 0
    list_registries = events.registries.list_registries

    def blocking() -> list[Registry]:
        nonlocal scans
        scans += 1
        scanning.set()
        assert release.wait(10)
        return list_registries()

    events.registries.list_registries = blocking  # type: ignore[method-assign]
    checked = threading.Semaphore(0)
    get = indexer.index.table.get

    def seen(partition: str, row: str) -> object:
        found = get(partition, row)
        if (partition, row) == ("meta", "built-with-rules"):
            checked.release()
        return found

    indexer.index.table.get = seen  # type: ignore[method-assign]
    first = threading.Thread(target=indexer.ensure_warm)
    first.start()
    assert scanning.wait(10)
    second = threading.Thread(target=indexer.ensure_warm)
    second.start()
    for _ in range(3):  # the first's two looks at the marker, then the second's
        assert checked.acquire(timeout=10)
    release.set()
    first.join(10)
    second.join(10)
    assert scans == 1 and indexer.index.warm
