"""Managed identities and the tokens the emulator issues and accepts.

Tokens are HS256 JWTs signed with a secret kept in the data dir (so tokens survive a restart of `make run`);
az and the SDKs decode them unverified, the emulator verifies them. Token expiry is checked against real
time (MSAL caches tokens by real time, so the emulator clock must not expire them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.constants import APP_PRINCIPAL_ID, TENANT_ID
from emulator.http import ServiceError

TOKEN_LIFETIME_SECONDS = 24 * 3600
KEY_FILE = "token-signing-key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Principal:
    principal_id: str
    kind: str  # "app" | "credentialSet" | "external"
    created: float


class IdentityBackend:
    def __init__(self, data_dir: Path) -> None:
        self._key = self._load_key(data_dir)
        self.principals: dict[str, Principal] = {}

    @staticmethod
    def _load_key(data_dir: Path) -> bytes:
        path = data_dir / KEY_FILE
        if path.exists():
            return path.read_bytes()
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key

    def reset(self, now: float) -> None:
        self.principals = {APP_PRINCIPAL_ID: Principal(APP_PRINCIPAL_ID, "app", now)}

    def new_system_identity(self, now: float) -> Principal:
        principal = Principal(str(uuid.uuid4()), "credentialSet", now)
        self.principals[principal.principal_id] = principal
        return principal

    def delete(self, principal_id: str) -> None:
        """A system-assigned identity ends with its resource."""
        self.principals.pop(principal_id, None)

    def issue(self, principal_id: str, resource: str) -> dict[str, Any]:
        """Answer of the App Service managed identity endpoint (api-version 2019-08-01)."""
        issued = int(time.time())
        claims = {
            "aud": resource,
            "iss": f"https://sts.windows.net/{TENANT_ID}/",
            "iat": issued,
            "nbf": issued,
            "exp": issued + TOKEN_LIFETIME_SECONDS,
            "oid": principal_id,
            "sub": principal_id,
            "appid": principal_id,
            "tid": TENANT_ID,
            "idtyp": "app",
            "ver": "1.0",
        }
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims).encode())
        signature = _b64(hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return {
            "access_token": f"{header}.{payload}.{signature}",
            "expires_on": str(claims["exp"]),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": principal_id,
        }

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """Claims of a valid `Authorization: Bearer` token; ServiceError 401 otherwise."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise ServiceError(
                401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
            )
        token = authorization[7:].strip()
        try:
            header, payload, signature = token.split(".")
            expected = _b64(hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
            claims: dict[str, Any] = json.loads(_unb64(payload))
        except ValueError as exc:
            raise ServiceError(401, "InvalidAuthenticationToken", "The access token is invalid.") from exc
        if not hmac.compare_digest(expected, signature):
            raise ServiceError(401, "InvalidAuthenticationToken", "The access token signature is invalid.")
        if int(claims.get("exp", 0)) < time.time():
            raise ServiceError(
                401, "ExpiredAuthenticationToken", "The access token expiry UTC time is in the past."
            )
        if not claims.get("oid"):
            raise ServiceError(401, "InvalidAuthenticationToken", "The access token has no 'oid' claim.")
        return claims
