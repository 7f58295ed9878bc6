"""Envelope -> view -> service, each event at most once by its business key.

Unknown types and resource operations the app does not act on cost one log line and no Azure call. A batch is
handled event by event; if any fails, the first failure is raised after the others ran, so Event Grid redelivers
the batch and the events already completed are skipped by their idempotency records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.events._fields import EventParseError
from shared.events.envelope import EventEnvelope
from shared.events.keyvault import (
    SecretEvent,
    SecretExpired,
    SecretNearExpiry,
    SecretNewVersionCreated,
    VaultAccessPolicyChanged,
)
from shared.events.resources import ResourceEvent
from shared.events.views import EventView, view_of
from shared.logs import event
from shared.services.access_events import AccessEvents
from shared.services.audit import caused_by
from shared.services.expiry import ExpiryService
from shared.services.resource_events import ResourceEvents, handles
from shared.services.rotation import RotationService
from shared.state.idempotency import IdempotencyStore, run_once

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class EventServices:
    rotation: RotationService
    expiry: ExpiryService
    access: AccessEvents
    resources: ResourceEvents
    idempotency: IdempotencyStore


def business_key(view: EventView) -> str | None:
    """What makes two deliveries the same piece of work; None for events the app does not act on."""
    if isinstance(view, SecretEvent):
        return "|".join((view.event_type, view.vault_name, view.secret_name, view.version or view.id)).lower()
    if isinstance(view, VaultAccessPolicyChanged):
        return "|".join((view.event_type, view.vault_name, view.id)).lower()
    if isinstance(view, ResourceEvent) and handles(view):
        return "|".join((view.operation_name, view.resource_uri, view.correlation_id or view.id)).lower()
    return None


def _work(view: EventView, services: EventServices, cause: str) -> Callable[[], object] | None:
    if isinstance(view, SecretNewVersionCreated):
        return lambda: services.rotation.rotate(view, cause=cause)
    if isinstance(view, SecretNearExpiry):
        return lambda: services.expiry.near_expiry(view, cause=cause)
    if isinstance(view, SecretExpired):
        return lambda: services.expiry.expired(view, cause=cause)
    if isinstance(view, VaultAccessPolicyChanged):
        return lambda: services.access.policy_changed(view, cause=cause)
    if isinstance(view, ResourceEvent) and handles(view):
        return lambda: services.resources.handle(view, cause=cause)
    return None


def dispatch_one(envelope: EventEnvelope, services: EventServices) -> str:
    """``handled``, ``duplicate`` or ``ignored``; raises when the work failed (so Event Grid redelivers)."""
    try:
        view = view_of(envelope)
    except EventParseError as exc:
        # Redelivering a malformed event cannot fix it: say so once and let it go.
        event(
            log,
            logging.ERROR,
            "EventUnreadable",
            eventType=envelope.type,
            eventId=envelope.id,
            error=str(exc),
        )
        return "ignored"
    key = business_key(view) if view is not None else None
    work = _work(view, services, f"event:{envelope.type}:{envelope.id}") if view is not None else None
    if key is None or work is None:
        event(log, logging.INFO, "EventIgnored", eventType=envelope.type, eventId=envelope.id)
        return "ignored"
    cause = {"kind": "event", "eventId": envelope.id, "eventType": envelope.type}
    with caused_by(cause):
        done = run_once(services.idempotency, key, work)
    event(
        log,
        logging.INFO,
        "EventHandled" if done else "EventDuplicate",
        eventType=envelope.type,
        eventId=envelope.id,
    )
    return "handled" if done else "duplicate"


def dispatch(envelopes: Sequence[EventEnvelope], services: EventServices) -> list[str]:
    outcomes = []
    failure: BaseException | None = None
    for envelope in envelopes:
        try:
            outcomes.append(dispatch_one(envelope, services))
        except Exception as exc:  # the rest of the batch still runs; the first failure is re-raised below
            event(
                log, logging.ERROR, "EventFailed", exc_info=True, eventType=envelope.type, eventId=envelope.id
            )
            failure = failure or exc
            outcomes.append("failed")
    if failure is not None:
        raise failure
    return outcomes
