"""Granting a credential set's identity secret ``get`` in each vault's own permission model, and checking it.

:meth:`AccessService.check_vaults` is the one gate for every path that grants, reads or points at a vault: the
vault must be in the managed subscriptions, in ``ALLOWED_VAULTS`` when that is set, and in the app's tenant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from shared.domain.errors import FieldError, ReferenceConflict, ValidationFailed
from shared.domain.models import CredentialSet, SecretUri, Vault
from shared.domain.roles import SECRET_READER_ROLES, role_guid
from shared.domain.secrets import SecretUriError, parse_secret_uri
from shared.logs import event
from shared.services.ports import Roles, Vaults
from shared.services.rollback import NotAsLeft, Rollback

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class GrantCheck:
    vault: str
    model: str  # "accessPolicy" | "rbac"
    present: bool


def _no_fence(doing: str) -> None:
    return None


# The vaults read by the current request (see AccessService.reading_once); None outside one.
_READ: ContextVar[dict[str, Vault | None] | None] = ContextVar("vaults_read", default=None)


class AccessService:
    def __init__(
        self,
        *,
        vaults: Vaults,
        roles: Roles,
        dns_suffix: str,
        allowed_vaults: Collection[str] = (),
        tenant_id: str | None = None,
        fence: Callable[[str], None] = _no_fence,
    ) -> None:
        self.vaults = vaults
        self.roles = roles
        self.dns_suffix = dns_suffix
        self.allowed_vaults = frozenset(v.lower() for v in allowed_vaults)
        self.tenant_id = tenant_id.lower() if tenant_id else None
        self.fence = fence  # checked before every write (leases still held, deadline not passed)

    @contextmanager
    def reading_once(self) -> Iterator[None]:
        """Within this block each vault is read once: the gate, the grant decision and the grant share that read,
        as one request's steps moments apart. Checks after a write (``verify``) still read afresh."""
        token = _READ.set({}) if _READ.get() is None else None
        try:
            yield
        finally:
            if token is not None:
                _READ.reset(token)

    def _find(self, name: str) -> Vault | None:
        read = _READ.get()
        if read is None:
            return self.vaults.find_vault(name)
        key = name.lower()
        if key not in read:
            read[key] = self.vaults.find_vault(name)
        return read[key]

    def vault_problem(self, vault_name: str, found: Vault | None) -> str | None:
        """Why the app may not use this vault, or None."""
        if self.allowed_vaults and vault_name.lower() not in self.allowed_vaults:
            return (
                f"Key Vault '{vault_name}' is not in ALLOWED_VAULTS "
                f"({', '.join(sorted(self.allowed_vaults))}): the app neither grants nor reads there"
            )
        if found is None:
            return f"Key Vault '{vault_name}' was not found in the subscriptions this app manages"
        if self.tenant_id and found.tenant_id.lower() != self.tenant_id:
            return (
                f"Key Vault '{vault_name}' belongs to tenant {found.tenant_id}, not this app's tenant: "
                "a credential set's identity can only be granted access in its own tenant"
            )
        return None

    def check_vaults(self, *uris: tuple[str, SecretUri | str | None]) -> None:
        """Every ``(field, secret URI)`` names a vault the app may use, naming each field that does not.

        A URI this deployment refuses by its form or ``ALLOWED_VAULTS`` (both stated in the OpenAPI document) is
        a 400; a well-formed one whose vault is not found or is in another tenant conflicts with Azure's state
        (409 ``ReferenceConflict``): creating or moving the vault makes the same request work."""
        invalid: list[FieldError] = []
        unusable: list[FieldError] = []
        found: dict[str, str | None] = {}
        for field, uri in uris:
            if uri is None:
                continue
            try:
                parsed = (
                    uri if isinstance(uri, SecretUri) else parse_secret_uri(uri, dns_suffix=self.dns_suffix)
                )
            except SecretUriError as exc:
                invalid.append(FieldError(field=field, message=f"{uri}: {exc}"))
                continue
            name = parsed.vault.lower()
            allowed = not self.allowed_vaults or name in self.allowed_vaults
            if name not in found:  # both secrets usually live in one vault: read it once
                found[name] = self.vault_problem(parsed.vault, self._find(name) if allowed else None)
            problem = found[name]
            if problem:
                (unusable if allowed else invalid).append(FieldError(field=field, message=problem))
        if invalid:
            raise ValidationFailed("The secrets are in vaults the app cannot use", errors=invalid + unusable)
        if unusable:
            raise ReferenceConflict("The secrets are in vaults the app cannot use", errors=unusable)

    def check_set_vaults(self, credential_set: CredentialSet, *, field: str) -> None:
        """The vaults an existing credential set points at (a rule naming it, a PATCH, a heal)."""
        self.check_vaults(
            (f"{field} ({credential_set.name}).usernameSecretUri", credential_set.username_secret_uri),
            (f"{field} ({credential_set.name}).passwordSecretUri", credential_set.password_secret_uri),
        )

    def vault_names(self, credential_set: CredentialSet) -> list[str]:
        names = []
        for uri in (credential_set.username_secret_uri, credential_set.password_secret_uri):
            vault = parse_secret_uri(uri, dns_suffix=self.dns_suffix).vault
            if vault not in names:
                names.append(vault)
        return names

    def _vault(self, name: str) -> Vault:
        """A vault to grant on, through the same gate as every other path (a caller may have skipped it)."""
        vault = self._find(name) if not self.allowed_vaults or name.lower() in self.allowed_vaults else None
        problem = self.vault_problem(name, vault)
        if problem or vault is None:
            raise ValidationFailed.of(
                "The secrets are in vaults the app cannot use", field="vault", message=problem or name
            )
        return vault

    def has_grant(self, vault: Vault, principal_id: str) -> bool:
        if vault.rbac:
            return any(
                role_guid(a.role_definition_id) in SECRET_READER_ROLES
                for a in self.roles.assignments_for(vault.id, principal_id)
            )
        return vault.policy_grants_get(principal_id)

    def check(self, credential_set: CredentialSet) -> list[GrantCheck]:
        principal = credential_set.principal_id or ""
        checks = []
        for name in self.vault_names(credential_set):
            vault = self.vaults.find_vault(name)
            present = bool(vault and principal and self.has_grant(vault, principal))
            model = "rbac" if vault and vault.rbac else "accessPolicy"
            checks.append(GrantCheck(vault=name, model=model, present=present))
        return checks

    def ensure(
        self,
        credential_set: CredentialSet,
        rollback: Rollback,
        *,
        in_use: Callable[[], bool] = lambda: False,
    ) -> list[Vault]:
        """Grant where missing (recording undo steps); returns the vaults granted now. Existing grants count.

        ``in_use`` tells the undo whether a cache rule now stands on the set (then the grant stays)."""
        principal = credential_set.principal_id
        if not principal:
            raise ValidationFailed(f"credential set '{credential_set.name}' has no managed identity to grant")
        granted = []
        for name in self.vault_names(credential_set):
            vault = self._vault(name)
            if self.has_grant(vault, principal):
                continue
            self.fence(f"granting {principal} secret get on vault '{vault.name}'")
            if vault.rbac:
                assignment = self.roles.grant_secrets_user(vault.id, principal)
                if assignment is not None:
                    rollback.add(
                        f"roleAssignment:{vault.name}",
                        self._undo_role(assignment.id, in_use),
                        resource_id=assignment.id,
                        action=f"delete role assignment {assignment.id} if no cache rule uses "
                        f"credential set '{credential_set.name}'",
                    )
            else:
                tenant = credential_set.tenant_id or vault.tenant_id
                self.vaults.add_secret_get_policy(vault, tenant_id=tenant, object_id=principal)
                rollback.add(
                    f"accessPolicy:{vault.name}",
                    self._undo_policy(vault, tenant, principal, in_use),
                    resource_id=vault.id,
                    action=f"remove the access policy of object {principal} from vault '{vault.name}' if no "
                    f"cache rule uses credential set '{credential_set.name}'",
                )
            event(
                log,
                logging.INFO,
                "SecretGetGranted",
                vault=vault.name,
                principalId=principal,
                model="rbac" if vault.rbac else "accessPolicy",
            )
            granted.append(vault)
        return granted

    def _undo_role(self, assignment_id: str, in_use: Callable[[], bool]) -> Callable[[], object]:
        def undo() -> None:
            if in_use():
                raise NotAsLeft("a cache rule now uses the credential set this grant is for")
            self.roles.delete(assignment_id)
            event(log, logging.INFO, "GrantRemoved", roleAssignment=assignment_id, why="rollback")

        return undo

    def _undo_policy(
        self, vault: Vault, tenant: str, principal: str, in_use: Callable[[], bool]
    ) -> Callable[[], object]:
        def undo() -> None:
            if in_use():
                raise NotAsLeft("a cache rule now uses the credential set this grant is for")
            self.vaults.remove_secret_get_policy(vault, tenant_id=tenant, object_id=principal)
            event(log, logging.INFO, "GrantRemoved", vault=vault.name, principalId=principal, why="rollback")

        return undo

    def unconfirmed(self, granted: Collection[Vault], principal_id: str) -> list[str]:
        """Of the vaults :meth:`ensure` granted on just now, those where a fresh read does not show the grant.

        Needed only when one of them is RBAC: a role assignment may take minutes to act, so the health verdict
        that follows may still say Forbidden and cannot prove any grant. Without one, ``add`` answered success
        and that verdict must be Healthy, the service's own proof, so reading the vaults back adds nothing."""
        if not any(v.rbac for v in granted):
            return []
        missing = []
        for vault in granted:
            fresh = vault if vault.rbac else self.vaults.find_vault(vault.name)
            if fresh is None or not self.has_grant(fresh, principal_id):
                missing.append(vault.name)
        return missing

    def verify(self, credential_set: CredentialSet) -> list[str]:
        """The vaults where the grant is still missing after :meth:`ensure` (fresh reads)."""
        return [c.vault for c in self.check(credential_set) if not c.present]

    def revoke(self, credential_set: CredentialSet) -> list[str]:
        """Remove this identity's grants (used when its credential set is deleted); returns the vaults cleaned."""
        principal = credential_set.principal_id
        if not principal:
            return []
        cleaned = []
        for name in self.vault_names(credential_set):
            vault = self.vaults.find_vault(name)
            if vault is None:
                continue
            if vault.rbac:
                for assignment in self.roles.assignments_for(vault.id, principal):
                    if role_guid(assignment.role_definition_id) in SECRET_READER_ROLES and (
                        assignment.scope.lower() == vault.id.lower()
                    ):
                        self.fence(f"removing role assignment {assignment.id}")
                        self.roles.delete(assignment.id)
                        cleaned.append(vault.name)
            elif vault.policy_grants_get(principal):
                tenant = credential_set.tenant_id or vault.tenant_id
                self.fence(f"removing the access policy of {principal} on vault '{vault.name}'")
                self.vaults.remove_secret_get_policy(vault, tenant_id=tenant, object_id=principal)
                cleaned.append(vault.name)
        if cleaned:
            event(
                log,
                logging.INFO,
                "GrantRemoved",
                credentialSet=credential_set.name,
                principalId=principal,
                vaults=cleaned,
                why="credential set deleted",
            )
        return cleaned
