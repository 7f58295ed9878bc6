"""Handlers: the emulator control API under /_emulator (not Azure; JSON; no auth, not logged).

- POST /_emulator/reset [{"seed"?}]: back to the start state (one subscription, the startup seed).
- PUT /_emulator/upstreams/{loginServer}/accounts/{username} {"password"}: a valid upstream login.
- PUT /_emulator/settings {"latencyMs", "pageSize", "healthRefreshSeconds", "roleAssignmentDelaySeconds",
  "throttling", "operationRetryAfter" (whole seconds or null = no Retry-After, the default, as the service),
  "lroPolls", "lroSeconds"}: fields left out keep their value; a refused body changes nothing.
- PUT /_emulator/faults [{"method", "pathRegex", "status", "retryAfter", "count", "delayMs", "lroResult",
  "reset" ("before" | "after": drop the connection instead of answering)}].
- PUT /_emulator/subscriptions/{subscriptionId} {"displayName"?, "tenantId"?}: another subscription (201 new,
  200 updated); ARM's GET /subscriptions lists those of the caller's tenant.
- POST /_emulator/fleet {"resourceGroup", "registries", "rulesPerRegistry", "prefix"? ("fleet"),
  "subscriptionId"?, "brokenRegistries"? (0), "location"? ("westus")}: see emulator.fleet; answers
  {"registries", "rules", "unhealthyRules"}; 400 bad input, 404 unknown subscription, 409 names taken.
- PUT /_emulator/secrets/{vault}/{name} {"value", "enabled"?, "exp"?, "nbf"?}: a new secret version + its event.
- PUT /_emulator/registries/{registry}/repositories [names]: repositories that already exist.
- GET|DELETE /_emulator/requests; GET|POST /_emulator/clock {"advanceSeconds"}.
- Event Grid: PUT|DELETE /_emulator/event-subscriptions/{name} (see emulator.eventgrid.service for the body:
  endpoint, eventTypes, schema, topic, subjectBeginsWith/EndsWith, advancedFilters,
  enableAdvancedFilteringOnArrays, retry policy, maxEventsPerBatch, deliverTwice), GET
  /_emulator/event-subscriptions, PUT /_emulator/topics/{topic}, GET /_emulator/topics/{topic}/events,
  GET /_emulator/deliveries, POST /_emulator/deliveries/idle {"timeoutSeconds"?} (waits until no delivery is in
  flight or due; answers {"idle": bool}), GET /_emulator/dead-letters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from emulator.backends.keyvault_data import SecretVersion
from emulator.fleet import seed_fleet
from emulator.http import Request, Response, Router, ServiceError
from emulator.seed import apply_seed

if TYPE_CHECKING:
    from emulator.state import EmulatorState


def _tuple(result: tuple[int, Any]) -> Response:
    status, body = result
    return Response(status, body)


def reset(state: EmulatorState, request: Request) -> Response:
    """Back to the start state: the seed the server started with, unless the body names another (or null)."""
    body = request.json_object()
    state.reset(body.get("seed", state.startup_seed))
    return Response(204)


def seed(state: EmulatorState, request: Request) -> Response:
    apply_seed(state, str(request.json_object().get("name", "")))
    return Response(204)


def put_upstream(state: EmulatorState, request: Request, server: str, user: str) -> Response:
    password = request.json_object().get("password")
    if not isinstance(password, str):
        raise ServiceError(400, "InvalidBody", "password is required")
    created = state.upstreams.put(unquote(server), unquote(user), password)
    return Response(
        201 if created else 200, {"loginServer": unquote(server).lower(), "username": unquote(user)}
    )


def delete_upstream(state: EmulatorState, request: Request, server: str, user: str) -> Response:
    return Response(204 if state.upstreams.delete(unquote(server), unquote(user)) else 404)


def list_upstreams(state: EmulatorState, request: Request) -> Response:
    return Response(200, state.upstreams.listing())


def get_settings(state: EmulatorState, request: Request) -> Response:
    return Response(200, state.settings.as_json())


def put_settings(state: EmulatorState, request: Request) -> Response:
    state.settings.update(request.json())
    return Response(200, state.settings.as_json())


def get_faults(state: EmulatorState, request: Request) -> Response:
    return Response(200, state.faults.listing())


def put_faults(state: EmulatorState, request: Request) -> Response:
    return Response(200, state.faults.put(request.json()))


def get_requests(state: EmulatorState, request: Request) -> Response:
    return Response(200, list(state.requests))


def clear_requests(state: EmulatorState, request: Request) -> Response:
    state.requests.clear()
    return Response(204)


def get_clock(state: EmulatorState, request: Request) -> Response:
    return Response(200, {"now": state.clock.now()})


def advance_clock(state: EmulatorState, request: Request) -> Response:
    seconds = request.json_object().get("advanceSeconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ServiceError(400, "InvalidBody", "advanceSeconds must be a non-negative number")
    now = state.clock.advance(float(seconds))
    state.operations.settle()
    state.check_secret_expiry()
    state.events.clock_advanced()
    return Response(200, {"now": now})


def put_secret(state: EmulatorState, request: Request, vault: str, name: str) -> Response:
    """Test helper: write a secret version directly (attributes inline), as nobody in particular."""
    body = request.json_object()
    if state.vaults.by_name(vault) is None:
        raise ServiceError(404, "VaultNotFound", f"The vault '{vault}' does not exist.")
    attrs = {k: body[k] for k in ("enabled", "exp", "nbf") if k in body}
    secret, version = state.secrets.set(
        vault, name, {"value": body.get("value"), "attributes": attrs}, state.clock.now()
    )
    state.emit_keyvault(
        "SecretNewVersionCreated", vault, secret.name, version.version, version.nbf, version.exp
    )
    state.check_secret_expiry()
    return Response(200, _version_view(secret.bundle(version, with_value=False), version))


def _version_view(bundle: dict[str, Any], version: SecretVersion) -> dict[str, Any]:
    return dict(bundle, version=version.version)


def put_subscription(state: EmulatorState, request: Request, subscription: str) -> Response:
    """Another Azure subscription (body `{"displayName"?, "tenantId"?}`): ARM lists it and groups can be made
    in it. 201 when new, 200 when it existed (then only the fields given change)."""
    found, created = state.resources.put_subscription(subscription, request.json_object())
    return Response(201 if created else 200, found.to_json())


def post_fleet(state: EmulatorState, request: Request) -> Response:
    """Seed a fleet for benchmarks (see emulator.fleet): no events, not in the request log."""
    return Response(200, seed_fleet(state, request.json_object()))


def put_repositories(state: EmulatorState, request: Request, registry: str) -> Response:
    """Test helper: the repositories that already exist in a registry (targets must not collide)."""
    body = request.json()
    found = state.registries.registries.get(registry.lower())
    if found is None:
        raise ServiceError(404, "RegistryNotFound", f"The registry '{registry}' does not exist.")
    if not isinstance(body, list) or not all(isinstance(r, str) for r in body):
        raise ServiceError(400, "InvalidBody", "a list of repository names is required")
    found.repositories = set(body)
    return Response(200, sorted(found.repositories))


# Event Grid control calls may do webhook I/O (validation handshake): they run outside the state lock.
UNLOCKED_PREFIXES = (
    "/_emulator/event-subscriptions",
    "/_emulator/topics/",
    "/_emulator/deliveries",
    "/_emulator/dead-letters",
)


def register(router: Router) -> None:
    router.add("POST", r"/_emulator/reset", reset)
    router.add("POST", r"/_emulator/seed", seed)
    router.add("GET", r"/_emulator/upstreams", list_upstreams)
    router.add("PUT", r"/_emulator/upstreams/(?P<server>[^/]+)/accounts/(?P<user>[^/]+)", put_upstream)
    router.add("DELETE", r"/_emulator/upstreams/(?P<server>[^/]+)/accounts/(?P<user>[^/]+)", delete_upstream)
    router.add("GET", r"/_emulator/settings", get_settings)
    router.add("PUT", r"/_emulator/settings", put_settings)
    router.add("GET", r"/_emulator/faults", get_faults)
    router.add("PUT", r"/_emulator/faults", put_faults)
    router.add("GET", r"/_emulator/requests", get_requests)
    router.add("DELETE", r"/_emulator/requests", clear_requests)
    router.add("GET", r"/_emulator/clock", get_clock)
    router.add("POST", r"/_emulator/clock", advance_clock)
    router.add("PUT", r"/_emulator/secrets/(?P<vault>[^/]+)/(?P<name>[^/]+)", put_secret)
    router.add("PUT", r"/_emulator/registries/(?P<registry>[^/]+)/repositories", put_repositories)
    router.add("PUT", r"/_emulator/subscriptions/(?P<subscription>[^/]+)", put_subscription)
    router.add("POST", r"/_emulator/fleet", post_fleet)
    router.add(
        "PUT",
        r"/_emulator/event-subscriptions/(?P<name>[^/]+)",
        lambda s, r, name: _tuple(s.events.put_subscription(name, r.json())),
    )
    router.add(
        "DELETE",
        r"/_emulator/event-subscriptions/(?P<name>[^/]+)",
        lambda s, r, name: _tuple(s.events.delete_subscription(name)),
    )
    router.add("GET", r"/_emulator/event-subscriptions", lambda s, r: _tuple(s.events.list_subscriptions()))
    router.add(
        "GET",
        r"/_emulator/topics/(?P<topic>[^/]+)/events",
        lambda s, r, topic: _tuple(s.events.topic_events(topic)),
    )
    router.add("GET", r"/_emulator/deliveries", lambda s, r: _tuple(s.events.deliveries()))
    router.add("POST", r"/_emulator/deliveries/idle", lambda s, r: _tuple(s.events.idle(r.json())))
    router.add(
        "PUT",
        r"/_emulator/topics/(?P<topic>[^/]+)",
        lambda s, r, topic: _tuple(s.events.put_topic(topic, r.json())),
    )
    router.add("GET", r"/_emulator/dead-letters", lambda s, r: _tuple(s.events.dead_letters()))
