"""Payload builders against Microsoft's official samples (same keys and shape, both schemas)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.eventgrid import payloads
from tests.support.reference import AZURE_REFERENCE

EVENTS = AZURE_REFERENCE / "events"
NOW = 1_700_000_000.25


def sample(provider: str, schema: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / provider / schema / f"{name}.json").read_text())
    if "specVersion" in data:  # a known quirk of two samples; the wire attribute is `specversion`
        data["specversion"] = data.pop("specVersion")
    return data


def kv_event(event_type: str = "Microsoft.KeyVault.SecretNewVersionCreated") -> dict[str, Any]:
    return payloads.keyvault_event(
        event_type=event_type,
        subscription_id="sub-1",
        resource_group="sample-rg",
        vault="sample-kv",
        object_type="Secret",
        object_name="newsecret",
        version="ee059b2bb5bc48398a53b168c6cdcb10",
        nbf=1559081980,
        exp=1559082102,
        now=NOW,
    )


def resource_event(kind: str, operation: str) -> dict[str, Any]:
    return payloads.resource_event(
        event_type=f"Microsoft.Resources.{kind}",
        subscription_id="sub-1",
        resource_id="/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r1"
        "/credentialSets/cs1",
        operation_name=operation,
        principal_id="principal-1",
        tenant_id="tenant-1",
        status="Succeeded",
        now=NOW,
    )


def test_keyvault_event_has_the_sample_shape_in_event_grid_schema() -> None:
    expected = sample("keyvault", "event-grid-schema", "secret_new_version_created")
    event = kv_event()
    assert event.keys() == expected.keys()
    assert list(event["data"]) == list(expected["data"])
    assert (
        event["topic"]
        == "/subscriptions/sub-1/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/sample-kv"
    )
    for key in ("subject", "eventType", "dataVersion", "metadataVersion"):
        assert event[key] == expected[key]
    for key in ("Id", "VaultName", "ObjectType", "ObjectName", "Version"):
        assert event["data"][key] == expected["data"][key]
    # The event model types NBF/EXP as numbers (the samples carry strings of the same value).
    assert event["data"]["NBF"] == int(expected["data"]["NBF"])
    assert event["data"]["EXP"] == int(expected["data"]["EXP"])


def test_keyvault_event_has_the_sample_shape_in_cloud_events_schema() -> None:
    expected = sample("keyvault", "cloud-events-schema", "secret_new_version_created")
    event = payloads.to_cloud_event(kv_event())
    assert event.keys() == expected.keys()
    assert event["source"].endswith("/providers/Microsoft.KeyVault/vaults/sample-kv")
    assert (event["subject"], event["type"], event["specversion"]) == (
        expected["subject"],
        expected["type"],
        "1.0",
    )
    assert list(event["data"]) == list(expected["data"])


def test_event_time_is_utc_with_seven_fraction_digits() -> None:
    assert payloads.event_time(NOW) == "2023-11-14T22:13:20.2500000Z"
    assert len(kv_event()["eventTime"]) == len(
        sample("keyvault", "event-grid-schema", "secret_new_version_created")["eventTime"]
    )


@pytest.mark.parametrize(
    "event_type", ["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"]
)
def test_expiry_events_share_the_new_version_data(event_type: str) -> None:
    event = kv_event(event_type)
    assert event["eventType"] == event_type
    assert event["subject"] == "newsecret"
    assert event["data"] == kv_event()["data"]


def test_access_policy_change_is_about_the_vault() -> None:
    event = kv_event("Microsoft.KeyVault.VaultAccessPolicyChanged")
    assert event["subject"] == "sample-kv"
    assert list(event["data"]) == ["Id", "VaultName", "ObjectType", "ObjectName", "Version", "NBF", "EXP"]
    assert event["data"]["VaultName"] == "sample-kv"
    assert (event["data"]["Version"], event["data"]["NBF"], event["data"]["EXP"]) == (None, None, None)


def test_missing_version_and_dates_are_null_and_id_is_versionless() -> None:
    event = payloads.keyvault_event(
        event_type="Microsoft.KeyVault.SecretNewVersionCreated",
        subscription_id="s",
        resource_group="g",
        vault="v",
        object_type="Secret",
        object_name="n",
        version=None,
        nbf=None,
        exp=None,
        now=NOW,
    )
    assert event["data"]["Id"] == "https://v.vault.azure.net/secrets/n"
    assert (event["data"]["NBF"], event["data"]["EXP"], event["data"]["Version"]) == (None, None, None)


@pytest.mark.parametrize(
    ("kind", "sample_name", "operation", "method"),
    [
        (
            "ResourceWriteSuccess",
            "resource_write_success",
            "Microsoft.ContainerRegistry/registries/credentialSets/write",
            "PUT",
        ),
        (
            "ResourceDeleteSuccess",
            "resource_delete_success",
            "Microsoft.ContainerRegistry/registries/credentialSets/delete",
            "DELETE",
        ),
        (
            "ResourceActionSuccess",
            "resource_action_success",
            "Microsoft.ContainerRegistry/registries/credentialSets/listKeys/action",
            "POST",
        ),
    ],
)
def test_resource_events_have_the_sample_shape(
    kind: str, sample_name: str, operation: str, method: str
) -> None:
    expected = sample("resources", "event-grid-schema", sample_name)
    event = resource_event(kind, operation)
    assert event.keys() == expected.keys()
    # Every data key of the sample is present (the write sample omits httpRequest; the others carry it).
    assert set(expected["data"]) <= set(event["data"])
    assert set(event["data"]) - set(expected["data"]) <= {"httpRequest"}
    assert event["data"]["authorization"].keys() == expected["data"]["authorization"].keys()
    assert (
        event["data"]["httpRequest"].keys()
        == sample("resources", "event-grid-schema", "resource_delete_success")["data"]["httpRequest"].keys()
    )
    assert event["data"]["httpRequest"]["method"] == method
    assert event["topic"] == "/subscriptions/sub-1"
    assert event["subject"] == event["data"]["resourceUri"] == event["data"]["authorization"]["scope"]
    assert event["data"]["operationName"] == event["data"]["authorization"]["action"] == operation
    assert event["data"]["resourceProvider"] == "Microsoft.ContainerRegistry"
    assert (event["dataVersion"], event["metadataVersion"]) == (
        expected["dataVersion"],
        expected["metadataVersion"],
    )
    assert (
        event["data"]["claims"].keys()
        == sample("resources", "event-grid-schema", "resource_action_success")["data"]["claims"].keys()
    )
    assert (
        event["data"]["claims"]["http://schemas.microsoft.com/identity/claims/objectidentifier"]
        == "principal-1"
    )
    assert event["data"]["authorization"]["evidence"]["principalId"] == "principal-1"
    assert (event["data"]["subscriptionId"], event["data"]["tenantId"]) == ("sub-1", "tenant-1")
    ce_expected = sample("resources", "cloud-events-schema", sample_name)
    assert payloads.to_cloud_event(event).keys() == ce_expected.keys()


def test_action_request_url_ends_with_the_action_name() -> None:
    event = resource_event("ResourceActionSuccess", "Microsoft.KeyVault/vaults/accessPolicies/add/action")
    url = event["data"]["httpRequest"]["url"]
    assert url.startswith("https://management.azure.com/subscriptions/sub-1/")
    assert "/credentialSets/cs1/add?api-version=" in url


def test_unknown_event_types_are_refused() -> None:
    with pytest.raises(ValueError):
        kv_event("Microsoft.KeyVault.KeyNewVersionCreated")
    with pytest.raises(ValueError):
        resource_event("ResourceWriteFailure", "x/write")


def test_render_keeps_event_grid_events_and_maps_cloud_events() -> None:
    event = kv_event()
    assert payloads.render(event, payloads.EVENT_GRID_SCHEMA) == event
    assert payloads.render(event, payloads.CLOUD_EVENT_SCHEMA)["type"] == event["eventType"]


def test_validation_event_carries_code_and_url() -> None:
    event = payloads.validation_event(topic="/subscriptions/s", subscription_name="sub", code="C0DE", now=NOW)
    assert event["eventType"] == "Microsoft.EventGrid.SubscriptionValidationEvent"
    assert event["data"]["validationCode"] == "C0DE"
    assert event["data"]["validationUrl"].startswith("https://")
    assert {"id", "topic", "subject", "eventTime", "dataVersion", "metadataVersion"} <= event.keys()
