"""JSON shapes of the health sweep's answers (``/api/sweeps``, ``/api/health``) and the health query's parsing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from shared.domain.errors import FieldError, ValidationFailed
from shared.domain.health import Status
from shared.domain.names import is_registry_name
from shared.domain.sweeps import SweepResult
from shared.services.sweep_report import MAX_SKIP, MAX_TOP, HealthPage, HealthQuery

HEALTH_PATH = "/api/health"
QUERY_FIELDS = ("status", "registry", "top", "skip")


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).isoformat().replace("+00:00", "Z")


def sweep_location(sweep_id: str) -> str:
    return f"/api/sweeps/{sweep_id}"


def sweep_view(result: SweepResult) -> dict[str, Any]:
    return {
        "id": result.sweep_id,
        "status": result.status.value,
        "startedAt": iso(result.started_at),
        "registries": result.registries,
        "registriesChecked": result.checked,
        "rules": result.rules,
        "unhealthyRules": result.unhealthy,
        "flagsRaised": result.flags_raised,
        "flagsCleared": result.flags_cleared,
        "azureRequests": result.azure_requests,
        "durationMs": result.duration_ms,
        "healed": list(result.healed),
        "failures": [{"registry": f.registry, "error": f.error} for f in result.failures],
    }


def _integer(raw: str, field: str, low: int, high: int, errors: list[FieldError]) -> int:
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    errors.append(FieldError(field=field, message=f"must be an integer from {low} to {high}"))
    return low


def parse_health_query(params: Mapping[str, str]) -> HealthQuery:
    """``?status=&registry=&top=&skip=``; anything else, or a bad value, is a 400 naming each bad parameter."""
    errors = [
        FieldError(field=k, message="is not a parameter of this route")
        for k in params
        if k not in (*QUERY_FIELDS, "code")
    ]
    status_raw = params.get("status")
    status = None
    if status_raw is not None:
        status = next((s for s in Status if s.value.lower() == status_raw.lower()), None)
        if status is None:
            errors.append(FieldError(field="status", message="must be Healthy, Warning or Unhealthy"))
    registry = params.get("registry")
    if registry is not None and not is_registry_name(registry):
        errors.append(FieldError(field="registry", message="must be 5-50 letters and digits"))
    top = _integer(params.get("top", str(MAX_TOP)), "top", 1, MAX_TOP, errors)
    skip = _integer(params.get("skip", "0"), "skip", 0, MAX_SKIP, errors)
    if errors:
        raise ValidationFailed("The health query is invalid", errors=errors)
    return HealthQuery(status=status, registry=registry, top=top, skip=skip)


def _next_link(query: HealthQuery, skip: int) -> str:
    params: dict[str, str | int] = {}
    if query.status is not None:
        params["status"] = query.status.value
    if query.registry is not None:
        params["registry"] = query.registry
    params["top"] = query.top
    params["skip"] = skip
    return f"{HEALTH_PATH}?{urlencode(params)}"


def health_view(page: HealthPage) -> dict[str, Any]:
    view: dict[str, Any] = {
        "generatedAt": iso(page.generated_at),
        "lastSweep": sweep_view(page.last_sweep) if page.last_sweep is not None else None,
        "summary": {
            "rules": page.summary.rules,
            "healthy": page.summary.healthy,
            "warning": page.summary.warning,
            "unhealthy": page.summary.unhealthy,
        },
        "rules": [
            {
                "id": row.rule_id,
                "registry": row.registry,
                "name": row.name,
                "status": row.record.status.value,
                "reason": row.record.reason.value if row.record.reason else None,
                "message": row.message,
                "since": iso(row.record.since),
                "checkedAt": iso(row.checked_at),
                "expiresOn": iso(row.expires_on) if row.expires_on is not None else None,
            }
            for row in page.rows
        ],
    }
    if page.next_skip is not None:
        view["nextLink"] = _next_link(page.query, page.next_skip)
    return view
