"""The document is structurally valid OpenAPI 3.1 (checked by tests/unit/api/schema_subset.py)."""

from __future__ import annotations

import copy

import pytest

from shared.api.openapi import document
from tests.unit.api.schema_subset import openapi_problems, refs, resolve

DOC = document()


def test_the_document_has_no_structural_problems() -> None:
    assert openapi_problems(DOC) == []


def test_every_ref_resolves_and_every_component_is_used() -> None:
    used = set(refs(DOC))
    assert used
    for ref in used:
        resolve(DOC, ref)
    for kind in ("schemas", "parameters", "responses"):
        for name in DOC["components"][kind]:
            assert f"#/components/{kind}/{name}" in used, f"unused component {kind}/{name}"


def test_the_document_declares_openapi_3_1_0() -> None:
    assert DOC["openapi"] == "3.1.0"
    assert DOC["info"]["title"] and DOC["info"]["version"]


def _broken(change) -> dict:
    doc = copy.deepcopy(DOC)
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(openapi="3.0.3"), "openapi must be 3.1.x"),
        (
            lambda d: d["components"]["schemas"].pop("FieldError"),
            "unresolved $ref #/components/schemas/FieldError",
        ),
        (
            lambda d: d["paths"]["/api/registries/{registry}/cache-rules"].pop("parameters"),
            "path parameter registry not declared",
        ),
        (
            lambda d: d["paths"]["/api/openapi.json"]["get"]["responses"]["200"].pop("description"),
            "response needs a description",
        ),
        (lambda d: d["components"]["schemas"]["CacheRule"].update(nullable=True), "unknown keyword nullable"),
        (lambda d: d["security"].append({"bearer": []}), "unknown scheme bearer"),
        (
            lambda d: d["paths"]["/api/openapi.json"]["get"].update(operationId="listCacheRules"),
            "duplicate operationId listCacheRules",
        ),
        (
            lambda d: d["paths"]["/api/openapi.json"]["get"]["responses"].update({"2000": {}}),
            "bad status key 2000",
        ),
    ],
    ids=[
        "version",
        "dangling-ref",
        "undeclared-path-param",
        "no-description",
        "3.0-nullable",
        "unknown-scheme",
        "dup-operation-id",
        "bad-status",
    ],
)
def test_the_checker_catches_broken_documents(change, expected: str) -> None:
    problems = openapi_problems(_broken(change))
    assert any(expected in p for p in problems), problems
