"""Caller authorisation beyond the function key: an app role from the Entra ID principal Easy Auth passes in.

App Service authentication puts the validated token's claims, base64-encoded JSON, in ``X-MS-CLIENT-PRINCIPAL``;
the platform strips that header from outside requests, so its presence means the platform vouched for it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from shared.domain.errors import Forbidden, Unauthorized

PRINCIPAL_HEADER = "x-ms-client-principal"


def principal_roles(header: str) -> set[str]:
    try:
        principal: Any = json.loads(base64.b64decode(header, validate=False))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Unauthorized("X-MS-CLIENT-PRINCIPAL is not a valid client principal") from None
    if not isinstance(principal, dict):
        raise Unauthorized("X-MS-CLIENT-PRINCIPAL is not a valid client principal")
    role_type = str(principal.get("role_typ") or "roles")
    claims = principal.get("claims") or []
    return {
        str(c.get("val"))
        for c in claims
        if isinstance(c, dict)
        and c.get("typ")
        in (role_type, "roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role")
    }


def require_role(required: str | None, header: str | None) -> None:
    if not required:
        return
    if not header:
        raise Unauthorized(f"this API requires an Entra ID caller with the app role '{required}'")
    if required not in principal_roles(header):
        raise Forbidden(f"the caller does not hold the app role '{required}'")
