"""ARM conventions shared by every provider handler: paging, LRO answers, api-version checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from emulator.http import Request, Response, ServiceError

if TYPE_CHECKING:
    from emulator.state import EmulatorState

T = TypeVar("T")


def require_api_version(request: Request) -> str:
    version = request.query.get("api-version")
    if not version:
        raise ServiceError(
            400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required."
        )
    return version


def page(
    state: EmulatorState,
    request: Request,
    items: Sequence[T],
    *,
    key: str = "$skiptoken",
    render: Callable[[T], Any] | None = None,
) -> dict[str, Any]:
    """One page of `items` with a `nextLink` back to this URL; a full last page is followed by an empty one.
    Only the page's own items are rendered (`render`), so a long list costs one page of work per request."""
    size = state.settings.pageSize
    try:
        start = int(request.query.get(key.lower(), "0"))
    except ValueError as exc:
        raise ServiceError(400, "InvalidSkipToken", "The skip token is not valid.") from exc
    if start < 0:
        raise ServiceError(400, "InvalidSkipToken", "The skip token is not valid.")
    top = request.query.get("$top") or request.query.get("maxresults")
    if top and top.isdigit():
        size = max(1, min(size, int(top)))
    end = start + size
    chosen = items[start:end]
    body: dict[str, Any] = {"value": [render(i) for i in chosen] if render else list(chosen)}
    if end < len(items) or (end == len(items) and start < end and len(items) > 0 and len(items) % size == 0):
        params = {k: v for k, v in request.query.items() if k != key.lower()}
        params[key] = str(end)
        body["nextLink"] = f"{request.base_url}{request.path}?{urlencode(params)}"
    return body


def retry_after(state: EmulatorState) -> dict[str, str]:
    """Retry-After only when the operationRetryAfter setting asks for it (the service sends none)."""
    seconds = state.settings.operationRetryAfter
    return {} if seconds is None else {"Retry-After": str(seconds)}


def poll_url(request: Request, path: str) -> str:
    api = request.query.get("api-version", "")
    return f"{request.base_url}{path}?{urlencode({'api-version': api})}"


def status_path(resource_id: str) -> Callable[[str], str]:
    """Azure-AsyncOperation of a write: `{resource}/operationStatuses/{op}` (as the recordings show)."""
    return lambda op_id: f"{resource_id}/operationStatuses/{op_id}"


def results_path(subscription: str, provider: str, region: str) -> Callable[[str], str]:
    """Location of a delete: `/subscriptions/{s}/providers/{provider}/locations/{region}/operationResults/{op}`."""
    return lambda op_id: (
        f"/subscriptions/{subscription}/providers/{provider}/locations/{region.lower().replace(' ', '')}"
        f"/operationResults/{op_id}"
    )


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
    method = request.method
    if not asynchronous:
        state.emit_resource(resource_id, operation, request.principal_id, method=method)
        return Response(200, view())

    def done(ok: bool) -> None:
        set_state("Succeeded" if ok else "Failed")
        if ok:
            state.emit_resource(resource_id, operation, request.principal_id, method=method)

    set_state(pending_state)
    op = state.operations.start(
        "write",
        resource_id,
        prefix,
        done,
        pending=pending_state,
        poll_path=status_path(resource_id),
        fail=bool(request.params.get("lro_failed")),
    )
    headers = {"Azure-AsyncOperation": poll_url(request, op.poll_path), **retry_after(state)}
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
    poll_path: Callable[[str], str],
) -> Response:
    """DELETE answer for an existing resource: 202 + Location; the resource goes when the operation ends."""

    def done(ok: bool) -> None:
        if ok:
            remove()
            state.emit_resource(resource_id, operation, request.principal_id, method="DELETE")
        else:
            set_state("Failed")

    set_state("Deleting")
    op = state.operations.start(
        "delete",
        resource_id,
        prefix,
        done,
        pending="Deleting",
        poll_path=poll_path,
        fail=bool(request.params.get("lro_failed")),
    )
    return Response(202, None, {"Location": poll_url(request, op.poll_path), **retry_after(state)})


def _polled(state: EmulatorState, request: Request, op: str) -> Any:
    found = state.operations.poll(op, request.path)
    if found is None:
        raise ServiceError(404, "OperationNotFound", f"The operation '{op}' was not found.")
    return found


def operation_status(state: EmulatorState, request: Request, op: str, **_: str) -> Response:
    """A write's Azure-AsyncOperation: 200 with its status, the header repeated."""
    found = _polled(state, request, op)
    headers = {"Azure-AsyncOperation": request.base_url + request.path_with_query}
    if found.running:
        headers.update(retry_after(state))
    return Response(200, found.status_body(), headers)


def operation_result(state: EmulatorState, request: Request, op: str, **_: str) -> Response:
    """A delete's Location: 202 with the Location repeated while it runs, then 200 with no body."""
    found = _polled(state, request, op)
    if found.running:
        headers = {"Location": request.base_url + request.path_with_query, **retry_after(state)}
        return Response(202, None, headers)
    if found.status == "Failed":
        raise ServiceError(500, "OperationFailed", "The delete operation failed (injected fault).")
    return Response(200)


def check_not_deleting(provisioning_state: str, name: str) -> None:
    if provisioning_state == "Deleting":
        raise ServiceError(409, "AnotherOperationInProgress", f"'{name}' is being deleted.")
