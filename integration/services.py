"""Writes of the integration app: API clients and tokens, idempotency records, the webhook
outbox and its deliveries, webhook subscriptions and CSV imports.

Keyword-only functions, each atomic. Track records themselves (enrollments, permits, ...)
change only through ``credentials.services``; cases only through ``recruitment.services``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credentials import authz as credential_authz
from recruitment import authz
from recruitment.actors import Actor
from recruitment.authz import CaseVisibility
from recruitment.errors import NotPermitted, StaleVersion
from recruitment.models import CandidateAccess, Case, CaseEvent, Organisation

from . import destinations, selectors
from .models import (
    EVENT_SCOPES,
    SCOPES,
    ApiClient,
    EventType,
    IdempotencyRecord,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
    allowed_scopes,
)
from .principals import Principal

logger = logging.getLogger("polku.integration")

TOKEN_PREFIX = "polku_"  # noqa: S105 - a marker, not a secret
MAX_TOKEN_LIFETIME = dt.timedelta(days=2 * 365)
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


# --- API clients -----------------------------------------------------------------------------


def _require_org_admin(actor: Actor, organisation: Organisation) -> None:
    if actor.is_system:
        return
    if actor.user is None or not authz.can_manage_memberships(actor.user, organisation):
        raise NotPermitted(
            _("Only an admin of %(org)s may manage its API clients.") % {"org": organisation}
        )


def _as_datetime(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(dt.datetime.combine(value, dt.time(23, 59, 59)))


@transaction.atomic
def create_api_client(
    *,
    organisation: Organisation,
    name: str,
    scopes: list[str],
    expires_at: dt.datetime | dt.date,
    actor: Actor,
) -> tuple[ApiClient, str]:
    """Create a client and its token. The raw token is returned once and never stored."""
    _require_org_admin(actor, organisation)
    errors: dict[str, str] = {}
    scopes = sorted(set(scopes or []))
    unknown = [s for s in scopes if s not in SCOPES]
    not_allowed = [s for s in scopes if s in SCOPES and s not in allowed_scopes(organisation)]
    if not scopes:
        errors["scopes"] = _("Choose at least one scope.")
    elif unknown:
        errors["scopes"] = _("Unknown scopes: %(s)s.") % {"s": ", ".join(unknown)}
    elif not_allowed:
        errors["scopes"] = _("A %(kind)s cannot hold these scopes: %(s)s.") % {
            "kind": organisation.get_kind_display(),
            "s": ", ".join(not_allowed),
        }
    if expires_at is None:
        errors["expires_at"] = _("Choose when the token expires.")
    else:
        expires_at = _as_datetime(expires_at)
        now = timezone.now()
        if expires_at <= now:
            errors["expires_at"] = _("The expiry must be in the future.")
        elif expires_at > now + MAX_TOKEN_LIFETIME:
            errors["expires_at"] = _("A token may live at most two years.")
    if errors:
        raise ValidationError(errors)
    raw_token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        organisation=organisation,
        name=(name or "").strip(),
        scopes=scopes,
        token_prefix=raw_token[:12],
        token_hash=selectors.hash_token(raw_token),
        expires_at=expires_at,
        created_by=actor.user if actor.user is not None and actor.user.pk else None,
    )
    client.full_clean()
    client.save()
    logger.info("api client %s created for organisation %s", client.pk, organisation.pk)
    return client, raw_token


@transaction.atomic
def revoke_api_client(*, client: ApiClient, actor: Actor) -> ApiClient:
    """Revoke a client's token at once; its webhook subscriptions stop receiving events."""
    client = ApiClient.objects.select_for_update().select_related("organisation").get(pk=client.pk)
    _require_org_admin(actor, client.organisation)
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        logger.info("api client %s revoked", client.pk)
    return client


def touch_api_client(*, client: ApiClient) -> None:
    """Record the token's last use, at most once a minute (no write on every request)."""
    now = timezone.now()
    if client.last_used_at and now - client.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now


# --- Idempotency -----------------------------------------------------------------------------


