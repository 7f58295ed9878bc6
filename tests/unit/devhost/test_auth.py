import pytest

from devhost.auth import is_authorized


@pytest.mark.parametrize("level", ["function", "admin", "anonymous"])
def test_no_configured_key_means_no_check(level: str) -> None:
    assert is_authorized(None, level, {}, {})


@pytest.mark.parametrize(
    ("level", "headers", "params", "allowed"),
    [
        ("function", {"x-functions-key": "k"}, {}, True),
        ("function", {"X-Functions-Key": "k"}, {}, True),
        ("admin", {}, {"code": "k"}, True),
        ("function", {}, {}, False),
        ("function", {"x-functions-key": "wrong"}, {}, False),
        ("admin", {}, {"code": "wrong"}, False),
        ("anonymous", {}, {}, True),
        ("ANONYMOUS", {"x-functions-key": "wrong"}, {}, True),
    ],
)
def test_configured_key(level: str, headers: dict[str, str], params: dict[str, str], allowed: bool) -> None:
    assert is_authorized("k", level, headers, params) is allowed
