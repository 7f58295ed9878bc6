import json
from datetime import UTC, datetime

import azure.functions as func
import pytest

from devhost.eventgrid import PayloadError, parse_delivery, to_trigger_value

# Derived from Microsoft's Event Grid samples (shared/azure-reference/events): inlined so the
# unit tests do not depend on a directory outside the repository.
KEYVAULT_DATA = {
    "Id": "https://sample-kv.vault.azure.net/secrets/newsecret/ee059b2bb5bc48398a53b168c6cdcb10",
    "VaultName": "sample-kv",
    "ObjectType": "Secret",
    "ObjectName": "newsecret",
    "Version": "ee059b2bb5bc48398a53b168c6cdcb10",
    "NBF": "1559081980",
    "EXP": "1559082102",
}
VAULT = (
    "/subscriptions/{subscription-id}/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/sample-kv"
)
EVENT_GRID_SAMPLE = {
    "id": "00eccf70-95a7-4e7c-8299-2eb17ee9ad64",
    "topic": VAULT,
    "subject": "newsecret",
    "eventType": "Microsoft.KeyVault.SecretNewVersionCreated",
    "eventTime": "2019-07-25T01:08:33.1036736Z",
    "data": KEYVAULT_DATA,
    "dataVersion": "1",
    "metadataVersion": "1",
}
CLOUD_EVENT_SAMPLE = {
    "source": VAULT,
    "subject": "newsecret",
    "type": "Microsoft.KeyVault.SecretNewVersionCreated",
    "time": "2019-07-25T01:08:33.1036736Z",
    "id": "00eccf70-95a7-4e7c-8299-2eb17ee9ad64",
    "data": KEYVAULT_DATA,
    "specversion": "1.0",
}
RESOURCE_DELETE_MISSPELT = {  # resource_delete_success.json spells specVersion
    "source": "/subscriptions/{subscription-id}/resourceGroups/{resource-group}",
    "subject": "/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/x/y/z",
    "type": "Microsoft.Resources.ResourceDeleteSuccess",
    "time": "2018-07-19T19:24:12.7638810Z",
    "id": "19a69642-1aad-4a96-a5ab-8d05494513ce",
    "data": {"operationName": "Microsoft.Storage/storageAccounts/delete"},
    "specVersion": "1.0",
}


def test_event_grid_schema_maps_every_field() -> None:
    raw = EVENT_GRID_SAMPLE
    delivery = parse_delivery(json.dumps([raw]).encode(), "application/json", "Notification")
    event = to_trigger_value(delivery.events[0])
    assert isinstance(event, func.EventGridEvent)
    assert (event.id, event.subject, event.event_type, event.data_version) == (
        raw["id"],
        "newsecret",
        "Microsoft.KeyVault.SecretNewVersionCreated",
        "1",
    )
    assert event.topic == raw["topic"]
    assert event.get_json() == raw["data"]
    assert event.event_time == datetime(2019, 7, 25, 1, 8, 33, 103673, tzinfo=UTC)


def test_single_cloud_event_maps_to_event_grid_event() -> None:
    raw = CLOUD_EVENT_SAMPLE
    delivery = parse_delivery(json.dumps(raw).encode(), "application/cloudevents+json; charset=utf-8", None)
    event = to_trigger_value(delivery.events[0])
    assert isinstance(event, func.EventGridEvent)
    assert event.event_type == raw["type"]
    assert event.topic == raw["source"]
    assert event.subject == raw["subject"]
    assert event.data_version == ""
    assert event.event_time == datetime(2019, 7, 25, 1, 8, 33, 103673, tzinfo=UTC)


def test_cloud_event_batch_and_misspelt_specversion() -> None:
    raw = RESOURCE_DELETE_MISSPELT
    delivery = parse_delivery(json.dumps([raw, raw]).encode(), "application/cloudevents-batch+json", None)
    events = [to_trigger_value(e) for e in delivery.events]
    assert [e.event_type for e in events] == [raw["type"], raw["type"]]


def test_cloud_event_annotation_gets_the_library_cloud_event() -> None:
    raw = CLOUD_EVENT_SAMPLE
    event = to_trigger_value(parse_delivery(json.dumps(raw).encode(), "", None).events[0], func.CloudEvent)
    assert isinstance(event, func.CloudEvent)
    assert (event.type, event.source, event.specversion) == (raw["type"], raw["source"], "1.0")


def test_validation_handshake_by_header_or_event_type() -> None:
    validation = [
        {
            "id": "1",
            "topic": "/subscriptions/x",
            "subject": "",
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "eventTime": "2024-01-01T00:00:00Z",
            "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
            "dataVersion": "2",
        }
    ]
    body = json.dumps(validation).encode()
    assert parse_delivery(body, "application/json", "SubscriptionValidation").validation_code == (
        "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"
    )
    assert (
        parse_delivery(body, "application/json", None).validation_code
        == "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"
    )


@pytest.mark.parametrize("body", [b"not json", b'{"a": 1}', b"[1, 2]", b'[{"eventType": "x"}]'])
def test_bad_payloads(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_delivery(body, "application/json", "Notification")