def store_idempotent_response(
    *,
    principal_key: str,
    key: str,
    method: str,
    path: str,
    fingerprint: str,
    status: int,
    body,
    headers: dict[str, str],
) -> IdempotencyRecord:
    """Store the first response to a keyed POST (inside the caller's transaction, so the
    record and the change commit together; a concurrent duplicate fails on the unique key)."""
    # A key may be used again once its record expired (even before the nightly purge).
    IdempotencyRecord.objects.filter(
        principal=principal_key,
        key=key,
        created_at__lt=timezone.now() - selectors.IDEMPOTENCY_WINDOW,
    ).delete()
    return IdempotencyRecord.objects.create(
        principal=principal_key,
        key=key,
        method=method,
        path=path[:500],
        fingerprint=fingerprint,
        response_status=status,
        response_body=body,
        response_headers=headers,
    )


def purge_idempotency_records() -> int:
    cutoff = timezone.now() - selectors.IDEMPOTENCY_WINDOW
    deleted, _details = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- Personal data access log ----------------------------------------------------------------


def log_candidate_access(*, principal: Principal, candidate_ids: list[int], purpose: str) -> None:
    """GDPR: record who read candidates' contact details through the API (one query)."""
    if not candidate_ids:
        return
    label = principal.actor.label[:200]
    user = principal.user if principal.user is not None else None
    now = timezone.now()
    ids = sorted(set(candidate_ids))
    connection = connections[router.db_for_write(CandidateAccess)]
    if connection.vendor == "postgresql":
        # One statement, one round trip and no model instances: this runs on every page a
        # county reads, where building a hundred objects cost more than the list query.
        meta = CandidateAccess._meta
        qn = connection.ops.quote_name
        columns = ", ".join(
            qn(meta.get_field(name).column)
            for name in ("candidate", "user", "actor_label", "purpose", "accessed_at")
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(meta.db_table)} ({columns}) "  # noqa: S608 (names only)
                "SELECT c, %s, %s, %s, %s FROM unnest(%s::bigint[]) AS c",
                [user.pk if user is not None else None, label, purpose, now, ids],
            )
        return
    CandidateAccess.objects.bulk_create(
        [
            CandidateAccess(
                candidate_id=cid, user=user, actor_label=label, purpose=purpose, accessed_at=now
            )
            for cid in ids
        ]
    )


# --- Outbox ----------------------------------------------------------------------------------

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
    from .tasks import dispatch_webhooks  # lazy: tasks import this module

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


# --- Webhook delivery ------------------------------------------------------------------------


def sign_payload(*, secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex, prefixed with the algorithm."""
    message = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def webhook_body(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    envelope = {
        "id": event.pk,
        "type": event.event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "delivery": delivery.pk,
        **event.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode("utf-8")


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff: base × 2^(attempts−1), capped."""
    base = settings.POLKU_WEBHOOK_RETRY_BASE_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.POLKU_WEBHOOK_RETRY_MAX_SECONDS)
    return dt.timedelta(seconds=seconds)


def _claim(delivery: WebhookDelivery) -> bool:
    """Take a lease on a due delivery so two workers never send it at the same time."""
    lease = timezone.now() + dt.timedelta(seconds=settings.POLKU_WEBHOOK_TIMEOUT_SECONDS * 3)
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery.pk,
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at=delivery.next_attempt_at,
        ).update(next_attempt_at=lease)
    )


def attempt_delivery(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """POST one delivery to its subscriber; on failure schedule a retry or dead-letter it.

    The destination is checked again now (DNS may have changed since the subscription): a
    refused one is a failed attempt with the reason, and no request is made. Redirects are
    failed attempts too (never followed).
    """
    if not _claim(delivery):
        return delivery
    body = webhook_body(delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Polku-Webhooks/1",
        "X-Polku-Event": delivery.event.event_type,
        "X-Polku-Delivery": str(delivery.pk),
        "X-Polku-Timestamp": timestamp,
        "X-Polku-Signature": sign_payload(
            secret=delivery.subscription.secret, timestamp=timestamp, body=body
        ),
    }
    now = timezone.now()
    status_code = None
    error = ""
    try:
        destination = destinations.check_url(delivery.subscription.url)
        reply = destinations.send(
            destination,
            body=body,
            headers=headers,
            timeout=settings.POLKU_WEBHOOK_TIMEOUT_SECONDS,
        )
    except destinations.DestinationRefused as exc:
        error = f"Destination refused, nothing sent: {exc.message}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        error = f"{exc.__class__.__name__}: {exc}"
    else:
        status_code = reply.status
        if 300 <= status_code < 400:
            error = f"HTTP {status_code}: redirect not followed (Location: {reply.location})"
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = status_code
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = ""
    else:
        delivery.last_error = (error or f"HTTP {status_code}")[:500]
        if delivery.attempts >= settings.POLKU_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.DEAD
            delivery.dead_lettered_at = now
            logger.warning("webhook delivery %s dead-lettered", delivery.pk)
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "dead_lettered_at",
            "next_attempt_at",
        ]
    )
    return delivery


