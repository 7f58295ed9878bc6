"""The document's links name real operations, fill every path parameter of their target, and read only fields the
source operation's answer (or request path) has, so a stateful client can follow them."""

from __future__ import annotations

import re

from shared.api.openapi import LINKS, document
from tests.unit.api.schema_subset import METHODS, resolve

DOC = document()


def _operations() -> dict[str, tuple[str, dict]]:
    return {
        item[m]["operationId"]: (path, item[m])
        for path, item in DOC["paths"].items()
        for m in METHODS & set(item)
    }


def test_every_write_links_to_the_operations_on_what_it_wrote() -> None:
    ops = _operations()
    assert set(LINKS) == {"createCacheRule", "putCacheRule", "putCredentialSet", "startSweep"}
    for source, targets in LINKS.items():
        path, operation = ops[source]
        linked = [r for r in operation["responses"].values() if "links" in r]
        assert linked, source
        for response in linked:
            for link in response["links"].values():
                target_path, _ = ops[link["operationId"]]
                assert set(re.findall(r"\{(\w+)\}", target_path)) == set(link["parameters"]), link
                for expression in link["parameters"].values():
                    if expression.startswith("$request.path."):
                        assert "{" + expression.removeprefix("$request.path.") + "}" in path
                    else:
                        field = expression.removeprefix("$response.body#/")
                        schema = resolve(DOC, response["content"]["application/json"]["schema"]["$ref"])
                        assert field in schema["properties"], (source, field)
        assert {link["operationId"] for r in linked for link in r["links"].values()} == {
            t for t, _ in targets.values()
        }


def test_each_secret_uri_example_names_its_own_secret() -> None:
    """Clients and fuzzers send the examples: a password example naming the username secret is refused upstream."""
    credentials = DOC["components"]["schemas"]["CredentialsInput"]["properties"]
    for which in ("username", "password"):
        (example,) = credentials[f"{which}SecretUri"]["examples"]
        assert example.endswith(f"/dockerhub-{which}")
