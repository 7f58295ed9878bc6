"""Function keys as Core Tools applies them: nothing is checked unless a key was configured.

With a key, FUNCTION- and ADMIN-level HTTP functions, the admin API and the Event Grid webhook
(whose system key is the same key here) need it in the `x-functions-key` header or the `code`
query parameter; ANONYMOUS functions never do.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

ANONYMOUS = "anonymous"


def presented_key(headers: Mapping[str, str], params: Mapping[str, str]) -> str | None:
    """The key a caller sent; the header wins over the query string, as in the host."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return lowered.get("x-functions-key") or params.get("code") or None


def is_authorized(
    configured_key: str | None, auth_level: str, headers: Mapping[str, str], params: Mapping[str, str]
) -> bool:
    if configured_key is None or auth_level.lower() == ANONYMOUS:
        return True
    offered = presented_key(headers, params)
    return offered is not None and hmac.compare_digest(offered.encode(), configured_key.encode())
