"""HTTP triggers of the cache rule API: one per route template of ``shared.api.routes.ROUTES``.

Each trigger only adapts ``azure.functions`` types to ``ApiRequest``/``ApiResponse``; the table says which handler
serves which method, so adding a route there is the whole change. A trigger lists no methods: the Functions host
then puts no method constraint on its route (``WebScriptHostHttpRoutesManager`` adds ``HttpMethodRouteConstraint``
only when ``methods`` is set) and hands it every method, TRACE and QUERY included, which the Python library's
``HttpMethod`` enum could not list. So a method a route does not offer answers this app's 405 with ``Allow``
(RFC 9110) instead of the host's bare 404.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import azure.functions as func

from shared.api import routes
from shared.api.http import ApiRequest
from shared.logs import quiet_sdk_loggers

quiet_sdk_loggers()
bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions leaves __init__ unannotated
AUTH = func.AuthLevel.FUNCTION


def _call(req: func.HttpRequest, handlers: Mapping[str, routes.Handler]) -> func.HttpResponse:
    request = ApiRequest(
        method=req.method.upper(),
        path=urlsplit(req.url).path,
        route_params=dict(req.route_params),
        headers={k.lower(): v for k, v in req.headers.items()},
        params=dict(req.params),
        body=req.get_body() or b"",
    )
    response = routes.dispatch(handlers, request)
    return func.HttpResponse(
        body=response.encoded(),
        status_code=response.status,
        headers=dict(response.headers),
        mimetype=response.content_type,
    )


def function_name(template: str) -> str:
    """``registries/{registry}/cache-rules/{name}`` -> ``registries_cache_rules_name``: unique per template."""
    return re.sub(r"[^a-z0-9]+", "_", template.lower()).strip("_")


def _register(template: str, handlers: Mapping[str, routes.Handler]) -> None:
    def trigger(req: func.HttpRequest) -> func.HttpResponse:
        return _call(req, handlers)

    trigger.__name__ = trigger.__qualname__ = function_name(template)
    bp.function_name(name=trigger.__name__)(bp.route(route=template, auth_level=AUTH)(trigger))


for _template, _handlers in routes.by_template().items():
    _register(_template, _handlers)
