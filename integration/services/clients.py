"""API clients and their tokens: created by an organisation admin, shown once, stored
hashed, revocable, expiring; the last use is recorded."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recruitment import authz
from recruitment.actors import Actor
from recruitment.errors import NotPermitted
from recruitment.models import Organisation

from .. import selectors
from ..models import SCOPES, ApiClient, allowed_scopes

logger = logging.getLogger("polku.integration")

TOKEN_PREFIX = "polku_"  # noqa: S105 - a marker, not a secret
MAX_TOKEN_LIFETIME = dt.timedelta(days=2 * 365)
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


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
