"""A small JSON Schema (2020-12 subset) validator and OpenAPI 3.1 structural checker for the tests.

Neither ``jsonschema`` nor ``openapi-spec-validator`` is installed, and the team adds no dependencies; this covers
exactly the keywords shared/api/openapi.py uses and refuses any other, so a schema never passes by being ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

ANNOTATIONS = frozenset({"description", "examples", "format", "title", "default", "summary"})
ASSERTIONS = frozenset(
    {
        "$ref",
        "type",
        "enum",
        "const",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "oneOf",
        "anyOf",
        "allOf",
        "not",
    }
)
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "null": lambda v: v is None,
}


def resolve(root: Mapping[str, Any], ref: str) -> Any:
    """Follow a local JSON pointer (``#/a/b``); KeyError when it does not resolve."""
    if not ref.startswith("#/"):
        raise KeyError(f"only local references are supported: {ref}")
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(ref)
        node = node[part]
    return node


def errors(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: str = "$") -> list[str]:
    """Every way ``instance`` fails ``schema`` (empty when it is valid)."""
    unknown = set(schema) - ASSERTIONS - ANNOTATIONS
    if unknown:
        raise ValueError(f"schema at {path} uses unsupported keywords {sorted(unknown)}")
    found: list[str] = []
    if "$ref" in schema:
        found += errors(instance, resolve(root, schema["$ref"]), root, path)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[k](instance) for k in kinds):
            return [*found, f"{path}: expected {kinds}, got {type(instance).__name__}"]
    if "enum" in schema and instance not in schema["enum"]:
        found.append(f"{path}: {instance!r} not in {schema['enum']}")
    if "const" in schema and instance != schema["const"]:
        found.append(f"{path}: {instance!r} is not {schema['const']!r}")
    if isinstance(instance, str):
        found += _string_errors(instance, schema, path)
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        if "minimum" in schema and instance < schema["minimum"]:
            found.append(f"{path}: {instance} < {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            found.append(f"{path}: {instance} > {schema['maximum']}")
    if isinstance(instance, dict):
        found += _object_errors(instance, schema, root, path)
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            found += errors(item, schema["items"], root, f"{path}[{i}]")
    found += _combinator_errors(instance, schema, root, path)
    return found


def _string_errors(instance: str, schema: Mapping[str, Any], path: str) -> list[str]:
    found = []
    if "pattern" in schema and not re.search(schema["pattern"], instance):
        found.append(f"{path}: {instance!r} does not match {schema['pattern']}")
    if "minLength" in schema and len(instance) < schema["minLength"]:
        found.append(f"{path}: shorter than {schema['minLength']}")
    if "maxLength" in schema and len(instance) > schema["maxLength"]:
        found.append(f"{path}: longer than {schema['maxLength']}")
    return found


def _object_errors(
    instance: dict[str, Any], schema: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> list[str]:
    found = [f"{path}: missing {key}" for key in schema.get("required", ()) if key not in instance]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, value in instance.items():
        if key in properties:
            found += errors(value, properties[key], root, f"{path}.{key}")
        elif extra is False:
            found.append(f"{path}: unknown property {key}")
        elif isinstance(extra, Mapping):
            found += errors(value, extra, root, f"{path}.{key}")
    return found


def _combinator_errors(
    instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> list[str]:
    found = []
    if "oneOf" in schema:
        passing = sum(not errors(instance, s, root, path) for s in schema["oneOf"])
        if passing != 1:
            found.append(f"{path}: matches {passing} of oneOf, not exactly 1")
    if "anyOf" in schema and all(errors(instance, s, root, path) for s in schema["anyOf"]):
        found.append(f"{path}: matches none of anyOf")
    for sub in schema.get("allOf", ()):
        found += errors(instance, sub, root, path)
    if "not" in schema and not errors(instance, schema["not"], root, path):
        found.append(f"{path}: matches a schema it must not match")
    return found


# --- OpenAPI 3.1 structure ---------------------------------------------------------------------------------

METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_TOP = frozenset(
    {
        "openapi",
        "info",
        "jsonSchemaDialect",
        "servers",
        "paths",
        "webhooks",
        "components",
        "security",
        "tags",
        "externalDocs",
    }
)
_COMPONENTS = frozenset(
    {
        "schemas",
        "responses",
        "parameters",
        "examples",
        "requestBodies",
        "headers",
        "securitySchemes",
        "links",
        "callbacks",
        "pathItems",
    }
)
_PATH_ITEM = METHODS | {"$ref", "summary", "description", "servers", "parameters"}
_OPERATION = frozenset(
    {
        "tags",
        "summary",
        "description",
        "externalDocs",
        "operationId",
        "parameters",
        "requestBody",
        "responses",
        "callbacks",
        "deprecated",
        "security",
        "servers",
    }
)
_STATUS = re.compile(r"^(default|[1-5](\d\d|XX))$")


def refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` value anywhere in ``node``."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def _deref(root: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node and len(node) == 1:
        node = resolve(root, node["$ref"])
    return node


def schemas_in(doc: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every schema object of the document (component schemas, parameter, media type and header schemas)."""
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        yield f"components.schemas.{name}", schema
    for name, parameter in doc.get("components", {}).get("parameters", {}).items():
        yield f"components.parameters.{name}", parameter["schema"]
    for path, item in doc.get("paths", {}).items():
        for method in METHODS & set(item):
            operation = item[method]
            body = _deref(doc, operation.get("requestBody", {}))
            for media, content in body.get("content", {}).items():
                yield f"{path}.{method}.requestBody.{media}", content["schema"]
            for status, response in operation["responses"].items():
                response = _deref(doc, response)
                for media, content in response.get("content", {}).items():
                    yield f"{path}.{method}.{status}.{media}", content["schema"]
                for header, spec in response.get("headers", {}).items():
                    yield f"{path}.{method}.{status}.headers.{header}", spec["schema"]


def _subschemas(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("properties",):
        yield from schema.get(key, {}).values()
    for key in ("items", "not"):
        if isinstance(schema.get(key), Mapping):
            yield schema[key]
    if isinstance(schema.get("additionalProperties"), Mapping):
        yield schema["additionalProperties"]
    for key in ("oneOf", "anyOf", "allOf"):
        yield from schema.get(key, ())


def schema_problems(schema: Mapping[str, Any], where: str) -> list[str]:
    """Structural problems of one JSON Schema: unknown keywords, malformed types, required not declared."""
    problems = [f"{where}: unknown keyword {k}" for k in set(schema) - ASSERTIONS - ANNOTATIONS]
    kinds = schema.get("type")
    for kind in kinds if isinstance(kinds, list) else [kinds] if kinds else []:
        if kind not in _TYPES:
            problems.append(f"{where}: unknown type {kind}")
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
        except re.error as exc:
            problems.append(f"{where}: bad pattern: {exc}")
    declared = set(schema.get("properties", {}))
    if schema.get("additionalProperties") is False:
        problems += [
            f"{where}: required {r} is not a property"
            for r in schema.get("required", ())
            if r not in declared
        ]
    for i, sub in enumerate(_subschemas(schema)):
        problems += schema_problems(sub, f"{where}/{i}")
    return problems


def _operation_problems(doc: Mapping[str, Any], path: str, item: Mapping[str, Any], method: str) -> list[str]:
    where = f"{method.upper()} {path}"
    operation = item[method]
    problems = [f"{where}: unknown field {k}" for k in set(operation) - _OPERATION]
    responses = operation.get("responses")
    if not isinstance(responses, Mapping) or not responses:
        return [*problems, f"{where}: no responses"]
    for status, response in responses.items():
        if not _STATUS.match(status):
            problems.append(f"{where}: bad status key {status}")
        response = _deref(doc, response)
        if not isinstance(response.get("description"), str):
            problems.append(f"{where} {status}: response needs a description")
        for media, content in response.get("content", {}).items():
            if "schema" not in content:
                problems.append(f"{where} {status} {media}: no schema")
    declared = {
        (p["name"], p["in"])
        for p in [_deref(doc, p) for p in [*item.get("parameters", []), *operation.get("parameters", [])]]
    }
    template = set(re.findall(r"\{([^}]+)\}", path))
    problems += [f"{where}: path parameter {n} not declared" for n in template if (n, "path") not in declared]
    problems += [
        f"{where}: path parameter {n} not in the template"
        for n, at in declared
        if at == "path" and n not in template
    ]
    body = operation.get("requestBody")
    if body is not None and not _deref(doc, body).get("content"):
        problems.append(f"{where}: requestBody without content")
    return problems


def _parameter_problems(doc: Mapping[str, Any]) -> list[str]:
    problems = []
    for name, parameter in doc.get("components", {}).get("parameters", {}).items():
        if parameter.get("in") not in ("path", "query", "header", "cookie") or not parameter.get("name"):
            problems.append(f"parameter {name}: needs name and a valid 'in'")
        if parameter.get("in") == "path" and parameter.get("required") is not True:
            problems.append(f"parameter {name}: path parameters must be required")
        if "schema" not in parameter and "content" not in parameter:
            problems.append(f"parameter {name}: needs a schema")
    return problems


def _security_problems(doc: Mapping[str, Any]) -> list[str]:
    schemes = doc.get("components", {}).get("securitySchemes", {})
    problems = []
    for name, scheme in schemes.items():
        if scheme.get("type") == "apiKey" and (
            scheme.get("in") not in ("query", "header", "cookie") or not scheme.get("name")
        ):
            problems.append(f"security scheme {name}: apiKey needs name and in")
    requirements = list(doc.get("security", []))
    for item in doc.get("paths", {}).values():
        for method in METHODS & set(item):
            requirements += item[method].get("security", [])
    for requirement in requirements:
        problems += [
            f"security requirement names unknown scheme {n}" for n in requirement if n not in schemes
        ]
    return problems


def openapi_problems(doc: Mapping[str, Any]) -> list[str]:
    """Every structural violation of OpenAPI 3.1 this checker knows (empty when the document is sound)."""
    problems = [f"unknown top-level field {k}" for k in set(doc) - _TOP]
    if not re.match(r"^3\.1\.\d+$", str(doc.get("openapi", ""))):
        problems.append("openapi must be 3.1.x")
    info = doc.get("info", {})
    if not isinstance(info.get("title"), str) or not isinstance(info.get("version"), str):
        problems.append("info needs title and version")
    problems += [f"unknown components field {k}" for k in set(doc.get("components", {})) - _COMPONENTS]
    operation_ids: list[str] = []
    for path, item in doc.get("paths", {}).items():
        if not path.startswith("/"):
            problems.append(f"path {path} must start with '/'")
        problems += [f"{path}: unknown path item field {k}" for k in set(item) - _PATH_ITEM]
        for method in sorted(METHODS & set(item)):
            problems += _operation_problems(doc, path, item, method)
            operation_ids.append(item[method].get("operationId", ""))
    problems += [f"duplicate operationId {o}" for o in set(operation_ids) if operation_ids.count(o) > 1]
    for ref in refs(doc):
        try:
            resolve(doc, ref)
        except KeyError:
            problems.append(f"unresolved $ref {ref}")
    problems += _parameter_problems(doc) + _security_problems(doc)
    for where, schema in schemas_in(doc):
        problems += schema_problems(schema, where)
    return problems
