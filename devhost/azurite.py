"""Azurite's well-known development account, shared by ``make run`` and the tests."""

from __future__ import annotations

ACCOUNT_NAME = "devstoreaccount1"
# The storage emulator's account key, published by Microsoft for local use; not a secret.
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEFAULT_PORTS = (10000, 10001, 10002)


def connection_string(blob_port: int, queue_port: int, table_port: int) -> str:
    """``UseDevelopmentStorage=true`` on the default ports, else the explicit form with these ports."""
    if (blob_port, queue_port, table_port) == DEFAULT_PORTS:
        return "UseDevelopmentStorage=true"
    base = "http://127.0.0.1"
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint={base}:{blob_port}/{ACCOUNT_NAME};"
        f"QueueEndpoint={base}:{queue_port}/{ACCOUNT_NAME};"
        f"TableEndpoint={base}:{table_port}/{ACCOUNT_NAME};"
    )
