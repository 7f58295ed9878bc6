"""The health query's documented bounds are the parser's: the largest documented value is accepted, one more is
refused (schemathesis found `skip` documented without its maximum, so a schema-valid request got a 400)."""

from __future__ import annotations

import pytest

from shared.api.openapi import document
from shared.api.sweep_views import parse_health_query
from shared.domain.errors import ValidationFailed


@pytest.mark.parametrize("name", ["top", "skip"])
def test_documented_bounds_are_the_parsers(name: str) -> None:
    schema = document()["components"]["parameters"][name.capitalize()]["schema"]
    parse_health_query({name: str(schema["maximum"])})
    parse_health_query({name: str(schema["minimum"])})
    with pytest.raises(ValidationFailed):
        parse_health_query({name: str(schema["maximum"] + 1)})
