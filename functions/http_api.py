"""HTTP triggers of the cache rule API; every route's logic lives in ``shared.api.routes``."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import azure.functions as func

from shared.api import routes
from shared.api.http import ApiRequest
from shared.logs import quiet_sdk_loggers

quiet_sdk_loggers()
bp = func.Blueprint()
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
    response = routes.run(handlers[request.method], request)
    return func.HttpResponse(
        body=response.encoded(),
        status_code=response.status,
        headers=dict(response.headers),
        mimetype=response.content_type,
    )


@bp.route(route="registries/{registry}/cache-rules", methods=["GET", "POST"], auth_level=AUTH)
def cache_rules(req: func.HttpRequest) -> func.HttpResponse:
    return _call(req, {"GET": routes.list_cache_rules, "POST": routes.create_cache_rule})


@bp.route(
    route="registries/{registry}/cache-rules/{name}",
    methods=["GET", "PUT", "PATCH", "DELETE"],
    auth_level=AUTH,
)
def cache_rule(req: func.HttpRequest) -> func.HttpResponse:
    return _call(
        req,
        {
            "GET": routes.get_cache_rule,
            "PUT": routes.put_cache_rule,
            "PATCH": routes.patch_cache_rule,
            "DELETE": routes.delete_cache_rule,
        },
    )


@bp.route(route="registries/{registry}/cache-rules/{name}/validate", methods=["POST"], auth_level=AUTH)
def cache_rule_validate(req: func.HttpRequest) -> func.HttpResponse:
    return _call(req, {"POST": routes.validate_cache_rule})


@bp.route(route="registries/{registry}/credential-sets", methods=["GET"], auth_level=AUTH)
def credential_sets(req: func.HttpRequest) -> func.HttpResponse:
    return _call(req, {"GET": routes.list_credential_sets})


@bp.route(
    route="registries/{registry}/credential-sets/{name}",
    methods=["GET", "PUT", "PATCH", "DELETE"],
    auth_level=AUTH,
)
def credential_set(req: func.HttpRequest) -> func.HttpResponse:
    return _call(
        req,
        {
            "GET": routes.get_credential_set,
            "PUT": routes.put_credential_set,
            "PATCH": routes.patch_credential_set,
            "DELETE": routes.delete_credential_set,
        },
    )


@bp.route(route="openapi.json", methods=["GET"], auth_level=AUTH)
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    return _call(req, {"GET": routes.openapi_document})
