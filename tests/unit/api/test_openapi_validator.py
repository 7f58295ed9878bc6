"""The document passes the OpenAPI 3.1 validator the ecosystem uses (openapi-spec-validator)."""

from __future__ import annotations

from openapi_spec_validator import validate

from shared.api.openapi import document


def test_document_is_valid_openapi_3_1() -> None:
    validate(document())
