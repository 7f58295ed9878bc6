"""ARM conventions shared by every provider handler: paging, LRO answers, api-version checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from emulator.http import Request, Response, ServiceError

if TYPE_CHECKING:
    from emulator.state import EmulatorState


def require_api_version(request: Request) -> str:
    version = request.query.get("api-version")
    if not version:
        raise ServiceError(
            400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required."
        )
    return version


def page(
    state: EmulatorState, request: Request, items: list[Any], *, key: str = "$skiptoken"
) -> dict[str, Any]:
    """One page of `items` with a `nextLink` back to this URL; a full last page is followed by an empty one."""
    size = state.settings.pageSize
    try:
        start = int(request.query.get(key.lower(), "0"))
    except ValueError as exc:
        raise ServiceError(400, "InvalidSkipToken", "The skip token is not valid.") from exc
    top = request.query.get("$top") or request.query.get("maxresults")
    if top and top.isdigit():
        size = max(1, min(size, int(top)))
    end = start + size
    body: dict[str, Any] = {"value": items[start:end]}
    if end < len(items) or (end == len(items) and start < end and len(items) > 0 and len(items) % size == 0):
        params = {k: v for k, v in request.query.items() if k != key.lower()}
        params[key] = str(end)
        body["nextLink"] = f"{request.base_url}{request.path}?{urlencode(params)}"
    return body


def _retry_after(state: EmulatorState) -> dict[str, str]:
    seconds = state.settings.lroRetryAfterSeconds
    return {"Retry-After": str(seconds)} if seconds >= 1 else {}


def _status_url(request: Request, resource_id: str, op_id: str) -> str:
    api = request.query.get("api-version", "")
    return f"{request.base_url}{resource_id}/operationStatuses/{op_id}?{urlencode({'api-version': api})}"


def write_answer(
    state: EmulatorState,
    request: Request,
    *,
    resource_id: str,
    operation: str,
    asynchronous: bool,
    pending_state: str,
    set_state: Callable[[str], None],
    view: Callable[[], dict[str, Any]],
    prefix: str,
) -> Response:
    """PUT/PATCH answer: 201 + Azure-AsyncOperation while `pending_state`, or 200 when already as asked."""
    if not asynchronous:
        state.emit_resource(resource_id, operation, request.principal_id)
        return Response(200, view())

    def done(ok: bool) -> None:
        set_state("Succeeded" if ok else "Failed")
        if ok:
            state.emit_resource(resource_id, operation, request.principal_id)

    set_state(pending_state)
    op = state.operations.start(
        "write", resource_id, prefix, done, fail=bool(request.params.get("lro_failed"))
    )
    headers = {"Azure-AsyncOperation": _status_url(request, resource_id, op.id), **_retry_after(state)}
    return Response(201, view(), headers)


def delete_answer(
    state: EmulatorState,
    request: Request,
    *,
    resource_id: str,
    operation: str,
    set_state: Callable[[str], None],
    remove: Callable[[], None],
    prefix: str,
) -> Response:
    """DELETE answer for an existing resource: 202 + Location; the resource goes when the operation ends."""

    def done(ok: bool) -> None:
        if ok:
            remove()
            state.emit_resource(resource_id, operation, request.principal_id, delete=True)
        else:
            set_state("Failed")

    set_state("Deleting")
    op = state.operations.start(
        "delete", resource_id, prefix, done, fail=bool(request.params.get("lro_failed"))
    )
    return Response(202, None, {"Location": _status_url(request, resource_id, op.id), **_retry_after(state)})


def operation_status(state: EmulatorState, request: Request, rid: str, op: str) -> Response:
    found = state.operations.poll(op)
    if found is None or found.resource_id.lower() != rid.lower():
        raise ServiceError(404, "OperationNotFound", f"The operation '{op}' was not found.")
    pending = found.status == "InProgress"
    headers = _retry_after(state) if pending else {}
    if found.kind == "write":
        return Response(200, found.status_body(), headers)
    if pending:
        return Response(202, None, {"Location": request.base_url + request.path_with_query, **headers})
    if found.status == "Failed":
        raise ServiceError(500, "OperationFailed", "The delete operation failed (injected fault).")
    return Response(204)


def check_not_deleting(provisioning_state: str, name: str) -> None:
    if provisioning_state == "Deleting":
        raise ServiceError(409, "AnotherOperationInProgress", f"'{name}' is being deleted.")
