"""HTTP route templates as the Functions host (ASP.NET routing) interprets them.

Supports literal segments (case-insensitive), `{name}`, optional `{name?}`, defaults `{name=x}`,
catch-all `{*rest}` / `{**rest}`, inline constraints (`{id:int}`, `{x:regex(^a+$)}`, ...), and
several parameters or literals inside one segment (`{file}.{ext}`). Templates are tried in
ASP.NET's precedence order (literals before parameters, constrained before unconstrained, catch-all
last), so the same request reaches the same function as in Azure.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar
from urllib.parse import unquote

T = TypeVar("T")

_PARAM = re.compile(r"\{([^{}]*(?:\([^)]*\))?[^{}]*)\}")


def _is_int(value: str) -> bool:
    return re.fullmatch(r"-?\d+", value) is not None


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


_SIMPLE_CONSTRAINTS: dict[str, Callable[[str], bool]] = {
    "int": lambda v: _is_int(v) and -(2**31) <= int(v) < 2**31,
    "long": lambda v: _is_int(v) and -(2**63) <= int(v) < 2**63,
    "bool": lambda v: v.lower() in ("true", "false"),
    "alpha": lambda v: re.fullmatch(r"[A-Za-z]+", v) is not None,
    "guid": _is_guid,
    "double": _is_float,
    "float": _is_float,
    "decimal": _is_float,
    "datetime": _is_datetime,
}


def _constraint(spec: str) -> Callable[[str], bool]:
    """Build one inline route constraint; unknown names are a template error, as in the host."""
    match = re.fullmatch(r"(\w+)(?:\((.*)\))?", spec, re.DOTALL)
    if not match:
        raise ValueError(f"invalid route constraint {spec!r}")
    name, arg = match.group(1).lower(), match.group(2)
    if arg is None and name in _SIMPLE_CONSTRAINTS:
        return _SIMPLE_CONSTRAINTS[name]
    if arg is None:
        raise ValueError(f"unknown route constraint {spec!r}")
    if name == "regex":
        pattern = re.compile(arg, re.IGNORECASE)
        return lambda v: pattern.search(v) is not None
    numbers = [int(a) for a in arg.split(",")]
    checks: dict[str, Callable[[str], bool]] = {
        "min": lambda v: _is_int(v) and int(v) >= numbers[0],
        "max": lambda v: _is_int(v) and int(v) <= numbers[0],
        "range": lambda v: _is_int(v) and numbers[0] <= int(v) <= numbers[-1],
        "minlength": lambda v: len(v) >= numbers[0],
        "maxlength": lambda v: len(v) <= numbers[0],
        "length": lambda v: numbers[0] <= len(v) <= numbers[-1],
    }
    if name not in checks:
        raise ValueError(f"unknown route constraint {spec!r}")
    return checks[name]


@dataclass
class _Param:
    name: str
    optional: bool = False
    catch_all: bool = False
    default: str | None = None
    constraints: list[Callable[[str], bool]] = field(default_factory=list)


def _parse_param(body: str) -> _Param:
    catch_all = body.startswith("*")
    body = body.lstrip("*")
    default = None
    depth_zero_equals = [i for i, c in enumerate(body) if c == "=" and _depth(body, i) == 0]
    if depth_zero_equals:
        body, default = body[: depth_zero_equals[-1]], body[depth_zero_equals[-1] + 1 :]
    optional = body.endswith("?")
    body = body.removesuffix("?")
    name, *specs = _split_constraints(body)
    if not re.fullmatch(r"\w+", name):
        raise ValueError(f"invalid route parameter name {name!r}")
    return _Param(name, optional, catch_all, default, [_constraint(s) for s in specs])


def _depth(text: str, index: int) -> int:
    return text[:index].count("(") - text[:index].count(")")


def _split_constraints(body: str) -> list[str]:
    """Split `name:c1:c2(arg:with:colons)` on colons outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in body:
        if char == ":" and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    parts.append(current)
    return parts


@dataclass
class _Segment:
    pattern: str
    params: list[_Param]
    lone: bool  # the segment is exactly one parameter, so it may be left out when optional
    precedence: int  # ASP.NET inbound precedence digit: lower is tried first


def _compile_segment(text: str) -> _Segment:
    pieces, params, pos = [], [], 0
    for match in _PARAM.finditer(text):
        pieces.append(re.escape(text[pos : match.start()]))
        param = _parse_param(match.group(1))
        params.append(param)
        pieces.append(f"(?P<{param.name}>.*)" if param.catch_all else f"(?P<{param.name}>[^/]+)")
        pos = match.end()
    pieces.append(re.escape(text[pos:]))
    lone = len(params) == 1 and _PARAM.fullmatch(text) is not None
    if not params:
        precedence = 1
    elif not lone:
        precedence = 2  # complex segment such as {file}.{ext}
    elif params[0].catch_all:
        precedence = 5
    else:
        precedence = 3 if params[0].constraints else 4
    return _Segment("".join(pieces), params, lone, precedence)


class RouteTemplate:
    """A compiled route template; `match` returns route params or None."""

    def __init__(self, template: str) -> None:
        self.template = template.strip("/")
        self._segments = [_compile_segment(s) for s in self.template.split("/")] if self.template else []
        regex = ""
        for segment in self._segments:
            only = segment.params[0] if segment.lone else None
            if only is not None and (only.optional or only.catch_all or only.default is not None):
                regex += f"(?:/{segment.pattern})?"
            else:
                regex += f"/{segment.pattern}"
        self._regex = re.compile(f"^{regex}/?$", re.IGNORECASE | re.DOTALL)
        self._params = [p for s in self._segments for p in s.params]
        self.precedence = tuple(s.precedence for s in self._segments)

    def match(self, path: str) -> dict[str, str] | None:
        """Match a request path relative to the route prefix (percent-encoded, leading slash optional)."""
        path = "/" + path.strip("/") if path.strip("/") else ""
        found = self._regex.match(path)
        if not found:
            return None
        values: dict[str, str] = {}
        for param in self._params:
            raw = found.group(param.name)
            if raw is None or raw == "":
                if param.default is not None:
                    values[param.name] = param.default
                continue
            value = unquote(raw)
            if not all(check(value) for check in param.constraints):
                return None
            values[param.name] = value
        return values


@dataclass
class Route(Generic[T]):
    template: RouteTemplate
    methods: frozenset[str] | None  # None: every method
    target: T


class RouteTable(Generic[T]):
    """Routes in host precedence order; resolves a path and method to a target and its params."""

    def __init__(self, routes: Iterable[Route[T]]) -> None:
        self._routes = sorted(routes, key=lambda r: (r.template.precedence, r.template.template.lower()))

    def resolve(self, path: str, method: str) -> tuple[T, dict[str, str]] | None:
        """Return the first route matching path and method; a method mismatch is a miss, as in the host."""
        for route in self._routes:
            if route.methods is not None and method.upper() not in route.methods:
                continue
            params = route.template.match(path)
            if params is not None:
                return route.target, params
        return None
