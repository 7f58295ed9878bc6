"""Identifiers the emulator shares with the app, the seed and the tests (keep them in step with DESIGN.md)."""

from __future__ import annotations

SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000001"
SUBSCRIPTION_NAME = "Local subscription"
TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
APP_PRINCIPAL_ID = "00000000-0000-0000-0000-0000000000a1"
# An operator (as the subscription owner who made the vaults): manages every vault's secrets. Tests arrange state as
# this principal, so enforcing mode, which limits only the app's principal, sees exactly what the app itself does.
OPERATOR_PRINCIPAL_ID = "00000000-0000-0000-0000-00000000ad01"
KEYVAULT_DNS_SUFFIX = ".vault.azure.net"
ACR_LOGIN_SUFFIX = ".azurecr.io"
LOGIN_ENDPOINT = "https://login.microsoftonline.com"
KEYVAULT_AUDIENCE = "https://vault.azure.net"
ANSWER_API_VERSION_ACR = "2025-11-01"
