"""Views: Microsoft's samples read to the right class and values, equal across schemas, and leak nothing."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from shared.events import (
    AcrKind,
    EventParseError,
    ResourceActionSuccess,
    ResourceDeleteSuccess,
    ResourceWriteSuccess,
    SecretExpired,
    SecretNearExpiry,
    SecretNewVersionCreated,
    VaultAccessPolicyChanged,
    acr_resource,
    parse_events,
    view_of,
)
from tests.unit.events.conftest import SCHEMAS, retyped, sample

VAULT_ID = (
    "/subscriptions/{subscription-id}/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/sample-kv"
)
REGISTRY_ID = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ContainerRegistry/registries/acr1"


def view(event: dict[str, Any]) -> Any:
    (envelope,) = parse_events(json.dumps(event))
    return view_of(envelope)


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize(
    "cls", [SecretNewVersionCreated, SecretNearExpiry, SecretExpired], ids=lambda c: c.__name__
)
def test_secret_events_read_the_sample(schema: str, cls: Any) -> None:
    event = retyped(sample("keyvault", schema, "secret_new_version_created"), cls.event_type)

    seen = view(event)

    assert type(seen) is cls
    assert (seen.vault_name, seen.secret_name, seen.version) == (
        "sample-kv",
        "newsecret",
        "ee059b2bb5bc48398a53b168c6cdcb10",
    )
    assert (
        seen.secret_id
        == "https://sample-kv.vault.azure.net/secrets/newsecret/ee059b2bb5bc48398a53b168c6cdcb10"
    )
    assert (seen.not_before, seen.expires) == (1559081980.0, 1559082102.0)
    assert (seen.vault_id, seen.subscription_id, seen.resource_group) == (
        VAULT_ID,
        "{subscription-id}",
        "sample-rg",
    )


def test_secret_fields_tolerate_numbers_casing_and_blanks() -> None:
    event = sample("keyvault", "event-grid-schema", "secret_new_version_created")
    event["data"] = {
        "vaultname": "kv2",
        "OBJECTNAME": "s2",
        "version": "v",
        "nbf": 1559081980,
        "Exp": "",
    }

    seen = view(event)

    assert (seen.vault_name, seen.secret_name, seen.version, seen.not_before, seen.expires) == (
        "kv2",
        "s2",
        "v",
        1559081980.0,
        None,
    )


@pytest.mark.parametrize("bad", ["soon", True, [1], {"a": 1}, "1e999"])
def test_a_validity_time_that_is_not_epoch_seconds_is_refused(bad: Any) -> None:
    event = sample("keyvault", "event-grid-schema", "secret_new_version_created")
    event["data"]["EXP"] = bad

    with pytest.raises(EventParseError, match=r"data\.EXP"):
        view(event)


def test_vault_name_falls_back_to_the_topic_then_the_subject() -> None:
    event = retyped(sample("keyvault", "event-grid-schema", "secret_new_version_created"), "x")
    event = retyped({**event, "data": {}}, VaultAccessPolicyChanged.event_type)
    assert view(event).vault_name == "sample-kv"

    event = {**event, "topic": "/subscriptions/s/resourceGroups/rg", "subject": "kv-from-subject"}
    seen = view(event)
    assert type(seen) is VaultAccessPolicyChanged
    assert (seen.vault_name, seen.vault_id, seen.subscription_id) == ("kv-from-subject", None, None)


def test_a_secret_event_without_a_secret_name_is_refused() -> None:
    event = sample("keyvault", "cloud-events-schema", "secret_new_version_created")
    del event["subject"]
    del event["data"]["ObjectName"]

    with pytest.raises(EventParseError, match="ObjectName"):
        view(event)


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize(
    ("name", "cls", "method"),
    [
        ("resource_write_success", ResourceWriteSuccess, None),
        ("resource_delete_success", ResourceDeleteSuccess, "DELETE"),
        ("resource_action_success", ResourceActionSuccess, "POST"),
    ],
)
def test_resource_events_read_the_sample(schema: str, name: str, cls: Any, method: str | None) -> None:
    raw = sample("resources", schema, name)

    seen = view(raw)

    assert type(seen) is cls
    assert (seen.operation_name, seen.resource_uri) == (
        raw["data"]["operationName"],
        raw["data"]["resourceUri"],
    )
    assert (seen.status, seen.http_method, seen.correlation_id) == ("Succeeded", method, "{ID}")
    assert (seen.subscription_id, seen.tenant_id) == ("{subscription-id}", "{tenant-id}")
    assert (seen.principal.object_id, seen.principal.app_id, seen.principal.tenant_id) == ("{ID}",) * 3
    assert seen.acr is None and not (seen.is_registry or seen.is_cache_rule or seen.is_credential_set)


def registry_event(name: str, operation: str, uri: str) -> dict[str, Any]:
    event = sample("resources", "event-grid-schema", name)
    event["data"] = {**event["data"], "operationName": operation, "resourceUri": uri}
    return event


@pytest.mark.parametrize(
    ("operation", "uri", "kind", "child"),
    [
        (
            "Microsoft.ContainerRegistry/registries/credentialSets/write",
            REGISTRY_ID + "/credentialSets/dockerhub",
            AcrKind.CREDENTIAL_SET,
            "dockerhub",
        ),
        (
            "microsoft.containerregistry/REGISTRIES/cacheRules/write",
            REGISTRY_ID.lower() + "/CACHERULES/nginx",
            AcrKind.CACHE_RULE,
            "nginx",
        ),
        ("Microsoft.ContainerRegistry/registries/write", REGISTRY_ID, AcrKind.REGISTRY, None),
        (
            "Microsoft.ContainerRegistry/registries/listCredentials/action",
            REGISTRY_ID,
            AcrKind.REGISTRY,
            None,
        ),
    ],
)
def test_registry_resources_are_classified_by_operation_and_uri(
    operation: str, uri: str, kind: AcrKind, child: str | None
) -> None:
    seen = view(registry_event("resource_write_success", operation, uri))

    assert seen.acr is not None
    assert (seen.acr.kind, seen.acr.name) == (kind, child)
    assert seen.acr.registry_id.lower() == REGISTRY_ID.lower()
    assert seen.acr.registry_id.endswith(
        "/providers/Microsoft.ContainerRegistry/registries/" + seen.acr.registry_name
    )
    assert seen.is_credential_set is (kind is AcrKind.CREDENTIAL_SET)
    assert seen.is_cache_rule is (kind is AcrKind.CACHE_RULE)
    assert seen.is_registry is (kind is AcrKind.REGISTRY)


def test_a_child_resource_id_names_its_kind() -> None:
    found = acr_resource(None, REGISTRY_ID + "/credentialSets/dockerhub")

    assert found is not None
    assert found.resource_id == REGISTRY_ID + "/credentialSets/dockerhub"
    assert (found.subscription_id, found.resource_group, found.registry_name) == ("s1", "rg1", "acr1")


@pytest.mark.parametrize(
    ("operation", "uri"),
    [
        ("Microsoft.ContainerRegistry/registries/credentialSets/write", REGISTRY_ID),
        ("Microsoft.ContainerRegistry/registries/write", REGISTRY_ID + "/cacheRules/nginx"),
        ("Microsoft.ContainerRegistry/registries/replications/write", REGISTRY_ID + "/replications/westus"),
        ("Microsoft.Storage/storageAccounts/write", "/subscriptions/s1/resourceGroups/rg1/providers"),
        ("Microsoft.ContainerRegistry/registries/write", "not a resource id"),
    ],
)
def test_anything_else_is_not_a_registry_resource(operation: str, uri: str) -> None:
    assert view(registry_event("resource_write_success", operation, uri)).acr is None


def test_a_resource_event_without_operation_name_is_refused() -> None:
    event = sample("resources", "event-grid-schema", "resource_delete_success")
    del event["data"]["operationName"]

    with pytest.raises(EventParseError, match="operationName"):
        view(event)


@pytest.mark.parametrize(
    ("provider", "name"),
    [
        ("keyvault", "secret_new_version_created"),
        ("resources", "resource_write_success"),
        ("resources", "resource_delete_success"),
        ("resources", "resource_action_success"),
    ],
)
def test_the_same_event_in_both_schemas_gives_equal_views(provider: str, name: str) -> None:
    grid = view(sample(provider, "event-grid-schema", name))
    cloud = view(sample(provider, "cloud-events-schema", name))

    assert grid == cloud
    assert grid.envelope.schema != cloud.envelope.schema


def test_a_changed_value_makes_views_differ() -> None:
    event = sample("keyvault", "event-grid-schema", "secret_new_version_created")
    other = {**event, "data": {**event["data"], "Version": "0" * 32}}

    assert view(event) != view(other)
    assert view(event) != view(retyped(event, SecretExpired.event_type))


def test_unknown_types_have_no_view() -> None:
    assert view(sample("containerregistry", "event-grid-schema", "image_pushed")) is None
    assert (
        view(retyped(sample("keyvault", "cloud-events-schema", "secret_new_version_created"), "Custom.X"))
        is None
    )


def test_views_are_immutable() -> None:
    seen = view(sample("resources", "event-grid-schema", "resource_write_success"))

    with pytest.raises(dataclasses.FrozenInstanceError):
        seen.operation_name = "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        seen.principal.object_id = "x"
    with pytest.raises(TypeError):
        seen.envelope.data["claims"]["aud"] = "x"


FAKE = "FAKE-SECRET-eyJhbGciOi"


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize(
    "name", ["resource_write_success", "resource_delete_success", "resource_action_success"]
)
def test_repr_names_the_event_and_leaks_no_claim_token_or_request(schema: str, name: str) -> None:
    event = sample("resources", schema, name)
    data = event["data"]
    data["claims"] = {**data["claims"], "aio": FAKE, "oid": FAKE + "-oid", "appid": FAKE + "-app"}
    data["claims"]["http://schemas.microsoft.com/identity/claims/objectidentifier"] = FAKE + "-oid"
    data["authorization"] = {**data["authorization"], "evidence": {"token": FAKE}}
    data["httpRequest"] = {
        "method": "PUT",
        "url": f"https://x/?sig={FAKE}",
        "authorization": f"Bearer {FAKE}",
    }

    seen = view(event)
    shown = repr(seen)

    assert "FAKE-SECRET" not in shown and "FAKE-SECRET" not in str(seen)
    assert type(seen).__name__ in shown and seen.id in shown and seen.operation_name in shown
    assert seen.principal.object_id == FAKE + "-oid"  # read, only not shown


def test_secret_repr_names_the_secret_and_nothing_from_data_it_does_not_read() -> None:
    event = sample("keyvault", "event-grid-schema", "secret_new_version_created")
    event["data"]["value"] = FAKE

    shown = repr(view(event))

    assert FAKE not in shown
    assert "SecretNewVersionCreated" in shown and "newsecret" in shown and "sample-kv" in shown
