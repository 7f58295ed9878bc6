"""The HTTP routes function_app.py registers, read once per process.

``FunctionApp.get_functions()`` may run only once per app (a second call fails on duplicate names), so every
test reads the routes from this cached helper instead of indexing the app itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
EVERY_METHOD = frozenset({"*"})  # the trigger lists no methods: the host routes every method to it


def _route_prefix() -> str:
    host = json.loads((ROOT / "host.json").read_text())
    return str(host.get("extensions", {}).get("http", {}).get("routePrefix", "api")).strip("/")


@cache
def http_routes() -> dict[str, dict[str, frozenset[str]]]:
    """``{"/api/route": {"methods": {...lower-case} or EVERY_METHOD, "auth": {"FUNCTION"}}}`` per HTTP function."""
    import function_app

    prefix = _route_prefix()
    routes: dict[str, dict[str, frozenset[str]]] = {}
    for function in function_app.app.get_functions():
        if not function.is_http_function():
            continue
        trigger = function.get_trigger()
        path = "/" + "/".join(p for p in (prefix, trigger.route.strip("/")) if p)
        methods = (
            EVERY_METHOD
            if trigger.methods is None
            else frozenset(str(getattr(m, "value", m)).lower() for m in trigger.methods)
        )
        auth = frozenset({str(getattr(trigger.auth_level, "name", trigger.auth_level))})
        assert path not in routes, f"route {path} registered twice"
        routes[path] = {"methods": methods, "auth": auth}
    return routes
