"""Handlers: Microsoft.Authorization roleAssignments (any scope) and built-in roleDefinitions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from emulator.arm.framework import page, require_api_version
from emulator.backends.authorization import ASSIGNMENT_TYPE, normalise_scope, role_definition_json
from emulator.http import Request, Response, Router

if TYPE_CHECKING:
    from emulator.state import EmulatorState

SCOPE = r"(?P<scope>(?:/[^/]+)*?)"
ASSIGNMENTS = SCOPE + r"/providers/Microsoft\.Authorization/roleAssignments"
DEFINITIONS = SCOPE + r"/providers/Microsoft\.Authorization/roleDefinitions"


def _scope(scope: str) -> str:
    return normalise_scope(scope or "/")


def put_assignment(state: EmulatorState, request: Request, scope: str, name: str) -> Response:
    require_api_version(request)
    assignment, created = state.authorization.create(
        _scope(scope), name, request.json_object(), state.clock.now()
    )
    if created:
        state.emit_resource(
            assignment.id, ASSIGNMENT_TYPE + "/write", request.principal_id, method=request.method
        )
    return Response(201 if created else 200, assignment.to_json())


def get_assignment(state: EmulatorState, request: Request, scope: str, name: str) -> Response:
    require_api_version(request)
    return Response(200, state.authorization.get(_scope(scope), name).to_json())


def delete_assignment(state: EmulatorState, request: Request, scope: str, name: str) -> Response:
    require_api_version(request)
    removed = state.authorization.delete(_scope(scope), name)
    if removed is None:
        return Response(204)
    state.emit_resource(removed.id, ASSIGNMENT_TYPE + "/delete", request.principal_id, method="DELETE")
    return Response(200, removed.to_json())


def list_assignments(state: EmulatorState, request: Request, scope: str) -> Response:
    require_api_version(request)
    found = state.authorization.list_for_scope(_scope(scope), request.query.get("$filter"))
    return Response(200, page(state, request, [a.to_json() for a in found]))


def get_definition(state: EmulatorState, request: Request, scope: str, role: str) -> Response:
    require_api_version(request)
    return Response(200, role_definition_json(state.authorization.role_definition(role), scope))


def list_definitions(state: EmulatorState, request: Request, scope: str) -> Response:
    require_api_version(request)
    text = request.query.get("$filter") or ""
    found = re.search(r"roleName\s+eq\s+'([^']+)'", text, re.IGNORECASE)
    roles = state.authorization.find_definitions(found.group(1) if found else None)
    return Response(200, page(state, request, [role_definition_json(r, scope) for r in roles]))


def register(router: Router) -> None:
    router.add("GET", ASSIGNMENTS, list_assignments)
    router.add("GET", ASSIGNMENTS + r"/(?P<name>[^/]+)", get_assignment)
    router.add("PUT", ASSIGNMENTS + r"/(?P<name>[^/]+)", put_assignment)
    router.add("DELETE", ASSIGNMENTS + r"/(?P<name>[^/]+)", delete_assignment)
    router.add("GET", DEFINITIONS, list_definitions)
    router.add("GET", DEFINITIONS + r"/(?P<role>[^/]+)", get_definition)
