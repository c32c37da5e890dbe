"""The webhook outbox: a row per case event, written in the event's own transaction, then
fanned out to one delivery per subscription that may see it (``deliveries`` sends them).

Payloads carry identifiers and states only, never personal data or the diff: a partner reads
the details through the API with its own scope.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from credentials import authz as credential_authz
from recruitment import authz
from recruitment.authz import CaseVisibility
from recruitment.models import Case, CaseEvent

from .. import selectors
from ..models import (
    EVENT_SCOPES,
    EventType,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
)
from ..principals import Principal

logger = logging.getLogger("polku.integration")

_KIND_EVENT_TYPES = {
    CaseEvent.Kind.OPENED: EventType.CASE_OPENED,
    CaseEvent.Kind.TRANSITION: EventType.CASE_TRANSITIONED,
    CaseEvent.Kind.CHANGE: EventType.CASE_CHANGED,
    CaseEvent.Kind.MILESTONE: EventType.CASE_MILESTONE,
    CaseEvent.Kind.PLACEMENT: EventType.CASE_PLACEMENT,
    CaseEvent.Kind.RETENTION: EventType.CASE_RETENTION,
}
_TRACK_EVENT_TYPES = {
    "training": EventType.TRAINING_CHANGED,
    "enrollment": EventType.TRAINING_CHANGED,
    "language": EventType.TRAINING_CHANGED,
    "language_certificate": EventType.TRAINING_CHANGED,
    "permit": EventType.PERMIT_CHANGED,
    "residence_permit": EventType.PERMIT_CHANGED,
    "integration": EventType.PERMIT_CHANGED,
    "integration_step": EventType.PERMIT_CHANGED,
}


def _track_of(event: CaseEvent) -> str:
    changes = event.changes if isinstance(event.changes, dict) else {}
    value = changes.get("track")
    if isinstance(value, list):  # a [old, new] diff
        value = value[-1]
    return str(value or "")


def event_type_for(event: CaseEvent) -> str:
    if event.kind == CaseEvent.Kind.TRACK:
        return _TRACK_EVENT_TYPES.get(_track_of(event), EventType.CREDENTIAL_CHANGED)
    changes = event.changes if isinstance(event.changes, dict) else {}
    if (
        event.kind == CaseEvent.Kind.MILESTONE
        and changes
        and all(name.startswith("permit_") for name in changes)
    ):
        return EventType.PERMIT_CHANGED  # permit milestones are permit data (not for educators)
    return _KIND_EVENT_TYPES.get(event.kind, EventType.CASE_CHANGED)


def record_outbox_event(*, event: CaseEvent) -> OutboxEvent | None:
    """Write the outbox row for a case event, inside the transaction that wrote the event.

    Payloads carry identifiers and states only — never personal data or the diff — so a
    partner reads details through the API with its own scope. Nothing is written while no
    subscription is active.
    """
    if not selectors.active_subscriptions_exist():
        return None
    outbox = _outbox_row(event, case_version=event.case.version)
    outbox.save()
    transaction.on_commit(_queue_dispatch)
    return outbox


def record_outbox_events(*, events: list[CaseEvent]) -> list[OutboxEvent]:
    """``record_outbox_event`` for a batch of events (``case_events_recorded``): one check
    for active subscriptions and one insert for all rows, in the events' transaction."""
    if not events or not selectors.active_subscriptions_exist():
        return []
    rows = OutboxEvent.objects.bulk_create(
        [_outbox_row(event, case_version=event.case_version) for event in events]
    )
    transaction.on_commit(_queue_dispatch)
    return rows


def _outbox_row(event: CaseEvent, *, case_version: int) -> OutboxEvent:
    case = event.case
    data = {
        "event_kind": event.kind,
        "transition": event.transition,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor_kind": event.actor_kind,
    }
    track = _track_of(event)
    if track:
        data["track"] = track
    return OutboxEvent(
        event_type=event_type_for(event),
        case_id=case.pk,
        case_event_id=event.pk,
        occurred_at=event.occurred_at,
        payload={
            "case": {
                "id": case.pk,
                "number": case.number,
                "state": case.state,
                "version": case_version,
            },
            "data": data,
        },
    )


def _queue_dispatch() -> None:
    """After commit: ask a worker to deliver now (beat retries if the broker is away)."""
    from ..tasks import dispatch_webhooks  # lazy: tasks import the services

    try:
        dispatch_webhooks.delay()
    except Exception as exc:  # the broker is down: the beat schedule picks it up later
        logger.warning("webhook dispatch not queued (%s); beat will retry", exc.__class__.__name__)


def _subscription_sees(
    subscription: WebhookSubscription,
    event: OutboxEvent,
    visibility: CaseVisibility,
    case_event: CaseEvent | None,
    organisations: dict,
) -> bool:
    """Is ``event`` delivered to ``subscription``? Its client's organisation must see the
    audit event it reports (``recruitment.authz.case_visibility``, narrowed by the token's
    scopes, as in the API), and the subscription must want the event type its scopes allow."""
    client = subscription.client
    if not client.is_usable or not subscription.active or not subscription.wants(event.event_type):
        return False
    scope = EVENT_SCOPES.get(event.event_type, "cases:read")
    if scope not in client.scopes or not visibility.visible:
        return False
    if case_event is None:  # a row written before events were linked: the county only
        return visibility.whole
    return credential_authz.sees_event(visibility, case_event, organisations)


@transaction.atomic
def fan_out_outbox(*, limit: int = 500) -> int:
    """Turn undispatched outbox events into one delivery per interested subscription."""
    events = list(
        OutboxEvent.objects.select_for_update(skip_locked=True)
        .filter(dispatched_at__isnull=True)
        .order_by("id")[:limit]
    )
    if not events:
        return 0
    subscriptions = list(
        WebhookSubscription.objects.filter(active=True, client__revoked_at__isnull=True)
        .select_related("client__organisation")
        .order_by("id")
    )
    case_events = CaseEvent.objects.in_bulk(
        [e.case_event_id for e in events if e.case_event_id is not None]
    )
    organisations = credential_authz.record_organisations(case_events.values())
    counties = dict(
        Case.objects.filter(pk__in={e.case_id for e in events}).values_list("pk", "county_id")
    )
    partners = authz.case_partners(counties)
    visibility: dict[int, dict[int, CaseVisibility]] = {}  # client id → case id → visibility
    for sub in subscriptions:
        if sub.client_id not in visibility:
            visibility[sub.client_id] = Principal.for_client(sub.client).visibilities(
                counties.items(), partners=partners
            )
    deliveries = [
        WebhookDelivery(event=event, subscription=sub, next_attempt_at=timezone.now())
        for event in events
        for sub in subscriptions
        if _subscription_sees(
            sub,
            event,
            visibility[sub.client_id].get(event.case_id, authz.NOTHING),
            case_events.get(event.case_event_id),
            organisations,
        )
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(dispatched_at=timezone.now())
    return len(deliveries)