def deliver_due_webhooks(*, limit: int = 100) -> int:
    """Fan out new outbox events, then attempt every due delivery once."""
    fan_out_outbox()
    count = 0
    for delivery in selectors.due_deliveries(limit):
        attempt_delivery(delivery=delivery)
        count += 1
    return count


@transaction.atomic
def redeliver(*, deliveries, actor: Actor) -> int:
    """Queue deliveries again (admin action), dead-lettered ones included."""
    ids = [d.pk for d in deliveries]
    return WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at=timezone.now(),
        dead_lettered_at=None,
        attempts=0,
    )


# --- Webhook subscriptions -------------------------------------------------------------------


def validate_subscription(
    *, client: ApiClient, url: str | None = None, event_types: list[str] | None = None
) -> None:
    """Check what a subscription is to get (what is given): the URL against the destination
    policy (``integration.destinations``), the event types against the client's scopes.
    Raises ``ValidationError`` naming the field. The admin's form asks this too."""
    errors = {}
    if url is not None:
        try:
            destinations.check_url(url)
        except destinations.DestinationRefused as exc:
            errors["url"] = exc.message
    if event_types is not None:
        if not isinstance(event_types, list) or not all(isinstance(t, str) for t in event_types):
            errors["event_types"] = _("Give a list of event types.")
        elif unknown := [t for t in event_types if t not in EventType.values]:
            errors["event_types"] = _("Unknown event types: %(t)s.") % {"t": ", ".join(unknown)}
        elif missing := [t for t in event_types if EVENT_SCOPES[t] not in client.scopes]:
            errors["event_types"] = _("Your token's scopes do not cover: %(t)s.") % {
                "t": ", ".join(missing)
            }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_subscription(
    *, client: ApiClient, url: str, event_types: list[str], active: bool = True
) -> WebhookSubscription:
    event_types = event_types or []
    validate_subscription(client=client, url=url or "", event_types=event_types)
    subscription = WebhookSubscription(
        client=client,
        url=url,
        event_types=sorted(set(event_types)),
        active=active,
        secret="whsec_" + secrets.token_urlsafe(32),
    )
    subscription.full_clean()
    subscription.save()
    return subscription


_SUBSCRIPTION_FIELDS = ("url", "event_types", "active")


@transaction.atomic
def update_subscription(
    *, subscription: WebhookSubscription, expected_version: int, **changes
) -> WebhookSubscription:
    """Change a subscription's URL, event types or ``active``. A change that changes nothing
    (an empty PATCH, the values it already has) writes nothing and keeps the version."""
    unknown = set(changes) - set(_SUBSCRIPTION_FIELDS)
    if unknown:  # a programming error, not the partner's: the API's serializer is strict
        raise TypeError(f"not a subscription field: {', '.join(sorted(unknown))}")
    # Checked before the row is locked: the URL's check waits for DNS.
    validate_subscription(
        client=subscription.client, url=changes.get("url"), event_types=changes.get("event_types")
    )
    if "event_types" in changes:
        changes["event_types"] = sorted(set(changes["event_types"]))
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.version != expected_version:
        raise StaleVersion(
            expected=expected_version, current=subscription.version, label="subscription"
        )
    changed = {
        name: value for name, value in changes.items() if getattr(subscription, name) != value
    }
    if not changed:
        return subscription
    for name, value in changed.items():
        setattr(subscription, name, value)
    subscription.version += 1
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def rotate_subscription_secret(
    *, subscription: WebhookSubscription, expected_version: int
) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.version != expected_version:
        raise StaleVersion(
            expected=expected_version, current=subscription.version, label="subscription"
        )
    subscription.secret = "whsec_" + secrets.token_urlsafe(32)
    subscription.version += 1
    subscription.save()
    return subscription


@transaction.atomic
def delete_subscription(*, subscription: WebhookSubscription, expected_version: int) -> None:
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.version != expected_version:
        raise StaleVersion(
            expected=expected_version, current=subscription.version, label="subscription"
        )
    subscription.delete()
