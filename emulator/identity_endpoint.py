"""Handler: the App Service managed identity endpoint (IDENTITY_ENDPOINT protocol, api-version 2019-08-01).

`principal_id` (or MSAL's `object_id`/`client_id`) selects another identity; the default is the app's own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from emulator.constants import APP_PRINCIPAL_ID
from emulator.http import Request, Response

if TYPE_CHECKING:
    from emulator.state import EmulatorState

PATH = "/msi/token"
_GUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _bad(message: str) -> Response:
    return Response(400, {"statusCode": 400, "message": message, "correlationId": ""})


def token(state: EmulatorState, request: Request) -> Response:
    if not request.header("X-IDENTITY-HEADER"):
        return _bad("The X-IDENTITY-HEADER header is required.")
    if request.query.get("api-version", "2019-08-01") != "2019-08-01":
        return _bad("Only api-version 2019-08-01 is supported.")
    resource = request.query.get("resource") or request.query.get("scope") or ""
    resource = resource.removesuffix("/.default").strip()
    if not resource:
        return _bad("A resource (or scope) parameter is required.")
    principal = next(
        (request.query[k] for k in ("principal_id", "object_id", "client_id") if request.query.get(k)),
        APP_PRINCIPAL_ID,
    )
    if not _GUID.fullmatch(principal):
        return _bad(f"'{principal}' is not a principal id (GUID).")
    return Response(200, state.identity.issue(principal.lower(), resource))
