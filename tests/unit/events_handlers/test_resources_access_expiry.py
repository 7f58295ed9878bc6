"""Resource, access and expiry events: grants follow identities, only what an event names changes, flags say why."""

from __future__ import annotations

from dataclasses import replace

from shared.domain.flags import FlagType
from shared.domain.models import CredentialSet, Registry
from tests.fakes.azure import DNS, FakeAzure
from tests.unit.events_handlers.conftest import Events, build, keyvault_event, latest, resource_event

KV = f"https://creds-kv{DNS}/secrets"
OP = "Microsoft.ContainerRegistry/registries"


def _setup(events: Events, azure: FakeAzure, *, rbac: bool = False) -> tuple[str, str]:
    azure.add_vault("creds-kv", rbac=rbac)
    azure.add_secret("creds-kv", "user")
    azure.add_secret("creds-kv", "pass")
    registry = azure.add_registry("reg1")
    one = events.make_set(registry, "one", f"{KV}/user", f"{KV}/pass", rule="ubuntu")
    two = events.make_set(registry, "two", f"{KV}/user", f"{KV}/pass", rule="nginx")
    azure.writes.clear()
    return one.principal_id or "", two.principal_id or ""


def _principals(azure: FakeAzure) -> set[str]:
    vault = azure.vaults["creds-kv"]
    if vault.rbac:
        return {a.principal_id for a in azure.assignments.values()}
    return {p.object_id for p in vault.access_policies}


def test_a_recreated_set_is_granted_and_its_old_principal_loses_its_grant(
    events: Events, azure: FakeAzure
) -> None:
    _, two = _setup(events, azure)
    key = ("reg1", "one")
    azure.sets[key] = replace(azure.sets[key], principal_id="new-principal")  # deleted and made again by hand
    set_id = azure.sets[key].id
    assert events.deliver(resource_event("Write", set_id, f"{OP}/credentialSets/write")) == ["handled"]
    assert _principals(azure) == {"new-principal", two}
    assert events.published.of(FlagType.ACCESS_GRANTED.value)[0].subject == set_id
    assert events.index.get(azure.registries["reg1"].id, "one").principal_id == "new-principal"  # type: ignore[union-attr]


def test_a_deleted_set_loses_only_its_own_grant(events: Events, azure: FakeAzure) -> None:
    _, two = _setup(events, azure, rbac=True)
    set_id = azure.sets[("reg1", "one")].id
    del azure.sets[("reg1", "one")]
    events.deliver(resource_event("Delete", set_id, f"{OP}/credentialSets/delete"))
    assert _principals(azure) == {two}
    assert azure.writes == ["delete roleAssignment"]


def test_a_deleted_registry_has_its_identities_grants_removed(events: Events, azure: FakeAzure) -> None:
    _setup(events, azure)
    registry = azure.registries.pop("reg1")
    azure.sets.clear()
    events.deliver(resource_event("Delete", registry.id, f"{OP}/delete"))
    assert _principals(azure) == set()
    assert events.index.registry_sets(registry.id) == []


def test_an_unrelated_resource_event_costs_no_azure_call(azure: FakeAzure) -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"{name} was called")

    events = build(azure)
    events.services.resources.registries = NoCalls()  # type: ignore[assignment]
    events.services.resources.lookup = NoCalls()  # type: ignore[assignment]
    vault_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/creds-kv"
    assert events.deliver(resource_event("Write", vault_id, "Microsoft.KeyVault/vaults/write")) == ["ignored"]
    assert events.services.idempotency.table.query("idempotency") == []  # type: ignore[attr-defined]


def test_an_access_change_is_healed_when_auto_heal_is_on(azure: FakeAzure) -> None:
    events = build(azure, auto_heal=True)
    one, two = _setup(events, azure)
    azure.vaults["creds-kv"] = replace(azure.vaults["creds-kv"], access_policies=())  # someone removed them
    events.deliver(keyvault_event("VaultAccessPolicyChanged", "creds-kv", None, None))
    assert _principals(azure) == {one, two}
    assert len(events.published.of(FlagType.ACCESS_GRANTED.value)) == 2


def test_an_access_change_without_auto_heal_flags_access_missing(events: Events, azure: FakeAzure) -> None:
    _setup(events, azure)
    azure.vaults["creds-kv"] = replace(azure.vaults["creds-kv"], access_policies=())
    events.deliver(keyvault_event("VaultAccessPolicyChanged", "creds-kv", None, None))
    flags = events.published.of(FlagType.RULE_UNHEALTHY.value)
    assert {(f.data["cacheRule"], f.data["reason"]) for f in flags} == {
        ("ubuntu", "AccessMissing"),
        ("nginx", "AccessMissing"),
    }
    assert azure.writes == []


