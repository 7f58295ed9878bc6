"""The Azurite fixture starts the pinned Azurite and the real Tables SDK works against it."""

from __future__ import annotations

from pathlib import Path

from azure.data.tables import TableServiceClient

from devhost.azurite import ACCOUNT_NAME
from tests.support.azurite import start_azurite


def test_table_service_client_creates_a_table(tmp_path: Path) -> None:
    with start_azurite(tmp_path) as azurite:
        assert f"AccountName={ACCOUNT_NAME};" in azurite.connection_string
        assert (
            f"TableEndpoint=http://127.0.0.1:{azurite.table_port}/{ACCOUNT_NAME};"
            in azurite.connection_string
        )
        service = TableServiceClient.from_connection_string(azurite.connection_string)
        table = service.create_table("devhostprobe")
        table.upsert_entity({"PartitionKey": "p", "RowKey": "r", "value": 1})
        assert table.get_entity("p", "r")["value"] == 1
        assert [t.name for t in service.list_tables()] == ["devhostprobe"]
    assert azurite.process.poll() is not None
