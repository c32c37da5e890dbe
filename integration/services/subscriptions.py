"""Webhook subscriptions of an API client (``/webhooks/`` in the API, the web page and the
admin): the URL must pass the destination policy, the event types the client's scopes."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from recruitment.errors import StaleVersion

from .. import destinations
from ..models import EVENT_SCOPES, ApiClient, EventType, WebhookSubscription


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
    subscription = _locked(subscription, expected_version)
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
    subscription = _locked(subscription, expected_version)
    subscription.secret = "whsec_" + secrets.token_urlsafe(32)
    subscription.version += 1
    subscription.save()
    return subscription


@transaction.atomic
def delete_subscription(*, subscription: WebhookSubscription, expected_version: int) -> None:
    subscription = _locked(subscription, expected_version)
    subscription.delete()


def _locked(subscription: WebhookSubscription, expected_version: int) -> WebhookSubscription:
    """The subscription, locked for writing, if it still has the version the writer read."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.version != expected_version:
        raise StaleVersion(
            expected=expected_version, current=subscription.version, label="subscription"
        )
    return subscription
