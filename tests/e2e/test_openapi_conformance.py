"""Real answers of the running API validate against the schemas openapi.json documents for them."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator

from tests.e2e.conftest import REGISTRY, Stack, credentials, docker_rule, put

BASE = f"/api/registries/{REGISTRY}"


@pytest.fixture(scope="module")
def spec(stack: Stack) -> dict[str, Any]:
    document: dict[str, Any] = requests.get(f"{stack.api}/openapi.json", timeout=30).json()
    return document


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def conforms(spec: dict[str, Any], method: str, response: requests.Response) -> None:
    """Find the documented operation for the request's path, then validate status, media type and body."""
    path = requests.utils.urlparse(response.request.url).path
    template = next(
        t for t in spec["paths"] if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(t)), path)
    )
    responses = spec["paths"][template][method.lower()]["responses"]
    assert str(response.status_code) in responses, (method, template, response.status_code, sorted(responses))
    location: tuple[str, ...] = ("paths", template, method.lower(), "responses", str(response.status_code))
    documented = responses[str(response.status_code)]
    if "$ref" in documented:  # a shared response under #/components/responses
        location = tuple(documented["$ref"].removeprefix("#/").split("/"))
        documented = spec["components"]["responses"][location[-1]]
    if not response.content:
        assert "content" not in documented, (method, template, response.status_code)
        return
    media = response.headers["Content-Type"].split(";")[0]
    assert media in documented["content"], (method, template, media)
    root = dict(spec)
    root["$ref"] = _pointer(*location, "content", media, "schema")
    errors = sorted(Draft202012Validator(root).iter_errors(response.json()), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_every_answer_matches_its_documented_schema(clean: Stack, spec: dict[str, Any]) -> None:
    api = clean.api.removesuffix("/api")
    clean.emulator.control(
        "PUT", "/_emulator/upstreams/ghcr.io/accounts/demo-user", json={"password": "demo-password"}
    ).raise_for_status()
    calls: list[tuple[str, requests.Response]] = [
        ("PUT", put(clean.rules_url("ubuntu"), docker_rule())),
        ("PUT", put(clean.rules_url("ubuntu"), docker_rule())),
        ("POST", requests.post(clean.rules_url(), json=docker_rule("alpine"), timeout=60)),
        ("GET", requests.get(clean.rules_url("ubuntu"), timeout=30)),
        ("GET", requests.get(clean.rules_url(), timeout=30)),
        ("POST", requests.post(clean.rules_url("ubuntu") + "/validate", timeout=30)),
        ("POST", requests.post(clean.rules_url("nothere") + "/validate", timeout=30)),
        ("PUT", put(clean.sets_url("ghcr-creds"), {"loginServer": "ghcr.io", **credentials()})),
        ("GET", requests.get(clean.sets_url("ghcr-creds"), timeout=30)),
        ("GET", requests.get(clean.sets_url(), timeout=30)),
        (
            "PATCH",
            requests.patch(
                clean.sets_url("ghcr-creds"),
                json={"usernameSecretUri": credentials()["usernameSecretUri"]},
                timeout=60,
            ),
        ),
        (
            "PUT",
            put(clean.rules_url("ghcr-app"), {"sourceRepository": "ghcr.io/o/a", "targetRepository": "o/a"}),
        ),
        (
            "PATCH",
            requests.patch(clean.rules_url("ghcr-app"), json={"credentialSet": "ghcr-creds"}, timeout=60),
        ),
        ("DELETE", requests.delete(clean.sets_url("ghcr-creds"), timeout=30)),
        ("PATCH", requests.patch(clean.rules_url("ghcr-app"), json={"credentialSet": None}, timeout=60)),
        ("DELETE", requests.delete(clean.rules_url("ghcr-app"), timeout=30)),
        ("DELETE", requests.delete(clean.sets_url("ghcr-creds"), timeout=30)),
        ("GET", requests.get(clean.rules_url("ghcr-app"), timeout=30)),
        ("PUT", put(clean.rules_url("ubuntu"), {**docker_rule(), "targetRepository": "other"})),
        ("PUT", put(clean.rules_url("bad"), docker_rule())),
        ("PUT", requests.put(clean.rules_url("ubuntu"), data=b"{", timeout=30)),
        (
            "PUT",
            requests.put(
                clean.rules_url("ubuntu"), data=b"x", headers={"Content-Type": "text/plain"}, timeout=30
            ),
        ),
        ("GET", requests.get(f"{api}{BASE.replace(REGISTRY, 'nosuchregistry')}/cache-rules", timeout=30)),
    ]

    statuses = sorted({r.status_code for _, r in calls})
    assert statuses == [200, 201, 204, 400, 404, 409, 415], statuses
    for method, response in calls:
        conforms(spec, method, response)