def test_expiry_warns_once_per_version_then_flags_expired_rules(events: Events, azure: FakeAzure) -> None:
    _setup(events, azure)
    version = latest(azure, "creds-kv", "pass")
    near = keyvault_event("SecretNearExpiry", "creds-kv", "pass", version, EXP=1_900_000_000)
    events.deliver(near, {**near, "id": "another-delivery-id"})
    (warning,) = events.published.of(FlagType.SECRET_EXPIRING.value)
    assert warning.data["expiresOn"] == 1_900_000_000 and len(warning.data["cacheRules"]) == 2
    events.deliver(keyvault_event("SecretExpired", "creds-kv", "pass", version, EXP=1_900_000_000))
    expired = events.published.of(FlagType.RULE_UNHEALTHY.value)
    assert {(f.data["cacheRule"], f.data["reason"]) for f in expired} == {
        ("ubuntu", "SecretExpired"),
        ("nginx", "SecretExpired"),
    }


def test_an_old_version_expiring_spares_sets_that_follow_the_latest(events: Events, azure: FakeAzure) -> None:
    _setup(events, azure)
    old = latest(azure, "creds-kv", "pass")
    azure.add_secret("creds-kv", "pass")
    events.deliver(keyvault_event("SecretExpired", "creds-kv", "pass", old))
    assert events.published.flags == []


class _Refused:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"access.{name} was called")


def _counting_set_reads(events: Events) -> list[str]:
    """The names of the credential sets read from ARM from here on."""
    reads: list[str] = []
    get_set = events.registries.get_credential_set

    def counted(registry: Registry, name: str) -> CredentialSet | None:
        reads.append(name)
        return get_set(registry, name)

    events.registries.get_credential_set = counted  # type: ignore[method-assign]
    return reads


def _seen_once(events: Events, azure: FakeAzure) -> tuple[Registry, CredentialSet]:
    """reg1's set ``one`` after the event of its first write: grant checked (already there) and recorded."""
    _setup(events, azure)
    one = azure.sets[("reg1", "one")]
    assert events.deliver(resource_event("Write", one.id, f"{OP}/credentialSets/write")) == ["handled"]
    return azure.registries["reg1"], one


def test_the_event_of_the_apps_own_write_reads_the_set_once_and_no_vault(
    events: Events, azure: FakeAzure
) -> None:
    """Issue 13: the Resources event of each rotation's PATCH read the set and the vault; the grant was in place."""
    registry, one = _seen_once(events, azure)
    events.registries.update_credential_set(
        registry,
        "one",
        username_uri=f"{KV}/user",
        password_uri=f"{KV}/pass/{latest(azure, 'creds-kv', 'pass')}",
    )
    access, events.services.resources.access = events.services.resources.access, _Refused()  # type: ignore[assignment]
    azure.writes.clear()
    reads = _counting_set_reads(events)
    assert events.deliver(resource_event("Write", one.id, f"{OP}/credentialSets/write")) == ["handled"]
    assert reads == ["one"] and azure.writes == []

    events.services.resources.access = access  # another identity or vault is granted again
    azure.sets[("reg1", "one")] = replace(azure.sets[("reg1", "one")], principal_id="new-principal")
    events.deliver(resource_event("Write", one.id, f"{OP}/credentialSets/write"))
    assert "new-principal" in _principals(azure)


def test_a_settled_sets_event_takes_no_lease_and_a_changed_one_is_indexed_under_it(
    events: Events, azure: FakeAzure
) -> None:
    """Every write the app makes comes back as an event: when the index already says it, no lease is taken."""
    registry, one = _seen_once(events, azure)
    locks = events.services.resources.locks
    held: list[str] = []
    hold = locks.hold

    def counted(key: str):  # type: ignore[no-untyped-def]
        held.append(key)
        return hold(key)

    locks.hold = counted  # type: ignore[method-assign]
    assert events.deliver(resource_event("Write", one.id, f"{OP}/credentialSets/write")) == ["handled"]
    assert held == []
    pinned = f"{KV}/pass/{latest(azure, 'creds-kv', 'pass')}"
    azure.sets[("reg1", "one")] = replace(one, password_secret_uri=pinned)  # someone else's PATCH
    assert events.deliver(resource_event("Write", one.id, f"{OP}/credentialSets/write")) == ["handled"]
    assert len(held) == 1
    indexed = events.index.get(registry.id, "one")
    assert indexed is not None and indexed.password_secret_uri == pinned
    recorded = events.index.recorded(registry.id, "one")
    assert recorded is not None and events.index.settled(registry, azure.sets[("reg1", "one")], recorded)


def test_a_set_with_no_recorded_grant_is_read_once_under_the_lease(events: Events, azure: FakeAzure) -> None:
    """A freshly scanned index records no grant: checking first without the lease would read the set twice."""
    _setup(events, azure)
    one = azure.sets[("reg1", "one")]
    reads = _counting_set_reads(events)
    assert events.deliver(resource_event("Write", one.id, f"{OP}/credentialSets/write")) == ["handled"]
    assert reads == ["one"]
    assert events.index.recorded(azure.registries["reg1"].id, "one") is not None, "the grant is recorded now"
