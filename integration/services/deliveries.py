"""Webhook deliveries: signed POSTs to the subscriber, exponential retry, dead letter after
``POLKU_WEBHOOK_MAX_ATTEMPTS``, redelivery from the admin. Every attempt asks the destination
policy (``integration.destinations``) again."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recruitment.actors import Actor

from .. import destinations, selectors
from ..models import WebhookDelivery
from .outbox import fan_out_outbox

logger = logging.getLogger("polku.integration")


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
    headers = _signed_headers(delivery, body)
    now = timezone.now()
    status_code, error = _post(delivery, body, headers)
    _record_attempt(delivery, now, status_code, error)
    return delivery


def _signed_headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "User-Agent": "Polku-Webhooks/1",
        "X-Polku-Event": delivery.event.event_type,
        "X-Polku-Delivery": str(delivery.pk),
        "X-Polku-Timestamp": timestamp,
        "X-Polku-Signature": sign_payload(
            secret=delivery.subscription.secret, timestamp=timestamp, body=body
        ),
    }


def _post(delivery: WebhookDelivery, body: bytes, headers: dict) -> tuple[int | None, str]:
    """Send to the destination the policy accepts now: (HTTP status or None, why the attempt
    failed; empty when it did not fail for a reason other than its status)."""
    try:
        destination = destinations.check_url(delivery.subscription.url)
        reply = destinations.send(
            destination,
            body=body,
            headers=headers,
            timeout=settings.POLKU_WEBHOOK_TIMEOUT_SECONDS,
        )
    except destinations.DestinationRefused as exc:
        return None, f"Destination refused, nothing sent: {exc.message}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, f"{exc.__class__.__name__}: {exc}"
    if 300 <= reply.status < 400:
        return reply.status, (
            f"HTTP {reply.status}: redirect not followed (Location: {reply.location})"
        )
    return reply.status, ""


def _record_attempt(
    delivery: WebhookDelivery, now: dt.datetime, status_code: int | None, error: str
) -> None:
    """Delivered (a 2xx), or the error with a retry scheduled, or dead-lettered after the
    last attempt."""
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
