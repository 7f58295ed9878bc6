"""Artifact cache credential health, as ACR reports it in `authCredentials[i].credentialHealth`.

Healthy only when the credential set's identity may `get` both secrets (access policy, or an effective
Key Vault Secrets User/Officer/Administrator role on an RBAC vault), both secrets exist, are enabled and
inside nbf/exp on the emulator clock, and the secret VALUES are a valid login at the upstream. Versionless
URIs follow the latest version, versioned URIs stay pinned. Health is re-evaluated on credential set writes
and when `healthRefreshSeconds` have passed since the last evaluation (0 = on every read).

errorCode values (first failing check wins, username secret before password secret):
- Forbidden: the identity has no secret `get` grant on the vault. Code and access-policy message are the
  service's (2026 azure-cli recording: Key Vault's own message, naming the vault and its region). The RBAC
  vault's message is Key Vault's RBAC denial text: an assumption, no recording shows it;
- SecretNotFound: the secret (or the pinned version) does not exist, with Key Vault's message (Key Vault's own
  code for a missing secret);
- assumptions (no source shows what the service reports): VaultNotFound (the URI names no vault),
  SecretDisabled, SecretNotYetValid, SecretExpired (Key Vault itself serves expired and not-yet-valid secrets,
  so the service may not flag them), UpstreamAuthenticationFailed (the pair does not log in upstream).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.backends.access import VaultAccess
from emulator.backends.containerregistry import AuthCredential, CredentialSet
from emulator.backends.keyvault_data import KeyVaultDataBackend, secret_not_found_message
from emulator.backends.keyvault_mgmt import KeyVaultMgmtBackend, Vault
from emulator.backends.secret_uri import parse_secret_uri
from emulator.backends.upstreams import UpstreamAccounts
from emulator.constants import TENANT_ID
from emulator.http import ServiceError


class _Unhealthy(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class HealthEvaluator:
    def __init__(
        self,
        *,
        vaults: KeyVaultMgmtBackend,
        secrets: KeyVaultDataBackend,
        access: VaultAccess,
        upstreams: UpstreamAccounts,
        now: Callable[[], float],
        refresh_seconds: Callable[[], float],
    ) -> None:
        self._vaults, self._secrets, self._access = vaults, secrets, access
        self._upstreams, self._now, self._refresh_seconds = upstreams, now, refresh_seconds

    def evaluate(self, cs: CredentialSet) -> None:
        cs.health = [self._credential(cs, cred) for cred in cs.credentials]
        cs.health_evaluated = self._now()

    def refresh(self, cs: CredentialSet) -> None:
        due = cs.health_evaluated is None or self._now() - cs.health_evaluated >= self._refresh_seconds()
        if due:
            self.evaluate(cs)

    def _credential(self, cs: CredentialSet, cred: AuthCredential) -> dict[str, Any]:
        try:
            username = self._secret_value(cs, cred.username_uri, "username")
            password = self._secret_value(cs, cred.password_uri, "password")
            if not self._upstreams.valid(cs.login_server, username, password):
                raise _Unhealthy(
                    "UpstreamAuthenticationFailed",
                    f"The username and password in the secrets do not log in to '{cs.login_server}'.",
                )
        except _Unhealthy as failure:
            return {"status": "Unhealthy", "errorCode": failure.code, "errorMessage": failure.message}
        return {"status": "Healthy"}

    def _secret_value(self, cs: CredentialSet, uri: str, label: str) -> str:
        try:
            ref = parse_secret_uri(uri)
        except ServiceError as exc:
            raise _Unhealthy("SecretNotFound", exc.message) from exc
        vault = self._vaults.by_name(ref.vault)
        if vault is None:
            raise _Unhealthy("VaultNotFound", f"The {label} secret's vault '{ref.vault}' does not exist.")
        if not self._access.allowed(cs.principal_id, vault, "get"):
            raise _Unhealthy("Forbidden", _forbidden_message(cs.principal_id, vault, ref.name))
        found = self._secrets.find(ref.vault, ref.name, ref.version)
        if found is None:
            label_id = f"{ref.name}/{ref.version}" if ref.version else ref.name
            raise _Unhealthy("SecretNotFound", secret_not_found_message(label_id))
        _, version = found
        now = self._now()
        if not version.enabled:
            raise _Unhealthy("SecretDisabled", f"The {label} secret '{ref.name}' is disabled.")
        if version.nbf is not None and now < version.nbf:
            raise _Unhealthy(
                "SecretNotYetValid", f"The {label} secret '{ref.name}' is not valid before {version.nbf}."
            )
        if version.exp is not None and now >= version.exp:
            raise _Unhealthy("SecretExpired", f"The {label} secret '{ref.name}' expired at {version.exp}.")
        return version.value


def _forbidden_message(principal_id: str, vault: Vault, secret: str) -> str:
    caller = f"appid={principal_id};oid={principal_id};iss=https://sts.windows.net/{TENANT_ID}/"
    where = f"{vault.name};location={vault.location}"
    if vault.rbac:
        return (
            "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or "
            "role definitions were changed recently, please observe propagation time.\r\n"
            f"Caller: {caller}\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\n"
            f"Resource: '{vault.id.lower()}/secrets/{secret}'\r\nAssignment: (not found)\r\n"
            f"DecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: {where}\r\n"
        )
    return (
        f"The user, group or application 'name=microsoft.containerregistry/registries;{caller}' does not have "
        f"secrets get permission on key vault '{where}'. For help resolving this issue, please see "
        "https://go.microsoft.com/fwlink/?linkid=2125287"
    )
