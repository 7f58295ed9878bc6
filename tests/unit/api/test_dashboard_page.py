"""GET /api/dashboard's page: self-contained under a per-response nonce, declared and documented as HTML."""

from __future__ import annotations

import base64
import json
import re
from types import SimpleNamespace
from typing import Any

from shared.api.auth import PRINCIPAL_HEADER
from shared.api.dashboard import STATIC, content_security_policy, dashboard_page
from shared.api.http import ApiRequest
from shared.api.openapi import document
from shared.api.routes import ROUTES, run


def test_the_page_inlines_its_assets_under_one_fresh_nonce() -> None:
    first, second = dashboard_page(), dashboard_page()
    policy = first.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([\w-]+)'", policy)
    assert nonce is not None
    page = first.encoded().decode()
    assert page.count(f'nonce="{nonce.group(1)}"') == 2 and "{{" not in page
    assert (STATIC / "dashboard.js").read_text(encoding="utf-8").strip() in page
    assert nonce.group(1) not in second.headers["Content-Security-Policy"]
    assert first.content_type == "text/html" and first.headers["Cache-Control"] == "no-store"


def test_the_page_loads_nothing_from_elsewhere() -> None:
    page = dashboard_page().encoded().decode()
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", page)
    assert "<script src" not in page and '<link rel="stylesheet"' not in page
    assert "innerHTML" not in page  # API data is only ever set as text


def test_the_policy_allows_only_nonced_code_and_this_origin() -> None:
    policy = dict(p.split(" ", 1) for p in content_security_policy("abc").split("; "))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == "'nonce-abc'"
    assert policy["connect-src"] == "'self'" and policy["frame-ancestors"] == "'none'"


def test_it_is_a_route_documented_as_html_with_the_api_auth() -> None:
    route = next(r for r in ROUTES if r.template == "dashboard")
    assert route.method == "GET" and set(route.errors) == {401, 403, 500}
    answer = document()["paths"]["/api/dashboard"]["get"]["responses"]["200"]
    assert answer["content"] == {"text/html": {"schema": {"type": "string"}}}


def _request(headers: dict[str, str]) -> ApiRequest:
    return ApiRequest(
        method="GET", path="/api/dashboard", route_params={}, headers=headers, params={}, body=b""
    )


def test_it_requires_the_api_app_role_when_one_is_set() -> None:
    route = next(r for r in ROUTES if r.template == "dashboard")
    settings = SimpleNamespace(required_caller_role="Health.Read", request_deadline_seconds=0)
    services: Any = SimpleNamespace(settings=settings)
    holder = base64.b64encode(
        json.dumps({"claims": [{"typ": "roles", "val": "Health.Read"}]}).encode()
    ).decode()
    other = base64.b64encode(json.dumps({"claims": [{"typ": "roles", "val": "Other"}]}).encode()).decode()

    def answer(headers: dict[str, str]) -> int:
        return run(route.handler, _request(headers), services=lambda: services).status

    assert answer({}) == 401
    assert answer({PRINCIPAL_HEADER: other}) == 403
    assert answer({PRINCIPAL_HEADER: holder}) == 200
