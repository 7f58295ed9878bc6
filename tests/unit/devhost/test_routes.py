import pytest

from devhost.routes import Route, RouteTable, RouteTemplate


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        (
            "registries/{registry}/cache-rules/{name}",
            "registries/r1/cache-rules/n1",
            {"registry": "r1", "name": "n1"},
        ),
        (
            "registries/{registry}/cache-rules/{name}",
            "REGISTRIES/r1/Cache-Rules/n1",
            {"registry": "r1", "name": "n1"},
        ),
        ("registries/{registry}", "registries/a%20b", {"registry": "a b"}),
        ("health", "health/", {}),
        ("items/{id:int}", "items/-12", {"id": "-12"}),
        ("items/{id?}", "items", {}),
        ("items/{id?}", "items/7", {"id": "7"}),
        ("items/{id=first}", "items", {"id": "first"}),
        ("files/{*rest}", "files/a/b/c.txt", {"rest": "a/b/c.txt"}),
        ("files/{**rest}", "files", {}),
        ("f/{file}.{ext}", "f/archive.tar.gz", {"file": "archive.tar", "ext": "gz"}),
        ("x/{id:regex(^[a-f]+$)}", "x/beef", {"id": "beef"}),
        ("x/{n:range(1,5)}", "x/5", {"n": "5"}),
        (
            "x/{g:guid}",
            "x/6f9619ff-8b86-d011-b42d-00c04fc964ff",
            {"g": "6f9619ff-8b86-d011-b42d-00c04fc964ff"},
        ),
    ],
)
def test_template_matches(template: str, path: str, expected: dict[str, str]) -> None:
    assert RouteTemplate(template).match(path) == expected


@pytest.mark.parametrize(
    ("template", "path"),
    [
        ("items/{id:int}", "items/abc"),
        ("items/{id:int}", "items/99999999999"),
        ("items/{id}", "items"),
        ("items/{id}", "items/1/2"),
        ("x/{n:range(1,5)}", "x/6"),
        ("x/{id:regex(^[a-f]+$)}", "x/xyz"),
        ("x/{b:bool}", "x/maybe"),
        ("health", "healthz"),
    ],
)
def test_template_rejects(template: str, path: str) -> None:
    assert RouteTemplate(template).match(path) is None


def test_unknown_constraint_is_a_template_error() -> None:
    with pytest.raises(ValueError, match="unknown route constraint"):
        RouteTemplate("x/{id:whatever}")


def test_table_prefers_literals_then_constraints_then_catch_all() -> None:
    table = RouteTable(
        [
            Route(RouteTemplate("items/{*rest}"), None, "catch-all"),
            Route(RouteTemplate("items/{id}"), None, "param"),
            Route(RouteTemplate("items/{id:int}"), None, "int"),
            Route(RouteTemplate("items/special"), None, "literal"),
        ]
    )
    assert table.resolve("items/special", "GET") == ("literal", {})
    assert table.resolve("items/3", "GET") == ("int", {"id": "3"})
    assert table.resolve("items/abc", "GET") == ("param", {"id": "abc"})
    assert table.resolve("items/a/b", "GET") == ("catch-all", {"rest": "a/b"})


def test_table_skips_routes_whose_methods_do_not_match() -> None:
    table = RouteTable(
        [
            Route(RouteTemplate("things/{id}"), frozenset({"GET"}), "get"),
            Route(RouteTemplate("things/{id}"), frozenset({"DELETE"}), "delete"),
        ]
    )
    assert table.resolve("things/1", "delete") == ("delete", {"id": "1"})
    assert table.resolve("things/1", "PUT") is None
